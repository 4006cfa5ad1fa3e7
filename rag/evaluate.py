"""Retrieval metrics on question files: recall@k, MRR@10, per language, and refusals.

A question file is JSON lines: {"id", "lang", "q", "gold": [substrings]}. A passage
answers a question when, with all whitespace removed from both, it contains one of
the gold strings. Questions with an empty gold list are unanswerable by design.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .answer import answer
from .errors import RagError
from .retriever import Retriever

SEARCH_DEPTH = 10


@dataclass
class Report:
    n: int = 0
    ranks: dict[str, int | None] = field(default_factory=dict)  # question id -> 1-based rank
    langs: dict[str, str] = field(default_factory=dict)
    questions: dict[str, str] = field(default_factory=dict)
    refused: dict[str, bool] = field(default_factory=dict)  # answered=False
    unanswerable: set[str] = field(default_factory=set)

    def metrics(self, lang: str | None = None) -> dict:
        ids = [i for i in self.ranks if i not in self.unanswerable
               and (lang is None or self.langs[i] == lang)]
        n = len(ids)
        out: dict = {"n": n}
        for k in (1, 3, 5):
            out[f"recall@{k}"] = _ratio(sum(1 for i in ids if (self.ranks[i] or 99) <= k), n)
        out["mrr@10"] = _ratio(sum(1 / r for i in ids if (r := self.ranks[i]) and r <= 10), n)
        out["wrongly_refused"] = sum(1 for i in ids if self.refused[i])
        return out

    def summary(self) -> dict:
        out = self.metrics()
        out["by_language"] = {lang: self.metrics(lang) for lang in sorted(set(self.langs.values()))}
        out["missed"] = [{"id": i, "lang": self.langs[i], "q": self.questions[i],
                          "rank": self.ranks[i]} for i in self.ranks
                         if i not in self.unanswerable and self.ranks[i] != 1]
        if self.unanswerable:
            out["unanswerable"] = {"n": len(self.unanswerable),
                                   "recognised": sum(self.refused[i] for i in self.unanswerable)}
        return out


def _ratio(a: float, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def squash(text: str) -> str:
    return "".join(text.split())


def read_questions(path: Path) -> list[dict]:
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
            questions.append({"id": str(item.get("id", number)), "lang": item.get("lang", "?"),
                              "q": item["q"], "gold": list(item.get("gold", []))})
        except (ValueError, KeyError, TypeError) as exc:
            raise RagError(f"{path}:{number}: not a question line "
                           f'(expected {{"q": ..., "gold": [...]}}): {exc}') from exc
    return questions


def evaluate(retriever: Retriever, questions: list[dict]) -> Report:
    report = Report(n=len(questions))
    for q in questions:
        result = answer(retriever, q["q"], SEARCH_DEPTH)
        gold = [squash(g) for g in q["gold"]]
        rank = next((h.rank for h in result.hits if any(g in squash(h.text) for g in gold)), None)
        report.ranks[q["id"]] = rank
        report.langs[q["id"]] = q["lang"]
        report.questions[q["id"]] = q["q"]
        report.refused[q["id"]] = not result.answered
        if not gold:
            report.unanswerable.add(q["id"])
    return report
