"""Search latency, recall and memory of exact vs HNSW FAISS indexes on synthetic corpora.

    .venv/bin/python bench/scaling.py 10000 100000 1000000

Vectors are synthetic but shaped like sentence embeddings (clustered, normalised, 384-d):
uniform random vectors would make any approximate index look worse than it is on real text.
Each size runs in its own process so peak memory (ru_maxrss) is that size's alone.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rag.stores.local import make_faiss  # noqa: E402

DIM = 384
QUERIES = 200


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(16, n // 500), DIM)).astype(np.float32)
    def draw(count):
        out = centres[rng.integers(0, len(centres), count)] + 0.6 * rng.standard_normal((count, DIM)).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)
    data = np.concatenate([draw(min(100_000, n - i)) for i in range(0, n, 100_000)])
    return data, draw(QUERIES)


def run_one(n: int) -> dict:
    import faiss

    faiss.omp_set_num_threads(2)
    data, queries = synthetic(n)
    out: dict = {"n": n}
    flat = faiss.IndexFlatIP(DIM)
    flat.add(data)
    _, truth = flat.search(queries, 10)
    out["flat_ms"] = _latency(flat, queries)
    rss_before_hnsw = peak_rss_mb()
    del flat
    start = time.perf_counter()
    hnsw = make_faiss(data, DIM, "hnsw")  # the project's own index factory
    out["hnsw_build_s"] = round(time.perf_counter() - start, 1)
    del data
    with tempfile.TemporaryDirectory() as tmp:
        faiss.write_index(hnsw, f"{tmp}/hnsw.faiss")
        np.save(f"{tmp}/queries.npy", queries)
        np.save(f"{tmp}/truth.npy", truth)
        del hnsw
        # serve from a fresh process: its peak memory is what a server holding the index needs
        served = subprocess.run([sys.executable, __file__, "--serve", tmp], capture_output=True, text=True)
        out.update(json.loads(served.stdout))
    out["flat_peak_rss_mb"] = rss_before_hnsw
    return out


def serve_one(folder: str) -> dict:
    import faiss

    faiss.omp_set_num_threads(2)
    index = faiss.read_index(f"{folder}/hnsw.faiss")
    queries, truth = np.load(f"{folder}/queries.npy"), np.load(f"{folder}/truth.npy")
    out: dict = {}
    for ef in (64, 128, 256):
        index.hnsw.efSearch = ef
        _, found = index.search(queries, 10)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
        out[f"hnsw_ef{ef}"] = {"ms": _latency(index, queries), "recall@10": round(float(recall), 4)}
    out["hnsw_peak_rss_mb"] = peak_rss_mb()
    return out


def peak_rss_mb() -> int:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmHWM"))


def _latency(index, queries: np.ndarray) -> float:
    times = []
    for q in queries:
        start = time.perf_counter()
        index.search(q.reshape(1, -1), 10)
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


if __name__ == "__main__":
    if sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]))))
    elif sys.argv[1] == "--serve":
        print(json.dumps(serve_one(sys.argv[2])))
    else:
        for size in sys.argv[1:]:
            result = subprocess.run([sys.executable, __file__, "--one", size], capture_output=True, text=True)
            print(result.stdout.strip() or result.stderr[-500:], flush=True)
