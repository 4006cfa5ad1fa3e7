"""Hybrid retrieval: e5 vectors of passages and sentences, BM25 over jieba tokens, and the bridges.

    >>> r = Retriever()                       # loads (or builds) the default index once
    >>> hits = r.search("What did Sun Huaqin propose for SMEs?", k=5)
    >>> hits[0].section, hits[0].start, hits[0].end, hits[0].evidence

The retriever finds candidate passages and computes their features; the weights that turn
features into a ranking and the evidence choice are learned (``scoring.py``).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import glossary, palladius
from .bridge import ABBREVIATIONS, EN_STOPWORDS, letter_runs, proper_names
from .build import model_and_chunker_reasons
from .chunk import Passage
from .config import Settings
from .corpus import corpus_files
from .embed import Encoder, make_encoder
from .errors import IndexNotReady, QuestionError, RagError
from .language import detect, model_group, towards_chinese
from .lexical import HAN_RUN, from_japanese, in_script, simplified, tokenize
from .scoring import (
    PASSAGE_FEATURES,
    CandidateContext,
    background_texts,
    best_sentence_share,
    character_overlap,
    character_weights,
    holds_rarest,
    load_weights,
    number_match,
    passage_features,
    pick_evidence,
    score,
    sentence_features,
    term_coverage,
    with_antecedent,
)
from .stores import Candidates, Snapshot, open_store

# Library messages go to logging: the CLI and the server decide what to show.
logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500  # e5 reads ~512 tokens; a longer question is cut, with a note
COMMON_SHARE = 0.05  # a token in more than this share of passages does not pick BM25 candidates
RARE_IDF = math.log(1 / COMMON_SHARE)  # BM25's idf at that share, for a large corpus (lexical.bm25_idf)
# A second sentence is evidence too when its evidence logit is this close to the best one's
# (logit units: 0.5 = odds within a factor of ~1.6).
EVIDENCE_MARGIN = 0.5
# Bidirectional controls and zero-width characters: invisible, and they can make the echo
# of a question read backwards.
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e"
                        r"\u2060-\u2069\ufeff\ud800-\udfff]")
_PASSAGE_COS, _BM25 = PASSAGE_FEATURES.index("passage_cos"), PASSAGE_FEATURES.index("bm25")
# A Latin word, brand or acronym ("NFL", "Sky", "5G", whole, as the corpus's tokens keep it) or a
# number; never the ASCII piece of a word with accents ("Haushaltsgröße" is no "Haushaltsgr" and
# "e", which the corpus may well hold; a brand with accents, "Nestlé", is no term either)
_ACCENTED = "À-ÖØ-öø-ɏḀ-ỿ"
_LATIN_OR_NUMBER = re.compile(rf"(?<![A-Za-z{_ACCENTED}])(?:\d+[A-Za-z]|[A-Za-z])[A-Za-z0-9&\-]*"
                              rf"(?![A-Za-z{_ACCENTED}])|\d+(?:\.\d+)?")


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
        return p.text_at(self.evidence_start, self.evidence_end)

    def to_dict(self) -> dict:
        p = self.passage
        return {"rank": self.rank, "score": round(self.score, 4), "doc": p.doc, "title": p.title,
                "section": p.section, "position": p.position, "start": p.start, "end": p.end,
                "text": p.text, "evidence": self.evidence, "evidence_start": self.evidence_start,
                "evidence_end": self.evidence_end, "evidence_spans": [list(s) for s in self.evidence_spans],
                "id": p.id}


def _quoted(word: re.Match, question: str) -> bool:
    """Is this Latin word of a question not in English one a text may quote (a brand, an acronym, a
    name: "Sky", "NFL", "x86"), not the language's own ("von", "ein", "cho")? It has a digit, or a
    capital other than the one opening the question ("Von wem…", "De qué…")."""
    text = word.group()
    if any(c.isdigit() for c in text):
        return True
    opens = not question[: word.start()].strip(" \t\"'“‘«¿¡([")
    return any(c.isupper() for c in (text[1:] if opens else text))


def _has_unknown_name(text: str, found_a_name: bool, reached: set[str]) -> bool:
    """Does an English question hold a capitalised word (not its first) that no bridge reached?

    "Luther", "Manning": transliterated, neither pinyin nor in the glossary. The confidence
    learns what it means: such questions score lower cosines even when the corpus answers them.
    """
    if found_a_name:  # the pinyin or glossary bridge found the name
        return False
    return any(w.lower() not in reached and w.lower() not in EN_STOPWORDS
               for w in re.findall(r"(?<=\s)[A-Z][a-z]+", text))


def _as_written(question: str, words: str) -> str:
    """``words`` (lower-cased, as a glossary or the dictionary keeps them) as the question wrote them,
    or the abbreviation it wrote for them ("SMEs" for "small and medium enterprise")."""
    spellings = [words] + [short for short, long in ABBREVIATIONS.items() if long == words]
    for spelling in spellings:
        found = re.search(r"\s+".join(map(re.escape, spelling.split())) + r"s?\b", question, re.IGNORECASE)
        if found:
            return found.group(0)
    return words


def _han_source(query: Query) -> str:
    """The Chinese text the character weights come from: the question's own for a Chinese
    question; for an English one, which has few or no Han characters, the Chinese terms the
    bridges reached in the corpus ("control" -> 控制 still meets 掌控 by its characters).
    """
    if query.lang == "zh":
        return query.text
    return " ".join(term for term, idf in zip(query.terms, query.idf, strict=True) if idf > 0)


@dataclass(frozen=True)
class Query:
    """A cleaned question and the lexical evidence found for it."""

    text: str
    lang: str  # "zh" (cut into words) or "en" (any other: reaches the text through bridges)
    terms: tuple[str, ...]  # Chinese (or Latin) tokens for BM25: the question's own, or bridged
    idf: tuple[float, ...]  # BM25 idf of each term in this corpus (0: not in the corpus)
    names: tuple[str, ...]  # Chinese names the question spells in pinyin or via the glossary
    truncated: bool
    # English: a capitalised word inside it that no bridge reached; another language: a name
    # CC-CEDICT knows (bridge.proper_names) whose Chinese the corpus lacks
    unknown_name: bool = False
    # English: share of its content words whose Chinese the corpus lacks (Dictionary.absent);
    # another language: the share of those names
    absent_share: float = 0.0
    # the build it was analysed on, and is ranked on: its terms' IDF and names come from that build,
    # so a build going live in between must not lend the candidates
    snapshot: Snapshot | None = field(default=None, compare=False, repr=False)
    # what it asks about: per word, phrase or name, the corpus's words for it (any one will do;
    # matched as folded), and how many of its English words (or, in another language, names) the
    # corpus has no word for at all
    units: tuple[tuple[str, ...], ...] = ()
    missing_units: int = 0
    for_model: str = ""  # the text e5 reads: Chinese in the corpus's script (lexical.in_script)
    # English: the corpus's Chinese words (simplified) the question reached, each with the question's
    # own words for it ("中小企业" -> "SMEs", "孙华芹" -> "Sun Huaqin"), for the reading aid (gloss.py)
    asked: tuple[tuple[str, str], ...] = ()
    language: str = "en"  # as detected (language.detect): "zh", "en", "de", …

    @property
    def model(self) -> str:
        """Whose learned weights rank it, pick its evidence and judge it: its language's group, or
        English's where no weights for the group were learned (language.model_group)."""
        group = model_group(self.language)
        return group if group in load_weights()["rank"] else self.lang


