"""Chinese names as scripts without a pinyin spelling write them, found by their sound.

A Hindi question writes 孙华芹 as "सुन हुआछिन", an Arabic one as "سون هواتشين", a Greek one as
"Σουν Χουατσίν", a Korean one as "쑨화친", a Thai one as "ซุนหัวฉิน". Read in Latin letters
(anyascii) each keeps the name's consonants in order, while vowels come and go with the script
(Arabic writes few). So a name is compared by its consonants alone, each reduced to a class of
sounds that transcriptions of Chinese share: zh, ch, j, q, z, c, ts, tsh, dzh are one; sh, x, s
another; n, ng and a nasal before g another; and so on. "sun hua qin" and "swn hwtshyn" are both
S N H C N.

Such a coarse key would meet ordinary words if every stretch of the corpus were a candidate:
only the corpus's people (jieba's person names, kept with the build) are, family and given name
each matched by its own words (``TranscribedNames.find``). Latin and Cyrillic questions are not
read here: pinyin and Palladius spellings reach names already (bridge.PinyinNames,
rag/palladius.py).

    >>> sound_key("sun hua qin", pinyin=True), sound_key("swn hwtshyn")
    ('SNHCN', 'SNHCN')
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

from .hangul import korean
from .lexical import load_jieba

MIN_KEY = 4  # consonant classes in a name: fewer (刘颖, "liu ying": L N) would meet ordinary words
RUN_ON_KEY = 5  # classes: where words are not spaced apart, only a name this long is looked for
PARTICLE = 2  # classes a Japanese particle may add after a name ("スン・ホワチンは")
KOREAN_NAME = 3  # characters: a name as Korean writes it is looked for if this long (袁华, 위안화, is the yuan)
# Korean particles written onto a name ("쑨화친은", "장판의", "장판에게는", "장판 씨"). A Korean name is
# matched whole, as written or without its particles: allowing any two classes after a name, "중
# 분류가" (middle category: j-ng, b-n-l-g) was read as 张帆 (zh-ng, f-n) with "류가" for a particle.
_PARTICLE_WORDS = ("이라고|이라는|께서|에게|에서|으로|처럼|보다|부터|까지|하고|이나|이랑|라고|라는|한테|"
                   "은|는|이|가|을|를|의|에|와|과|도|로|만|랑")
_KOREAN_PARTICLES = re.compile(f"(?:씨|님)?(?:{_PARTICLE_WORDS})?(?:{_PARTICLE_WORDS})?$")
# Consonants by class, longest spelling first. Transcriptions of Chinese agree on these classes,
# not on the letters: 张 is zhang in pinyin, "jhang" in Hindi, "tshang" in Arabic, "tzang" in Greek.
# A nasal spelled with a following g or k ("ngh", "ngk", "mg") is one only at a syllable's end,
# not before a vowel ("jangheung" is zhang hong: N then H).
_CLASSES = (("tsh", "C"), ("tch", "C"), ("chh", "C"), ("dzh", "C"), ("ngh(?![aeiouy])", "N"),
            ("ngk(?![aeiouy])", "N"), ("zh", "C"), ("jh", "C"), ("ch", "C"), ("ts", "C"), ("tz", "C"),
            ("dz", "C"), ("sh", "S"), ("hs", "S"), ("kh", "H"), ("gh", "K"), ("ph", "P"), ("th", "T"),
            ("ng", "N"), ("mg(?![aeiouy])", "N"), ("j", "C"), ("q", "C"), ("c", "C"), ("z", "C"), ("x", "S"),
            ("s", "S"), ("n", "N"), ("m", "M"), ("h", "H"), ("f", "P"), ("v", "P"), ("p", "P"), ("b", "P"),
            ("t", "T"), ("d", "T"), ("k", "K"), ("g", "K"), ("l", "L"), ("r", "L"))
_SPELLING = re.compile("|".join(f"({spelled})" for spelled, _ in _CLASSES))
# Letters a script's Latin reading (anyascii) spells otherwise than transcriptions of Chinese mean
# them: Greek Χ ("ch") is h, and a Greek word opening with μπ, ντ or γου ("goy") opens with b, d or w
# (inside a word they are m-b, n-d: "Γκουαντζιού" is guan ju);
# Devanagari व ("v") is w, a vowel here; Thai and Devanagari write pinyin's k (aspirated) as "kh".
_REREAD = {"GREEK": ((r"ch", "h"), (r"\bmp", "b"), (r"\bnt", "d"), (r"\bgoy", "oy")),
           "DEVANAGARI": ((r"kh", "k"), (r"v", "w")), "THAI": ((r"kh", "k"),)}
# Scripts written without spaces between words: a name may open a longer run ("ซุนหัวฉินเสนอ…");
# Japanese, whose particles join the name ("…は"); Korean's too, read without them (_bare).
_UNSPACED = ("THAI", "LAO", "KHMER", "MYANMAR")
_PARTICLES = ("HIRAGANA", "KATAKANA")
# Scripts not read here: pinyin and Palladius spellings reach names in Latin and Cyrillic letters
# already (bridge.PinyinNames, rag/palladius.py); Han is the corpus's own; Hebrew writes o and u
# with the letter anyascii reads v, and j as ג׳, whose geresh ends a word.
_NOT_READ = ("LATIN", "CYRILLIC", "CJK", "HEBREW", "FULLWIDTH", "HALFWIDTH", "")


def sound_key(latin: str, pinyin: bool = False, script: str = "") -> str:
    """The consonant classes of a name read in Latin letters, in order, a class repeated once;
    ``script``: the one it was written in, where that changes how a letter is read (_REREAD)."""
    latin = latin.lower()
    for spelled, said in _REREAD.get(script, ()):
        latin = re.sub(spelled, said, latin)
    if pinyin:  # ü, written v by pypinyin (吕, lv), is a vowel
        latin = latin.replace("v", "u")
    classes = [_CLASSES[m.lastindex - 1][1] for m in _SPELLING.finditer(latin) if m.lastindex]
    return "".join(c for i, c in enumerate(classes) if i == 0 or c != classes[i - 1])


def _script(word: str) -> str:
    """The Unicode script of a word's first letter, as the first word of its character name."""
    return unicodedata.name(word[0], "").split(" ")[0] if word else ""


