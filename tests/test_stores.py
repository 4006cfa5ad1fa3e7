"""A third store, added through the registry alone: builds kept in memory, answered from."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest

import rag.stores
from rag.answer import answer
from rag.build import BuildReport, prepare_build, sentence_texts, vector_key
from rag.errors import IndexNotReady, RagError
from rag.retriever import Retriever
from rag.stores import Store, open_store, register_store, store_scheme
from rag.stores.local import Index, LocalSnapshot, make_faiss


class MemoryStore(Store):
    """Builds held by this process only, one live build per ``memory://NAME``."""

    live_builds: ClassVar[dict[str, LocalSnapshot]] = {}

    def describe(self) -> str:
        return self.settings.store

    def live(self) -> str | None:
        snapshot = self.live_builds.get(self.settings.store)
        return snapshot.name if snapshot else None

    def open(self) -> LocalSnapshot:
        if self.settings.store not in self.live_builds:
            raise IndexNotReady(f"no index in {self.describe()}: build one")
        return self.live_builds[self.settings.store]

    def build(self, encoder, full=False, progress=None, wait=False, embed_many=None, prune=False,
              note=None) -> BuildReport:
        reuse = {}
        if not full and (old := self.live_builds.get(self.settings.store)) is not None:
            index = old.index
            texts = [p.text for p in index.passages] + sentence_texts(index.passages)
            vectors = [*index.passage_vectors.reconstruct_n(0, index.passage_vectors.ntotal),
                       *index.sentence_vectors.reconstruct_n(0, index.sentence_vectors.ntotal)]
            reuse = {vector_key(encoder.name, t): v for t, v in zip(texts, vectors, strict=True)}
        prepared = prepare_build(self.settings.corpus_dir, self.settings, encoder, reuse, progress, embed_many)
        dim = prepared.manifest["dim"]
        name = f"memory-{len(self.live_builds)}-{prepared.report.embedded}"
        index = Index(prepared.passages, make_faiss(prepared.passage_vectors, dim, "flat"),
                      make_faiss(prepared.sentence_vectors, dim, "flat"), prepared.bm25, prepared.glossary,
                      prepared.glosses, prepared.manifest, Path(name))
        self.live_builds[self.settings.store] = LocalSnapshot(index)
        return prepared.report


@pytest.fixture
def memory(settings, monkeypatch):
    monkeypatch.setitem(rag.stores._REGISTRY, "memory", MemoryStore)  # undone after the test
    MemoryStore.live_builds.clear()
    return replace(settings, store="memory://test")


def test_a_store_registered_by_scheme_answers_a_question(memory, fake_encoder):
    register_store("memory", MemoryStore)
    assert isinstance(open_store(memory), MemoryStore) and store_scheme("memory://test") == "memory"
    retriever = Retriever(memory, fake_encoder)  # not shared: the first question builds it
    result = answer(retriever, "孙华芹建议政府出台更加普惠的支持政策", k=3)
    assert "孙华芹" in result.hits[0].text and result.hits[0].doc == "ai-plus-manufacturing.md"
    assert not memory.index_dir.exists()  # nothing written to the local store's folder
    # an edit is picked up through the same store: new text embedded, the rest reused
    (memory.corpus_dir / "robots.md").write_text("# 机器人\n\n宁波某工厂部署了1200台协作机器人。\n", "utf-8")
    report = retriever.store.build(fake_encoder)
    assert report.embedded == 1 and report.reused > 0
    assert retriever.search("宁波工厂部署了多少台协作机器人", 1)[0].doc == "robots.md"


def test_a_store_from_another_package_is_found_by_entry_point(settings, monkeypatch):
    class Entry:
        def load(self):
            return MemoryStore

    asked = []
    monkeypatch.setattr(rag.stores, "entry_points", lambda group, name: asked.append((group, name)) or [Entry()])
    monkeypatch.delitem(rag.stores._REGISTRY, "plugged", raising=False)
    store = open_store(replace(settings, store="plugged://x"))
    assert isinstance(store, MemoryStore) and asked == [("rag.stores", "plugged")]
    rag.stores._REGISTRY.pop("plugged")


def test_an_unknown_store_names_the_known_ones(settings):
    with pytest.raises(RagError, match=r"unknown store 'mysql://x'.*local, postgres, postgresql"):
        open_store(replace(settings, store="mysql://x"))
