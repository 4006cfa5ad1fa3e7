"""Hybrid retrieval: e5 vectors of passages and sentences, BM25 over jieba tokens, and the bridges.

    >>> r = Retriever()                       # loads (or builds) the default index once
    >>> hits = r.search("What did Sun Huaqin propose for SMEs?", k=5)
    >>> hits[0].section, hits[0].start, hits[0].end, hits[0].evidence

The retriever finds candidate passages and computes their features; the weights that turn
features into a ranking and the evidence choice are learned (``scoring.py``).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import glossary
from .bridge import EN_STOPWORDS, Dictionary, PinyinNames
from .chunk import Passage
from .config import Settings
from .embed import Encoder, make_encoder
from .errors import IndexNotReady, QuestionError
from .index import Index, build_index, current_build, load_index, stale_reasons, stored_sentences
from .ingest import corpus_files
from .lexical import cjk_ratio, tokenize
from .scoring import (
    PASSAGE_FEATURES,
    character_overlap,
    character_weights,
    is_boilerplate,
    load_weights,
    passage_features,
    pick_evidence,
    score,
    sentence_features,
    term_coverage,
)

CANDIDATES = 100  # passages taken from each of dense, sentence and BM25 search, then scored exactly
MAX_QUESTION_CHARS = 500  # e5 reads ~512 tokens; a longer question is cut, with a note
ZH_SHARE = 0.3  # a question this much Han script is asked in Chinese
# A second sentence is evidence too when its evidence logit is this close to the best one's
# (logit units: 0.5 = odds within a factor of ~1.6).
EVIDENCE_MARGIN = 0.5
# Bidirectional controls and zero-width characters: invisible, and they can make the echo
# of a question read backwards.
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e"
                        r"\u2060-\u2069\ufeff\ud800-\udfff]")
_PASSAGE_COS, _BM25 = PASSAGE_FEATURES.index("passage_cos"), PASSAGE_FEATURES.index("bm25")
_LATIN_OR_NUMBER = re.compile(r"[A-Za-z][A-Za-z0-9&\-]*|\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Hit:
    """One retrieved passage, its scores, and the sentences that best answer the question."""

    passage: Passage
    rank: int
    score: float  # the learned ranking score (a logit: higher is better)
    dense: float  # cosine of the question and the passage
    lexical: float  # BM25 normalised to the best candidate, in [0, 1]; 0 without lexical evidence
    evidence_spans: tuple[tuple[int, int], ...]  # document offsets of the evidence sentences, best first

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def doc(self) -> str:
        return self.passage.doc

    @property
    def title(self) -> str:
        return self.passage.title

    @property
    def section(self) -> str:
        return self.passage.section

    @property
    def start(self) -> int:
        return self.passage.start

    @property
    def end(self) -> int:
        return self.passage.end

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
    """A cleaned question and the lexical evidence found for it."""

    text: str
    lang: str  # "zh" or "en"
    terms: tuple[str, ...]  # Chinese (or Latin) tokens for BM25: the question's own, or bridged
    idf: tuple[float, ...]  # BM25 idf of each term in this corpus (0: not in the corpus)
    names: tuple[str, ...]  # Chinese names the question spells in pinyin or via the glossary
    truncated: bool


class SentenceTable:
    """For each passage, the vector ids and document offsets of its sentences (see stored_sentences)."""

    def __init__(self, passages: list[Passage]):
        self.vector_ids: list[range] = []
        self.spans: list[list[tuple[int, int]]] = []
        count = 0
        for p in passages:
            stored = stored_sentences(p)
            self.vector_ids.append(range(count, count + len(stored)))
            # a one-sentence passage has no sentence vectors: the passage is its own sentence
            self.spans.append([(p.start + a, p.start + b) for a, b in stored] or [(p.start, p.end)])
            count += len(stored)
        self.passage_of = np.repeat(np.arange(len(passages)), [len(r) for r in self.vector_ids])

    def __len__(self) -> int:
        return len(self.passage_of)


@dataclass(frozen=True)
class Ranking:
    """Every candidate passage of one question with its features and score.

    It keeps the passages and sentences of the build it was ranked on: a newer build that
    goes live meanwhile must not turn its passage numbers into other passages.
    """

    query: Query
    passages: list[Passage]  # of the build ranked on
    sentences: SentenceTable  # of the build ranked on
    ids: list[int]  # passage numbers in that build
    features: np.ndarray  # scoring.PASSAGE_FEATURES, one row per candidate
    scores: np.ndarray
    sentence_cos: dict[int, float]  # sentence vector id -> cosine with the question
    characters: dict[str, float]  # the question's Han characters and bigrams -> weight (scoring.character_weights)

    def order(self) -> list[int]:
        """Candidate rows, best first."""
        return [int(c) for c in np.argsort(-self.scores, kind="stable")]


def clean_question(question: str) -> tuple[str, bool]:
    """Strip control, bidi and zero-width characters, collapse spaces, cut to MAX_QUESTION_CHARS."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    # Cut a huge question before any other work on it (a few characters spare for the cleaning).
    truncated = len(question) > 4 * MAX_QUESTION_CHARS
    text = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", question[: 4 * MAX_QUESTION_CHARS])).split())
    if not any(c.isalnum() for c in text):
        raise QuestionError("the question is empty (no letters or digits): type a question about the text")
    truncated = truncated or len(text) > MAX_QUESTION_CHARS
    return text[:MAX_QUESTION_CHARS], truncated


