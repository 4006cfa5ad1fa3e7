"""Answers: the retrieved passages, how sure we are that the corpus answers, and what to quote.

Every answer decision lives here; the CLI and the web chat only render an ``Answer``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .asked import PASSAGES_READ, unsaid
from .followup import complete
from .gloss import Word, english_names, gloss
from .lexical import general_rarity
from .retriever import Hit, Ranking, Retriever, clean_question
from .scoring import QuestionFacts, confidence, load_weights, question_features, term_coverage, unit_coverage

# Quote a second hit beside the first when its ranking score is this close (logit units:
# within 0.5 the ranker's odds for the two differ by less than a factor of ~1.6).
LEAD_MARGIN = 0.5


@dataclass(frozen=True)
class Answer:
    """The hits for a question; ``answered`` is False when the corpus does not answer it."""

    question: str
    lang: str
    hits: list[Hit]
    confidence: float  # estimated probability that the corpus answers the question
    # confidence at or above the operating point (scoring weights' answer_threshold), unless the
    # question asks for a kind of fact none of the best passages says (rag/asked.py: notes say which)
    answered: bool
    notes: tuple[str, ...] = ()
    understood_as: str | None = None  # the question as completed from the conversation, if it was
    terms: tuple[str, ...] = field(default=())  # the Chinese terms and names the question was matched by
    # the corpus's Chinese words an English question reached, with its own words for them (Query.asked)
    asked: tuple[tuple[str, str], ...] = field(default=())
    names: tuple[tuple[str, str], ...] = field(default=())  # the user's glossary: Chinese -> English name

    @property
    def quoted(self) -> list[Hit]:
        """The hits to quote as the answer: the best, and the second when nearly as good; none if unanswered."""
        if not self.answered or not self.hits:
            return []
        return [h for h in self.hits[:2] if h.score >= self.hits[0].score - LEAD_MARGIN]

    def gloss(self, hit: Hit) -> list[Word]:
        """The reading aid for ``hit``'s evidence sentences, in reading order: each word with its
        pinyin and English, the question's own words for those it reached (gloss.py)."""
        asked, names = dict(self.asked), dict(self.names)
        return [word for a, b in sorted(hit.evidence_spans)
                for word in gloss(hit.passage.text_at(a, b), a, asked, names)]

    def to_dict(self) -> dict:
        return {"question": self.question, "lang": self.lang, "answered": self.answered,
                "confidence": round(self.confidence, 4), "understood_as": self.understood_as,
                "notes": list(self.notes), "hits": [h.to_dict() for h in self.hits]}


def question_facts(ranking: Ranking) -> QuestionFacts:
    """What the confidence reads of a ranked question besides its candidates' features."""
    query = ranking.query
    rarity = general_rarity(query.terms)
    total = sum(rarity)
    absent = sum(w for w, idf in zip(rarity, query.idf, strict=True) if idf <= 0) / total if total else 0.0
    coverage = term_coverage(ranking.folded, query.terms, rarity)
    units = unit_coverage(ranking.folded, query.units, query.missing_units)
    return QuestionFacts(bool(query.terms), query.unknown_name, ranking.background_cos, query.absent_share,
                         ranking.corpus_size, absent, tuple(float(c) for c in coverage),
                         tuple(float(u) for u in units), ranking.corpus_cos)


def answer_confidence(ranking: Ranking) -> float:
    """Probability that the corpus answers the ranked question (learned, see scoring.py)."""
    if not ranking.ids:
        return 0.0
    model = load_weights()["confidence"][ranking.query.model]
    return confidence(question_features(ranking.features, ranking.scores, question_facts(ranking)), model)


def is_answered(probability: float, language: str, group: str) -> bool:
    """The operating point: a bar per language (else per group of languages, language.model_group),
    set in training to refuse a set share of answerable questions out of fold (``MAX_REFUSED`` in
    rag/training.py; what it refuses: bench/RESULTS.md)."""
    bars = load_weights()["answer_threshold"]
    return probability >= bars.get(language, bars[group])


def answer(retriever: Retriever, question: str, k: int = 5, history: list[str] | None = None) -> Answer:
    """Retrieve for ``question`` and decide whether the corpus answers it."""
    from .checks import earlier_questions, passages_wanted

    # The caller's arguments are checked, and cut, before any retrieval work.
    k = passages_wanted(k)
    turns = earlier_questions(history)
    understood = complete(clean_question(question)[0], turns, retriever) if turns else None
    query = retriever.analyse(understood or question)
    ranking = retriever.rank_queries([query])[0]
    hits = retriever.hits(ranking, k)
    notes = []
    if query.truncated:
        notes.append(f"the question was cut to its first {len(query.text)} characters")
    probability = answer_confidence(ranking)
    answered = is_answered(probability, query.language, query.model)
    # The passages match the question, but it asks for what none of them can hold ("How old is
    # Zhang Fan?" over passages that name him and give no age): the text does not say (rag/asked.py).
    attribute = unsaid(query.text, query.language,
                       [ranking.folded[row] for row in ranking.order()[:PASSAGES_READ]]) if answered else None
    if attribute is not None:
        answered = False
        notes.append(f"最接近的段落都没有说{attribute.name_zh}" if query.lang == "zh" else
                     f"none of the closest passages says {attribute.name}")
    return Answer(query.text, query.lang, hits, probability, answered,
                  tuple(notes),
                  understood, query.names + tuple(t for t in query.terms if t not in query.names), query.asked,
                  tuple(english_names(query.snapshot.glossary["names"]).items()) if query.snapshot else ())
