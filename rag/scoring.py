"""Scoring as pure functions over arrays: features -> ranking score, confidence, evidence choice.

The retriever computes a feature table per (question, candidate passage) and calls these;
``rag/training.py`` calls the same functions to learn the weights, which live in
``rag/data/ranker.json`` (plain JSON: one logistic regression per language and task).

Each feature is a named function in a registry (PASSAGE_REGISTRY, QUESTION_REGISTRY,
SENTENCE_REGISTRY) over one context holding what it is computed from; the weights are stored
with their features' names and applied by name. To add a feature: add it to its registry and
retrain (`make train`); weights for other features are refused on loading.

    >>> table = passage_features(CandidateContext(passage_cos, sentence_cos, bm25, coverage, characters,
    ...     named, lengths, boilerplate, rarest, numbers, sentence_coverage, sentence_characters))
    >>> order = np.argsort(-score(table, load_weights()["rank"]["en"]))
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .chunk import has_sentence_end
from .errors import ModelError
from .lexical import HAN_RUN

WEIGHTS_FILE = Path(__file__).parent / "data" / "ranker.json"
BACKGROUND_FILE = Path(__file__).parent / "data" / "background.txt"

MAX_LEAD = 0.1  # a lead in cosine beyond this says nothing more
MAX_SCORE_LEAD = 5.0  # nor a lead in ranking score (logit units) beyond this
# What kind of answer a question asks for, and whether a sentence holds one of that kind:
# "How many…"/"多少" wants a number, "When…"/"哪一年" a date. Cheap, language-general cues
# that cosine misses (with the local coverage below; measured in bench/RESULTS.md).
_ASKS_NUMBER = re.compile(r"\bhow (?:many|much|long|old|far|large|big|tall|high|fast|deep|wide)\b"
                          r"|\bwhat (?:percentage|percent|number|amount)\b|多少|几|多大|多长|多远|多高|多久|百分之",
                          re.IGNORECASE)
_ASKS_TIME = re.compile(r"\bwhen\b|\b(?:what|which|in what) (?:year|century|decade|date|month|day)\b"
                        r"|何时|什么时候|哪一?年|哪个?世纪|哪一?天|哪个?月|何年|年代", re.IGNORECASE)
_HAS_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿两]+"
                         r"(?:个|年|人|名|位|种|次|座|家|项|倍|世纪|岁|英里|公里|米|吨|元)")
_HAS_TIME = re.compile(r"\d{3,4}|世纪|年代|[一二三四五六七八九十\d]+月|\d+日")

# A passage this short with no sentence end is a byline, credit or dateline ("▶ 本报记者 罗晓燕"):
# the ranker learns to keep it from crowding out content, but only where the question names
# none of its terms: "Which reporter wrote the article?" (记者) still finds it.
BOILERPLATE_CHARS = 40
_BOILERPLATE = re.compile(r"记者|通讯员|编辑|责编|摄影?|来源|供图|本报|新华社|^\W*\d{4}年\d{1,2}月\d{1,2}日\W*$")


@dataclass(frozen=True)
class Logistic:
    """A logistic regression: ``coef`` over named features, plus ``intercept``. The tables it
    scores have one column per name of ``features``, in that order (``for_columns`` reorders)."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float

    def logit(self, table: np.ndarray) -> np.ndarray:
        return table @ np.asarray(self.coef, np.float32) + np.float32(self.intercept)

    def for_columns(self, columns: tuple[str, ...]) -> Logistic:
        """The same model for tables whose columns are ``columns``: each weight goes to the column of
        its name. Refused (ModelError) unless ``columns`` are the model's features in some order."""
        if len(set(columns)) != len(columns) or sorted(columns) != sorted(self.features):
            missing, unknown = set(columns) - set(self.features), set(self.features) - set(columns)
            raise ModelError(f"weights for features {list(self.features)} do not fit the columns {list(columns)} "
                             f"(no weight for {sorted(missing)}, none computed for {sorted(unknown)})")
        weight = dict(zip(self.features, self.coef, strict=True))
        return Logistic(columns, tuple(weight[name] for name in columns), self.intercept)

    def probability(self, table: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(table)))

    def to_dict(self) -> dict:
        return {"features": list(self.features), "coef": [round(c, 6) for c in self.coef],
                "intercept": round(self.intercept, 6)}

    @classmethod
    def from_dict(cls, data: dict) -> Logistic:
        return cls(tuple(data["features"]), tuple(float(c) for c in data["coef"]), float(data["intercept"]))


