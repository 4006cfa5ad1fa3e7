"""Hybrid retrieval: dense e5 (passage and best sentence) plus BM25 where lexical evidence exists.

    >>> r = Retriever()                       # loads (or builds) the default index once
    >>> hits = r.search("What did Sun Huaqin propose for SMEs?", k=5)
    >>> hits[0].section, hits[0].start, hits[0].end, hits[0].evidence
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .bridge import Dictionary, PinyinNames
from .chunk import Passage
from .config import Settings
from .embed import Encoder, SentenceTransformerEncoder
from .errors import IndexError_, QuestionError
from .index import Index, build_index, current_build, load_index, stale_reasons, stored_sentences
from .lexical import cjk_ratio, tokenize

CANDIDATES = 100  # passages taken from each of dense, sentence and BM25 search, then scored exactly
MAX_QUESTION_CHARS = 500  # e5 reads ~512 tokens; a longer question is cut, with a note
# Fusion weights, chosen on the dev questions only (see README "How retrieval works").
SENTENCE_WEIGHT = 0.2  # dense = (1-w) * passage cosine + w * best sentence cosine
LEXICAL_WEIGHT = 0.005  # bonus for the passage with the most lexical evidence, in cosine units
NAME_WEIGHT = 0.03  # bonus for passages holding a name the question spells in pinyin
EVIDENCE_TERM_BONUS = 0.01  # per query term found in a sentence, when choosing the evidence
EVIDENCE_MARGIN = 0.015  # a second sentence this close to the best one is evidence too


@dataclass(frozen=True)
class Hit:
    """One retrieved passage, its scores, and the sentence that best answers the question."""

    passage: Passage
    rank: int
    score: float
    dense: float
    lexical: float  # normalised BM25 in [0, 1]; 0 when the question has no lexical evidence
    evidence_spans: tuple[tuple[int, int], ...]  # document offsets of the evidence sentences, best first

    text = property(lambda self: self.passage.text)
    doc = property(lambda self: self.passage.doc)
    title = property(lambda self: self.passage.title)
    section = property(lambda self: self.passage.section)
    start = property(lambda self: self.passage.start)
    end = property(lambda self: self.passage.end)

    @property
    def evidence_start(self) -> int:
        return self.evidence_spans[0][0]

    @property
    def evidence_end(self) -> int:
        return self.evidence_spans[0][1]

    @property
    def evidence(self) -> str:
        p = self.passage
        return p.text[self.evidence_start - p.start : self.evidence_end - p.start]

    def to_dict(self) -> dict:
        p = self.passage
        return {"rank": self.rank, "score": round(self.score, 4), "doc": p.doc, "title": p.title,
                "section": p.section, "position": p.position, "start": p.start, "end": p.end,
                "text": p.text, "evidence": self.evidence, "evidence_start": self.evidence_start,
                "evidence_end": self.evidence_end, "evidence_spans": [list(s) for s in self.evidence_spans],
                "id": p.id}


@dataclass(frozen=True)
class Query:
    """A cleaned question and the lexical terms found for it."""

    text: str
    lang: str  # "zh" or "en"
    terms: tuple[str, ...]  # Chinese tokens for BM25 (the question's own, or bridged)
    names: tuple[str, ...]  # Chinese names spelled in pinyin in the question
    truncated: bool


_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2060-\u2064\ufeff]")


def clean_question(question: str) -> tuple[str, bool]:
    """Strip control and zero-width characters, collapse spaces, cut to MAX_QUESTION_CHARS."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", question)).split())
    if not any(c.isalnum() for c in text):
        raise QuestionError("the question is empty (no letters or digits): type a question about the text")
    truncated = len(text) > MAX_QUESTION_CHARS
    return text[:MAX_QUESTION_CHARS], truncated


