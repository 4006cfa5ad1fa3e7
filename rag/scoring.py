"""Scoring as pure functions over arrays: features -> ranking score, confidence, evidence choice.

The retriever computes a feature table per (question, candidate passage) and calls these;
``bench/train_ranker.py`` calls the same functions to learn the weights, which live in
``rag/data/ranker.json`` (plain JSON: one logistic regression per language and task).

    >>> table = passage_features(passage_cos, sentence_cos, bm25, coverage, characters, named, lengths,
    ...                          boilerplate, rarest, numbers, sentence_coverage, sentence_characters)
    >>> order = np.argsort(-score(table, load_weights()["rank"]["en"]))
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .errors import ModelError

WEIGHTS_FILE = Path(__file__).parent / "data" / "ranker.json"
BACKGROUND_FILE = Path(__file__).parent / "data" / "background.txt"

# One row per candidate passage. Gaps are taken to the best candidate of the same question, so
# the ranker sees how a passage compares with its rivals, not only cosine levels that differ
# from corpus to corpus.
PASSAGE_FEATURES = ("passage_cos", "sentence_cos", "passage_gap", "sentence_gap", "bm25", "coverage",
                    "characters", "name", "log_length", "boilerplate", "rarest", "numbers", "sentence_coverage",
                    "sentence_characters", "passage_z", "sentence_z", "bm25_z", "coverage_z", "characters_z",
                    "sentence_coverage_z", "sentence_characters_z")
# Standardised within the question's candidates (z-scores): what stands out among the rivals
# carries over between corpora better than raw levels (cross-validated R@1 +0.02 to +0.03).
_STANDARDISED = ("passage_cos", "sentence_cos", "bm25", "coverage", "characters", "sentence_coverage",
                 "sentence_characters")
# One row per question, from its ranked candidates: does the corpus answer it at all? Trained on
# folders of 8 to several hundred documents (bench/train_ranker.py), so it holds at every size:
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
# - English: a capitalised word no bridge reached, and the share of words CC-CEDICT knows whose
#   Chinese the corpus lacks (Dictionary.absent): they reach nothing, so no term feature sees them.
QUESTION_FEATURES = ("top_passage_cos", "top_sentence_cos", "top_coverage", "top_characters", "top_name",
                     "has_terms", "cos_lead", "unknown_name", "background_cos", "lead_over_background",
                     "top_rarest", "absent_share", "log_size", "general_coverage", "general_absent",
                     "top_score", "score_lead", "cos_over_tenth", "unit_coverage")
MAX_LEAD = 0.1  # a lead in cosine beyond this says nothing more
MAX_SCORE_LEAD = 5.0  # nor a lead in ranking score (logit units) beyond this
# One row per sentence of a passage: is this the sentence that answers?
SENTENCE_FEATURES = ("cos", "gap", "coverage", "characters", "first", "log_length", "local_coverage",
                     "local_coverage_gap", "number_asked", "time_asked", "local_characters",
                     "local_characters_gap")
_SENTENCE_COLUMN = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
# What kind of answer a question asks for, and whether a sentence holds one of that kind:
# "How many…"/"多少" wants a number, "When…"/"哪一年" a date. Cheap, language-general cues
# that cosine misses (held-aside evidence +1 to +3 points with the local coverage below).
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
_SENTENCE_END = re.compile(r"[。！？!?；;…]|\.\s|\.$")


@dataclass(frozen=True)
class Logistic:
    """A logistic regression: ``coef`` over named features, plus ``intercept``."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float

    def logit(self, table: np.ndarray) -> np.ndarray:
        return table @ np.asarray(self.coef, np.float32) + np.float32(self.intercept)

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
    for task, names in (("rank", PASSAGE_FEATURES), ("confidence", QUESTION_FEATURES), ("evidence", SENTENCE_FEATURES)):
        out[task] = {lang: Logistic.from_dict(model) for lang, model in data[task].items()}
        for lang, model in out[task].items():
            # weights are by position: a feature renamed, added or moved without retraining would be misweighed
            if model.features != names:
                raise ModelError(f"{path}: the {task} weights ({lang}) are for features {list(model.features)}, "
                                 f"the code computes {list(names)}: retrain them (`make train`)")
    return out


def background_texts(path: Path = BACKGROUND_FILE) -> tuple[list[str], str]:
    """The background paragraphs (lines not starting with #) and their SHA-256 (comments excluded)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    texts = [line for line in lines if line.strip() and not line.startswith("#")]
    return texts, hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()


def is_boilerplate(text: str) -> bool:
    """A byline, photo credit or dateline rather than content."""
    text = text.strip()
    return len(text) <= BOILERPLATE_CHARS and (bool(_BOILERPLATE.search(text)) or not _SENTENCE_END.search(text))


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
    terms beats one that scatters them (cross-validated English R@1 +0.017 beside the passage-wide
    coverage; Chinese unchanged).
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
    about Super Bowl 33 is; BM25 weighs a number like any other token. Held aside, Chinese R@1
    +0.013 (English unchanged: its questions rarely share the text's numbers).
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
    han = re.findall(r"[\u4e00-\u9fff]+", question)
    grams = {run[i : i + 2] for run in han for i in range(len(run) - 1)} | {c for run in han for c in run}
    if not grams:
        return {}
    n = len(texts)
    return {g: math.log(1 + n / (sum(g in t for t in texts) + 0.5)) for g in grams}


def character_overlap(texts: Sequence[str], weights: dict[str, float]) -> np.ndarray:
    """Per text, the weighted share of the question's characters and bigrams found in it (0 without any)."""
    return weighted_share(texts, weights)  # Han characters have no case


