"""The index: a folder of plain files (FAISS vectors, passages as JSONL, a manifest). No pickle.

Layout of ``index/``::

    CURRENT                  name of the live build (replaced atomically)
    builds/<name>/index.faiss
    builds/<name>/passages.jsonl
    builds/<name>/sentences.faiss
    builds/<name>/bm25/        BM25 over jieba tokens (bm25s's .npy and .json files)
    builds/<name>/manifest.json
    .lock                    held while a build runs

A build writes a new folder and then switches CURRENT to it, so a crash mid-build
leaves the previous index in place, and a reader never sees half a build.
Passages whose text and model are unchanged reuse their stored vectors.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .chunk import Passage, chunk_corpus, sentence_spans
from .config import Settings
from .embed import Encoder
from .errors import IndexError_
from .ingest import corpus_files, read_corpus
from .lexical import BM25Index

FORMAT_VERSION = 2  # 2: BM25 saved with the build
CHUNKER_VERSION = 1  # bump when ingest/chunk output changes for the same files
EXACT_SEARCH_LIMIT = 50_000  # exact search takes ~3 ms here; above it HNSW (bench/scaling.py)
EMBED_BATCH = 32


def stored_sentences(passage: Passage) -> list[tuple[int, int]]:
    """Spans (in the passage) of the sentences that get vectors: none for a one-sentence passage.

    Sentence vectors are stored passage after passage, in this order.
    """
    spans = sentence_spans(passage.text)
    return spans if len(spans) > 1 else []


def sentence_texts(passages: list[Passage]) -> list[str]:
    """The texts of all stored sentences, in the order their vectors are stored."""
    return [p.text[a:b] for p in passages for a, b in stored_sentences(p)]


def vector_key(model: str, text: str) -> str:
    """Content hash: a text embedded once with a model is never embedded again."""
    return hashlib.sha1(f"{model}\n{text}".encode()).hexdigest()


@dataclass
class Index:
    """A loaded build: passages[i] is vector i of ``faiss``."""

    passages: list[Passage]
    faiss: Any  # a faiss.Index
    sentences: Any  # vectors of the sentences of multi-sentence passages
    bm25: BM25Index
    manifest: dict
    path: Path


@dataclass
class BuildReport:
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def corpus_hashes(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every readable corpus file, keyed by its path relative to the corpus directory."""
    hashes = {}
    for path in corpus_files(corpus_dir):
        try:
            hashes[path.relative_to(corpus_dir).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue  # vanished or unreadable: the build reports it
    return hashes


def current_build(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return index_dir / "builds" / name


def load_index(index_dir: Path) -> Index:
    """Load the live build; raises IndexError_ saying how to fix a missing or damaged index."""
    import faiss

    build = current_build(index_dir)
    if build is None:
        raise IndexError_(f"no index in {index_dir}: run `rag index` to build it")
    try:
        manifest = json.loads((build / "manifest.json").read_text())
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexError_(f"index in {index_dir} has format {manifest.get('format_version')}, "
                              f"this version reads {FORMAT_VERSION}: run `rag index --full`")
        with open(build / "passages.jsonl", encoding="utf-8") as f:
            passages = [Passage(**json.loads(line)) for line in f if line.strip()]
        vectors = faiss.read_index(str(build / "index.faiss"))
        sentences = faiss.read_index(str(build / "sentences.faiss"))
        bm25 = BM25Index.load(build / "bm25")
    except (OSError, ValueError, TypeError, RuntimeError, KeyError) as exc:
        raise IndexError_(f"index in {index_dir} is damaged ({type(exc).__name__}: "
                          f"{str(exc)[:200]}): run `rag index --full` to rebuild it") from exc
    if not vectors.ntotal == bm25.size == len(passages) or vectors.d != manifest.get("dim"):
        raise IndexError_(f"index in {index_dir} is inconsistent ({vectors.ntotal} vectors, "
                          f"{len(passages)} passages): run `rag index --full` to rebuild it")
    if sentences.d != vectors.d:
        raise IndexError_(f"index in {index_dir} is inconsistent (sentence vectors of dimension "
                          f"{sentences.d}, passages {vectors.d}): run `rag index --full` to rebuild it")
    return Index(passages, vectors, sentences, bm25, manifest, build)


def stale_reasons(manifest: dict, settings: Settings) -> list[str]:
    """Why an index no longer matches the corpus and settings (empty when it is up to date)."""
    reasons = []
    if manifest.get("model") != settings.model_id:
        reasons.append(f"built with model {manifest.get('model')!r}, configured {settings.model_id!r}")
    chunker = {"version": CHUNKER_VERSION, "max_chars": settings.max_chars}
    if manifest.get("chunker") != chunker:
        reasons.append(f"chunker settings changed ({manifest.get('chunker')} -> {chunker})")
    old, new = manifest.get("corpus", {}), corpus_hashes(settings.corpus_dir)
    changed = sorted(set(old) ^ set(new) | {d for d in set(old) & set(new) if old[d] != new[d]})
    if changed:
        reasons.append("corpus changed: " + ", ".join(changed[:5]) + (" …" if len(changed) > 5 else ""))
    return reasons


def _make_faiss(vectors: np.ndarray, dim: int, kind: str):
    import faiss

    index: Any
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(dim)  # vectors are normalised: inner product = cosine
    if len(vectors):
        index.add(vectors)
    return index


def _old_vectors(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    """Vectors of the live build keyed by vector_key, if it used the same model."""
    try:
        old = load_index(index_dir)
    except IndexError_:
        return {}
    if old.manifest.get("model") != model:
        return {}
    texts = [p.text for p in old.passages] + sentence_texts(old.passages)
    vectors = np.concatenate([old.faiss.reconstruct_n(0, old.faiss.ntotal),
                              old.sentences.reconstruct_n(0, old.sentences.ntotal)])
    if len(vectors) != len(texts):
        return {}
    return {vector_key(model, t): vectors[i] for i, t in enumerate(texts)}


def choose_kind(setting: str, size: int) -> str:
    """Exact search while it is fast enough, HNSW above EXACT_SEARCH_LIMIT; or as configured."""
    if setting not in ("auto", "flat", "hnsw"):
        raise IndexError_(f"unknown FAISS index kind {setting!r}: use auto, flat or hnsw")
    if setting != "auto":
        return setting
    return "hnsw" if size > EXACT_SEARCH_LIMIT else "flat"


def build_index(settings: Settings, encoder: Encoder, full: bool = False,
                progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Build (or refresh) the index of settings.corpus_dir into settings.index_dir."""
    from filelock import FileLock, Timeout

    started = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = FileLock(str(index_dir / ".lock"), timeout=0)
        lock.acquire()
    except Timeout as exc:
        raise IndexError_(f"another build of {index_dir} is running: wait for it to finish") from exc
    try:
        if not full and (live := _up_to_date(settings)) is not None:
            # Nothing changed: no embedding, no new build, no reload for running servers.
            return BuildReport(len(live.passages), 0, live.faiss.ntotal + live.sentences.ntotal,
                               time.perf_counter() - started, list(live.manifest.get("skipped", [])))
        # Hashes of every file, skipped ones too, so a skipped file does not look like a change.
        hashes = corpus_hashes(settings.corpus_dir)
        documents, warnings = read_corpus(settings.corpus_dir)
        passages = chunk_corpus(documents, settings.max_chars)
        reuse = {} if full else _old_vectors(index_dir, encoder.name)
        # Passages, then the sentences of multi-sentence passages (for sentence-level evidence).
        texts = [p.text for p in passages] + sentence_texts(passages)
        keys = [vector_key(encoder.name, t) for t in texts]
        todo_text = {k: t for k, t in zip(keys, texts, strict=True) if k not in reuse}  # new texts, once each
        todo = list(todo_text)
        for batch_start in range(0, len(todo), EMBED_BATCH):
            batch = todo[batch_start : batch_start + EMBED_BATCH]
            for key, vector in zip(batch, encoder.encode_passages([todo_text[k] for k in batch]),
                                   strict=True):
                reuse[key] = vector
            if progress:
                progress(batch_start + len(batch), len(todo))
        vectors = np.stack([reuse[k] for k in keys]) if keys else np.zeros((0, encoder.dim), np.float32)
        kind = choose_kind(settings.faiss_kind, len(passages))
        sentence_kind = choose_kind(settings.faiss_kind, len(texts) - len(passages))
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": encoder.name,
            "dim": encoder.dim,
            "faiss": {"passages": kind, "sentences": sentence_kind},
            "chunker": {"version": CHUNKER_VERSION, "max_chars": settings.max_chars},
            "corpus": hashes,
            "documents": [d.doc for d in documents],
            "skipped": warnings,
            "passages": len(passages),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        _write_build(index_dir, passages, BM25Index.build([p.text for p in passages]), {
            "index.faiss": _make_faiss(vectors[: len(passages)], encoder.dim, kind),
            "sentences.faiss": _make_faiss(vectors[len(passages) :], encoder.dim, sentence_kind)}, manifest)
        return BuildReport(len(passages), len(todo), len(set(keys)) - len(todo),
                           time.perf_counter() - started, warnings)
    finally:
        lock.release()


def _up_to_date(settings: Settings) -> Index | None:
    """The live build, if it loads and matches the corpus and settings."""
    try:
        live = load_index(settings.index_dir)
    except IndexError_:
        return None
    kinds = live.manifest.get("faiss", {})
    if stale_reasons(live.manifest, settings) or kinds.get("passages") != choose_kind(
            settings.faiss_kind, len(live.passages)):
        return None
    return live


def _write_build(index_dir: Path, passages: list[Passage], bm25: BM25Index, vectors: dict,
                 manifest: dict) -> None:
    import faiss

    builds = index_dir / "builds"
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = builds / (name + ".tmp")
    tmp.mkdir(parents=True)
    for file_name, index in vectors.items():
        faiss.write_index(index, str(tmp / file_name))
    bm25.save(tmp / "bm25")
    with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
        for p in passages:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    for path in tmp.rglob("*"):
        if path.is_file():
            _fsync(path)
    tmp.rename(builds / name)
    pointer = index_dir / "CURRENT.tmp"
    pointer.write_text(name + "\n")
    _fsync(pointer)
    previous = current_build(index_dir)
    os.replace(pointer, index_dir / "CURRENT")  # the switch: atomic on POSIX
    # Keep the previous build for readers still using it; drop anything older.
    keep = {name, previous.name if previous else ""}
    for old in builds.iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())
