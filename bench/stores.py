"""Local folder vs PostgreSQL + pgvector at 100k (and 1M) passages, and embedding with Ray.

Synthetic corpus: passages of words drawn from a Chinese vocabulary (Zipf-like), and
embedding-like vectors (clustered around 1,000 centres: on i.i.d. random vectors every
HNSW gets recall ≈ 0.05), written straight into each store, so no hours of embedding.
Each store is then served by a fresh process that loads it and answers 200 questions
through the full hybrid query (Retriever.search: candidates by vector and BM25, exact
scoring, evidence); it reports load time, p50/p95 and its resident memory.

    python bench/stores.py --url postgresql://… --sizes 100000 [1000000] [--ray]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.build import (  # noqa: E402
    CHUNKER_VERSION,
    FORMAT_VERSION,
    BuildReport,
    PreparedBuild,
    choose_kind,
    corpus_hashes,
)
from rag.chunk import MAX_CHARS, Passage  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.lexical import BM25Index  # noqa: E402
from rag.stores.local import write_build  # noqa: E402

DIM, CENTRES, QUESTIONS = 384, 1000, 200
MODEL = "synthetic-384"
SEED_WORDS = ("制造 企业 人工智能 工厂 机器人 数据 平台 模型 应用 场景 技术 产业 政策 发展 创新 标准 质量 效率 成本 "
              "供应链 数字化 转型 智能 系统 设备 工业 互联网 安全 人才 研发 生产 服务 市场 投资 能源 汽车 芯片").split()
VOCABULARY = 20_000  # words, drawn Zipf-like as in real text: a few very common, most rare


def vocabulary(rng: np.random.Generator) -> list[str]:
    """The seed words plus two- and three-character pseudo-words of common characters."""
    common = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可"
    chars = sorted(set("".join(SEED_WORDS)) | set(common))
    words = list(SEED_WORDS)
    seen = set(words)
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(chars, int(rng.integers(2, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class QueryVectors:
    """An 'encoder' for the benchmark: each question's vector was made with the corpus."""

    name, dim = MODEL, DIM

    def __init__(self, vectors: dict[str, np.ndarray]):
        self.vectors = vectors

    def encode_queries(self, texts):
        return np.stack([self.vectors[t] for t in texts])

    def encode_passages(self, texts):
        raise RuntimeError("the benchmark never embeds")


