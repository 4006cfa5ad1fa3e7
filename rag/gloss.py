"""A reading aid for quoted Chinese: every word of an evidence sentence with its pinyin and English.

For a reader who asked in English and cannot read the Chinese that answers them. Offline:

- words and their kind (a name, a number) are cut by jieba, with the corpus's own words;
- readings and senses come from CC-CEDICT, the dictionary the English bridge already uses;
- a word the question reached is shown in the question's own words ("中小企业" = "SMEs",
  "孙华芹" = "Sun Huaqin"): ``Query.asked``;
- a name the dictionary lacks is spelled in pinyin ("Zhang Tianren"); a word it lacks is read in
  the parts it knows ("普惠性" = "universal benefit + nature");
- numbers, Latin words and punctuation read as they are.

    >>> [(w.text, w.english) for w in gloss("孙华芹建议政府出台政策", 0, {"孙华芹": "Sun Huaqin"})][:2]
    [('孙华芹', 'Sun Huaqin'), ('建议', 'to propose')]
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from .bridge import cedict_entries
from .lexical import is_han, load_jieba, simplified, unaccented

MAX_SENSES = 3  # senses shown on hover: the commonest come first in CC-CEDICT
# jieba's tags of words that carry no content of their own: particles, prepositions, conjunctions,
# modal and onomatopoeic words, pronouns, numerals (read as they are), punctuation
FUNCTION_TAGS = ("u", "p", "c", "y", "e", "o", "r", "m", "x", "w", "q")
NAME_TAGS = ("nr", "ns")  # a person or a place: spelled in pinyin when the dictionary lacks it
_NOISE = re.compile(r"^(?:CL:|variant of|old variant of|see |also written|abbr\. for|used in)", re.IGNORECASE)
_TONE_MARKS = {"a": "āáǎà", "e": "ēéěè", "i": "īíǐì", "o": "ōóǒò", "u": "ūúǔù", "ü": "ǖǘǚǜ"}


@dataclass(frozen=True)
class Word:
    """One word of quoted text: where it is (document offsets), how it reads, what it means."""

    start: int
    end: int
    text: str
    pinyin: str = ""  # with tone marks; "" where the text is not Chinese
    senses: tuple[str, ...] = ()  # CC-CEDICT's English senses, commonest first
    asked: str = ""  # the question's own words for it, when the question reached it
    name: str = ""  # a name the dictionary lacks, spelled in pinyin
    tag: str = ""  # jieba's part of speech
    whole: bool = False  # read as one word (the question's, a name, a dictionary entry), not in parts

    @property
    def is_content(self) -> bool:
        """A Chinese word with meaning of its own (not a particle, pronoun, number or mark)."""
        return any(is_han(c) for c in self.text) and not self.tag.startswith(FUNCTION_TAGS)

    @property
    def english(self) -> str:
        """What to show under the word: the question's words, the name, or the first sense, short."""
        return self.asked or self.name or (short(self.senses[0]) if self.senses else "")

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text, "pinyin": self.pinyin,
                "english": self.english, "senses": list(self.senses), "asked": self.asked}


def short(sense: str) -> str:
    """A sense as one short phrase: "to propose; to suggest" -> "to propose", asides left out."""
    sense = re.sub(r"\s*\([^)]*\)", "", sense.split(";")[0]).strip()  # asides: "(abbr. for …)", "(bound form)"
    return sense or "…"


def tone_marks(syllables: str) -> str:
    """CC-CEDICT's numbered pinyin with tone marks: "zhong1 xiao3" -> "zhōng xiǎo"."""
    out = []
    for syllable in syllables.split():
        syllable = syllable.replace("u:", "ü").replace("v", "ü")
        tone = syllable[-1] if syllable[-1:].isdigit() else "5"
        syllable = syllable.rstrip("12345")
        if tone in "1234":
            lower = syllable.lower()
            # the mark goes on a or e, on the o of "ou", else on the last vowel
            at = next((lower.index(v) for v in "ae" if v in lower), -1)
            if at < 0:
                at = lower.index("o") if "ou" in lower else max((i for i, c in enumerate(lower) if c in "iouü"),
                                                                default=-1)
            if at >= 0:
                mark = _TONE_MARKS[lower[at]][int(tone) - 1]
                syllable = syllable[:at] + (mark.upper() if syllable[at].isupper() else mark) + syllable[at + 1 :]
        out.append(syllable)
    return " ".join(out)


@cache
def readings() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Simplified word -> (pinyin with tone marks, English senses), from CC-CEDICT (parsed once, about
    a second). A word's common reading comes before its reading as a surname or place."""
    found: dict[str, list[tuple[bool, str, list[str]]]] = {}
    for word, pinyin, senses in cedict_entries():
        kept = [s for s in senses if s and not _NOISE.match(s)]
        # a reading whose first sense is a variant's or a measure word's is a rare one
        rare = pinyin[:1].isupper() or not kept or bool(_NOISE.match(senses[0]))
        found.setdefault(word, []).append((rare, pinyin, kept))
    out = {}
    for word, entries in found.items():
        # common readings first: 孙 "grandson" before the surname "Sun", 华 huá before a variant's huā
        entries.sort(key=lambda e: e[0])
        meanings = tuple(dict.fromkeys(s for _, _, kept in entries for s in kept))[:MAX_SENSES]
        out[word] = (tone_marks(entries[0][1]), meanings)
    return out