@dataclass(frozen=True)
class Ranking:
    """Every candidate passage of one question with its features and score.

    It keeps the passages and sentences of the build it was ranked on: a newer build that
    goes live meanwhile must not turn its passage numbers into other passages.
    """

    query: Query
    candidates: Candidates  # passages, sentences and cosines of the build ranked on, one row per candidate
    ids: list[int]  # passage numbers in that build
    features: np.ndarray  # scoring.PASSAGE_FEATURES, one row per candidate
    scores: np.ndarray
    characters: dict[str, float]  # the question's Han characters and bigrams -> weight (scoring.character_weights)
    background_cos: float  # the question's cosine to the background's mean vector (scoring.QUESTION_FEATURES)
    folded: list[str]  # each candidate's text as terms are matched against it (Snapshot.folded)
    corpus_size: int  # passages in the build ranked on (scoring.QUESTION_FEATURES)
    corpus_cos: float  # the question's mean cosine to the passages of that build (Snapshot.centroid)

    def order(self) -> list[int]:
        """Candidate rows, best first."""
        return [int(c) for c in np.argsort(-self.scores, kind="stable")]

    @property
    def passages(self) -> list[Passage]:
        """The candidate passages, one per row."""
        return self.candidates.passages


def candidate_terms(query: Query) -> list[str]:
    """The terms that pick BM25 front runners: those in at most COMMON_SHARE of passages, if any.

    A token in most passages adds little to any passage's BM25 but makes the store sum its
    scores over all of them (in Postgres: most of a question's time). The candidates are then
    scored with all the terms.
    """
    rare = [t for t, idf in zip(query.terms, query.idf, strict=True) if idf >= RARE_IDF]
    return rare or list(query.terms)


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


