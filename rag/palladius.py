"""Chinese names as Russian writes them (the Palladius system) read back as pinyin.

A Russian question writes 孙华芹 as "Сунь Хуацинь" and 浙江 as "Чжэцзян": each Cyrillic
syllable stands for one pinyin syllable, by fixed rules. Turned back into pinyin ("sun huaqin"),
the name reaches the corpus through the same bridge as a name spelled in pinyin
(bridge.PinyinNames).

    >>> to_pinyin("Хуацинь"), to_pinyin("Чжэцзян"), to_pinyin("Москва")
    ('huaqin', 'zhejiang', None)
"""

from __future__ import annotations

import re
from functools import cache

from .bridge import fewest_pieces, syllables

_INITIALS = {"b": "б", "p": "п", "m": "м", "f": "ф", "d": "д", "t": "т", "n": "н", "l": "л", "g": "г", "k": "к",
             "h": "х", "j": "цз", "q": "ц", "x": "с", "zh": "чж", "ch": "ч", "sh": "ш", "r": "ж", "z": "цз",
             "c": "ц", "s": "с"}
# Finals after an initial; "i", "u" and "ü" families are softened or spelled apart below.
_FINALS = {"a": "а", "o": "о", "e": "э", "ai": "ай", "ei": "эй", "ao": "ао", "ou": "оу", "an": "ань",
           "en": "энь", "ang": "ан", "eng": "эн", "ong": "ун", "er": "эр", "i": "и", "ia": "я", "ie": "е",
           "iao": "яо", "iu": "ю", "ian": "янь", "in": "инь", "iang": "ян", "ing": "ин", "iong": "юн", "u": "у",
           "ua": "уа", "uo": "о", "uai": "уай", "ui": "уй", "uan": "уань", "un": "унь", "uang": "уан",
           "v": "юй", "ve": "юэ", "van": "юань", "vn": "юнь", "ue": "юэ"}
# Syllables without an initial, as Palladius writes them.
_ALONE = {"a": "а", "ai": "ай", "an": "ань", "ang": "ан", "ao": "ао", "e": "э", "ei": "эй", "en": "энь",
          "eng": "эн", "er": "эр", "o": "о", "ou": "оу", "yi": "и", "ya": "я", "yao": "яо", "ye": "е", "you": "ю",
          "yan": "янь", "yin": "инь", "yang": "ян", "ying": "ин", "yong": "юн", "yu": "юй", "yue": "юэ",
          "yuan": "юань", "yun": "юнь", "wu": "у", "wa": "ва", "wo": "во", "wai": "вай", "wei": "вэй",
          "wan": "вань", "wen": "вэнь", "wang": "ван", "weng": "вэн"}


def cyrillic(syllable: str) -> str | None:
    """The Palladius spelling of one toneless pinyin syllable ("ü" as "v"), or None."""
    if syllable in _ALONE:
        return _ALONE[syllable]
    initial = next((i for i in ("zh", "ch", "sh") if syllable.startswith(i)), syllable[:1])
    final = syllable[len(initial):]
    if initial not in _INITIALS or not final:
        return None
    if initial in ("j", "q", "x") and final.startswith("u"):  # ju, que, xuan: u is ü
        final = "v" + final[1:]
    if final == "i" and initial in ("z", "c", "s"):
        return _INITIALS[initial] + "ы"  # zi цзы, ci цы, si сы
    if syllable == "hui":
        return "хуэй"  # (Palladius: 回 хуэй, but 贵 гуй)
    if final not in _FINALS:
        return None
    return _INITIALS[initial] + _FINALS[final]


@cache
def _by_spelling() -> dict[str, str]:
    """Palladius spelling -> pinyin syllable. One spelling is shared, "ло": luo (罗, 洛, a name's
    syllable), not the interjection lo; the longer syllable wins such a tie."""
    out: dict[str, str] = {}
    for syllable in sorted(syllables(), key=lambda s: (-len(s), s)):
        spelled = cyrillic(syllable)
        if spelled:
            out.setdefault(spelled, syllable)
    return out


def to_pinyin(word: str) -> str | None:
    """A Cyrillic word read as Palladius syllables, in pinyin ("Хуацинь" -> "huaqin"); None if it
    is not made of them. Fewer, longer syllables win: "сянь" is xian, not xi an."""
    word = word.lower().replace("ё", "е")
    if not re.fullmatch("[а-яё]+", word):
        return None
    table = _by_spelling()
    pieces = fewest_pieces(word, table, max(map(len, table)))  # (the longest: "цзюань", juan, 6 letters)
    return "".join(table[piece] for piece in pieces) if pieces else None


# A name declined in a Russian sentence takes a case ending: each reading of a question tries one
# way to take it off ("в Чжэцзяне" -> Чжэцзян, "у Чжан Тяньжэня" -> Тяньжэнь, "с Сунь Хуацинем"),
# in this order, and the first that spells a name of the corpus is taken (Retriever.analyse): a
# name read whole is never cut ("Ли Хуа" is not "Ли Ху").
ENDINGS = ((), (("[аяуюеыи]$", ""),), (("[яюе]$", "ь"),), (("(ом|ой)$", ""), ("(ем|ей)$", "ь")))


def romanise(question: str, endings: tuple[tuple[str, str], ...] = ()) -> tuple[str, dict[str, str]]:
    """``question`` with each capitalised Cyrillic word that reads as Palladius syllables written in
    pinyin instead ("Что предложила Сунь Хуацинь?" -> "Что предложила Sun Huaqin?"), and each
    pinyin word -> the Cyrillic it stands for. ``endings``: (pattern, replacement) pairs that take
    a case ending off a word first (one of ENDINGS).

    A word opening the question or a sentence is capitalised whatever it is ("Какая", "Или" read
    as ka ka, yi li): there it counts only as the first of a two-word name ("Сунь Хуацинь …").
    """
    words = list(re.finditer("[А-ЯЁа-яё]+", question))
    readings: list[str | None] = []
    for match in words:
        word, stem = match.group(0), match.group(0)
        for pattern, replacement in endings:
            stem = re.sub(pattern, replacement, stem)
        readings.append(to_pinyin(stem) if word[0].isupper() and len(stem) >= 2 else None)
    out, back, end = [], {}, 0
    for i, match in enumerate(words):
        pinyin, before = readings[i], question[: match.start()].rstrip()
        if pinyin and (not before or before[-1] in ".!?。！？…"):
            followed = i + 1 < len(words) and readings[i + 1] is not None and \
                question[match.end() : words[i + 1].start()] in (" ", "-")
            pinyin = pinyin if followed else None
        if pinyin:
            back[pinyin.capitalize()] = match.group(0)
            out += [question[end : match.start()], pinyin.capitalize()]
            end = match.end()
    return "".join(out) + question[end:], back
