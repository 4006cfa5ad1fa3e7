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
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

USER_DICT = Path(__file__).parent / "data" / "userdict.txt"

# Question words and particles: they say what is asked, not what about.
ZH_STOPWORDS = set("""
的 了 在 是 和 与 及 或 对 为 中 把 被 将 从 向 于 以 也 都 就 还 又 有 没有 这 那 这个 那个 这些 那些
什么 哪些 哪个 哪里 哪 如何 怎么 怎样 怎么样 为什么 为何 多少 几 吗 呢 吧 啊 谁 是否 能否 可以 会
提出 提到 表示 认为 说 说了 看 看到 等 一 个 之 其 所 者 方面 情况 问题 文章 文中 本文
""".split())
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(60)  # silence the "Building prefix dict" chatter
    if USER_DICT.exists():
        jieba.load_userdict(str(USER_DICT))
    return jieba


def cjk_ratio(text: str) -> float:
    """Share of Han characters among the letters of ``text``."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in letters) / len(letters)


def tokenize(text: str) -> list[str]:
    """jieba search-mode tokens, lower-cased, without punctuation and question words."""
    text = unicodedata.normalize("NFKC", text)
    tokens = []
    for token in _jieba().lcut_for_search(text):
        token = token.strip().lower()
        if token and _WORD.search(token) and token not in ZH_STOPWORDS:
            tokens.append(token)
    return tokens


class BM25Index:
    """BM25 over jieba tokens of a list of texts; an empty query scores all zeros.

    Built once per index build and saved beside the vectors (bm25s's own .npy/.json files,
    pickle off), so loading an index does not re-tokenise the corpus.
    """

    def __init__(self, bm25, size: int):
        self._bm25 = bm25
        self.size = size
        self._vocab = set(bm25.vocab_dict) if size else set()

    @classmethod
    def build(cls, texts: Sequence[str]) -> BM25Index:
        import bm25s

        bm25 = bm25s.BM25()
        if texts:
            # bm25s wants at least one token per document
            bm25.index([tokenize(t) or ["\u0000"] for t in texts], show_progress=False)
        return cls(bm25, len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "size.json").write_text(json.dumps({"documents": self.size}))
        if self.size:
            self._bm25.save(str(folder), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        import bm25s

        size = json.loads((folder / "size.json").read_text())["documents"]
        bm25 = bm25s.BM25.load(str(folder), allow_pickle=False) if size else bm25s.BM25()
        return cls(bm25, size)

    def __contains__(self, token: object) -> bool:
        return token in self._vocab

    def idf(self, terms: Sequence[str]) -> list[float]:
        """BM25's inverse document frequency of each term (0 for a term the corpus lacks)."""
        if not self.size:
            return [0.0] * len(terms)
        indptr = self._bm25.scores["indptr"]  # bm25s's sparse matrix: a term's column holds its documents
        out = []
        for term in terms:
            token_id = self._bm25.vocab_dict.get(term)
            df = int(indptr[token_id + 1] - indptr[token_id]) if token_id is not None else 0
            out.append(math.log(1 + (self.size - df + 0.5) / (df + 0.5)) if df else 0.0)
        return out

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        terms = [t for t in terms if t in self._vocab]
        if not terms or not self.size:
            return np.zeros(self.size, np.float32)
        return np.asarray(self._bm25.get_scores(terms), np.float32)
