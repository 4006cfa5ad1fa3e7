"""Lexical evidence for Chinese text: jieba tokens scored with BM25 (bm25s).

An English question shares no token with Chinese text, so it gets Chinese query
terms from two bridges (``bridge.py``): romanised names through pinyin and English
terms through CC-CEDICT. Where neither finds anything, there is no lexical
evidence, and fusion leaves the dense ranking alone.
"""

from __future__ import annotations

import json
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

# Han ideographs, for use inside a regex character class: the CJK Unified Ideographs and Extension A,
# the Compatibility Ideographs, and the Supplementary and Tertiary Ideographic Planes (Extensions B
# to J and the compatibility supplement; their unassigned gaps never occur in text). The one
# definition of Han in the package: every test for Han script uses this, HAN_RUN or is_han.
HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F), (0x30000, 0x3347F))
HAN = "".join(f"{chr(a)}-{chr(b)}" for a, b in HAN_RANGES)
HAN_RUN = re.compile(f"[{HAN}]+")
_HAN_CHAR = re.compile(f"[{HAN}]")

# The corpus's own words for jieba (names, new terms), in the corpus folder beside glossary.tsv: one
# a line, ``word [frequency] [part of speech]`` as jieba's user dictionaries (``#`` starts a comment).
USER_WORDS_FILE = "userdict.txt"
MAX_USER_WORD_CHARS = 30  # longer is a phrase, not a word
# jieba's commonest word (的) counts 883,634: a higher count would outweigh every word of Chinese
MAX_USER_WORD_FREQ = 1_000_000
_USER_WORD_LINE = re.compile(r"(\S+?)(?:\s+(\d+))?(?:\s+([a-z]{1,4}))?")  # jieba's tags: n, nr, nrfg…
UserWord = tuple[str, int | None, str | None]  # word, frequency (None: jieba suggests one), tag

# Question words and particles: they say what is asked, not what about.
ZH_STOPWORDS = set("""
的 了 在 是 和 与 及 或 对 为 中 把 被 将 从 向 于 以 也 都 就 还 又 有 没有 这 那 这个 那个 这些 那些
什么 哪些 哪个 哪里 哪 如何 怎么 怎样 怎么样 为什么 为何 多少 几 吗 呢 吧 啊 谁 是否 能否 可以 会
提出 提到 表示 认为 说 说了 看 看到 等 一 个 之 其 所 者 方面 情况 问题 文章 文中 本文
""".split())
EMPTY_DOCUMENT = "\u0000"  # bm25s wants at least one token per document: this one stands for none
_WORD = re.compile(r"\w")  # a letter or digit of any script: every Han character is one too


def is_han(c: str) -> bool:
    """Is the character ``c`` a Han ideograph (``HAN``)?"""
    return bool(_HAN_CHAR.match(c))


@cache
def load_jieba():
    """jieba with its dictionary loaded, once; a corpus's own words are added by ``use_words``."""
    import jieba

    jieba.setLogLevel(60)  # silence the "Building prefix dict" chatter
    jieba.dt.check_initialized()
    return jieba


def read_user_words(corpus_dir: Path) -> tuple[list[UserWord], list[str]]:
    """The words of ``corpus_dir/userdict.txt`` (none if there is no such file), and warnings for bad lines."""
    path = corpus_dir / USER_WORDS_FILE
    words: list[UserWord] = []
    warnings: list[str] = []
    if not path.is_file():
        return words, warnings
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return words, [f"skipped: {USER_WORDS_FILE} cannot be read as UTF-8 ({exc})"]
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):  # (not a "#" inside a line: "C#" is a word)
            continue
        match = _USER_WORD_LINE.fullmatch(line)
        if not match or len(match[1]) > MAX_USER_WORD_CHARS or not _WORD.search(match[1]):
            # jieba never cuts a token with a space in it: "machine tool" could never be one word
            warnings.append(f"{USER_WORDS_FILE}:{number}: expected 'word [frequency] [tag]', "
                            "a word without spaces, skipped")
            continue
        freq = int(match[2]) if match[2] else None
        if freq is not None and freq > MAX_USER_WORD_FREQ:
            warnings.append(f"{USER_WORDS_FILE}:{number}: frequency above {MAX_USER_WORD_FREQ:,}, skipped")
            continue
        words.append((match[1], freq, match[3]))
    return words, warnings


_used_words: dict[str, tuple[int | None, str | None]] = {}
_use_lock = threading.Lock()