class Retriever:
    """Load an index once and answer many questions; picks up a newer index between queries."""

    def __init__(self, settings: Settings | None = None, encoder: Encoder | None = None,
                 auto_build: bool | None = None, progress: Callable[[str], None] = logger.info):
        self.settings = settings or Settings.from_env()
        self.encoder = encoder or make_encoder(self.settings, progress)
        self._progress = progress
        self.store = open_store(self.settings)
        # A question never builds a shared store by default: that would upload this folder's files to it.
        self.auto_build = not self.store.shared if auto_build is None else auto_build
        self._lock = threading.Lock()
        self._background: np.ndarray | None = None
        self._state: Snapshot | None = None

    # -- index lifecycle -------------------------------------------------------------------------
    def _current(self) -> Snapshot:
        """The live build, (re)loaded when it changed since the last query."""
        live = self.store.live()
        state = self._state
        if state is not None and live is not None and live == state.name:
            return state
        with self._lock:
            if self._state is None or live is None or live != self._state.name:
                # At start the index must match the corpus; later, a build someone else
                # finished is taken as it is (the corpus may already be changing again).
                self._state = self._load(check_stale=self._state is None)
        return self._state

    def _load(self, check_stale: bool) -> Snapshot:
        live: Snapshot | None = None
        try:
            live = self.store.open()
            reasons = self.store.stale_reasons(live.manifest, self.encoder.name) if check_stale else []
        except IndexNotReady:
            if not self.auto_build:
                raise
            reasons = ["no usable index"]
        if not reasons and live is not None:
            return live
        if not self.auto_build:
            raise IndexNotReady(f"index in {self.store.describe()} is out of date ("
                                + "; ".join(reasons) + "): run `rag index`")
        if not self.store.shared:  # (a shared store may hold documents without any folder)
            corpus_files(self.settings.corpus_dir)  # no corpus: say so in one line, before anything else
        self._progress("building the index: " + "; ".join(reasons))
        try:
            report = self.store.build(self.encoder, wait=True)
        except RagError as exc:
            # The live build still answers for the text it holds (a full disk must not stop every
            # question), unless it was made with another model or chunker, whose vectors mean nothing here.
            if live is None or model_and_chunker_reasons(live.manifest, self.settings, self.encoder.name):
                raise
            self._progress(f"warning: {exc} — answering from the previous build, without the latest changes")
            return live
        for warning in report.warnings:
            self._progress(warning)
        return self.store.open()

    def documents(self) -> list[tuple[str, str, int]]:
        """(document, title, passages) of every document in the live build."""
        return self._current().documents()

    # -- queries ---------------------------------------------------------------------------------
    def analyse(self, question: str) -> Query:
        """Clean the question and find its lexical terms (own tokens, or bridged from English)."""
        text, truncated = clean_question(question)  # before any loading: a bad question costs nothing
        unknown_name, absent_share, absent = False, 0.0, 0
        state = self._current()
        # the English names the question uses, once per glossary: they give terms, and are not words the text lacks
        named = glossary.matched(text, state.glossary["names"])
        aliased = glossary.matched(text, state.glossary["aliases"])
        names = glossary.chinese(named, state.glossary["names"])
        spelled = state.names.spelled_as(text) if re.search("[A-Za-z]", text) else {}  # only romanised words spell one
        if re.search("[А-Яа-я]", text):  # a Russian question writes Chinese names in Cyrillic (Palladius)
            for endings in palladius.ENDINGS:  # the first reading that spells a name of the corpus
                romanised, cyrillic = palladius.romanise(text, endings)
                found = state.names.spelled_as(romanised) if cyrillic else {}
                for zh, words in found.items():
                    spelled.setdefault(zh, " ".join(cyrillic.get(w, w) for w in words.split()))
                if found:
                    break
        pinyin_names = list(spelled)
        names += pinyin_names
        asked: dict[str, str] = {}
        language = detect(text)
        if language == "zh":
            lang, terms = "zh", tokenize(text)
            units = [[t] for t in terms]
        else:
            # Latin words and numbers of the question that the corpus has too ("NFL", "2015").
            own = [w.group().lower() for w in _LATIN_OR_NUMBER.finditer(text)
                   if w.group().lower() not in EN_STOPWORDS and (language == "en" or _quoted(w, text))]
            # Chinese written inside an English question ("What does 传化 do?", or a follow-up
            # completed with a Chinese name) is the user quoting the text: its words are terms,
            # and a run the corpus has as a word counts as a name, like a name spelled in pinyin.
            runs = [simplified(from_japanese(run) if language == "ja" else run) for run in HAN_RUN.findall(text)]
            # Another language: the names CC-CEDICT knows by their English spelling ("Nikola Tesla")
            proper = proper_names(text) if language != "en" else []
            name_tokens = {zh: tokenize(zh) for _, found in proper for zh in found}  # (each cut once)
            looked_up = own + runs + sorted({t for tokens in name_tokens.values() for t in tokens})
            in_corpus = [idf > 0 for idf in state.idf(looked_up)]  # one look-up for all (a query in Postgres)
            present = {t for t, found in zip(looked_up, in_corpus, strict=True) if found}
            known = [w for w in own if w in present]
            names += [run for run in runs if run in present]
            proper_found = [(phrase, [zh for zh in found if all(t in present for t in name_tokens[zh])])
                            for phrase, found in proper]
            proper_absent = sum(not found for _, found in proper_found)
            names += [zh for _, found in proper_found for zh in found]
            # the corpus's people as scripts without pinyin write them ("सुन हुआछिन" -> 孙华芹)
            transcribed = state.people.find(letter_runs(text)) if language != "en" else []
            names += [zh for _, found in transcribed for zh in found]
            # CC-CEDICT bridges English; another language reaches its English words through words
            # spelled alike ("Parlamento" -> parliament), never through short ones, false friends
            # ("die" -> 死); names, numbers and Latin words carry over by themselves
            # (Vietnamese and Korean through the Sino-Vietnamese and Sino-Korean readings of Chinese
            # words instead: their syllables are no cognates, and would meet English false friends,
            # "trong" -> throng)
            bridge = {"en": state.dictionary.bridge_groups, "vi": state.dictionary.sino_vietnamese_groups,
                      "ko": state.dictionary.sino_korean_groups}
            groups = bridge.get(language, state.dictionary.cognate_groups)(text)
            reached = {w for phrase, _ in groups for w in phrase.split()}
            lang, terms = "en", [zh for _, found in groups for zh in found] + known + [
                t for run in runs for t in tokenize(run)]
            # (in another language, the unknown name is a name CC-CEDICT knows whose Chinese the corpus
            # lacks: German capitalises every noun, so a capital alone says nothing of a name there)
            unknown_name = _has_unknown_name(text, bool(names), reached | set(known)) if language == "en" \
                else proper_absent > 0
            name_words = {w for english in named + aliased for w in english.split()}
            if pinyin_names:
                name_words |= state.names.spelling_words(text)
            absent, content = state.dictionary.absent(text, reached | set(known) | name_words) if language == "en" \
                else (proper_absent, len(proper))
            absent_share = absent / content if content else 0.0
            # what the question asks about, one unit per English word or phrase (any of its Chinese
            # words will do) and per Latin token; the words that spelled a name are the name's unit
            units = [found for phrase, found in groups if not set(phrase.split()) <= name_words] + [[w] for w in known]
            pairs = [(zh, english) for english in named for zh in state.glossary["names"][english]]
            pairs += [(zh, english) for english in aliased for zh in state.glossary["aliases"][english]]
            pairs += list(spelled.items()) + [(zh, phrase) for phrase, found in proper_found + groups + transcribed
                                              for zh in found]
            for zh, english in pairs:
                asked.setdefault(simplified(zh), _as_written(text, english))
        aliases = glossary.chinese(aliased, state.glossary["aliases"])
        for word in names + aliases:
            terms += tokenize(word)
        if lang == "en":
            units += [[simplified(name).lower()] for name in dict.fromkeys(names + aliases)]
        terms = list(dict.fromkeys(terms))
        for_model = in_script(text, state.manifest.get("script") == "traditional") if HAN_RUN.search(text) else text
        return Query(text, lang, tuple(terms), tuple(state.idf(terms)), tuple(dict.fromkeys(names)),
                     truncated, unknown_name, absent_share, state, tuple(tuple(u) for u in units), absent,
                     for_model, tuple(asked.items()), language)

    def background(self) -> np.ndarray:
        """The mean vector of the background paragraphs: shipped for the model the weights were
        trained with, embedded once for any other."""
        if self._background is None:
            stored = load_weights()["background"]
            texts, sha = background_texts()
            if stored.get("model") == self.encoder.name and stored.get("texts_sha256") == sha:
                self._background = np.asarray(stored["mean"], np.float32)
            else:
                self._background = self.encoder.encode_passages(texts).mean(axis=0).astype(np.float32)
        return self._background

    def search(self, question: str, k: int = 5) -> list[Hit]:
        return self.search_batch([question], k)[0]

    def search_batch(self, questions: Sequence[str], k: int = 5) -> list[list[Hit]]:
        return self.search_queries([self.analyse(q) for q in questions], k)

    def search_queries(self, queries: Sequence[Query], k: int = 5) -> list[list[Hit]]:
        """Rank passages for questions already analysed (see ``analyse``)."""
        return [self.hits(r, k) for r in self.rank_queries(queries)]

    def rank_queries(self, queries: Sequence[Query]) -> list[Ranking]:
        """Score every candidate passage of each question (the features the ranker and tuning use),
        each on the build it was analysed on."""
        vectors = self.encoder.encode_queries([q.for_model or q.text for q in queries])
        return [self._rank(q.snapshot or self._current(), q, towards_chinese(v, q.language, self.encoder.name))
                for q, v in zip(queries, vectors, strict=True)]

    def _rank(self, state: Snapshot, query: Query, vector: np.ndarray) -> Ranking:
        ids = state.candidates(vector, candidate_terms(query))
        found = state.fetch(ids, vector, query.terms)
        best_sentence = np.array([max(s.max(initial=-1.0), c) if len(s) else c
                                  for s, c in zip(found.sentence_cos, found.passage_cos, strict=True)], np.float32)
        texts = state.folded(found.passages)  # simplified and lower-cased, offsets unchanged
        characters = character_weights(simplified(_han_source(query)), texts)
        sentences = [[text[a - p.start : b - p.start] for a, b in spans]
                     for p, text, spans in zip(found.passages, texts, found.spans, strict=True)]
        names = [simplified(name).lower() for name in query.names]
        features = passage_features(CandidateContext(
            passage_cos=found.passage_cos, sentence_cos=best_sentence, bm25=found.bm25,
            coverage=term_coverage(texts, query.terms, query.idf), characters=character_overlap(texts, characters),
            named=np.array([any(name in t for name in names) for t in texts], np.float32),
            lengths=np.array([len(t) for t in texts], np.float32), boilerplate=found.boilerplate,
            rarest=holds_rarest(texts, query.terms, query.idf), numbers=number_match(query.text, texts),
            sentence_coverage=best_sentence_share(sentences, dict(zip(query.terms, query.idf, strict=True))),
            sentence_characters=best_sentence_share(sentences, characters)))
        scores = score(features, load_weights()["rank"][query.model])
        # (a build without passages has no mean vector: the background's stands in, so the feature
        # that reads it, lead_over_corpus, keeps its usual scale)
        background_cos = float(self.background() @ vector)
        corpus_cos = float(state.centroid @ vector) if len(state.centroid) == len(vector) else background_cos
        return Ranking(query, found, ids, features, scores, characters, background_cos, texts, state.size, corpus_cos)

    def sentence_rows(self, ranking: Ranking, row: int) -> tuple[list[tuple[int, int]], list[str], np.ndarray]:
        """Document offsets, texts and scoring.SENTENCE_FEATURES of the sentences of candidate ``row``."""
        found = ranking.candidates
        p = found.passages[row]
        spans = found.spans[row]
        cos = (found.sentence_cos[row] if len(found.sentence_cos[row])
               else ranking.features[row, [_PASSAGE_COS]])  # one sentence: the passage's own cosine
        # the sentences as matched (simplified, lower case): offsets are those of the passage as written
        folded = ranking.folded[row]
        texts = [folded[a - p.start : b - p.start] for a, b in spans]
        query = ranking.query
        return spans, texts, sentence_features(simplified(query.text), texts, cos.astype(np.float32), query.terms,
                                               query.idf, ranking.characters)

    def hits(self, ranking: Ranking, k: int = 5) -> list[Hit]:
        """The k best candidates of a ranking as hits, each with its evidence sentences."""
        evidence_model = load_weights()["evidence"][ranking.query.model]
        hits = []
        for rank, row in enumerate(ranking.order()[: max(1, int(k))], 1):
            spans, texts, table = self.sentence_rows(ranking, row)
            chosen = pick_evidence(table, evidence_model, EVIDENCE_MARGIN)
            p = ranking.passages[row]
            evidence: list[tuple[int, int]] = []
            for span in (with_antecedent(spans, texts, s) for s in chosen):
                if not any(a <= span[0] and span[1] <= b for a, b in evidence):  # (already inside one)
                    evidence.append(span)
            hits.append(Hit(p, rank, float(ranking.scores[row]), float(ranking.features[row, _PASSAGE_COS]),
                            float(ranking.features[row, _BM25]), tuple(evidence)))
        return hits



__all__ = ["Hit", "Query", "Ranking", "Retriever", "clean_question"]
