"""Benchmarks (not tests): query latency, warm, and index build times; writes bench/RESULTS.md.

    make bench          # or: .venv/bin/python bench/run.py
"""

from __future__ import annotations

import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.evaluate import read_questions  # noqa: E402
from rag.index import build_index  # noqa: E402
from rag.retriever import Retriever  # noqa: E402

ROUNDS = 5


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    import torch

    return (f"{cpu}, {subprocess.getoutput('nproc')} cores, Python {platform.python_version()}, "
            f"torch {torch.__version__} ({torch.get_num_threads()} threads)")


def main() -> None:
    work = Path(tempfile.mkdtemp())
    shutil.copytree(ROOT / "corpus", work / "corpus")
    settings = Settings.from_env(corpus_dir=work / "corpus", index_dir=work / "index")
    retriever = Retriever(settings, progress=lambda m: None)
    retriever.search("warm up", 1)
    questions = [q["q"] for q in read_questions(ROOT / "eval" / "dev_questions.jsonl")]
    questions += [q["q"] for q in read_questions(ROOT / "eval" / "extra_questions.jsonl")]

    # Interleave the three measurements so machine noise hits them alike.
    encode, hybrid, analyse = [], [], []
    for _ in range(ROUNDS):
        for q in questions:
            encode += timed(lambda q=q: retriever.encoder.encode_queries([q]), 1)
            hybrid += timed(lambda q=q: retriever.search(q, 5), 1)
            analyse += timed(lambda q=q: retriever.analyse(q), 1)
    ratio = statistics.median(hybrid) / statistics.median(encode)

    full = build_index(settings, retriever.encoder, full=True)
    unchanged = build_index(settings, retriever.encoder)

    rows = [
        ("bare question encoding (e5, 1 question)", encode),
        ("question analysis (jieba, pinyin, dictionary)", analyse),
        ("full hybrid query (encode + dense + sentences + BM25 + fusion)", hybrid),
    ]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}.",
        f"Run: `make bench` on {time.strftime('%Y-%m-%d')}; {len(questions)} questions x {ROUNDS} rounds, "
        "warm, measurements interleaved.",
        "",
        "## Query latency (warm, one question at a time)",
        "",
        "| what | median ms | p95 ms |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {statistics.median(v):.1f} | {pct(v, 0.95):.1f} |" for name, v in rows]
    lines += [
        "",
        f"Full hybrid query / bare encoding, medians of the same run: **{ratio:.2f}x**.",
        "",
        "## Index build (the article)",
        "",
        "| build | passages | texts embedded | seconds |",
        "|---|---|---|---|",
        f"| full | {full.passages} | {full.embedded} | {full.seconds:.2f} |",
        f"| unchanged rebuild | {unchanged.passages} | {unchanged.embedded} | {unchanged.seconds:.2f} |",
        "",
    ]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines))
    print("\n".join(lines))
    print(json.dumps({"ratio": ratio}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
