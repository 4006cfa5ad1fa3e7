"""Documents you manage (rag/documents.py) on the local store: add, replace, remove, each a build that
is taken back if it fails; and collections, each its own corpus and index."""

from dataclasses import replace

import pytest

from rag.config import Settings
from rag.documents import Documents
from rag.errors import CorpusError, DocumentNotFound, RagError
from rag.retriever import Retriever
from rag.stores import open_store
from tests.conftest import FakeEncoder

ROBOTS = "宁波某工厂部署了1200台协作机器人。"


class BrokenEncoder(FakeEncoder):
    """Embeds nothing, and is another model (no vector of the live build is reused): every build fails."""

    name = "broken-model"

    def encode_passages(self, texts):
        raise RuntimeError("the model is gone")


def _docs(settings, encoder):
    return Documents(open_store(settings), encoder)


def _cited(retriever, question, k=5):
    return {h.doc for h in retriever.search(question, k)}


def test_add_replace_remove_each_make_a_build(settings, fake_encoder):
    docs = _docs(settings, fake_encoder)
    retriever = Retriever(settings, fake_encoder, progress=lambda m: None)
    added = docs.add(title="机器人工厂", text=ROBOTS)
    assert (added.name, added.action, added.documents) == ("机器人工厂.md", "added", 2)
    assert "1200台" in retriever.search("宁波某工厂部署了多少台协作机器人", 1)[0].text
    replaced = docs.replace("机器人工厂.md", text="宁波某工厂部署了1500台协作机器人。")
    assert replaced.action == "replaced" and replaced.passages == added.passages
    top = retriever.search("宁波某工厂部署了多少台协作机器人", 1)[0]
    assert top.doc == "机器人工厂.md" and "1500台" in top.text
    assert top.title == "机器人工厂"  # the title is kept when none is given
    removed = docs.remove("机器人工厂.md")
    assert (removed.action, removed.documents, removed.passages) == ("removed", 1, added.passages - 1)
    assert "机器人工厂.md" not in _cited(retriever, "宁波某工厂部署了多少台协作机器人", 10)
    assert [d for d, _, _ in docs.listed()] == ["ai-plus-manufacturing.md"]
    assert not (settings.corpus_dir / "机器人工厂.md").exists()


def test_a_replacement_by_file_keeps_the_name_and_type(settings, fake_encoder, tmp_path):
    docs = _docs(settings, fake_encoder)
    docs.add(title="机器人工厂", text=ROBOTS)
    new = tmp_path / "report.md"
    new.write_text("# 新报告\n\n宁波某工厂部署了900台协作机器人。\n", "utf-8")
    assert docs.replace("机器人工厂.md", new).name == "机器人工厂.md"
    assert "900台" in (settings.corpus_dir / "机器人工厂.md").read_text("utf-8")
    other = tmp_path / "report.txt"
    other.write_text("宁波某工厂部署了800台协作机器人。\n", "utf-8")
    with pytest.raises(CorpusError, match="replace it with a .md file"):
        docs.replace("机器人工厂.md", other)
    with pytest.raises(CorpusError, match="already in the corpus as ai-plus-manufacturing.md"):
        docs.replace("机器人工厂.md", settings.corpus_dir / "ai-plus-manufacturing.md")


def test_mistakes_get_clear_errors_and_change_nothing(settings, fake_encoder):
    docs = _docs(settings, fake_encoder)
    docs.store.build(fake_encoder)
    before = sorted(p.name for p in settings.corpus_dir.iterdir())
    for name in ("nothing.md", "../corpus/ai-plus-manufacturing.md", "/etc/passwd", "userdict.txt"):
        with pytest.raises(DocumentNotFound, match="no document named"):
            docs.remove(name)
    with pytest.raises(CorpusError, match="the only document"):
        docs.remove("ai-plus-manufacturing.md")
    (settings.corpus_dir / "t.txt").write_text("宁波某工厂部署了机器人。\n", "utf-8")
    with pytest.raises(CorpusError, match="only a .md document is replaced by pasted text"):
        docs.replace("t.txt", text="宁波某工厂部署了更多机器人。")
    assert (settings.corpus_dir / "t.txt").read_text("utf-8") == "宁波某工厂部署了机器人。\n"
    (settings.corpus_dir / "t.txt").unlink()
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == before