def passage_features(passage_cos: np.ndarray, sentence_cos: np.ndarray, bm25: np.ndarray,
                     coverage: np.ndarray, characters: np.ndarray, named: np.ndarray, lengths: np.ndarray,
                     boilerplate: np.ndarray, rarest: np.ndarray, numbers: np.ndarray,
                     sentence_coverage: np.ndarray, sentence_characters: np.ndarray) -> np.ndarray:
    """The PASSAGE_FEATURES table, one row per candidate (all inputs are per-candidate arrays)."""
    if not len(passage_cos):
        return np.zeros((0, len(PASSAGE_FEATURES)), np.float32)
    columns = [passage_cos, sentence_cos, passage_cos - passage_cos.max(), sentence_cos - sentence_cos.max(),
               _to_best(bm25), coverage, characters, named,
               np.log1p(lengths) / math.log(1000), boilerplate * (coverage <= 0), rarest, numbers,
               sentence_coverage, sentence_characters]
    table = np.stack([np.asarray(c, np.float32) for c in columns], axis=1)
    raw = table[:, [PASSAGE_FEATURES.index(name) for name in _STANDARDISED]]
    standardised = (raw - raw.mean(axis=0)) / (raw.std(axis=0) + 1e-6)
    return np.concatenate([table, standardised], axis=1)


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


def question_features(features: np.ndarray, scores: np.ndarray, facts: QuestionFacts) -> np.ndarray:
    """The QUESTION_FEATURES row of one question, from its candidates' features and scores and
    what else is known of it (``facts``)."""
    col = {name: i for i, name in enumerate(PASSAGE_FEATURES)}
    best = int(np.argmax(scores))
    top = features[best]
    cosines = np.sort(features[:, col["passage_cos"]])[::-1]
    lead = float(cosines[0] - cosines[1]) if len(cosines) > 1 else MAX_LEAD
    ranked = np.sort(scores)[::-1]
    values = {
        "top_passage_cos": top[col["passage_cos"]], "top_sentence_cos": top[col["sentence_cos"]],
        "top_coverage": top[col["coverage"]], "top_characters": top[col["characters"]], "top_name": top[col["name"]],
        "has_terms": float(facts.has_terms), "cos_lead": min(lead, MAX_LEAD), "unknown_name": float(facts.unknown_name),
        "background_cos": facts.background_cos, "lead_over_background": cosines[0] - facts.background_cos,
        "top_rarest": top[col["rarest"]], "absent_share": facts.absent_share,
        "log_size": math.log(max(facts.corpus_size, 1)),
        "general_coverage": facts.general_coverage[best], "general_absent": facts.general_absent,
        "unit_coverage": facts.unit_coverage[best],
        "top_score": ranked[0], "score_lead": min(float(ranked[0] - ranked[1]), MAX_SCORE_LEAD) if len(ranked) > 1
        else MAX_SCORE_LEAD,
        "cos_over_tenth": cosines[0] - cosines[min(9, len(cosines) - 1)],
    }
    return np.array([values[name] for name in QUESTION_FEATURES], np.float32)


def confidence(row: np.ndarray, model: Logistic) -> float:
    """Estimated probability that the corpus answers the question."""
    return float(model.probability(row.reshape(1, -1))[0])


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
    local = _locally_weighted(lowered, term_weights)
    local_characters = _locally_weighted(lowered, characters)
    asks_number, asks_time = bool(_ASKS_NUMBER.search(question)), bool(_ASKS_TIME.search(question))
    table = np.empty((len(texts), len(SENTENCE_FEATURES)), np.float32)  # filled column by column (hot path)
    table[:, _SENTENCE_COLUMN["cos"]] = cosines
    table[:, _SENTENCE_COLUMN["gap"]] = cosines - cosines.max()
    table[:, _SENTENCE_COLUMN["coverage"]] = weighted_share(lowered, term_weights)
    table[:, _SENTENCE_COLUMN["characters"]] = character_overlap(texts, characters)
    table[:, _SENTENCE_COLUMN["first"]] = 0.0
    table[0, _SENTENCE_COLUMN["first"]] = 1.0
    table[:, _SENTENCE_COLUMN["log_length"]] = np.log1p([len(t) for t in texts]) / math.log(1000)
    table[:, _SENTENCE_COLUMN["local_coverage"]] = local
    table[:, _SENTENCE_COLUMN["local_coverage_gap"]] = local - local.max()
    table[:, _SENTENCE_COLUMN["number_asked"]] = [asks_number and bool(_HAS_NUMBER.search(t)) for t in texts]
    table[:, _SENTENCE_COLUMN["time_asked"]] = [asks_time and bool(_HAS_TIME.search(t)) for t in texts]
    table[:, _SENTENCE_COLUMN["local_characters"]] = local_characters
    table[:, _SENTENCE_COLUMN["local_characters_gap"]] = local_characters - local_characters.max()
    return table


def _locally_weighted(lowered: Sequence[str], weights: dict[str, float]) -> np.ndarray:
    """Weighted share of each (lower-cased) sentence, each term or character also weighted by how
    few of these sentences hold it: the passage's topic, named in every sentence, does not tell
    them apart (held-aside evidence@1: terms +1 to +3 points, characters +2 in Chinese)."""
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
