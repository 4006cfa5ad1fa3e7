"""Chinese names as Korean writes them: Mandarin transcribed into Hangul by the National Institute of
Korean Language's rules (외래어 표기법, Chinese), as the Korean press writes 孙华芹 "쑨화친".

Each pinyin syllable becomes one or two Hangul syllables by fixed rules: an initial consonant
(z is ㅉ, s is ㅆ, x is ㅅ, j and zh are ㅈ), then its final (ian is 옌 alone, -ㅖㄴ after a
consonant: tian 톈; ao is -아오, ü is -위); after ㅈ, ㅉ, ㅊ a y-glide is dropped (jia 자, qiu 추),
and zhi, chi, shi, ri, zi, ci, si end in ㅡ. rag/transcribe.py compares a Korean question's words
with the corpus's people spelled so, which also finds names the sound of their consonants cannot
(于旭波 "위쉬보": y, x, b leave only two consonant classes).

    >>> korean("sun hua qin"), korean("yu xu bo"), korean("zhang tian ren")
    ('쑨화친', '위쉬보', '장톈런')
"""

from __future__ import annotations

# Initial consonants, as indexes of Hangul's 19 leading ones (ㄱ ㄲ ㄴ ㄷ ㄸ ㄹ ㅁ ㅂ ㅃ ㅅ ㅆ ㅇ ㅈ ㅉ ㅊ ㅋ ㅌ ㅍ ㅎ).
_INITIAL = {"b": 7, "p": 17, "m": 6, "f": 17, "d": 3, "t": 16, "n": 2, "l": 5, "g": 0, "k": 15, "h": 18,
            "j": 12, "q": 14, "x": 9, "zh": 12, "ch": 14, "sh": 9, "r": 5, "z": 13, "c": 14, "s": 10}
_SILENT = 11  # ㅇ: a syllable with no initial consonant
# Vowels (Hangul's 21, by index) and final consonants (none, ㄴ, ㄹ, ㅇ).
(V_A, V_YA, V_EO, V_E, V_YEO, V_YE, V_O, V_WA, V_YO, V_U, V_WO, V_WE, V_WI, V_YU, V_EU,
 V_I) = 0, 2, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 20
NONE, N, L, NG = 0, 4, 8, 21
# Each final as the Hangul syllables it is written with after a consonant: (vowel, final), and any
# syllables after the first (written with no consonant: ao is -아오, ai is -아이).
_FINAL = {
    "a": [(V_A, NONE)], "o": [(V_O, NONE)], "e": [(V_EO, NONE)], "ai": [(V_A, NONE), (V_I, NONE)],
    "ei": [(V_E, NONE), (V_I, NONE)], "ao": [(V_A, NONE), (V_O, NONE)], "ou": [(V_EO, NONE), (V_U, NONE)],
    "an": [(V_A, N)], "en": [(V_EO, N)], "ang": [(V_A, NG)], "eng": [(V_EO, NG)], "ong": [(V_U, NG)], "er": [(V_EO, L)],
    "i": [(V_I, NONE)], "ia": [(V_YA, NONE)], "ie": [(V_YE, NONE)], "iao": [(V_YA, NONE), (V_O, NONE)],
    "iu": [(V_YU, NONE)],
    "ian": [(V_YE, N)], "in": [(V_I, N)], "iang": [(V_YA, NG)], "ing": [(V_I, NG)], "iong": [(V_YU, NG)],
    "u": [(V_U, NONE)], "ua": [(V_WA, NONE)], "uo": [(V_WO, NONE)], "uai": [(V_WA, NONE), (V_I, NONE)],
    "ui": [(V_U, NONE), (V_I, NONE)], "uan": [(V_WA, N)], "un": [(V_U, N)], "uang": [(V_WA, NG)],
    "v": [(V_WI, NONE)], "ve": [(V_WE, NONE)], "van": [(V_WI, NONE), (V_A, N)], "vn": [(V_WI, N)],
}
# Syllables with no initial consonant.
_ALONE = {"yi": [(V_I, NONE)], "ya": [(V_YA, NONE)], "yo": [(V_YO, NONE)], "ye": [(V_YE, NONE)],
          "yao": [(V_YA, NONE), (V_O, NONE)], "you": [(V_YU, NONE)], "yan": [(V_YE, N)], "yin": [(V_I, N)],
          "yang": [(V_YA, NG)], "ying": [(V_I, NG)], "yong": [(V_YU, NG)], "yu": [(V_WI, NONE)], "yue": [(V_WE, NONE)],
          "yuan": [(V_WI, NONE), (V_A, N)], "yun": [(V_WI, N)], "wu": [(V_U, NONE)], "wa": [(V_WA, NONE)],
          "wo": [(V_WO, NONE)], "wai": [(V_WA, NONE), (V_I, NONE)], "wei": [(V_WE, NONE), (V_I, NONE)],
          "wan": [(V_WA, N)],
          "wen": [(V_WO, N)], "wang": [(V_WA, NG)], "weng": [(V_WO, NG)]}