@cache
def load_weights(path: Path = WEIGHTS_FILE) -> dict:
    """{"rank"|"confidence"|"evidence": {lang: Logistic}, "answer_threshold": {lang: float},
    "background": {"model", "texts_sha256", "mean"}: the background's mean vector for one model}."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict = {"answer_threshold": {lang: float(bar) for lang, bar in data["answer_threshold"].items()},
                 "background": data.get("background", {})}
    # Each weight goes to the column of its name, so stored weights in another order still apply;
    # a feature renamed, added or removed without retraining has no right weight and is refused.
    for task, names in (("rank", PASSAGE_FEATURES), ("confidence", QUESTION_FEATURES), ("evidence", SENTENCE_FEATURES)):
        out[task] = {}
        for lang, stored in data[task].items():
            try:
                out[task][lang] = Logistic.from_dict(stored).for_columns(names)
            except ModelError as e:
                raise ModelError(f"{path}: the {task} weights ({lang}) are not for the features the code "
                                 f"computes: retrain them (`make train`); {e}") from None
    return out


def background_texts(path: Path = BACKGROUND_FILE) -> tuple[list[str], str]:
    """The background paragraphs (lines not starting with #) and their SHA-256 (comments excluded)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    texts = [line for line in lines if line.strip() and not line.startswith("#")]
    return texts, hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()


def is_boilerplate(text: str) -> bool:
    """A byline, photo credit or dateline rather than content."""
    text = text.strip()
    return len(text) <= BOILERPLATE_CHARS and (bool(_BOILERPLATE.search(text)) or not has_sentence_end(text))


def weighted_share(lowered: Sequence[str], weights: dict[str, float]) -> np.ndarray:
    """Per (lower-cased) text, the weighted share of the ``weights`` keys found in it; 0 without any weight."""
    total = float(sum(weights.values()))
    if total <= 0:
        return np.zeros(len(lowered), np.float32)
    found = [(key, w) for key, w in weights.items() if w > 0]  # a weightless key adds nothing
    return np.array([sum(w for key, w in found if key in text) for text in lowered], np.float32) / total


def best_sentence_share(passages: Sequence[Sequence[str]], weights: dict[str, float]) -> np.ndarray:
    """Per passage (its sentences, lower-cased), the largest weighted share of the ``weights`` keys
    found in one of its sentences.

    A question is usually asked about one sentence: a passage where one sentence holds most of its
    terms beats one that scatters them (it helps English beside the passage-wide coverage more than
    Chinese: bench/RESULTS.md).
    """
    total = float(sum(weights.values()))
    if total <= 0:
        return np.zeros(len(passages), np.float32)
    found = [(key, w) for key, w in weights.items() if w > 0]
    shares = []
    for sentences in passages:
        whole = " ".join(sentences)  # only keys in the passage can be in one of its sentences
        present = [(key, w) for key, w in found if key in whole]
        shares.append(max(sum(w for key, w in present if key in s) for s in sentences) if present else 0.0)
    return np.array(shares, np.float32) / total


def term_coverage(texts: Sequence[str], terms: Sequence[str], idf: Sequence[float]) -> np.ndarray:
    """Per text, the IDF-weighted share of the query terms (lower case) found in it."""
    return weighted_share([t.lower() for t in texts], dict(zip(terms, idf, strict=True)))


def holds_rarest(texts: Sequence[str], terms: Sequence[str], idf: Sequence[float]) -> np.ndarray:
    """1 for each text holding the question's rarest term in the corpus (highest IDF), else 0."""
    if not terms or max(idf, default=0.0) <= 0:
        return np.zeros(len(texts), np.float32)
    return term_coverage(texts, [terms[int(np.argmax(idf))]], [1.0])


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def number_match(question: str, texts: Sequence[str]) -> np.ndarray:
    """The share of the question's numbers ("49", "3.07") each text holds as a whole number.

    "Who won Super Bowl 49?" is about the passage with 49 in it, however close in meaning the one
    about Super Bowl 33 is; BM25 weighs a number like any other token. It helps Chinese more than
    English, whose questions rarely share the text's numbers (bench/RESULTS.md).
    """
    wanted = set(_NUMBER.findall(question))
    if not wanted:
        return np.zeros(len(texts), np.float32)
    return np.array([len(wanted.intersection(_NUMBER.findall(t))) / len(wanted) for t in texts], np.float32)


def unit_coverage(texts: Sequence[str], units: Sequence[Sequence[str]], missing: int = 0) -> np.ndarray:
    """Per (folded) text, the share of the question's units it holds one word of: a unit is what one
    English word or phrase, name or Chinese term of the question reaches in the corpus; ``missing``
    more are words the corpus has nothing for, held by no text.

    "How many employees does Transfar have?" over a passage about Transfar holds one of its two
    units: the text names what the question asks about, and not what it asks.
    """
    total = len(units) + missing
    if not total:
        return np.zeros(len(texts), np.float32)
    return np.array([sum(any(w in text for w in unit) for unit in units) for text in texts], np.float32) / total


def character_weights(question: str, texts: Sequence[str]) -> dict[str, float]:
    """IDF over ``texts`` of the question's Han character bigrams (and single characters). For an
    English question the retriever passes the Chinese terms its words bridged to instead.

    Word segmentation splits the same name differently in question and text; characters
    do not, which is why character matching is strong for Chinese questions.
    """
    han = HAN_RUN.findall(question)
    grams = {run[i : i + 2] for run in han for i in range(len(run) - 1)} | {c for run in han for c in run}
    if not grams:
        return {}
    n = len(texts)
    return {g: math.log(1 + n / (sum(g in t for t in texts) + 0.5)) for g in grams}


def character_overlap(texts: Sequence[str], weights: dict[str, float]) -> np.ndarray:
    """Per text, the weighted share of the question's characters and bigrams found in it (0 without any)."""
    return weighted_share(texts, weights)  # Han characters have no case


@dataclass(frozen=True)
class CandidateContext:
    """What the passage features are computed from: one array per measure, one value per candidate
    passage of a question (the retriever's ``_rank``)."""

    passage_cos: np.ndarray  # the question's cosine to the passage
    sentence_cos: np.ndarray  # its cosine to the passage's closest sentence (or the passage)
    bm25: np.ndarray
    coverage: np.ndarray  # term_coverage
    characters: np.ndarray  # character_overlap
    named: np.ndarray  # 1 if the passage holds one of the question's names
    lengths: np.ndarray  # the passage's length in characters
    boilerplate: np.ndarray  # 1 for a byline, credit or dateline (is_boilerplate)
    rarest: np.ndarray  # holds_rarest
    numbers: np.ndarray  # number_match
    sentence_coverage: np.ndarray  # best_sentence_share of the question's terms
    sentence_characters: np.ndarray  # best_sentence_share of its characters

    @cached_property
    def standardised(self) -> dict[str, np.ndarray]:
        """The _STANDARDISED passage features as z-scores among the candidates, by name (one block,
        one mean and deviation for all: the hot path, where seven apart cost more)."""
        raw = np.stack([np.asarray(PASSAGE_REGISTRY[name](self), np.float32) for name in _STANDARDISED]).T
        return dict(zip(_STANDARDISED, ((raw - raw.mean(axis=0)) / (raw.std(axis=0) + 1e-6)).T, strict=True))


# Standardised within the question's candidates: what stands out among the rivals carries over
# between corpora better than raw levels (bench/RESULTS.md).
_STANDARDISED = ("passage_cos", "sentence_cos", "bm25", "coverage", "characters", "sentence_coverage",
                 "sentence_characters")


def _z(name: str) -> Callable[[CandidateContext], np.ndarray]:
    """Passage feature ``name`` (one of _STANDARDISED) as a z-score among the question's candidates."""
    assert name in _STANDARDISED, name
    return lambda c: c.standardised[name]


# One row per candidate passage: feature name -> its values over a question's candidates. Gaps are
# taken to the best candidate of the same question, so the ranker sees how a passage compares with
# its rivals, not only cosine levels that differ from corpus to corpus.
PASSAGE_REGISTRY: dict[str, Callable[[CandidateContext], npt.ArrayLike]] = {
    "passage_cos": lambda c: c.passage_cos,
    "sentence_cos": lambda c: c.sentence_cos,
    "passage_gap": lambda c: c.passage_cos - c.passage_cos.max(),
    "sentence_gap": lambda c: c.sentence_cos - c.sentence_cos.max(),
    "bm25": lambda c: _to_best(c.bm25),
    "coverage": lambda c: c.coverage,
    "characters": lambda c: c.characters,
    "name": lambda c: c.named,
    "log_length": lambda c: np.log1p(c.lengths) / math.log(1000),
    # a byline counts only where the question names none of its terms ("Which reporter wrote it?")
    "boilerplate": lambda c: c.boilerplate * (c.coverage <= 0),
    "rarest": lambda c: c.rarest,
    "numbers": lambda c: c.numbers,
    "sentence_coverage": lambda c: c.sentence_coverage,
    "sentence_characters": lambda c: c.sentence_characters,
    "passage_z": _z("passage_cos"),
    "sentence_z": _z("sentence_cos"),
    "bm25_z": _z("bm25"),
    "coverage_z": _z("coverage"),
    "characters_z": _z("characters"),
    "sentence_coverage_z": _z("sentence_coverage"),
    "sentence_characters_z": _z("sentence_characters"),
}
PASSAGE_FEATURES = tuple(PASSAGE_REGISTRY)


def passage_features(context: CandidateContext, names: tuple[str, ...] | None = None) -> np.ndarray:
    """The table of features ``names`` (PASSAGE_FEATURES by default), one row per candidate."""
    names = PASSAGE_FEATURES if names is None else names
    if not len(context.passage_cos):
        return np.zeros((0, len(names)), np.float32)
    return np.stack([np.asarray(PASSAGE_REGISTRY[name](context), np.float32) for name in names], axis=1)


def _to_best(values: np.ndarray) -> np.ndarray:
    """Each value as a share of the best one (BM25 levels differ from corpus to corpus)."""
    top = float(values.max())
    return values / top if top > 0 else np.zeros_like(values)


def score(features: np.ndarray, model: Logistic) -> np.ndarray:
    """Ranking score of each candidate (higher is better)."""
    return model.logit(features)


@dataclass(frozen=True)
class QuestionFacts:
    """What the confidence reads of a question besides its candidates' features (answer.question_facts)."""

    has_terms: bool  # it has lexical terms in the corpus (its own, or bridged from English)
    unknown_name: bool  # English: a capitalised word no bridge reached (Query.unknown_name)
    background_cos: float  # its cosine to the background's mean vector
    absent_share: float  # English: the share of its words whose Chinese the corpus lacks (Query.absent_share)
    corpus_size: int  # passages in the build asked
    general_absent: float  # the share of its terms, each weighed by lexical.general_rarity, the corpus lacks
    general_coverage: tuple[float, ...]  # per candidate: the share of those weighed terms it holds
    unit_coverage: tuple[float, ...]  # per candidate: the share of what the question asks about it holds
    corpus_cos: float  # its mean cosine to the corpus's passages (Snapshot.centroid)


@dataclass(frozen=True)
class QuestionContext:
    """What the question features are computed from: its candidates' PASSAGE_FEATURES, their
    ranking scores and ``facts``."""

    features: np.ndarray
    scores: np.ndarray
    facts: QuestionFacts

    @cached_property
    def best(self) -> int:
        """The best-scored candidate's row."""
        return int(np.argmax(self.scores))

    def top(self, name: str) -> np.float32:
        """The best-scored candidate's passage feature ``name``."""
        return self.features[self.best, PASSAGE_FEATURES.index(name)]

    @cached_property
    def cosines(self) -> np.ndarray:
        """The candidates' passage cosines, highest first."""
        return np.sort(self.features[:, PASSAGE_FEATURES.index("passage_cos")])[::-1]

    @cached_property
    def ranked(self) -> np.ndarray:
        """The ranking scores, highest first."""
        return np.sort(self.scores)[::-1]


def _cos_lead(q: QuestionContext) -> float:
    return min(float(q.cosines[0] - q.cosines[1]) if len(q.cosines) > 1 else MAX_LEAD, MAX_LEAD)


def _score_lead(q: QuestionContext) -> float:
    return min(float(q.ranked[0] - q.ranked[1]), MAX_SCORE_LEAD) if len(q.ranked) > 1 else MAX_SCORE_LEAD


# One row per question, from its ranked candidates: does the corpus answer it at all? Trained on
# folders of 8 to several hundred documents (rag/training.py), so it holds at every size:
# - the best candidate's levels (cosines, coverage, characters, a name, the rarest term), its
#   lead in cosine over the runner-up and over the tenth, and its ranking score and lead;
# - the question's cosine to a fixed background (the mean vector of encyclopedia paragraphs,
#   BACKGROUND_FILE), and how far the best passage stands above it: a question close to any text
#   says little when close to the corpus too;
# - the corpus's size (log of its passages): the best of many passages stands closer to any
#   question than the best of few, and the model learns by how much;
# - the share of the question's terms the best passage holds and the corpus lacks, each weighed
#   by its rarity in Chinese at large (lexical.general_rarity), the same in a folder of any size,
#   where corpus IDF gives a term the corpus lacks no weight at all;
# - the share of what the question asks about that the best passage holds (unit_coverage): a
#   passage naming the company but not its head count holds half;
# - how far the best passage stands above the question's mean cosine to the whole corpus
#   (lead_over_corpus): a question about a text that is not there stands little further from the
#   best passage than from the rest. It moves with lead_over_background, so its learned weight
#   can come out negative beside that one's positive: read the two together. Learned for
#   questions in other languages only (training.LEFT_OUT);
# - English: a capitalised word no bridge reached, and the share of words CC-CEDICT knows whose
#   Chinese the corpus lacks (Dictionary.absent): they reach nothing, so no term feature sees them.
QUESTION_REGISTRY: dict[str, Callable[[QuestionContext], npt.ArrayLike]] = {
    "top_passage_cos": lambda q: q.top("passage_cos"),
    "top_sentence_cos": lambda q: q.top("sentence_cos"),
    "top_coverage": lambda q: q.top("coverage"),
    "top_characters": lambda q: q.top("characters"),
    "top_name": lambda q: q.top("name"),
    "has_terms": lambda q: float(q.facts.has_terms),
    "cos_lead": _cos_lead,
    "unknown_name": lambda q: float(q.facts.unknown_name),
    "background_cos": lambda q: q.facts.background_cos,
    "lead_over_background": lambda q: q.cosines[0] - q.facts.background_cos,
    "top_rarest": lambda q: q.top("rarest"),
    "absent_share": lambda q: q.facts.absent_share,
    "log_size": lambda q: math.log(max(q.facts.corpus_size, 1)),
    "general_coverage": lambda q: q.facts.general_coverage[q.best],
    "general_absent": lambda q: q.facts.general_absent,
    "top_score": lambda q: q.ranked[0],
    "score_lead": _score_lead,
    "cos_over_tenth": lambda q: q.cosines[0] - q.cosines[min(9, len(q.cosines) - 1)],
    "unit_coverage": lambda q: q.facts.unit_coverage[q.best],
    "lead_over_corpus": lambda q: q.cosines[0] - q.facts.corpus_cos,
}
QUESTION_FEATURES = tuple(QUESTION_REGISTRY)


def question_features(features: np.ndarray, scores: np.ndarray, facts: QuestionFacts) -> np.ndarray:
    """The QUESTION_FEATURES row of one question, from its candidates' features and scores and
    what else is known of it (``facts``)."""
    context = QuestionContext(features, scores, facts)
    return np.array([QUESTION_REGISTRY[name](context) for name in QUESTION_FEATURES], np.float32)


def confidence(row: np.ndarray, model: Logistic) -> float:
    """Estimated probability that the corpus answers the question."""
    return float(model.probability(row.reshape(1, -1))[0])


@dataclass(frozen=True)
class SentenceContext:
    """What the sentence features are computed from: the sentences of one passage and the question."""

    texts: Sequence[str]  # the sentences, in reading order
    lowered: list[str]  # the same, lower-cased
    cosines: np.ndarray  # each sentence's cosine to the question
    term_weights: dict[str, float]  # the question's BM25 terms -> IDF
    characters: dict[str, float]  # its character weights (character_weights)
    asks_number: bool  # "How many…"/"多少"
    asks_time: bool  # "When…"/"哪一年"
    local: np.ndarray  # per sentence, its terms' share weighted by how few sentences hold each (_locally_weighted)
    local_characters: np.ndarray  # the same for its characters


# One row per sentence of a passage: is this the sentence that answers? Feature name -> its values
# over the passage's sentences.
SENTENCE_REGISTRY: dict[str, Callable[[SentenceContext], npt.ArrayLike]] = {
    "cos": lambda s: s.cosines,
    "gap": lambda s: s.cosines - s.cosines.max(),
    "coverage": lambda s: weighted_share(s.lowered, s.term_weights),
    "characters": lambda s: character_overlap(s.texts, s.characters),
    "first": lambda s: [1.0] + [0.0] * (len(s.texts) - 1),
    "log_length": lambda s: np.log1p([len(t) for t in s.texts]) / math.log(1000),
    "local_coverage": lambda s: s.local,
    "local_coverage_gap": lambda s: s.local - s.local.max(),
    "number_asked": lambda s: [s.asks_number and bool(_HAS_NUMBER.search(t)) for t in s.texts],
    "time_asked": lambda s: [s.asks_time and bool(_HAS_TIME.search(t)) for t in s.texts],
    "local_characters": lambda s: s.local_characters,
    "local_characters_gap": lambda s: s.local_characters - s.local_characters.max(),
}
SENTENCE_FEATURES = tuple(SENTENCE_REGISTRY)


def sentence_features(question: str, texts: Sequence[str], cosines: np.ndarray, terms: Sequence[str],
                      idf: Sequence[float], characters: dict[str, float]) -> np.ndarray:
    """The SENTENCE_FEATURES table for the sentences of one passage, in reading order.

    ``terms``/``idf`` are the question's BM25 terms, ``characters`` its character weights
    (``character_weights``); ``cosines`` each sentence's cosine to the question.
    """
    if not len(texts):
        return np.zeros((0, len(SENTENCE_FEATURES)), np.float32)
    lowered = [t.lower() for t in texts]
    term_weights = dict(zip(terms, idf, strict=True))
    context = SentenceContext(texts, lowered, cosines, term_weights, characters, bool(_ASKS_NUMBER.search(question)),
                              bool(_ASKS_TIME.search(question)), _locally_weighted(lowered, term_weights),
                              _locally_weighted(lowered, characters))
    table = np.empty((len(texts), len(SENTENCE_FEATURES)), np.float32)  # filled column by column (hot path)
    for column, name in enumerate(SENTENCE_FEATURES):
        table[:, column] = SENTENCE_REGISTRY[name](context)
    return table


def _locally_weighted(lowered: Sequence[str], weights: dict[str, float]) -> np.ndarray:
    """Weighted share of each (lower-cased) sentence, each term or character also weighted by how
    few of these sentences hold it: the passage's topic, named in every sentence, does not tell
    them apart (evidence@1 held aside, for terms and characters: bench/RESULTS.md)."""
    n = len(lowered)
    shares, total = [0.0] * n, 0.0
    for key, w in weights.items():
        holders = [i for i, t in enumerate(lowered) if key in t] if w > 0 else []
        if holders:  # one pass over the sentences per key gives both its count and who holds it
            local = w * math.log((n + 1) / (len(holders) + 0.5))
            for i in holders:
                shares[i] += local
            total += local
    return np.array(shares, np.float32) / total if total > 0 else np.zeros(n, np.float32)


# A sentence that opens by pointing back ("他也以39岁…", "该公司…", "It was…") needs the one
# before it to be read: its evidence span starts there. (Sentences come simplified and lower-cased.)
_POINTS_BACK = re.compile(r"^[\s\"'“‘「『（(]*(?:(?!此外)[他她它其该此这]"
                          r"|(?:He|She|It|They|This|These|Its|His|Her|Their)\b)", re.IGNORECASE)


def with_antecedent(spans: Sequence[tuple[int, int]], texts: Sequence[str], index: int) -> tuple[int, int]:
    """The evidence span of sentence ``index``, from the sentence before when it opens by pointing back."""
    start, end = spans[index]
    if index > 0 and _POINTS_BACK.match(texts[index]):
        start = spans[index - 1][0]
    return start, end


def pick_evidence(features: np.ndarray, model: Logistic, margin: float) -> list[int]:
    """Indices of the evidence sentences, best first: the best, and a runner-up within ``margin``."""
    if not len(features):
        return []
    logits = model.logit(features)
    order = [int(i) for i in np.argsort(-logits, kind="stable")]
    return [i for i in order[:2] if logits[i] >= logits[order[0]] - margin]