class _Searchable:
    """An index plus what queries need from it: sentence spans, BM25 and the bridges."""

    def __init__(self, index: Index):
        self.index = index
        self.passages = index.passages
        self.sentence_vectors = index.sentences
        self.passage_sentences: list[list[tuple[int, int]]] = []  # document offsets, per passage
        self.sentence_ids: list[list[int]] = []  # sentence vector ids, per passage
        self.sentence_passage: list[int] = []  # passage index, per sentence vector
        for i, p in enumerate(self.passages):
            stored = stored_sentences(p)
            self.passage_sentences.append([(p.start + a, p.start + b) for a, b in stored] or [(p.start, p.end)])
            self.sentence_ids.append(list(range(len(self.sentence_passage), len(self.sentence_passage) + len(stored))))
            self.sentence_passage += [i] * len(stored)
        if index.sentences.ntotal != len(self.sentence_passage):
            raise IndexError_(f"index in {index.path} has {index.sentences.ntotal} sentence vectors for "
                              f"{len(self.sentence_passage)} sentences: run `rag index --full`")
        self.bm25 = index.bm25
        self.dictionary = Dictionary(self.bm25)
        self._names: PinyinNames | None = None

    @property
    def names(self) -> PinyinNames:
        """The pinyin of the corpus, worked out on the first question that needs it."""
        if self._names is None:
            self._names = PinyinNames(p.text for p in self.passages)
        return self._names

    def candidates(self, vector: np.ndarray, bm25: np.ndarray) -> list[int]:
        """Passages worth scoring exactly: the dense, sentence and lexical front runners."""
        n = len(self.passages)
        if n <= CANDIDATES:
            return list(range(n))
        ids = dict.fromkeys(_search(self.index.faiss, vector, CANDIDATES))
        for j in _search(self.sentence_vectors, vector, 3 * CANDIDATES):
            ids[self.sentence_passage[j]] = None
        if len(bm25) and bm25.max() > 0:
            top = np.argpartition(-bm25, CANDIDATES)[:CANDIDATES]
            ids.update(dict.fromkeys(int(i) for i in top if bm25[i] > 0))
        return list(ids)


