"""All benchmarks (not tests), in one run; writes bench/RESULTS.md.

    make bench            # = .venv/bin/python bench/run.py  (about 15 minutes on 2 cores)

Figures are medians over repeated runs; ratios compare measurements from the same run,
interleaved so that noise from other work on the machine hits both sides alike.
"""

from __future__ import annotations

import json
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.evaluate import read_questions  # noqa: E402
from rag.retriever import Retriever  # noqa: E402
from rag.stores.local import load_index, nearest  # noqa: E402

RAG = [sys.executable, "-m", "rag"]
ROUNDS = 5
LOAD_RESULTS = ROOT / "bench" / "load_results.json"  # written by tests/test_load.py with RAG_LOAD_RESULTS set


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def med(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    import torch

    return (f"{cpu}, {subprocess.getoutput('nproc')} cores, {mem} GB RAM, no GPU, Python "
            f"{platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} threads)")


def query_latency(settings: Settings) -> tuple[list[str], dict]:
    retriever = Retriever(settings, progress=lambda m: None)
    retriever.search("warm up", 1)
    questions = [q["q"] for q in read_questions(ROOT / "eval" / "dev_questions.jsonl")]
    questions += [q["q"] for q in read_questions(ROOT / "eval" / "extra_questions.jsonl")]
    passage_vectors = load_index(settings.index_dir).passage_vectors
    times: dict[str, list[float]] = {"encode": [], "dense": [], "hybrid": []}
    for _ in range(ROUNDS):
        for q in questions:
            t0 = time.perf_counter()
            vector = retriever.encoder.encode_queries([q])[0]
            t1 = time.perf_counter()
            nearest(passage_vectors, vector, 10)
            t2 = time.perf_counter()
            retriever.search(q, 5)
            t3 = time.perf_counter()
            times["encode"].append((t1 - t0) * 1000)
            times["dense"].append((t2 - t1) * 1000)
            times["hybrid"].append((t3 - t2) * 1000)
    rows = [("bare question encoding (e5)", times["encode"]),
            ("dense FAISS search alone (top 10)", times["dense"]),
            ("full hybrid query (encode, dense + sentences, BM25, bridges, fusion, evidence)", times["hybrid"])]
    lines = ["## Query latency, warm", "",
             f"{len(questions)} questions (dev + held-out, English and Chinese) x {ROUNDS} rounds, one at a time.", "",
             "| what | p50 ms | p95 ms |", "|---|---|---|"]
    lines += [f"| {name} | {med(v):.2f} | {pct(v, 0.95):.2f} |" for name, v in rows]
    ratio = med(times["hybrid"]) / med(times["encode"])
    lines += ["", f"Full hybrid query / bare encoding (medians, same run): **{ratio:.2f}x**.", ""]
    return lines, {"encode_ms": med(times["encode"]), "hybrid_ms": med(times["hybrid"]), "ratio": ratio}


def embedding_backends(work: Path) -> list[str]:
    """Plain SentenceTransformer.encode against our encoder, fp32 and int8, in the same run."""
    import torch
    from sentence_transformers import SentenceTransformer

    from rag.chunk import chunk_corpus
    from rag.corpus import read_corpus
    from rag.embed import SentenceTransformerEncoder, resolve_model
    from rag.evaluate import evaluate

    passages = [p.text for p in chunk_corpus(read_corpus(ROOT / "corpus")[0])] * 2
    questions = [q["q"] for q in read_questions(ROOT / "eval" / "dev_questions.jsonl")]
    base = Settings.from_env(corpus_dir=work / "corpus")
    plain = SentenceTransformer(resolve_model(base, lambda m: None), device="cpu")  # torch's default threads
    default_threads = torch.get_num_threads()
    ours = {"fp32": SentenceTransformerEncoder(base, lambda m: None),
            "int8": SentenceTransformerEncoder(Settings.from_env(corpus_dir=work / "corpus", quantize=True),
                                               lambda m: None)}

    def plain_passages():
        torch.set_num_threads(default_threads)
        plain.encode(["passage: " + t for t in passages], batch_size=32)

    def plain_query(q):
        torch.set_num_threads(default_threads)
        plain.encode(["query: " + q])

    runs: dict[str, dict[str, list[float]]] = {name: {"p": [], "q": []} for name in ("plain", "fp32", "int8")}
    for _ in range(3):
        for name, encode_p, encode_q in (
                ("plain", plain_passages, plain_query),
                ("fp32", lambda: ours["fp32"].encode_passages(passages), lambda q: ours["fp32"].encode_queries([q])),
                ("int8", lambda: ours["int8"].encode_passages(passages), lambda q: ours["int8"].encode_queries([q]))):
            t0 = time.perf_counter()
            encode_p()
            runs[name]["p"].append(len(passages) / (time.perf_counter() - t0))
            for q in questions:
                t0 = time.perf_counter()
                encode_q(q)
                runs[name]["q"].append((time.perf_counter() - t0) * 1000)
    quality = {}
    for name, quantize in (("fp32", False), ("int8", True)):
        settings = Settings.from_env(corpus_dir=work / "corpus", index_dir=work / f"index-{name}", quantize=quantize)
        summary = evaluate(Retriever(settings, ours[name], progress=lambda m: None),
                           read_questions(ROOT / "eval" / "dev_questions.jsonl")
                           + read_questions(ROOT / "eval" / "extra_questions.jsonl")).summary()
        quality[name] = f"{summary['recall@1']:.3f} / {summary['recall@5']:.3f} / {summary['mrr@10']:.3f}"
    torch.set_num_threads(2)
    lines = ["## Embedding: plain sentence-transformers vs ours", "",
             f"{len(passages)} passages per batch run, {len(questions)} single questions; 3 interleaved rounds. "
             f"Plain = `SentenceTransformer.encode` with torch's default threads ({default_threads}); ours = "
             "2 threads (one per core), batches of 32 (sentence-transformers sorts each batch by length); "
             "int8 = dynamic int8 quantisation of the linear layers (`RAG_QUANTIZE=int8`). Quality on dev + "
             "held-out questions (n=48).", "",
             "| encoder | passages/s | query p50 ms | speed-up (passages / query) | R@1 / R@5 / MRR@10 |",
             "|---|---|---|---|---|"]
    for name in ("plain", "fp32", "int8"):
        p, q = med(runs[name]["p"]), med(runs[name]["q"])
        up = f"{p / med(runs['plain']['p']):.2f}x / {med(runs['plain']['q']) / q:.2f}x"
        lines.append(f"| {name} | {p:.0f} | {q:.1f} | {up} | {quality.get(name, quality['fp32'])} |")
    return lines + ["", "int8 is faster but loses some recall here, so it is opt-in, not the default.", ""]


def cold_start(settings: Settings) -> list[str]:
    args = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    ask = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(RAG + ["ask", "What did Sun Huaqin propose for SMEs?", "--json", *args],
                       check=True, capture_output=True)
        ask.append(time.perf_counter() - t0)
    serve = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        t0 = time.perf_counter()
        proc = subprocess.Popen(RAG + ["serve", "--port", str(port), *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        serve.append(time.perf_counter() - t0)
        proc.terminate()
        proc.wait()
    return ["## Cold start (index built, model cached)", "",
            "| what | median s |", "|---|---|",
            f"| `rag ask` process start to printed answer | {med(ask):.1f} |",
            f"| `rag serve` process start to a page served | {med(serve):.1f} |", ""]


def synthetic_corpus(target: Path, passages: int) -> None:
    """Documents made of the article's sentences in random order: distinct passages, real text."""
    text = (ROOT / "corpus" / "ai-plus-manufacturing.md").read_text("utf-8")
    sentences = [s for s in re.split(r"(?<=[。！？])", re.sub(r"\s+", "", text)) if len(s) > 8]
    rng = random.Random(0)
    target.mkdir(parents=True)
    per_doc = 100
    for d in range(passages // per_doc):
        paragraphs = [f"第{d}篇第{i}段：" + "".join(rng.sample(sentences, rng.randint(1, 3)))[:380]
                      for i in range(per_doc)]
        (target / f"doc-{d:03}.md").write_text(f"# 合成文档 {d}\n\n## 正文\n\n" + "\n\n".join(paragraphs), "utf-8")


BUILD_CHILD = """
import json, sys, time
from pathlib import Path
from rag.config import Settings
from rag.embed import SentenceTransformerEncoder
from rag.stores import build_index
settings = Settings.from_env(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
encoder = SentenceTransformerEncoder(settings, lambda m: None)
encoder.dim  # load the model before the clock starts
report = build_index(settings, encoder, full=sys.argv[3] == "full")
hwm = next(int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"passages": report.passages, "embedded": report.embedded, "seconds": report.seconds,
                  "peak_mb": hwm}))
"""


def build(corpus: Path, index: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", BUILD_CHILD, str(corpus), str(index), mode],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def builds(work: Path) -> list[str]:
    lines = ["## Index builds", "",
             "Each build runs in its own process (model loaded before the clock starts); peak memory is "
             "that process's VmHWM, model included. Texts = passages plus the sentences of multi-sentence "
             "passages.", "",
             "| corpus | build | passages | texts embedded | seconds | passages/s | peak MB |",
             "|---|---|---|---|---|---|---|"]
    big = work / "big-corpus"
    synthetic_corpus(big, 2000)
    for name, corpus in (("the article", ROOT / "corpus"), ("2,000 synthetic passages", big)):
        index = work / f"index-{corpus.name}"
        for mode in ("full", "unchanged"):
            runs = [build(corpus, index, mode) for _ in range(3 if name == "the article" else 1)]
            r = sorted(runs, key=lambda x: x["seconds"])[len(runs) // 2]
            rate = r["passages"] / r["seconds"] if r["seconds"] > 0 else float("inf")
            lines.append(f"| {name} | {mode} | {r['passages']} | {r['embedded']} | {r['seconds']:.2f} | "
                         f"{rate:,.0f} | {r['peak_mb']} |")
    return lines + [""]


def scaling() -> list[str]:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "scaling.py"), "10000", "100000", "1000000"],
                         check=True, capture_output=True, text=True)
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    lines = ["## Scaling: exact vs approximate search", "",
             "Synthetic clustered 384-d normalised vectors, 200 queries, top 10, one query at a time. "
             "HNSW: M=32, efConstruction=80; recall@10 is against exact search. Peak MB: a fresh process "
             "that loads the saved index and answers the queries.", "",
             "| passages | exact p50 ms | exact peak MB | HNSW build s | HNSW ef=64 ms / recall | ef=128 ms / recall | "
             "ef=256 ms / recall | HNSW peak MB |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"{r[f'hnsw_ef{ef}']['ms']:.3f} / {r[f'hnsw_ef{ef}']['recall@10']:.3f}" for ef in (64, 128, 256)]
        lines.append(f"| {r['n']:,} | {r['flat_ms']:.2f} | {r['flat_peak_rss_mb']} | {r['hnsw_build_s']} | "
                     + " | ".join(cells) + f" | {r['hnsw_peak_rss_mb']} |")
    return lines + ["", "The index switches from exact to HNSW (efSearch 128) above 50,000 vectors "
                    "(`rag/build.py`, `EXACT_SEARCH_LIMIT`; override with `rag index --faiss` or `RAG_FAISS`).", ""]


def load_section() -> list[str]:
    if not LOAD_RESULTS.exists():
        return ["## Web chat under load", "", "Not measured yet: run "
                "`RAG_LOAD_RESULTS=bench/load_results.json pytest tests/test_load.py`.", ""]
    r = json.loads(LOAD_RESULTS.read_text())
    return ["## Web chat under load", "",
            f"`tests/test_load.py`: the real server on 127.0.0.1, {r['clients']} concurrent gradio_client "
            f"clients x {r['per_client']} questions, then {r['soak']} more questions; measured {r['date']}.", "",
            "| what | value |", "|---|---|",
            f"| errors | {r['errors']} |", f"| answers mixed up between clients | {r['mixed']} |",
            f"| latency p50 / p95 (s, includes queueing) | {r['p50']:.2f} / {r['p95']:.2f} |",
            f"| throughput (questions/s) | {r['throughput']:.1f} |",
            f"| server RSS after warm-up → after {r['soak']} more questions (MB) | "
            f"{r['rss_start_mb']} → {r['rss_end_mb']} |", ""]


def main() -> None:
    work = Path(tempfile.mkdtemp())
    shutil.copytree(ROOT / "corpus", work / "corpus")
    settings = Settings.from_env(corpus_dir=work / "corpus", index_dir=work / "index")
    latency_lines, headline = query_latency(settings)
    sections = [
        "# Benchmark results", "",
        f"Machine: {machine()}.  ",
        f"Command: `make bench` (`bench/run.py`), {time.strftime('%Y-%m-%d')}.", "",
        *latency_lines, *cold_start(settings), *embedding_backends(work), *builds(work), *scaling(),
        *load_section(),
    ]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(sections))
    print("\n".join(sections))
    print(json.dumps(headline))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
