"""Follow-up questions: complete a question that leans on earlier turns with their subject.

    >>> complete("他建议了什么？", ["张天任是谁？"], retriever)
    '张天任建议了什么？'
    >>> complete("What about funding?", ["What did Sun Huaqin propose for SMEs?"], retriever)
    '孙华芹: What about funding?'

No generator: a question that uses a pronoun or demonstrative (he, its, 他, 其, 该, 这家 …) or
is elliptical ("And what about …?", "那人才呢？") and names no subject of its own gets the
subject (a person or organisation) of the latest earlier turn that had one; the pronoun is
replaced by it, or it is put in front. With no subject anywhere, or for an item of a list ("What
is the second one?", "第一条是什么？"), the previous turn is put in front instead (topic
carry-over). A question naming its own subject is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .lexical import load_jieba

if TYPE_CHECKING:
    from .retriever import Retriever

# "that" is left out: in a question it mostly starts a relative clause, not a reference.
_PRONOUN_EN = re.compile(r"\b(he|she|it|they|him|her|his|its|their|them|these|there(?=\s*[?.!]*\s*$)|"
                         r"this(?!\s+(?:year|month|week|time|round|session|article|text)\b))\b", re.I)
# Matched as whole jieba words, so 其中, 因此, 应该 are not pronouns.
_PRONOUN_ZH = {"他们", "她们", "它们", "这家", "那家", "这位", "那位", "这个", "那个", "这些", "那些", "这项",
               "他", "她", "它", "其", "该", "此", "该公司", "该企业", "那里", "那儿", "这里"}
# A pronoun that points at a person, or at a place or organisation: the subject carried over is
# of that kind when the earlier turn has one ("Who chairs it?" -> the group, "他" -> a person).
_PERSONAL = {"he", "she", "him", "his", "her", "他", "她", "这位", "那位"}
_IMPERSONAL = {"it", "its", "there", "它", "这家", "那家", "该公司", "该企业", "那里", "那儿", "这里"}
_ELLIPSIS_EN = re.compile(r"^\s*(and\b|what about\b|how about\b|what of\b|and what\b)", re.I)
_ELLIPSIS_ZH = re.compile(r"^\s*(那么?|还有|另外)|呢\s*[？?]?\s*$")
# "What is the second one?", "第一条是什么？": an item of a list the previous turn asked about.
_ORDINAL_EN = re.compile(r"\b(first|second|third|fourth|fifth|last)\s+(one|point|item|suggestion|proposal|"
                         r"problem|measure|step)s?\b", re.I)
_ORDINAL_ZH = re.compile(r"第[一二三四五六七八九十\d]+[条个项点步]|最后一[条个项点]")
_ENTITY_TAGS = ("nr", "nt", "ns", "nz")  # jieba part-of-speech: person, organisation, place, other proper noun
MAX_HISTORY = 6  # earlier turns looked at, most recent first


def _zh_pronoun(question: str) -> str | None:
    return next((w for w in load_jieba().lcut(question) if w in _PRONOUN_ZH), None)


def leans_on_history(question: str) -> bool:
    """Does the question use a pronoun, a demonstrative, or ellipsis?"""
    return bool(_PRONOUN_EN.search(question) or _zh_pronoun(question) or _ELLIPSIS_EN.search(question)
                or _ELLIPSIS_ZH.search(question) or _ORDINAL_EN.search(question) or _ORDINAL_ZH.search(question))


def _proper_nouns(text: str, tags: tuple[str, ...] = _ENTITY_TAGS) -> list[str]:
    """Words of ``text`` that jieba tags with one of ``tags`` (two characters or more)."""
    import jieba.posseg

    load_jieba()  # the user dictionary (names of the corpus) is loaded with jieba
    return [w.word for w in jieba.posseg.lcut(text) if w.flag.startswith(tags) and len(w.word) >= 2]


def subjects(question: str, retriever: Retriever) -> list[str]:
    """Names of people and organisations in a question: bridged from pinyin or the glossary, or tagged."""
    names = list(retriever.analyse(question).names)
    return names + [w for w in _proper_nouns(question) if w not in names]


def complete(question: str, history: Sequence[str], retriever: Retriever) -> str | None:
    """The question completed from ``history`` (earlier questions, oldest first), or None if unchanged."""
    turns = [t for t in history if isinstance(t, str) and t.strip()][-MAX_HISTORY:]
    if not turns or not leans_on_history(question) or subjects(question, retriever):
        return None
    zh_pronoun, en_pronoun = _zh_pronoun(question), _PRONOUN_EN.search(question)
    if not (zh_pronoun or en_pronoun) and (_ORDINAL_EN.search(question) or _ORDINAL_ZH.search(question)):
        return f"{turns[-1].strip()} {question.strip()}"  # the list it counts in is the previous turn's
    word = zh_pronoun or (en_pronoun.group(0).lower() if en_pronoun else "")
    subject = next((_of_kind(found, word, turn, retriever) for turn in reversed(turns)
                    if (found := subjects(turn, retriever))), None)
    if subject is None:
        return f"{turns[-1].strip()} {question.strip()}"  # no named subject: carry the topic over
    if zh_pronoun:
        return question.replace(zh_pronoun, subject, 1)
    if en_pronoun:
        return _PRONOUN_EN.sub(subject, question, count=1)
    return f"{subject}: {question.strip()}"


def _is_person(name: str) -> bool:
    return _proper_nouns(name, ("nr",)) == [name]


def _of_kind(names: list[str], pronoun: str, turn: str, retriever: Retriever) -> str:
    """The name among an earlier turn's ``names`` that ``pronoun`` points at.

    "天能控股集团董事长是谁？" then "他建议什么？": the turn names only the group, so the person
    is taken from the passage that answered it (董事长张天任).
    """
    people = [n for n in names if _is_person(n)]
    if pronoun in _IMPERSONAL:
        return next((n for n in names if n not in people), names[0])
    if pronoun not in _PERSONAL:
        return names[0]
    if people:
        return people[0]
    hits = retriever.search(turn, 1)
    answered_by = _proper_nouns(hits[0].text, ("nr",)) if hits else []
    return answered_by[0] if answered_by else names[0]