def use_words(words: Iterable[Sequence[Any]]) -> int:
    """Add a corpus's own words to jieba: ``read_user_words``'s (word, frequency, tag), or the same
    as JSON lists. Written as the text is matched (NFKC, simplified). Returns how many were new.

    Idempotent: a word already added with the same frequency and tag is not added again (jieba
    would count its frequency twice in its total, shifting every word's weight). Words stay for
    the life of the process, as jieba keeps one dictionary."""
    jieba = load_jieba()
    added = 0
    with _use_lock:
        for word, freq, tag in words:
            word = simplified(unicodedata.normalize("NFKC", word))
            if _used_words.get(word) != (freq, tag):
                jieba.add_word(word, freq, tag)
                _used_words[word] = (freq, tag)
                added += 1
    return added


def cjk_ratio(text: str) -> float:
    """Share of Han characters among the letters of ``text``."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(map(is_han, letters)) / len(letters)


@cache
def _simplified_table() -> dict[int, str]:
    """Traditional Han characters -> simplified ones, from OpenCC's t2s conversion, asked once
    character by character: a one-to-one table keeps every offset in place."""
    import opencc

    chars = [chr(c) for a, b in HAN_RANGES for c in range(a, b + 1)]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    return {ord(a): b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}


@cache
def _japanese_table() -> dict[int, str]:
    """Characters in the forms only Japanese writes -> the simplified Chinese ones (経 -> 经,
    発 -> 发, 団 -> 团), from OpenCC's jp2t then t2s. Only characters simplified Chinese never
    writes (outside GB2312) are folded, and only to ones it does: jp2t also turns 研 into a rare
    variant and 予 (give) into 豫."""
    import opencc

    def written_in_simplified(char: str) -> bool:
        try:
            char.encode("gb2312")
            return True
        except UnicodeEncodeError:
            return False

    chars = [chr(c) for c in range(0x4E00, 0xA000)]  # (the main block holds every Japanese form)
    converted = opencc.OpenCC("jp2t").convert("\n".join(chars)).split("\n")
    table = _simplified_table()
    return {ord(a): b.translate(table) for a, b in zip(chars, converted, strict=True)
            if len(b) == 1 and a != b and not written_in_simplified(a) and written_in_simplified(b.translate(table))}


def from_japanese(text: str) -> str:
    """``text`` with the forms of characters only Japanese writes as simplified Chinese writes them
    (経済 -> 经济), the same length: a Japanese question's kanji then meet the Chinese words they
    write. Questions only: the corpus is folded by ``simplified`` alone, as its builds were."""
    return text.translate(_japanese_table())


def unaccented(text: str) -> str:
    """``text`` without the marks written on its letters: "Zhāng" -> "Zhang", "γεννήθηκε" -> "γεννηθηκε"."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def simplified(text: str) -> str:
    """``text`` in simplified characters, the same length: traditional and simplified Chinese are
    one language to a reader, so every lexical match (BM25, characters, names, evidence) is made
    between simplified forms. Passages are still quoted as written.

    Character by character, a few characters simplified text also writes are folded too (乾 in
    乾隆 becomes 干): question and text alike, so they still match; jieba may cut them worse."""
    return text.translate(_simplified_table())


TRADITIONAL_SHARE = 0.1  # text with this share of traditional-only characters is written in traditional
# (traditional text such as DRCD's is far above it, simplified text such as CMRC's next to 0)


def traditional_share(texts: Sequence[str]) -> float:
    """The share of the Han characters of ``texts`` that only traditional Chinese writes."""
    table = _simplified_table()
    han = changed = 0
    for text in texts:
        for run in HAN_RUN.findall(text):
            han += len(run)
            changed += sum(ord(c) in table for c in run)
    return changed / han if han else 0.0


@cache
def _to_traditional():
    import opencc

    return opencc.OpenCC("s2t").convert  # phrase by phrase: one simplified character can be several traditional ones


def to_traditional(text: str) -> str:
    """``text`` in traditional characters (OpenCC's s2t: phrase by phrase)."""
    return _to_traditional()(text)


def in_script(text: str, traditional: bool) -> str:
    """``text`` in the corpus's script, for the model: e5 places a traditional question nearer to
    traditional text than to the same words in simplified, and the reverse. A question already
    in the corpus's script is left as it is."""
    if traditional:
        return text if traditional_share([text]) >= TRADITIONAL_SHARE else to_traditional(text)
    return simplified(text)


