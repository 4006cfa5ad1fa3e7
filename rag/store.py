"""Where builds live, and what a question needs from one.

Two stores, chosen by ``Settings.store`` (``--store`` / ``RAG_STORE``):

- the local folder (default): FAISS, BM25 and JSON files under ``index/`` (``index.py``);
- PostgreSQL with pgvector (``postgresql://…``), shared by many servers (``pgstore.py``).

A question reads one live build through a ``Snapshot``: candidate passages (the dense,
sentence and lexical front runners), then, for those candidates only, their passages,
vectors and BM25 scores. Scoring is the same code for both (``retriever.py``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np

from .bridge import Dictionary, PinyinNames
from .chunk import Passage
from .config import Settings
from .errors import IndexNotReady
from .index import Index, current_build, load_index, stored_sentences
from .lexical import simplified
from .scoring import is_boilerplate

CANDIDATES = 100  # passages taken from each of dense, sentence and BM25 search, then scored exactly
MAX_FOLDED = 200_000  # passages whose folded text a snapshot remembers (~100 MB of text at most)


class Snapshot:
    """One build of a store, read-only. Subclasses fetch; this class holds what both share."""

    name: str  # the build's name: a new name means a new build went live
    manifest: dict
    size: int  # passages
    glossary: dict[str, dict[str, list[str]]]
    dictionary: Dictionary

    @cached_property
    def names(self) -> PinyinNames:
        """Romanised names -> the corpus's Chinese, from the pinyin stored with the build."""
        return PinyinNames(self.glossary.get("spelled", {}))

    @cached_property
    def _folded(self) -> dict[str, str]:
        return {}

    def folded(self, passages: Sequence[Passage]) -> list[str]:
        """Each passage's text in simplified characters and lower case, offsets unchanged: what the
        question's terms are matched against. Remembered per passage (a conversion costs ~0.1 µs a
        character, too much to repeat for every candidate of every question)."""
        if len(self._folded) > MAX_FOLDED:  # a shared store's passages are not all to be kept in memory
            self._folded.clear()
        out = []
        for p in passages:
            text = self._folded.get(p.id)
            if text is None:
                text = simplified(p.text)
                lowered = text.lower()
                text = self._folded[p.id] = lowered if len(lowered) == len(text) else text
            out.append(text)
        return out

    def idf(self, terms: Sequence[str]) -> list[float]:
        raise NotImplementedError

    def candidates(self, vector: np.ndarray, terms: Sequence[str]) -> list[int]:
        """Passage numbers worth scoring exactly, ascending: every passage of a small corpus."""
        raise NotImplementedError

    def fetch(self, ids: Sequence[int], vector: np.ndarray, terms: Sequence[str]) -> Candidates:
        """Passages ``ids`` with their sentences, cosines with ``vector`` and BM25 for ``terms``."""
        raise NotImplementedError

    def documents(self) -> list[tuple[str, str, int]]:
        """(document, title, passages) of every document in the build."""
        raise NotImplementedError


def sentence_offsets(passage: Passage) -> list[tuple[int, int]]:
    """Document offsets of a passage's sentences; a one-sentence passage is its own sentence."""
    return [(passage.start + a, passage.start + b) for a, b in stored_sentences(passage)] or [
        (passage.start, passage.end)]


@dataclass(frozen=True)
class Candidates:
    """Candidate passages of one question and what scoring needs of them, row-aligned."""

    passages: list[Passage]
    passage_cos: np.ndarray
    bm25: np.ndarray
    sentence_cos: list[np.ndarray]  # per passage: cosines of its stored_sentences (none: one sentence)
    spans: list[list[tuple[int, int]]]  # per passage: sentence_offsets
    boilerplate: np.ndarray  # per passage: 1 for a byline or dateline (scoring.is_boilerplate)


class LocalSnapshot(Snapshot):
    """A build in the local folder, loaded whole into memory."""

    def __init__(self, index: Index):
        self.index = index
        self.name = index.path.name
        self.manifest = index.manifest
        self.passages = index.passages
        self.size = len(index.passages)
        self.glossary = index.glossary
        self.dictionary = Dictionary(index.glosses)
        # once per build, not per question
        self.spans = [sentence_offsets(p) for p in self.passages]
        self.boilerplate = np.array([is_boilerplate(p.text) for p in self.passages], np.float32)
        counts = [len(stored_sentences(p)) for p in self.passages]
        self.sentence_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.passage_of = np.repeat(np.arange(self.size), counts)
        if index.sentence_vectors.ntotal != len(self.passage_of):
            raise IndexNotReady(f"index in {index.path} has {index.sentence_vectors.ntotal} sentence vectors "
                                f"for {len(self.passage_of)} sentences: run `rag index --full`")

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


class Store(Protocol):
    """Where builds live: which one is live, and opening it."""

    def live(self) -> str | None:
        """Name of the live build (None: there is none)."""

    def open(self) -> Snapshot:
        """The live build; raises IndexNotReady saying how to fix a missing or damaged one."""

    def describe(self) -> str:
        """Where the store is, for messages."""


class LocalStore:
    """Builds in ``settings.index_dir`` (see index.py)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._pointer: tuple[tuple[int, int, int], str | None] | None = None  # (CURRENT's stat, its build)

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

    def describe(self) -> str:
        return str(self.settings.index_dir)


def open_store(settings: Settings) -> Store:
    """The store ``settings`` names: the local folder, or PostgreSQL for a postgresql:// URL."""
    if settings.store_url:
        from .pgstore import PostgresStore

        return PostgresStore(settings)
    return LocalStore(settings)


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


__all__ = ["CANDIDATES", "Candidates", "LocalSnapshot", "LocalStore", "Snapshot", "Store", "cosines",
           "nearest", "open_store", "sentence_offsets"]