class _Searchable:
    """A loaded index plus what queries need from it: sentences, bridges, the corpus's pinyin."""

    def __init__(self, index: Index):
        self.index = index
        self.passages = index.passages
        self.sentences = SentenceTable(index.passages)
        if index.sentence_vectors.ntotal != len(self.sentences):
            raise IndexNotReady(f"index in {index.path} has {index.sentence_vectors.ntotal} sentence vectors "
                                f"for {len(self.sentences)} sentences: run `rag index --full`")
        self.bm25 = index.bm25
        self.dictionary = Dictionary(index.glosses)
        self.glossary = index.glossary
        self.boilerplate = np.array([is_boilerplate(p.text) for p in self.passages], np.float32)
        self._names: PinyinNames | None = None
        self._names_lock = threading.Lock()

    @property
    def names(self) -> PinyinNames:
        """The pinyin of the corpus, worked out once, by the first question that needs it."""
        with self._names_lock:  # concurrent first questions must not each work it out
            if self._names is None:
                self._names = PinyinNames(p.text for p in self.passages)
        return self._names

    def candidates(self, vector: np.ndarray, bm25: np.ndarray) -> list[int]:
        """Passages worth scoring exactly: the dense, sentence and lexical front runners."""
        n = len(self.passages)
        if n <= CANDIDATES:
            return list(range(n))
        ids = dict.fromkeys(nearest(self.index.passage_vectors, vector, CANDIDATES))
        for j in nearest(self.index.sentence_vectors, vector, 3 * CANDIDATES):
            ids[int(self.sentences.passage_of[j])] = None
        if len(bm25) and bm25.max() > 0:
            top = np.argpartition(-bm25, CANDIDATES)[:CANDIDATES]
            ids.update(dict.fromkeys(int(i) for i in top if bm25[i] > 0))
        return list(ids)