def tokenize(text: str) -> list[str]:
    """jieba search-mode tokens of the simplified text, lower-cased, without punctuation and question words."""
    text = simplified(unicodedata.normalize("NFKC", text))
    tokens = []
    for token in load_jieba().lcut_for_search(text):
        token = token.strip().lower()
        if token and _WORD.search(token) and token not in ZH_STOPWORDS:
            tokens.append(token)
    return tokens


def general_rarity(terms: Sequence[str]) -> list[float]:
    """How rare each term is in Chinese at large: -log of its share of the counts in jieba's own
    dictionary (a word it lacks, such as a rare name or a Latin token, counts as one in its total).

    A fixed weight, unlike a corpus's IDF: it means the same in a folder of four documents and of
    four hundred, and it still weighs a term the corpus lacks (whose corpus IDF is 0).
    """
    counts = load_jieba().dt
    counts.check_initialized()
    return [math.log(counts.total / (counts.FREQ.get(t, 0) + 1)) for t in terms]


def bm25_idf(size: int, df: int) -> float:
    """BM25's inverse document frequency of a token in ``df`` of ``size`` documents (0 if in none)."""
    return math.log(1 + (size - df + 0.5) / (df + 0.5)) if df else 0.0


class BM25Index:
    """BM25 over jieba tokens of a list of texts; an empty query scores all zeros.

    Built with bm25s once per index build and saved beside the vectors as plain .npy and
    .json files (pickle off). Loading reads those arrays with numpy alone: a question
    never imports bm25s or scipy (a good part of a cold start). The arrays are bm25s's sparse
    matrix by token: ``data[indptr[t]:indptr[t+1]]`` are token t's scores in documents
    ``indices[indptr[t]:indptr[t+1]]``.
    """

    FILES = ("data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, vocab: dict[str, int],
                 size: int):
        self._data, self._indices, self._indptr = data, indices, indptr
        self._vocab = vocab
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> BM25Index:
        import bm25s

        if not texts:
            return cls(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64), {}, 0)
        bm25 = bm25s.BM25()
        # bm25s wants at least one token per document
        bm25.index([tokenize(t) or [EMPTY_DOCUMENT] for t in texts], show_progress=False)
        scores = bm25.scores
        return cls(scores["data"], scores["indices"], scores["indptr"], dict(bm25.vocab_dict), len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "size.json").write_text(json.dumps({"documents": self.size}))
        for name, array in zip(self.FILES, (self._data, self._indices, self._indptr), strict=True):
            np.save(folder / name, array, allow_pickle=False)
        (folder / "vocab.index.json").write_text(json.dumps(self._vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        size = json.loads((folder / "size.json").read_text())["documents"]
        data, indices, indptr = (np.load(folder / name, allow_pickle=False) for name in cls.FILES)
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        # bm25s also lists an empty token with no column of its own; any other gap is damage
        if size and not len(vocab) - 1 <= len(indptr) - 1 <= len(vocab):
            raise ValueError(f"BM25 files disagree: {len(vocab)} tokens, {len(indptr) - 1} columns")
        return cls(data, indices, indptr, vocab, size)

    def _column(self, term: str) -> tuple[int, int] | None:
        """Where token ``term``'s scores lie in ``data`` and ``indices``; None if the corpus lacks it."""
        token_id = self._vocab.get(term)
        if token_id is None or token_id + 1 >= len(self._indptr):
            return None
        return int(self._indptr[token_id]), int(self._indptr[token_id + 1])

    def __contains__(self, token: object) -> bool:
        return token in self._vocab

    def vocabulary(self) -> list[str]:
        """The distinct tokens of the corpus."""
        return [t for t in self._vocab if t and t != EMPTY_DOCUMENT]

    def idf(self, terms: Sequence[str]) -> list[float]:
        """BM25's inverse document frequency of each term (0 for a term the corpus lacks)."""
        return [bm25_idf(self.size, column[1] - column[0] if (column := self._column(t)) else 0) for t in terms]

    def postings(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """For each token: the documents that have it and its BM25 score in each (for other stores)."""
        for term in self._vocab:
            if term == EMPTY_DOCUMENT:  # a placeholder no question can contain (and Postgres text cannot hold)
                continue
            if (column := self._column(term)) is not None and column[1] > column[0]:
                a, b = column
                yield term, self._indices[a:b], self._data[a:b]

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of every document for the query ``terms`` (as bm25s's get_scores)."""
        out = np.zeros(self.size, np.float32)
        for term in terms:
            if (column := self._column(term)) is not None:
                a, b = column
                np.add.at(out, self._indices[a:b], self._data[a:b])
        return out
