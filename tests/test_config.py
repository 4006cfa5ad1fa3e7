"""Settings: an explicit value beats the environment, which beats the default."""

from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import RagError
from rag.stores import open_store


def test_flag_beats_environment_beats_default(monkeypatch):
    for name in ("RAG_CORPUS", "RAG_INDEX", "RAG_STORE", "RAG_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert Settings.from_env().corpus_dir == Path("corpus") and Settings.from_env().store == "local"
    monkeypatch.setenv("RAG_CORPUS", "~/from-env")
    monkeypatch.setenv("RAG_STORE", "postgresql://u:p@db/x")
    monkeypatch.setenv("RAG_THREADS", "3")
    env = Settings.from_env()
    assert env.corpus_dir == Path("~/from-env").expanduser() and env.threads == 3
    assert env.store == "postgresql://u:p@db/x" and open_store(env).shared
    flags = Settings.from_env(corpus_dir="flag", store="local", threads=None)
    assert flags.corpus_dir == Path("flag") and not open_store(flags).shared and flags.threads == 3


def test_unknown_store_is_a_clear_error():
    with pytest.raises(RagError, match="unknown store 'mysql://x'"):
        open_store(Settings(store="mysql://x"))