class Retriever:
    """Load an index once and answer many questions; picks up a newer index between queries."""

    def __init__(self, settings: Settings | None = None, encoder: Encoder | None = None,
                 auto_build: bool = True, progress: Callable[[str], None] = print):
        self.settings = settings or Settings.from_env()
        self.encoder = encoder or SentenceTransformerEncoder(self.settings, progress)
        self.auto_build = auto_build
        self._progress = progress
        self._lock = threading.Lock()
        self._state: _Searchable | None = None
        self._loaded_build: str | None = None

    # -- index lifecycle -------------------------------------------------------------------------
    def _current(self) -> _Searchable:
        """The searchable index, (re)loaded when the live build changed since the last query."""
        build = current_build(self.settings.index_dir)
        name = build.name if build else None
        if self._state is not None and name == self._loaded_build:
            return self._state
        with self._lock:
            if self._state is None or name != self._loaded_build:
                # At start the index must match the corpus; later, a build someone else
                # finished is taken as it is (the corpus may already be changing again).
                self._state = self._load(check_stale=self._state is None)
                self._loaded_build = self._state.index.path.name
        return self._state

    def _load(self, check_stale: bool) -> _Searchable:
        try:
            index = load_index(self.settings.index_dir)
            reasons = stale_reasons(index.manifest, self.settings) if check_stale else []
        except IndexError_:
            if not self.auto_build:
                raise
            reasons = ["no usable index"]
        if reasons:
            if not self.auto_build:
                raise IndexError_(f"index in {self.settings.index_dir} is out of date ("
                                  + "; ".join(reasons) + "): run `rag index`")
            self._progress("building the index: " + "; ".join(reasons))
            report = build_index(self.settings, self.encoder)
            for warning in report.warnings:
                self._progress(warning)
            index = load_index(self.settings.index_dir)
        return _Searchable(index)

    @property
    def passages(self) -> list[Passage]:
        return self._current().passages

    # -- queries ---------------------------------------------------------------------------------
    def analyse(self, question: str) -> Query:
        """Clean the question and find its lexical terms (own tokens, or bridged from English)."""
        text, truncated = clean_question(question)  # before any loading: a bad question costs nothing
        state = self._current()
        if cjk_ratio(text) >= 0.3:
            lang, terms = "zh", tokenize(text)
        else:
            lang, terms = "en", state.dictionary.translate(text)
        # only romanised words can spell a name: a question in Chinese characters skips the pinyin
        names = state.names.find(text) if re.search("[A-Za-z]", text) else []
        for name in names:
            terms += tokenize(name)
        return Query(text, lang, tuple(dict.fromkeys(terms)), tuple(names), truncated)

    def search(self, question: str, k: int = 5) -> list[Hit]:
        return self.search_batch([question], k)[0]

    def search_batch(self, questions: Sequence[str], k: int = 5) -> list[list[Hit]]:
        return self.search_queries([self.analyse(q) for q in questions], k)

    def search_queries(self, queries: Sequence[Query], k: int = 5) -> list[list[Hit]]:
        """Rank passages for questions already analysed (see ``analyse``)."""
        state = self._current()
        vectors = self.encoder.encode_queries([q.text for q in queries])
        return [self._rank(state, q, v, k) for q, v in zip(queries, vectors, strict=True)]

    def _rank(self, state: _Searchable, query: Query, vector: np.ndarray, k: int) -> list[Hit]:
        k = max(1, min(int(k), len(state.passages)))
        bm25 = state.bm25.scores(query.terms)
        top_bm25 = float(bm25.max()) if len(bm25) else 0.0
        ids = state.candidates(vector, bm25)
        passage_cos = _cosines(state.index.faiss, vector, ids)
        sentence_ids = [j for i in ids for j in state.sentence_ids[i]]
        sentence_cos = dict(zip(sentence_ids, _cosines(state.sentence_vectors, vector, sentence_ids).tolist(),
                                strict=True))
        best_sentence = np.array([max((sentence_cos[j] for j in state.sentence_ids[i]), default=c)
                                  for i, c in zip(ids, passage_cos, strict=True)], np.float32)
        dense = (1 - SENTENCE_WEIGHT) * passage_cos + SENTENCE_WEIGHT * best_sentence
        lexical = bm25[ids] / top_bm25 if top_bm25 > 0 else np.zeros(len(ids), np.float32)
        named = np.array([any(name in state.passages[i].text for name in query.names) for i in ids], np.float32)
        score = dense + LEXICAL_WEIGHT * lexical + NAME_WEIGHT * named
        hits = []
        for rank, c in enumerate(np.argsort(-score, kind="stable")[:k]):
            i = ids[c]
            p = state.passages[i]
            scored = []
            for j, (a, b) in zip(state.sentence_ids[i] or [None], state.passage_sentences[i], strict=True):
                s = sentence_cos[j] if j is not None else float(passage_cos[c])
                s += EVIDENCE_TERM_BONUS * sum(t in p.text[a - p.start : b - p.start].lower() for t in query.terms)
                scored.append((s, a, b))
            scored.sort(key=lambda x: -x[0])
            spans = tuple((a, b) for s, a, b in scored[:2] if s >= scored[0][0] - EVIDENCE_MARGIN)
            hits.append(Hit(p, rank + 1, float(score[c]), float(dense[c]), float(lexical[c]), spans))
        return hits


def _cosines(vectors, query: np.ndarray, ids: Sequence[int]) -> np.ndarray:
    """Exact cosine of the query with stored vectors ``ids`` (stored vectors are normalised)."""
    if not len(ids):
        return np.zeros(len(ids), np.float32)
    stored = vectors.reconstruct_batch(np.asarray(ids, dtype=np.int64))
    return stored @ query.astype(np.float32)


def _search(vectors, query: np.ndarray, k: int) -> list[int]:
    """Ids of the k nearest stored vectors (approximate for an HNSW index)."""
    if k <= 0:
        return []
    _, ids = vectors.search(query.reshape(1, -1).astype(np.float32), k)
    return [int(i) for i in ids[0] if i >= 0]
