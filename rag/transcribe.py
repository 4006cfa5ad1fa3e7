"""Chinese names as scripts without a pinyin spelling write them, found by their sound.

A Hindi question writes 孙华芹 as "सुन हुआछिन", an Arabic one as "سون هواتشين", a Greek one as
"Σουν Χουατσίν", a Korean one as "쑨화친", a Thai one as "ซุนหัวฉิน". Read in Latin letters
(anyascii) each keeps the name's consonants in order, while vowels come and go with the script
(Arabic writes few, Hebrew and Thai use letters for them). So a name is compared by its
consonants alone, each reduced to a class of sounds that transcriptions of Chinese share: zh, ch,
j, q, z, c, ts, tsh, dzh are one; sh, x, s another; n, ng and a nasal before g another; and so on.
"sun hua qin" and "swn hwtshyn" are both S N H C N.

Such a coarse key would meet ordinary words if every stretch of the corpus were a candidate:
only the corpus's people (jieba's person names, kept with the build) are, and only keys of four
consonant classes or more. Latin and Cyrillic questions are not read here: pinyin and Palladius
spellings reach names already (bridge.PinyinNames, rag/palladius.py).

    >>> sound_key("sun hua qin", pinyin=True), sound_key("swn hwtshyn")
    ('SNHCN', 'SNHCN')
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

from .lexical import load_jieba

MIN_KEY = 4  # consonant classes: a shorter key (于旭波, "yu xu bo": S P) would meet ordinary words
RUN_ON_KEY = 5  # classes: where words are not spaced apart, only a name this long is looked for
# Consonants by class, longest spelling first. Transcriptions of Chinese agree on these classes,
# not on the letters: 张 is zhang in pinyin, "jhang" in Hindi, "tshang" in Arabic, "tzang" in Greek.
_CLASSES = (("tsh", "C"), ("tch", "C"), ("chh", "C"), ("dzh", "C"), ("ngh", "N"), ("ngk", "N"),
            ("zh", "C"), ("jh", "C"), ("ch", "C"), ("ts", "C"), ("tz", "C"), ("dz", "C"), ("sh", "S"),
            ("hs", "S"), ("kh", "H"), ("gh", "K"), ("ph", "P"), ("th", "T"), ("ng", "N"), ("mg", "N"),
            ("j", "C"), ("q", "C"), ("c", "C"), ("z", "C"), ("x", "S"), ("s", "S"), ("n", "N"), ("m", "M"),
            ("h", "H"), ("f", "P"), ("v", "P"), ("p", "P"), ("b", "P"), ("t", "T"), ("d", "T"), ("k", "K"),
            ("g", "K"), ("l", "L"), ("r", "L"))
_SPELLING = re.compile("|".join(spelled for spelled, _ in _CLASSES))
_CLASS = dict(_CLASSES)
# Scripts whose Latin reading needs letters read otherwise first: Greek Χ (anyascii "ch") is h.
# (Hebrew is not read right: it writes o and u with the letter anyascii reads v, and j as ג׳, whose
# geresh ends a word for bridge.letter_runs.)
_REREAD = {"GREEK": (("ch", "h"),)}
# Scripts written without spaces between words (and Korean, whose particles join the name): a
# name may open a longer run ("쑨화친은", "ซุนหัวฉินเสนอ…")
_RUN_ON = ("THAI", "LAO", "KHMER", "MYANMAR", "HANGUL", "HIRAGANA", "KATAKANA")


def sound_key(latin: str, pinyin: bool = False, script: str = "") -> str:
    """The consonant classes of a name read in Latin letters, in order, a class repeated once;
    ``script``: the one it was written in, where that changes how a letter is read (_REREAD)."""
    latin = latin.lower()
    for spelled, said in _REREAD.get(script, ()):
        latin = latin.replace(spelled, said)
    if pinyin:  # pinyin's r is a voiced zh: transcriptions write it l, r or j
        latin = re.sub(r"\br", "l", latin)
    classes = [_CLASS[m.group(0)] for m in _SPELLING.finditer(latin)]
    return "".join(c for i, c in enumerate(classes) if i == 0 or c != classes[i - 1])


def _script(word: str) -> str:
    """The Unicode script of a word's first letter, as the first word of its character name."""
    return unicodedata.name(word[0], "").split(" ")[0]


def readable(word: str) -> bool:
    """Is ``word`` in a script this module reads (not Latin, Cyrillic or Han)?"""
    return _script(word) not in ("LATIN", "CYRILLIC", "CJK", "")


class TranscribedNames:
    """The corpus's people, found in a question by the sound of their names."""

    def __init__(self, people: dict[str, str]):
        # people: Chinese name -> its pinyin, "sun hua qin" (stored with the build); a name is its
        # family name's key and its given name's, "SN" and "HCN"
        self._names: dict[tuple[str, str], list[str]] = {}
        for name, spelled in people.items():
            family, _, given = spelled.partition(" ")
            keys = (sound_key(family, pinyin=True), sound_key(given, pinyin=True))
            if all(keys) and len("".join(keys)) >= MIN_KEY:
                self._names.setdefault(keys, []).append(name)

    def find(self, words: list[str]) -> list[tuple[str, list[str]]]:
        """(the words that spell it, [Chinese names]) for each name of the corpus in ``words``, the
        question's letter runs, in the question's order.

        A name is two words, the family name's and the given name's, each with the same consonant
        classes as the pinyin ("सुन हुआछिन": "sun", "hua qin"); in scripts written without spaces
        (Thai, Korean, Japanese) one run that opens with the whole name's ("ซุนหัวฉินเสนอ…"), of at
        least RUN_ON_KEY classes. On XQuAD's Hindi, Arabic, Greek and Thai questions, over folders of
        up to 300 documents and 1,300 people, looser rules met ordinary words ("दक्षिण", south ->
        杜克森) far more often than names (bench/RESULTS.md, twelfth stop)."""
        if not self._names:
            return []
        keys = [sound_key(anyascii(w), script=_script(w)) if readable(w) else "" for w in words]
        found: list[tuple[str, list[str]]] = []
        i = 0
        while i < len(words):
            names = None
            if i + 1 < len(words) and keys[i] and keys[i + 1]:
                given = keys[i + 1]
                names = self._names.get((keys[i], given))
                if names is None and _script(words[i + 1]) in _RUN_ON:  # "スン・ホワチンは…"
                    names = next((n for (f, g), n in self._names.items() if f == keys[i] and given.startswith(g)), None)
                if names:
                    found.append((f"{words[i]} {words[i + 1]}", names))
                    i += 2
                    continue
            if keys[i] and _script(words[i]) in _RUN_ON:
                names = next((n for (f, g), n in self._names.items()
                              if len(f + g) >= RUN_ON_KEY and keys[i].startswith(f + g)), None)
                if names:
                    found.append((words[i], names))
            i += 1
        return found


def person_names(texts: list[str]) -> set[str]:
    """The people a corpus names: what jieba tags as a person's name (2-4 characters)."""
    import jieba.posseg

    load_jieba()  # (with the corpus's own words, which posseg cuts by too)
    return {pair.word for text in texts for pair in jieba.posseg.cut(text)
            if pair.flag == "nr" and 2 <= len(pair.word) <= 4}
