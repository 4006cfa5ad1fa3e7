"""Checks of what callers of the Python API pass, made before any retrieval work.

A wrong ``k`` or ``history`` is a caller's mistake: it gets one clear QuestionError up front,
not a TypeError after the whole retrieval, and a huge history costs no more than a short one.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any

from .errors import QuestionError
from .followup import MAX_HISTORY


def passages_wanted(k: Any) -> int:
    """``k`` as a whole number of passages, at least 1 (numpy's integers too); QuestionError otherwise."""
    wanted = None
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        wanted = operator.index(k)
    elif isinstance(k, float) and math.isfinite(k) and k.is_integer():
        wanted = int(k)
    if wanted is None or wanted < 1:
        raise QuestionError(f"k must be a whole number of passages, at least 1 (got {str(k)[:40]!r})")
    return wanted


def earlier_questions(history: Any) -> list[str]:
    """The conversation's latest earlier questions (oldest first), each cleaned and cut like a question.

    A string is refused rather than read one character at a time; only the last MAX_HISTORY
    questions are looked at, and each is cut to MAX_QUESTION_CHARS before any work on it.
    """
    from .retriever import clean_question

    if history is None:
        return []
    if isinstance(history, str | bytes) or not isinstance(history, Sequence):
        raise QuestionError("history must be a list of earlier questions (strings), oldest first")
    odd = [type(t).__name__ for t in history if not isinstance(t, str)]
    if odd:
        raise QuestionError(f"history must hold strings, not {odd[0]}")
    turns: list[str] = []
    for turn in reversed(history):
        try:
            turns.append(clean_question(turn)[0])
        except QuestionError:  # an empty turn says nothing about what "it" means
            continue
        if len(turns) == MAX_HISTORY:
            break
    return turns[::-1]