def test_a_change_whose_build_fails_is_taken_back(settings, fake_encoder):
    """Atomic: the live build and the corpus stay as they were, and the message says it was not done."""
    docs = _docs(settings, fake_encoder)
    docs.add(title="机器人工厂", text=ROBOTS)
    path = settings.corpus_dir / "机器人工厂.md"
    original = path.read_bytes()
    broken = _docs(settings, BrokenEncoder())
    with pytest.raises(RagError, match="机器人工厂.md was not replaced: something went wrong"):
        broken.replace("机器人工厂.md", text="宁波某工厂部署了1500台协作机器人。")
    assert path.read_bytes() == original
    with pytest.raises(RagError, match="was not added"):
        broken.add(title="别的工厂", text="苏州某工厂部署了300台协作机器人。")
    assert not (settings.corpus_dir / "别的工厂.md").exists()
    with pytest.raises(RagError, match="机器人工厂.md was not removed"):
        broken.remove("机器人工厂.md")
    assert path.read_bytes() == original
    retriever = Retriever(settings, fake_encoder, progress=lambda m: None)
    assert "机器人工厂.md" in _cited(retriever, "宁波某工厂部署了多少台协作机器人")
    assert docs.names() == ["ai-plus-manufacturing.md", "机器人工厂.md"]
    assert docs.store.build(fake_encoder).embedded == 0  # the live build is the one from before


def test_collections_have_their_own_corpus_and_index(tmp_path, fake_encoder):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.md").write_text("# 甲\n\n宁波某工厂部署了1200台协作机器人。\n", "utf-8")
    base = Settings.from_env(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", model=FakeEncoder.name)
    robots = base.in_collection("robots")
    assert robots.corpus_dir == tmp_path / "collections" / "robots" / "corpus"
    assert robots.index_dir == tmp_path / "collections" / "robots" / "index"
    assert robots.store_schema == "rag_robots" and base.store_schema == "rag"
    assert base.in_collection("default") == base
    with pytest.raises(RagError, match="collection name"):
        base.in_collection("../x")
    Documents(open_store(robots), fake_encoder).add(title="乙", text="苏州某工厂部署了300台焊接机器人。")
    Documents(open_store(base), fake_encoder).store.build(fake_encoder)
    assert [d for d, _, _ in open_store(base).open().documents()] == ["a.md"]  # never the collection's
    assert [d for d, _, _ in open_store(robots).open().documents()] == ["乙.md"]
    env = Settings.from_env(corpus_dir=tmp_path / "corpus", collection="robots")
    assert env.corpus_dir == robots.corpus_dir and replace(env, model=robots.model).collection == "robots"


def test_a_failed_change_never_takes_back_another_made_meanwhile(settings, fake_encoder, monkeypatch):
    """Two replacements of one document at once, the first's build failing: the second stands."""
    import threading
    import time

    from rag.stores.local import LocalStore

    docs = _docs(settings, fake_encoder)
    docs.add(title="机器人工厂", text=ROBOTS)
    building, release, builds = threading.Event(), threading.Event(), []
    real_build = LocalStore.build

    def build(self, *args, **kwargs):
        builds.append(1)
        if len(builds) == 1:  # the first replacement's build: held, then it fails (a full disk, say)
            building.set()
            release.wait(10)
            raise RagError("no space left on the device")
        return real_build(self, *args, **kwargs)

    monkeypatch.setattr(LocalStore, "build", build)
    failed: list[Exception] = []

    def first() -> None:
        try:
            docs.replace("机器人工厂.md", text="宁波某工厂部署了300台协作机器人。")
        except RagError as exc:
            failed.append(exc)

    one = threading.Thread(target=first)
    one.start()
    assert building.wait(10)
    second = threading.Thread(target=docs.replace, args=("机器人工厂.md",),
                              kwargs={"text": "宁波某工厂部署了5000台协作机器人。"})
    second.start()
    # (unqueued, the second would reach its build now, before the first's undoing: give it the time)
    for _ in range(20):
        if len(builds) > 1:
            break
        time.sleep(0.1)
    release.set()
    one.join(10)
    second.join(10)
    assert failed and "not replaced" in str(failed[0])
    text = (settings.corpus_dir / "机器人工厂.md").read_text(encoding="utf-8")
    assert "5000台" in text  # the second replacement: the first's undoing came before it
    retriever = Retriever(settings, fake_encoder, progress=lambda m: None)
    assert "5000台" in retriever.search("宁波某工厂部署了多少台协作机器人", 1)[0].text


def test_changes_beyond_the_queue_are_refused_as_busy(settings, fake_encoder, monkeypatch):
    from rag import documents
    from rag.errors import BusyError

    monkeypatch.setattr(documents, "MAX_WAITING_CHANGES", 0)
    with pytest.raises(BusyError, match="already waiting"):
        _docs(settings, fake_encoder).add(title="机器人工厂", text=ROBOTS)
    assert not (settings.corpus_dir / "机器人工厂.md").exists()  # nothing written
    from ui.api import status_of

    assert status_of(BusyError("busy")) == 503  # over HTTP: the server's state, try again later
