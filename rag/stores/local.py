"""The local store: a folder of plain files (FAISS vectors, passages as JSONL, a manifest). No pickle.

Layout of ``index/``::

    CURRENT                  name of the live build (replaced atomically)
    builds/<name>/index.faiss
    builds/<name>/passages.jsonl
    builds/<name>/sentences.faiss
    builds/<name>/bm25/        BM25 over jieba tokens (bm25s's .npy and .json files)
    builds/<name>/glossary.json  {"names": corpus/glossary.tsv, "aliases": the text's own}: English -> Chinese;
                                 "spelled": the corpus's pinyin ("hua qin" -> 华芹), for romanised names;
                                 "words": the corpus's own jieba words (corpus/userdict.txt);
                                 "people": its people's pinyin ("孙华芹" -> "sun hua qin"), for names
                                 in other scripts (rag/transcribe.py)
    builds/<name>/dictionary.json  CC-CEDICT glosses -> the corpus's Chinese words (for English questions)
    builds/<name>/manifest.json
    .lock                    held while a build runs

A build writes a new folder and then switches CURRENT to it, so a crash mid-build
leaves the previous index in place, and a reader never sees half a build.
Passages whose text and model are unchanged reuse their stored vectors.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from filelock import FileLock, Timeout

from ..build import (
    FORMAT_VERSION,
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_LINKS,
    BuildReport,
    EmbedMany,
    Note,
    PreparedBuild,
    Progress,
    corpus_hashes,
    needs_build,
    prepare_build,
    sentence_offsets,
    sentence_texts,
    stored_sentences,
    vector_key,
    wait_for,
)
from ..chunk import Passage
from ..config import Settings
from ..corpus import corpus_files
from ..embed import Encoder
from ..errors import IndexNotReady
from ..lexical import BM25Index
from ..scoring import is_boilerplate
from .base import CANDIDATES, Candidates, Snapshot, Store


@dataclass
class Index:
    """A loaded build: passages[i] is vector i of ``passage_vectors``."""

    passages: list[Passage]
    passage_vectors: Any  # a faiss.Index
    sentence_vectors: Any  # a faiss.Index over the sentences of multi-sentence passages (stored_sentences)
    bm25: BM25Index
    glossary: dict[str, Any]  # see Snapshot.__init__
    glosses: dict[str, list[str]]  # CC-CEDICT English -> the corpus's Chinese words (bridge.corpus_glosses)
    manifest: dict
    path: Path


def current_build(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return index_dir / "builds" / name


def load_index(index_dir: Path) -> Index:
    """Load the live build; raises IndexNotReady saying how to fix a missing or damaged index."""
    build = current_build(index_dir)
    if build is None:
        raise IndexNotReady(f"no index in {index_dir}: run `rag index` to build it")
    try:
        manifest = json.loads((build / "manifest.json").read_text())
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexNotReady(f"index in {index_dir} has format {manifest.get('format_version')}, "
                              f"this version reads {FORMAT_VERSION}: run `rag index --full`")
        with open(build / "passages.jsonl", encoding="utf-8") as f:
            passages = [Passage(**json.loads(line)) for line in f if line.strip()]
        vectors = faiss.read_index(str(build / "index.faiss"))
        sentences = faiss.read_index(str(build / "sentences.faiss"))
        bm25 = BM25Index.load(build / "bm25")
        glossary = json.loads((build / "glossary.json").read_text(encoding="utf-8"))
        glosses = json.loads((build / "dictionary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, RuntimeError, KeyError) as exc:
        raise IndexNotReady(f"index in {index_dir} is damaged ({type(exc).__name__}: "
                          f"{str(exc)[:200]}): run `rag index --full` to rebuild it") from exc
    if not vectors.ntotal == bm25.size == len(passages) or vectors.d != manifest.get("dim"):
        raise IndexNotReady(f"index in {index_dir} is inconsistent ({vectors.ntotal} vectors, "
                          f"{len(passages)} passages): run `rag index --full` to rebuild it")
    if sentences.d != vectors.d:
        raise IndexNotReady(f"index in {index_dir} is inconsistent (sentence vectors of dimension "
                          f"{sentences.d}, passages {vectors.d}): run `rag index --full` to rebuild it")
    return Index(passages, vectors, sentences, bm25, glossary, glosses, manifest, build)


def make_faiss(vectors: np.ndarray, dim: int, kind: str):
    """A FAISS index of ``kind`` (flat: exact; hnsw: approximate) holding ``vectors``."""
    index: Any
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_LINKS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)  # vectors are normalised: inner product = cosine
    if len(vectors):
        index.add(vectors)
    return index


def _old_vectors(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    """Vectors of the live build keyed by vector_key, if it used the same model."""
    try:
        old = load_index(index_dir)
    except IndexNotReady:
        return {}
    if old.manifest.get("model") != model:
        return {}
    texts = [p.text for p in old.passages] + sentence_texts(old.passages)
    vectors = np.concatenate([old.passage_vectors.reconstruct_n(0, old.passage_vectors.ntotal),
                              old.sentence_vectors.reconstruct_n(0, old.sentence_vectors.ntotal)])
    if len(vectors) != len(texts):
        return {}
    return {vector_key(model, t): vectors[i] for i, t in enumerate(texts)}


@contextmanager
def _build_lock(index_dir: Path, wait: bool, note: Note | None = None) -> Iterator[None]:
    """One build of an index at a time: refuse a second one, or with ``wait`` queue behind it."""
    lock = FileLock(str(index_dir / ".lock"))

    def try_acquire() -> bool:
        try:
            lock.acquire(timeout=0)
            return True
        except Timeout:
            return False

    if not try_acquire():
        if not wait:
            raise IndexNotReady(f"another build of {index_dir.name}/ is running: wait for it to finish")
        wait_for(try_acquire, note)
    try:
        yield
    finally:
        lock.release()


def _up_to_date(settings: Settings, model: str) -> Index | None:
    """The live build, if it loads and matches the corpus and settings."""
    try:
        live = load_index(settings.index_dir)
    except IndexNotReady:
        return None
    return None if needs_build(live.manifest, settings, model, corpus_hashes(settings.corpus_dir)) else live


def _clear_leftovers(index_dir: Path) -> None:
    """Remove what a build that died left (``builds/*.tmp``, ``CURRENT.tmp``); only under the build lock,
    when no other build can be writing them."""
    for tmp in (index_dir / "builds").glob("*.tmp"):
        shutil.rmtree(tmp, ignore_errors=True)
    (index_dir / "CURRENT.tmp").unlink(missing_ok=True)


def _out_of_space(exc: BaseException) -> bool:
    """Did a write fail because the disk is full? (FAISS reports it as a RuntimeError naming errno 28.)"""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, RuntimeError) and os.strerror(errno.ENOSPC) in str(exc)


def write_build(index_dir: Path, build: PreparedBuild) -> None:
    """Write a prepared build into ``index_dir`` and make it the live one (callers hold the build lock).

    Its FAISS indexes are of the kinds its manifest names (exact, or HNSW for large corpora). If
    writing fails (a full disk), the partial build is removed and the live one stays as it was.
    """
    kinds, dim = build.manifest["faiss"], build.manifest["dim"]
    vectors = {"index.faiss": make_faiss(build.passage_vectors, dim, kinds["passages"]),
               "sentences.faiss": make_faiss(build.sentence_vectors, dim, kinds["sentences"])}
    builds = index_dir / "builds"
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    pointer = index_dir / "CURRENT.tmp"
    try:
        _write_files(builds / (name + ".tmp"), build, vectors)
        (builds / (name + ".tmp")).rename(builds / name)
        _fsync(builds)  # the rename is on disk before CURRENT can point at the build
        pointer.write_text(name + "\n")
        _fsync(pointer)
        previous = current_build(index_dir)
        os.replace(pointer, index_dir / "CURRENT")  # the switch: atomic on POSIX
    except BaseException as exc:
        # (a killed build's leftovers are cleared by the next one: _clear_leftovers)
        for partial in (builds / (name + ".tmp"), builds / name):
            shutil.rmtree(partial, ignore_errors=True)
        pointer.unlink(missing_ok=True)
        if _out_of_space(exc):
            raise IndexNotReady(f"no space left on the disk of {index_dir}: free some space and run `rag index` "
                                "again (the index in use is unchanged)") from exc
        if isinstance(exc, OSError):
            raise IndexNotReady(f"cannot write the index in {index_dir} ({exc.strerror}): check the folder, "
                                "then run `rag index` again (the index in use is unchanged)") from exc
        raise
    _fsync(index_dir)  # and durable: a power cut cannot bring back the old CURRENT
    # Keep the previous build for readers still using it; drop anything older.
    keep = {name, previous.name if previous else ""}
    for old in builds.iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _write_files(tmp: Path, build: PreparedBuild, vectors: dict[str, Any]) -> None:
    """A build's files, in a new folder ``tmp``, flushed to disk."""
    tmp.mkdir(parents=True)
    for file_name, index in vectors.items():
        faiss.write_index(index, str(tmp / file_name))
    build.bm25.save(tmp / "bm25")
    (tmp / "glossary.json").write_text(json.dumps(build.glossary, ensure_ascii=False, indent=1), encoding="utf-8")
    (tmp / "dictionary.json").write_text(json.dumps(build.glosses, ensure_ascii=False), encoding="utf-8")
    with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
        for p in build.passages:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    (tmp / "manifest.json").write_text(json.dumps(build.manifest, ensure_ascii=False, indent=2))
    for path in [*tmp.rglob("*"), tmp]:  # the files, then the folders that name them
        _fsync(path)


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (a rename is durable only once its folder is flushed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalSnapshot(Snapshot):
    """A build in the local folder, loaded whole into memory."""

    def __init__(self, index: Index):
        super().__init__(index.path.name, index.manifest, index.glossary, index.glosses)
        self.index = index
        self.passages = index.passages
        self.size = len(index.passages)
        # once per build, not per question
        self.spans = [sentence_offsets(p) for p in self.passages]
        self.boilerplate = np.array([is_boilerplate(p.text) for p in self.passages], np.float32)
        counts = [len(stored_sentences(p)) for p in self.passages]
        self.sentence_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.passage_of = np.repeat(np.arange(self.size), counts)
        if index.sentence_vectors.ntotal != len(self.passage_of):
            raise IndexNotReady(f"index in {index.path} has {index.sentence_vectors.ntotal} sentence vectors "
                                f"for {len(self.passage_of)} sentences: run `rag index --full`")

    def mean_vector(self) -> np.ndarray:
        vectors, total = self.index.passage_vectors, np.zeros(self.index.passage_vectors.d, np.float64)
        for start in range(0, vectors.ntotal, 65_536):  # in slices: a big build is not copied whole
            total += vectors.reconstruct_n(start, min(65_536, vectors.ntotal - start)).sum(axis=0)
        return (total / max(vectors.ntotal, 1)).astype(np.float32)

    def idf(self, terms: Sequence[str]) -> list[float]:
        return self.index.bm25.idf(terms)

    def candidates(self, vector: np.ndarray, terms: Sequence[str]) -> list[int]:
        if self.size <= CANDIDATES:
            return list(range(self.size))
        ids = set(nearest(self.index.passage_vectors, vector, CANDIDATES))
        ids.update(int(self.passage_of[j]) for j in nearest(self.index.sentence_vectors, vector, 3 * CANDIDATES))
        bm25 = self.index.bm25.scores(terms)
        if bm25.max() > 0:
            top = np.argpartition(-bm25, CANDIDATES)[:CANDIDATES]
            ids.update(int(i) for i in top if bm25[i] > 0)
        return sorted(ids)

    def fetch(self, ids: Sequence[int], vector: np.ndarray, terms: Sequence[str]) -> Candidates:
        bm25 = self.index.bm25.scores(terms)[list(ids)] if self.size else np.zeros(0, np.float32)
        ranges = [range(self.sentence_start[i], self.sentence_start[i + 1]) for i in ids]
        sentence_cos = cosines(self.index.sentence_vectors, vector, [j for r in ranges for j in r])
        ends = np.cumsum([len(r) for r in ranges])
        return Candidates([self.passages[i] for i in ids], cosines(self.index.passage_vectors, vector, ids),
                          bm25.astype(np.float32), np.split(sentence_cos, ends[:-1]) if len(ids) else [],
                          [self.spans[i] for i in ids], self.boilerplate[list(ids)])

    def documents(self) -> list[tuple[str, str, int]]:
        counts: dict[tuple[str, str], int] = {}
        for p in self.passages:
            counts[(p.doc, p.title)] = counts.get((p.doc, p.title), 0) + 1
        return [(doc, title, n) for (doc, title), n in sorted(counts.items())]


class LocalStore(Store):
    """Builds in ``settings.index_dir``; the corpus is the folder ``settings.corpus_dir``."""

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self._pointer: tuple[tuple[int, int, int], str | None] | None = None  # (CURRENT's stat, its build)

    def describe(self) -> str:
        return str(self.settings.index_dir)

    def live(self) -> str | None:
        # Asked before every question: a stat, and a read only when CURRENT was replaced (a build
        # switches it with os.replace, which gives it a new inode and mtime).
        try:
            stat = os.stat(self.settings.index_dir / "CURRENT")
        except FileNotFoundError:
            return None
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if self._pointer is None or self._pointer[0] != seen:
            build = current_build(self.settings.index_dir)
            self._pointer = (seen, build.name if build else None)
        return self._pointer[1]

    def open(self) -> LocalSnapshot:
        return LocalSnapshot(load_index(self.settings.index_dir))

    def build(self, encoder: Encoder, full: bool = False, progress: Progress | None = None, wait: bool = False,
              embed_many: EmbedMany | None = None, prune: bool = False, note: Note | None = None) -> BuildReport:
        settings = self.settings
        corpus_files(settings.corpus_dir)  # a missing or empty corpus is reported before anything is written
        started = time.perf_counter()
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        with _build_lock(settings.index_dir, wait, note):
            _clear_leftovers(settings.index_dir)  # of a build that died (killed, or the disk was full)
            if not full and (live := _up_to_date(settings, encoder.name)) is not None:
                # Nothing changed: no embedding, no new build, no reload for running servers.
                reused = live.passage_vectors.ntotal + live.sentence_vectors.ntotal
                return BuildReport(len(live.passages), 0, reused, time.perf_counter() - started,
                                   list(live.manifest.get("skipped", [])))
            reuse = {} if full else _old_vectors(settings.index_dir, encoder.name)
            build = prepare_build(settings.corpus_dir, settings, encoder, reuse, progress, embed_many)
            write_build(settings.index_dir, build)
            build.report.seconds = time.perf_counter() - started
            return build.report


def cosines(vectors, query: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    """Exact cosine of the query with stored vectors ``ids`` (stored vectors are normalised)."""
    if not len(ids):
        return np.zeros(0, np.float32)
    stored = vectors.reconstruct_batch(np.asarray(ids, dtype=np.int64))
    return stored @ query.astype(np.float32)


def nearest(vectors, query: np.ndarray, k: int) -> list[int]:
    """Ids of the k nearest stored vectors (approximate for an HNSW index)."""
    if k <= 0:
        return []
    _, ids = vectors.search(query.reshape(1, -1).astype(np.float32), k)
    return [int(i) for i in ids[0] if i >= 0]
