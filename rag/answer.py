"""Answers: the retrieved passages, and whether the corpus answers the question at all."""

from __future__ import annotations

from dataclasses import dataclass

from .retriever import Hit, Query, Retriever

# "The text does not say": chosen on our own question sets (eval/), see README.
ANSWER_MIN_DENSE = 0.84  # the best passage is this close to the question: answered
ANSWER_MIN_DENSE_WITH_TERMS = 0.80  # or somewhat close, and it shares the question's terms
MIN_TERM_COVERAGE = 0.5  # share of the question's terms found in the best passage


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
    if top.dense >= ANSWER_MIN_DENSE:
        return True
    return top.dense >= ANSWER_MIN_DENSE_WITH_TERMS and term_coverage(query, top) >= MIN_TERM_COVERAGE


def answer(retriever: Retriever, question: str, k: int = 5) -> Answer:
    """Retrieve for ``question`` and decide whether the corpus answers it."""
    query = retriever.analyse(question)
    hits = retriever.search_queries([query], k)[0]
    notes = []
    if query.truncated:
        notes.append(f"the question was cut to its first {len(query.text)} characters")
    return Answer(query.text, query.lang, hits, is_answered(query, hits), tuple(notes))