# After ㅈ, ㅉ, ㅊ a y-glide is not written (jia 자, jie 제, qiu 추, jiang 장, jiong 중).
_PLAIN = {V_YA: V_A, V_YEO: V_EO, V_YE: V_E, V_YU: V_U}


def _syllable(initial: int, vowel: int, final: int) -> str:
    return chr(0xAC00 + (initial * 21 + vowel) * 28 + final)


def is_syllable(char: str) -> bool:
    """Is ``char`` a whole Hangul syllable (가 to 힣)?"""
    return "\uac00" <= char <= "\ud7a3"


def opens_with(char: str, *consonants: str) -> bool:
    """Does the Hangul syllable ``char`` open with the initial of one of ``consonants`` (pinyin
    initials: "d" for ㄷ, "j" for ㅈ)?"""
    return is_syllable(char) and (ord(char) - 0xAC00) // (21 * 28) in {_INITIAL[c] for c in consonants}


def syllable(pinyin: str) -> str | None:
    """One toneless pinyin syllable ("ü" as "v"; "lue", "nue" as "lve", "nve") in Hangul, or None if
    it is none."""
    pinyin = pinyin.replace("ü", "v")
    if pinyin in ("lue", "nue"):
        pinyin = pinyin[0] + "ve"
    if pinyin in _ALONE:
        parts, initial, consonant = _ALONE[pinyin], _SILENT, ""
    else:
        consonant = next((c for c in ("zh", "ch", "sh") if pinyin.startswith(c)), pinyin[:1])
        final = pinyin[len(consonant):]
        if consonant not in _INITIAL:  # a syllable with no initial: a, ai, an, e, er, o, ou
            consonant, final = "", pinyin
        if consonant in ("j", "q", "x") and final.startswith("u"):  # ju, quan, xun: the u is ü
            final = "v" + final[1:]
        if final not in _FINAL:
            return None
        parts, initial = _FINAL[final], _INITIAL.get(consonant, _SILENT)
        if consonant in ("zh", "ch", "sh", "r", "z", "c", "s") and final == "i":  # zhi 즈, si 쓰
            parts = [(V_EU, NONE)]
    (vowel, final_consonant), rest = parts[0], parts[1:]
    if initial in (12, 13, 14):  # ㅈ ㅉ ㅊ
        vowel = _PLAIN.get(vowel, vowel)
    return _syllable(initial, vowel, final_consonant) + "".join(_syllable(_SILENT, v, f) for v, f in rest)


def korean(spelled: str) -> str | None:
    """A name spelled in toneless pinyin, a syllable a word ("sun hua qin"), as Korean writes it
    ("쑨화친"); None if a syllable is none of Mandarin's."""
    written = [syllable(s) for s in spelled.split()]
    return None if None in written else "".join(written)  # type: ignore[arg-type]
