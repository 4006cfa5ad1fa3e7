"""Retrieval metrics on question files: recall@k, MRR@10, evidence, refusals, per language.

A question file is JSON lines ``{"id", "lang", "q", "gold": [substrings]}`` (optionally
``"turns": [...]``, the earlier questions of a conversation), or a SQuAD-format file (see
``squad.py``). A passage answers a question when, with all whitespace removed from both, it
contains one of the gold strings (and, for SQuAD questions, comes from the question's own
context). Questions with an empty gold list are unanswerable by design: the right reply is
"the text does not say".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from .answer import Answer, answer
from .errors import RagError
from .lexical import tokenize
from .retriever import Hit, Retriever
from .scoring import PASSAGE_FEATURES

SEARCH_DEPTH = 10  # MRR@10: hits beyond the tenth count as not found


@dataclass
class Report:
    """Per question: the rank of the first right passage, its language, whether it was refused."""

    ranks: dict[str, int | None] = field(default_factory=dict)  # question id -> 1-based rank
    langs: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    refused: dict[str, bool] = field(default_factory=dict)  # answered=False
    evidence: dict[str, bool] = field(default_factory=dict)  # top-1 evidence sentence holds the answer
    unanswerable: set[str] = field(default_factory=set)
    # the reading aid over quoted evidence, English questions answered (Answer.gloss): Chinese content
    # words, those with an English gloss; words the question reached, those shown in its own words
    glossed: dict[str, tuple[int, int, int, int, int]] = field(default_factory=dict)

    def record(self, question: dict, hits: list[Hit], refused: bool) -> None:
        """One question's outcome: where its first right passage ranks, and whether it was refused."""
        qid = question["id"]
        self.ranks[qid] = first_right(question, hits)
        self.langs[qid] = question["lang"]
        self.questions[qid] = question["q"]
        self.refused[qid] = refused
        self.evidence[qid] = self.ranks[qid] == 1 and any(
            squash(g) in squash(hits[0].evidence) for g in question["gold"])
        if not question["gold"]:
            self.unanswerable.add(qid)

    def metrics(self, lang: str | None = None) -> dict:
        ids = [i for i in self.ranks if lang is None or self.langs[i] == lang]
        answerable = [i for i in ids if i not in self.unanswerable]
        off = [i for i in ids if i in self.unanswerable]
        n = len(answerable)
        out: dict = {"n": n}
        for k in (1, 3, 5):
            out[f"recall@{k}"] = ratio(sum(1 for i in answerable if (self.ranks[i] or 99) <= k), n)
        out["mrr@10"] = ratio(sum(1 / r for i in answerable if (r := self.ranks[i]) and r <= SEARCH_DEPTH), n)
        out["evidence@1"] = ratio(sum(self.evidence[i] for i in answerable), n)
        # the same among questions whose top passage is right: the sentence choice alone
        right = [i for i in answerable if self.ranks[i] == 1]
        out["evidence@1_right_passage"] = ratio(sum(self.evidence[i] for i in right), len(right))
        out["wrongly_refused"] = sum(1 for i in answerable if self.refused[i])
        out["refused_share"] = ratio(out["wrongly_refused"], n)
        counted = [self.glossed[i] for i in ids if i in self.glossed]
        if counted:
            words, glossed, whole, asked, shown = (sum(c[j] for c in counted) for j in range(5))
            out["gloss"] = {"questions": len(counted), "content_words": words, "glossed_share": ratio(glossed, words),
                            "whole_word_share": ratio(whole, words), "asked_words": asked,
                            "asked_shown_share": ratio(shown, asked)}
        if off:
            out["off_corpus"] = {"n": len(off), "recognised": sum(self.refused[i] for i in off),
                                 "recognised_share": ratio(sum(self.refused[i] for i in off), len(off))}
        return out

    def summary(self) -> dict:
        out = self.metrics()
        out["by_language"] = {lang: self.metrics(lang) for lang in sorted(set(self.langs.values()))}
        out["missed"] = [{"id": i, "lang": self.langs[i], "q": self.questions[i], "rank": self.ranks[i]}
                         for i in self.ranks if i not in self.unanswerable and self.ranks[i] != 1]
        return out


def ratio(a: float, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def squash(text: str) -> str:
    return "".join(text.split())


def read_questions(path: Path) -> list[dict]:
    """Question dicts from a JSON-lines file; raises RagError naming the bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RagError(f"cannot read question file {path}: {exc.strerror}") from exc
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            turns = [str(t) for t in item.get("turns", [])]
            q = item["q"] if "q" in item else turns[-1]
            questions.append({"id": str(item.get("id", number)), "lang": item.get("lang", "?"), "q": q,
                              "gold": list(item.get("gold", [])), "history": turns[:-1] if turns else []})
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise RagError(f"{path}:{number}: not a question line "
                           f'(expected {{"q": ..., "gold": [...]}} or {{"turns": [...], "gold": [...]}}): '
                           f"{exc}") from exc
    return questions


def is_right(question: dict, text: str) -> bool:
    """Does a passage (or sentence) ``text`` answer ``question``?"""
    squashed = squash(text)
    if question.get("context") and not (squashed in squash(question["context"])
                                        or squash(question["context"]) in squashed):
        return False
    return any(squash(g) in squashed for g in question["gold"])


def first_right(question: dict, hits: list[Hit]) -> int | None:
    return next((h.rank for h in hits if is_right(question, h.text)), None)


def evaluate(retriever: Retriever, questions: list[dict]) -> Report:
    """Ask every question (with its history, if any) and record ranks, evidence and refusals."""
    report = Report()
    for q in questions:
        result = answer(retriever, q["q"], SEARCH_DEPTH, history=q.get("history") or None)
        report.record(q, result.hits, refused=not result.answered)
        if result.lang == "en" and result.quoted:
            report.glossed[q["id"]] = gloss_counts(result)
    return report


def gloss_counts(result: Answer) -> tuple[int, int, int, int, int]:
    """(Chinese content words, those glossed in English, those read as whole words rather than in
    parts, words the question reached, those shown in the question's own words) over an answer's
    quoted evidence."""
    asked = dict(result.asked)
    words = [w for hit in result.quoted for w in result.gloss(hit) if w.is_content]
    reached = [w for w in words if w.text in asked]
    return (len(words), sum(bool(w.english) for w in words), sum(w.whole for w in words), len(reached),
            sum(w.english == asked[w.text] for w in reached))


def baseline_report(retriever: Retriever, questions: list[dict], method: str) -> Report:
    """Ranks of plain e5 (passage cosine) or plain BM25 (the question's own jieba tokens), same index."""
    column = PASSAGE_FEATURES.index({"e5": "passage_cos", "bm25": "bm25"}[method])
    report = Report()
    for q in questions:
        if not q["gold"]:
            continue
        query = replace(retriever.analyse(q["q"]), for_model="")  # the question as asked, in its own script
        if method == "bm25":
            terms = tuple(dict.fromkeys(tokenize(query.text)))
            query = replace(query, terms=terms, idf=(1.0,) * len(terms), names=())
        ranking = retriever.rank_queries([query])[0]
        plain = replace(ranking, scores=ranking.features[:, column])
        report.record(q, retriever.hits(plain, SEARCH_DEPTH), refused=False)
    return report