class Retriever:
    """Load an index once and answer many questions; picks up a newer index between queries."""

    def __init__(self, settings: Settings | None = None, encoder: Encoder | None = None,
                 auto_build: bool = True, progress: Callable[[str], None] = print):
        self.settings = settings or Settings.from_env()
        self.encoder = encoder or make_encoder(self.settings, progress)
        self.auto_build = auto_build
        self._progress = progress
        self._lock = threading.Lock()
        self._state: _Searchable | None = None

    # -- index lifecycle -------------------------------------------------------------------------
    def _current(self) -> _Searchable:
        """The searchable index, (re)loaded when the live build changed since the last query."""
        build = current_build(self.settings.index_dir)
        state = self._state
        if state is not None and build is not None and build.name == state.index.path.name:
            return state
        with self._lock:
            if self._state is None or build is None or build.name != self._state.index.path.name:
                # At start the index must match the corpus; later, a build someone else
                # finished is taken as it is (the corpus may already be changing again).
                self._state = self._load(check_stale=self._state is None)
        return self._state

    def _load(self, check_stale: bool) -> _Searchable:
        try:
            index = load_index(self.settings.index_dir)
            reasons = stale_reasons(index.manifest, self.settings, self.encoder.name) if check_stale else []
        except IndexNotReady:
            if not self.auto_build:
                raise
            reasons = ["no usable index"]
        if reasons:
            if not self.auto_build:
                raise IndexNotReady(f"index in {self.settings.index_dir} is out of date ("
                                    + "; ".join(reasons) + "): run `rag index`")
            corpus_files(self.settings.corpus_dir)  # no corpus: say so in one line, before anything else
            self._progress("building the index: " + "; ".join(reasons))
            report = build_index(self.settings, self.encoder, wait=True)
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
        names = glossary.find(text, state.glossary["names"])
        if re.search("[A-Za-z]", text):  # only romanised words can spell a name in pinyin
            names += state.names.find(text)
        if cjk_ratio(text) >= ZH_SHARE:
            lang, terms = "zh", tokenize(text)
        else:
            # Latin words and numbers of the question that the corpus has too ("NFL", "2015").
            own = [w.lower() for w in _LATIN_OR_NUMBER.findall(text) if w.lower() not in EN_STOPWORDS]
            lang, terms = "en", state.dictionary.translate(text) + [w for w in own if w in state.bm25]
        for word in names + glossary.find(text, state.glossary["aliases"]):
            terms += tokenize(word)
        terms = list(dict.fromkeys(terms))
        return Query(text, lang, tuple(terms), tuple(state.bm25.idf(terms)), tuple(dict.fromkeys(names)),
                     truncated)

    def search(self, question: str, k: int = 5) -> list[Hit]:
        return self.search_batch([question], k)[0]

    def search_batch(self, questions: Sequence[str], k: int = 5) -> list[list[Hit]]:
        return self.search_queries([self.analyse(q) for q in questions], k)

    def search_queries(self, queries: Sequence[Query], k: int = 5) -> list[list[Hit]]:
        """Rank passages for questions already analysed (see ``analyse``)."""
        return [self.hits(r, k) for r in self.rank_queries(queries)]

    def rank_queries(self, queries: Sequence[Query]) -> list[Ranking]:
        """Score every candidate passage of each question (the features the ranker and tuning use)."""
        state = self._current()
        vectors = self.encoder.encode_queries([q.text for q in queries])
        return [self._rank(state, q, v) for q, v in zip(queries, vectors, strict=True)]

    def _rank(self, state: _Searchable, query: Query, vector: np.ndarray) -> Ranking:
        bm25 = state.bm25.scores(query.terms)
        ids = state.candidates(vector, bm25)
        passage_cos = cosines(state.index.passage_vectors, vector, ids)
        sentence_ids = [j for i in ids for j in state.sentences.vector_ids[i]]
        sentence_cos = dict(zip(sentence_ids, cosines(state.index.sentence_vectors, vector, sentence_ids).tolist(),
                                strict=True))
        best_sentence = np.array([max((sentence_cos[j] for j in state.sentences.vector_ids[i]), default=c)
                                  for i, c in zip(ids, passage_cos, strict=True)], np.float32)
        texts = [state.passages[i].text for i in ids]
        characters = character_weights(query.text, texts)
        features = passage_features(
            passage_cos, best_sentence, bm25[ids] if len(bm25) else np.zeros(len(ids), np.float32),
            np.array([term_coverage(t, query.terms, query.idf) for t in texts], np.float32),
            np.array([character_overlap(t, characters) for t in texts], np.float32),
            np.array([any(name in t for name in query.names) for t in texts], np.float32),
            np.array([len(t) for t in texts], np.float32), state.boilerplate[ids])
        scores = score(features, load_weights()["rank"][query.lang])
        return Ranking(query, state.passages, state.sentences, ids, features, scores, sentence_cos, characters)

    def sentence_rows(self, ranking: Ranking, row: int) -> tuple[list[tuple[int, int]], np.ndarray]:
        """Document offsets and scoring.SENTENCE_FEATURES of the sentences of candidate ``row``."""
        i = ranking.ids[row]
        p = ranking.passages[i]
        spans = ranking.sentences.spans[i]
        ids = ranking.sentences.vector_ids[i]
        cos = (np.array([ranking.sentence_cos[j] for j in ids], np.float32) if len(ids)
               else ranking.features[row, [_PASSAGE_COS]])  # one sentence: the passage's own cosine
        texts = [p.text[a - p.start : b - p.start] for a, b in spans]
        coverage = np.array([term_coverage(t, ranking.query.terms, ranking.query.idf) for t in texts], np.float32)
        characters = np.array([character_overlap(t, ranking.characters) for t in texts], np.float32)
        return spans, sentence_features(cos, coverage, characters, np.array([len(t) for t in texts], np.float32))

    def hits(self, ranking: Ranking, k: int = 5) -> list[Hit]:
        """The k best candidates of a ranking as hits, each with its evidence sentences."""
        evidence_model = load_weights()["evidence"][ranking.query.lang]
        hits = []
        for rank, row in enumerate(ranking.order()[: max(1, int(k))], 1):
            spans, table = self.sentence_rows(ranking, row)
            chosen = pick_evidence(table, evidence_model, EVIDENCE_MARGIN)
            hits.append(Hit(ranking.passages[ranking.ids[row]], rank, float(ranking.scores[row]),
                            float(ranking.features[row, _PASSAGE_COS]), float(ranking.features[row, _BM25]),
                            tuple(spans[s] for s in chosen)))
        return hits


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
