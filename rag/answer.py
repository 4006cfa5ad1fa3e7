"""Answers: the retrieved passages, and whether the corpus answers the question at all."""

from __future__ import annotations

from dataclasses import dataclass

from .retriever import Hit, Query, Retriever

# "The text does not say", chosen on our own question sets (eval/), see README. e5's cosines
# sit higher for Chinese questions over Chinese text than for English ones, so each language
# has its own bars: a best passage this close answers outright ...
SURE_DENSE = {"zh": 0.87, "en": 0.83}
# ... or, above a lower bar, when it holds enough of the question's (bridged) terms.
MIN_DENSE = {"zh": 0.80, "en": 0.70}
MIN_TERM_COVERAGE = 0.25


@dataclass(frozen=True)
class Answer:
    """The hits for a question; ``answered`` is False when the corpus does not answer it."""

    question: str
    lang: str
    hits: list[Hit]
    answered: bool
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"question": self.question, "lang": self.lang, "answered": self.answered,
                "notes": list(self.notes), "hits": [h.to_dict() for h in self.hits]}


def term_coverage(query: Query, hit: Hit) -> float:
    """Share of the question's lexical terms that occur in the passage."""
    if not query.terms:
        return 0.0
    text = hit.text.lower()
    return sum(t in text for t in query.terms) / len(query.terms)


def is_answered(query: Query, hits: list[Hit]) -> bool:
    if not hits:
        return False
    top = hits[0]
    if top.dense >= SURE_DENSE[query.lang]:
        return True
    return top.dense >= MIN_DENSE[query.lang] and term_coverage(query, top) >= MIN_TERM_COVERAGE


def answer(retriever: Retriever, question: str, k: int = 5) -> Answer:
    """Retrieve for ``question`` and decide whether the corpus answers it."""
    query = retriever.analyse(question)
    hits = retriever.search_queries([query], k)[0]
    notes = []
    if query.truncated:
        notes.append(f"the question was cut to its first {len(query.text)} characters")
    return Answer(query.text, query.lang, hits, is_answered(query, hits), tuple(notes))