def synthetic(size: int, seed: int = 0):
    """Passages, their vectors, and questions (text, vector) near 200 of them."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CENTRES, DIM)).astype(np.float32)
    labels = rng.integers(0, CENTRES, size)
    vectors = centres[labels] + 0.6 * rng.standard_normal((size, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    words_of = vocabulary(rng)
    weights = 1 / np.arange(1, len(words_of) + 1)
    weights /= weights.sum()
    words = rng.choice(len(words_of), (size, 30), p=weights)
    passages = []
    for i in range(size):
        text = "".join(words_of[w] for w in words[i]) + f"，编号{i}。"  # one sentence: no sentence vectors
        passages.append(Passage(f"doc{i // 100}-{i % 100}", f"doc{i // 100}.md", f"文档{i // 100}", "",
                                i % 100, 0, len(text), text))
    picked = rng.choice(size, QUESTIONS, replace=False)
    questions = {}
    for i in picked:
        q = vectors[i] + 0.3 * rng.standard_normal(DIM).astype(np.float32)
        text = "".join(words_of[w] for w in words[i][:4]) + f"编号{i}是什么？"
        questions[text] = q / np.linalg.norm(q)
    return passages, vectors, questions


def write_stores(size: int, url: str, folder: Path) -> dict:
    """Write the synthetic corpus into a local index folder and a Postgres schema; seconds each."""
    import psycopg

    from rag.stores.postgres import write_prepared_build

    passages, vectors, questions = synthetic(size)
    started = time.perf_counter()
    bm25 = BM25Index.build([p.text for p in passages])
    tokenise = time.perf_counter() - started
    kinds = {"passages": choose_kind("auto", size), "sentences": "flat"}
    (folder / "corpus").mkdir()  # the manifest must match some corpus folder, or the index counts as stale
    (folder / "corpus" / "synthetic.md").write_text("# 合成语料\n\n见数据库。\n", "utf-8")
    manifest = {"format_version": FORMAT_VERSION, "model": MODEL, "dim": DIM, "faiss": kinds,
                "chunker": {"version": CHUNKER_VERSION, "max_chars": MAX_CHARS},
                "corpus": corpus_hashes(folder / "corpus"),
                "documents": [],
                "skipped": [], "passages": size, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    build = PreparedBuild(passages, vectors, np.zeros((0, DIM), np.float32), bm25, {"names": {}, "aliases": {}},
                          {}, manifest, BuildReport(size))
    started = time.perf_counter()
    (folder / "index").mkdir(parents=True, exist_ok=True)
    write_build(folder / "index", build)
    local = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:  # a fresh schema per run
        conn.execute(f"DROP SCHEMA IF EXISTS bench_{size} CASCADE")
    write_prepared_build(url, f"bench_{size}", build)
    postgres = time.perf_counter() - started
    (folder / "questions.json").write_text(json.dumps({t: v.tolist() for t, v in questions.items()},
                                                      ensure_ascii=False))
    return {"tokenise_s": round(tokenise, 1), "write_local_s": round(local, 1), "write_postgres_s": round(postgres, 1)}


def serve(store: str, folder: Path, size: int) -> dict:
    """In this process: load the store, answer the questions; timings and resident memory."""
    import psutil

    from rag.retriever import Retriever

    questions = {t: np.array(v, np.float32) for t, v in json.loads((folder / "questions.json").read_text()).items()}
    settings = Settings.from_env(corpus_dir=folder / "corpus", index_dir=folder / "index", model=MODEL,
                                 store=store, store_schema=f"bench_{size}")
    started = time.perf_counter()
    retriever = Retriever(settings, QueryVectors(questions), auto_build=False)
    first = next(iter(questions))
    retriever.search(first, 5)
    load = time.perf_counter() - started
    times = []
    for text in questions:
        t = time.perf_counter()
        retriever.search(text, 5)
        times.append(1000 * (time.perf_counter() - t))
    times.sort()
    rss = psutil.Process().memory_info().rss / 2**20
    # The first question with Latin words makes the corpus's pinyin (for romanised names), once per
    # build and under a lock: three such questions at once wait for one computation, not three.
    english = [f"What does Zhizao number {i} say?" for i in range(3)]
    questions.update({q: next(iter(questions.values())) for q in english})
    started = time.perf_counter()
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda q: retriever.search(q, 5), english))
    return {"load_s": round(load, 2), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * len(times)) - 1], 1), "rss_mb": round(rss),
            "first_3_english_at_once_s": round(time.perf_counter() - started, 1),
            "rss_after_pinyin_mb": round(psutil.Process().memory_info().rss / 2**20)}


def ray_throughput(texts: list[str], workers: list[int]) -> dict:
    """Passages per second: plain local embedding, and Ray with 1 and 2 workers on a local cluster."""
    import ray

    from rag.distributed import ray_embedder
    from rag.embed import make_encoder

    settings = Settings.from_env()
    encoder = make_encoder(settings, lambda m: None)
    encoder.encode_passages(texts[:8])  # model loaded
    started = time.perf_counter()
    for i in range(0, len(texts), 32):
        encoder.encode_passages(texts[i : i + 32])
    out = {"local": round(len(texts) / (time.perf_counter() - started), 1)}
    for n in workers:
        embed = ray_embedder(settings, None, n, lambda m: None)
        embed(texts[:64])  # start the cluster and the workers' models once
        started = time.perf_counter()
        embed(texts)
        out[f"ray_{n}_workers"] = round(len(texts) / (time.perf_counter() - started), 1)
        ray.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000])
    parser.add_argument("--ray", action="store_true")
    parser.add_argument("--serve", nargs=3, metavar=("STORE", "FOLDER", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        print(json.dumps(serve(args.serve[0], Path(args.serve[1]), int(args.serve[2]))))
        return
    results: dict = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            row = write_stores(size, args.url, Path(tmp))
            for store in ("local", args.url):
                out = subprocess.run([sys.executable, __file__, "--url", args.url, "--serve", store, tmp, str(size)],
                                     capture_output=True, text=True, check=True).stdout
                row["postgres" if store != "local" else "local"] = json.loads(out.strip().splitlines()[-1])
            results[size] = row
            print(size, json.dumps(row), flush=True)
    if args.ray:
        article = (ROOT / "corpus" / "ai-plus-manufacturing.md").read_text("utf-8")
        texts = [s for s in article.replace("\n", "。").split("。") if len(s) > 10][:256]
        results["embedding_per_s"] = ray_throughput(texts, [1, 2])
        print("embedding", json.dumps(results["embedding_per_s"]), flush=True)
    with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as f:
        f.write(f"\n## Stores: local folder vs PostgreSQL + pgvector ({time.strftime('%Y-%m-%d %H:%M')})\n\n"
                f"```\n{json.dumps(results, indent=1)}\n```\n")


if __name__ == "__main__":
    main()