def _spelled_name(text: str) -> tuple[str, str]:
    """(pinyin, name as written in English: "Zhāng Tiānrèn", "Zhang Tianren") of a Chinese name."""
    table = readings()
    syllables = [table[c][0] if c in table else c for c in text]
    plain = [unaccented(s) for s in syllables]
    spelled = plain[0].capitalize() + (" " + "".join(plain[1:]).capitalize() if len(plain) > 1 else "")
    return " ".join(syllables), spelled


def _in_parts(text: str) -> tuple[str, tuple[str, ...]]:
    """Pinyin and a sense of a word CC-CEDICT lacks, read as the longest words it knows, left to right."""
    table = readings()
    pinyin, senses, i = [], [], 0
    while i < len(text):
        j = next((j for j in range(min(len(text), i + 6), i, -1) if text[i:j] in table), i + 1)
        reading = table.get(text[i:j])
        pinyin.append(reading[0] if reading else text[i:j])
        if reading and reading[1]:
            senses.append(short(reading[1][0]))
        i = j
    return " ".join(pinyin), ((" + ".join(senses),) if senses else ())


def gloss(text: str, start: int = 0, asked: Mapping[str, str] | None = None,
          names: Mapping[str, str] | None = None) -> list[Word]:
    """Every word of ``text`` (which begins at document offset ``start``), read in English.

    ``asked``: simplified Chinese -> the question's own words for it (``Query.asked``); ``names``:
    simplified Chinese -> its English name (the user's glossary, ``english_names``).
    """
    asked, names = asked or {}, names or {}
    table = readings()
    words = []
    senses: tuple[str, ...]
    for begin, end, word, flag in _cut(simplified(text), [*asked, *names]):  # simplified keeps every offset
        shown = text[begin:end]
        if not any(is_han(c) for c in word):
            words.append(Word(start + begin, start + end, shown, tag=flag))  # numbers, Latin, marks: as they are
            continue
        whole, senses = True, ()
        if word in names:
            pinyin, name = _in_parts(word)[0], names[word]
        elif word in table:
            pinyin, senses = table[word]
            name = ""
        elif flag.startswith(NAME_TAGS):
            pinyin, name = _spelled_name(word)
        else:
            (pinyin, senses), name = _in_parts(word), ""
            whole = word in asked
        words.append(Word(start + begin, start + end, shown, pinyin, senses, asked.get(word, ""), name, flag, whole))
    return words


def _cut(text: str, known: Sequence[str]) -> list[tuple[int, int, str, str]]:
    """(start, end, word, jieba tag) of every word of ``text``: the ``known`` words whole wherever they
    occur (a name jieba would cut apart), jieba's cut between them."""
    import jieba.posseg  # (jieba itself is loaded by load_jieba, with the corpus's own words)

    load_jieba()
    pattern = "|".join(re.escape(k) for k in sorted((k for k in known if k), key=len, reverse=True))
    out, at = [], 0
    for found in list(re.finditer(pattern, text)) if pattern else []:
        out += _jieba_cut(jieba.posseg, text, at, found.start())
        out.append((found.start(), found.end(), found.group(0), "nz"))
        at = found.end()
    return out + _jieba_cut(jieba.posseg, text, at, len(text))


def _jieba_cut(posseg, text: str, begin: int, end: int) -> list[tuple[int, int, str, str]]:
    out, at = [], begin
    for piece in posseg.lcut(text[begin:end]):
        out.append((at, at + len(piece.word), piece.word, piece.flag))
        at += len(piece.word)
    return out


_SMALL_WORDS = frozenset({"of", "and", "the", "for", "in", "on", "at", "to", "de", "a", "an"})


def _capitalised(word: str) -> str:
    """A word of a name as names are written (the glossary keeps them lower-cased): one without a
    vowel is an acronym ("npc" -> "NPC"); "li", "yi", "of" are not."""
    if word in _SMALL_WORDS:
        return word
    if word.isalpha() and not set(word) & set("aeiouy"):
        return word.upper()
    return word.capitalize()


def english_names(glossary: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The user's glossary (English, lower-cased -> the text's Chinese) turned round: simplified
    Chinese -> the English name, capitalised, with the letters the Chinese itself writes ("SK")."""
    out = {}
    for english, chinese in glossary.items():
        for zh in chinese:
            latin = {w.lower(): w for w in re.findall(r"[A-Za-z]+", zh)}
            out[simplified(zh)] = " ".join(latin.get(w, _capitalised(w)) for w in english.split())
    return out


def word_by_word(words: list[Word]) -> str:
    """One English line for a glossed sentence: each word's English, or the word itself."""
    return " ".join(w.english or w.text for w in words if w.text.strip())