def _unparticled(word: str) -> list[str]:
    """A Korean word as written and with each ending that is wholly particles taken off, longest word
    first: "왕웨이는" -> 왕웨이는, 왕웨이, 왕웨 (a name may end as a particle does: 伟 is 웨이)."""
    return [word] + [word[:k] for k in range(len(word) - 1, 0, -1) if _KOREAN_PARTICLES.fullmatch(word[k:])]


def _bare(word: str) -> str:
    """A Korean word without all the particles written onto it ("쑨화친은" -> "쑨화친", "장판에게는" ->
    "장판"); any other as it is. A name may end as a particle does (张晓曼 "장샤오만"): both are tried."""
    return _unparticled(word)[-1] if _script(word) == "HANGUL" and len(word) > 2 else word


def readable(word: str) -> bool:
    """Is ``word`` in a script this module reads (not Latin, Cyrillic, Han or Hebrew)?"""
    return _script(word) not in _NOT_READ


class TranscribedNames:
    """The corpus's people, found in a question by the sound of their names."""

    def __init__(self, people: dict[str, str]):
        # people: Chinese name -> its pinyin, "sun hua qin" (stored with the build); a name is its
        # family name's key and its given name's, "SN" and "HCN". A family name without a consonant
        # (吴 wu, 叶 ye, 于 yu) has no key, and its people are not looked for by it.
        self._names: dict[tuple[str, str], list[str]] = {}
        # and each name as Korean writes it, rag/hangul.py ("쑨화친", "위쉬보"), if of KOREAN_NAME
        # characters or more: a Korean question's word is compared with it letter for letter
        self._korean: dict[str, list[str]] = {}
        for name, spelled in people.items():
            family, _, given = spelled.partition(" ")
            keys = (sound_key(family, pinyin=True), sound_key(given, pinyin=True))
            if all(keys) and len("".join(keys)) >= MIN_KEY:
                self._names.setdefault(keys, []).append(name)
            written = korean(spelled)
            if written and len(name) >= KOREAN_NAME:
                self._korean.setdefault(written, []).append(name)

    def _one(self, keys: list[tuple[str, str]]) -> str | None:
        """The one person these keys name, or None: a sound two people share names neither."""
        names = {name for key in keys for name in self._names.get(key, ())}
        return names.pop() if len(names) == 1 else None

    def _opening(self, key: str, extra: int | None) -> str | None:
        """The person whose whole name opens a run read as ``key``: with any classes after it
        (``extra`` None) among names of RUN_ON_KEY classes or more, else with at most ``extra``
        after it; the longest name wins."""
        fits = [k for k in self._names if key.startswith(k[0] + k[1])
                and (len(k[0] + k[1]) >= RUN_ON_KEY if extra is None else len(key) - len(k[0] + k[1]) <= extra)]
        longest = max((len(f + g) for f, g in fits), default=0)
        return self._one([k for k in fits if len(k[0] + k[1]) == longest])

    @staticmethod
    def _key(word: str) -> str:
        """The sound key of a word of the question ("" in a script not read here); a Japanese run goes
        on into the kanji after a name's kana: only the kana are read."""
        if not readable(word):
            return ""
        return sound_key(anyascii(re.split(r"[\u3400-\u9fff]", word)[0]), script=_script(word))

    def _in_korean(self, words: list[str], i: int) -> tuple[str | None, int]:
        """(the one person whose name, as Korean writes it, is ``words[i]`` or ``words[i:i + 2]``
        (family name apart), with or without the particles written onto its last word; the end of
        those words), or (None, i + 1)."""
        if _script(words[i]) == "HANGUL":
            spellings = [(spelled, i + 1) for spelled in _unparticled(words[i])]
            if i + 1 < len(words) and _script(words[i + 1]) == "HANGUL":
                spellings += [(words[i] + spelled, i + 2) for spelled in _unparticled(words[i + 1])]
            for spelling, end in spellings:
                names = self._korean.get(spelling, [])
                if len(names) == 1:
                    return names[0], end
        return None, i + 1

    def find(self, words: list[str]) -> list[tuple[str, list[str]]]:
        """(the words that spell it, [its Chinese name]) for each person of the corpus in
        ``words``, the question's letter runs, in the question's order.

        A name is a word with the family name's consonant classes followed by one or two with the
        given name's ("सुन हुआछिन": "sun", "hua qin"; Arabic may write each syllable apart), a
        Korean particle read off it, a Japanese one allowed after it; in scripts written without
        spaces (Thai) a run that opens with the whole name; in Korean, also the name as Korean
        writes it (rag/hangul.py). On XQuAD's Hindi, Arabic, Greek and Thai questions, against
        the people of folders of 24 and of 195 documents, looser rules met ordinary words
        ("दक्षिण", south -> 杜克森) far more often than names (bench/RESULTS.md, twelfth stop). A
        Thai name in the middle of a phrase is not found."""
        if not self._names and not self._korean:
            return []
        keys = [self._key(w) for w in words]
        # (Korean: without its particles; any other word's key is its own)
        bare = [key if stripped == word else self._key(stripped)
                for word, key, stripped in zip(words, keys, map(_bare, words), strict=True)]
        found: list[tuple[str, list[str]]] = []
        i = 0
        while i < len(words):
            # spelled as Korean writes it ("쑨화친은", "쑨 화친은"), else by the sound of its consonants
            person, end = self._in_korean(words, i)
            for end in () if person else (i + 2, i + 3):  # the given name in one word or two
                if not keys[i] or end > len(words) or not all(keys[i + 1 : end]):
                    break
                given, script = "".join(keys[i + 1 : end]), _script(words[end - 1])
                without_particles = "".join(keys[i + 1 : end - 1]) + bare[end - 1]
                person = self._one([(keys[i], given)]) or self._one([(keys[i], without_particles)])
                if person is None and script in _PARTICLES:  # "スン・ホワチンは"
                    person = self._one([(f, g) for f, g in self._names
                                        if f == keys[i] and given.startswith(g) and len(given) - len(g) <= PARTICLE])
                if person:
                    break
            if person is None and keys[i] and _script(words[i]) in (*_UNSPACED, *_PARTICLES, "HANGUL"):
                end = i + 1
                script = _script(words[i])
                if script == "HANGUL":  # the whole word, or the word without its particles
                    person = self._opening(keys[i], 0) or self._opening(bare[i], 0)
                else:
                    person = self._opening(keys[i], None if script in _UNSPACED else PARTICLE)
            if person:
                found.append((" ".join(words[i:end]), [person]))
                i = end
            else:
                i += 1
        return found


def person_names(texts: list[str]) -> set[str]:
    """The people a corpus names: what jieba tags as a person's name (2-4 characters; a word of the
    corpus's own list, corpus/userdict.txt, counts when it is tagged nr there). Tagged as written:
    in traditional characters jieba takes more words for names."""
    import jieba.posseg

    load_jieba()  # (with the corpus's own words, which posseg cuts by too)
    return {pair.word for text in texts for pair in jieba.posseg.cut(text)
            if pair.flag in ("nr", "nrfg") and 2 <= len(pair.word) <= 4}
