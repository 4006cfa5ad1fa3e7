"""The index with the fake encoder: round trip, reuse of vectors, staleness, atomic switch, errors."""

import json
import shutil
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from rag.errors import CorpusError, IndexNotReady
from rag.retriever import Retriever
from rag.stores import build_index, open_store
from rag.stores.local import current_build, load_index
from tests.conftest import GLOSSARY, ROOT, FakeEncoder


def test_build_and_load_round_trip(settings, fake_encoder):
    report = build_index(settings, fake_encoder)
    index = load_index(settings.index_dir)
    assert report.passages == len(index.passages) == index.passage_vectors.ntotal == 22
    manifest = index.manifest
    assert manifest["model"] == fake_encoder.name and manifest["dim"] == 64
    assert manifest["chunker"]["max_chars"] == 600
    assert list(manifest["corpus"]) == ["ai-plus-manufacturing.md", "userdict.txt"]  # (the words change builds)
    # the passages' mean vector: a question's product with it is its mean cosine to them
    vectors = index.passage_vectors.reconstruct_n(0, index.passage_vectors.ntotal)
    assert np.allclose(manifest["centroid"], vectors.mean(axis=0), atol=1e-5)
    # a build made before the mean vector was stored has it computed when first asked
    older = dict(manifest)
    del older["centroid"]
    snapshot = open_store(settings).open()
    snapshot.manifest = older
    assert np.allclose(snapshot.centroid, vectors.mean(axis=0), atol=1e-5)
    lines = (index.path / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    assert "孙华芹" in "".join(lines)  # human-readable, not \\u-escaped
    assert not list(settings.index_dir.rglob("*.pkl")) and not list(settings.index_dir.rglob("*.pickle"))
    assert open_store(settings).stale_reasons(manifest, FakeEncoder.name) == []


def test_unchanged_rebuild_embeds_nothing(settings, fake_encoder):
    build_index(settings, fake_encoder)
    fake_encoder.calls = 0
    report = build_index(settings, fake_encoder)
    assert fake_encoder.calls == 0 and report.embedded == 0 and report.reused > 0


def test_edit_embeds_only_new_text(settings, fake_encoder):
    build_index(settings, fake_encoder)
    (settings.corpus_dir / "extra.md").write_text("# 新文档\n\n这是一段全新的文字。只有一句话吗？不是。", "utf-8")
    fake_encoder.texts = 0
    report = build_index(settings, fake_encoder)
    assert report.passages == 23
    assert fake_encoder.texts == report.embedded == 4  # the passage and its three sentences


def test_stale_index_detected_and_rebuilt(settings, fake_encoder):
    build_index(settings, fake_encoder)
    article = next(settings.corpus_dir.iterdir())
    article.write_text(article.read_text("utf-8") + "\n\n新增的一段：智能制造的未来。\n", "utf-8")
    reasons = open_store(settings).stale_reasons(load_index(settings.index_dir).manifest, FakeEncoder.name)
    assert reasons and "corpus changed" in reasons[0]
    with pytest.raises(IndexNotReady, match="rag index"):
        Retriever(settings, fake_encoder, auto_build=False).search("智能制造", 3)
    hits = Retriever(settings, fake_encoder, progress=lambda m: None).search("智能制造的未来", 3)
    assert any("智能制造的未来" in h.text for h in hits)


def test_a_build_and_its_switch_are_flushed_to_disk(settings, fake_encoder, monkeypatch):
    """After each atomic rename its folder is fsynced: the new build's name, then CURRENT's."""
    import os

    events = []
    real_fsync, real_rename, real_replace = os.fsync, os.rename, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", lambda a, b: events.append(("rename", str(b))) or real_rename(a, b))
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(("replace", str(b))) or real_replace(a, b))
    build_index(settings, fake_encoder)
    index_dir = settings.index_dir.resolve()
    build = current_build(settings.index_dir).resolve()
    renamed = events.index(("rename", str(build)))
    switched = events.index(("replace", str(index_dir / "CURRENT")))
    assert ("fsync", str(build.parent)) in events[renamed:switched]  # builds/ flushed before the switch
    assert ("fsync", str(index_dir)) in events[switched:]
    assert ("fsync", str(build.parent / (build.name + ".tmp") / "passages.jsonl")) in events[:renamed]


def test_missing_index_is_reported(settings, fake_encoder):
    with pytest.raises(IndexNotReady, match="run `rag index`"):
        load_index(settings.index_dir)


def test_damaged_index_is_reported(settings, fake_encoder):
    build_index(settings, fake_encoder)
    (current_build(settings.index_dir) / "index.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexNotReady, match="rag index --full"):
        load_index(settings.index_dir)
    build_index(settings, fake_encoder, full=True)  # and a rebuild recovers
    assert load_index(settings.index_dir).passage_vectors.ntotal == 22


def test_build_switches_atomically_and_keeps_previous(settings, fake_encoder):
    build_index(settings, fake_encoder)
    first = current_build(settings.index_dir)
    build_index(settings, fake_encoder, full=True)
    second = current_build(settings.index_dir)
    assert first != second and first.exists() and second.exists()
    build_index(settings, fake_encoder, full=True)
    assert not first.exists()  # only the live build and the one before it are kept


def test_concurrent_build_is_refused(settings, fake_encoder):
    from filelock import FileLock

    settings.index_dir.mkdir(parents=True)
    with FileLock(str(settings.index_dir / ".lock")):
        result = {}
        thread = threading.Thread(target=lambda: result.setdefault("e", _try(settings, fake_encoder)))
        thread.start()
        thread.join()
    assert isinstance(result["e"], IndexNotReady) and "another build" in str(result["e"])


def test_a_queued_build_says_it_waits_then_runs(settings, fake_encoder):
    from filelock import FileLock

    settings.index_dir.mkdir(parents=True)
    notes, done = [], threading.Event()
    lock = FileLock(str(settings.index_dir / ".lock"))
    lock.acquire()
    thread = threading.Thread(target=lambda: (build_index(settings, fake_encoder, wait=True, note=notes.append),
                                              done.set()))
    thread.start()
    time.sleep(0.5)
    assert notes and set(notes) == {"waiting for another build to finish"} and not done.is_set()
    lock.release()
    thread.join(timeout=30)
    assert done.is_set() and current_build(settings.index_dir) is not None


def _try(settings, encoder):
    try:
        build_index(settings, encoder)
    except IndexNotReady as exc:
        return exc


def test_missing_and_empty_corpus(settings, fake_encoder, tmp_path):
    from dataclasses import replace

    with pytest.raises(CorpusError, match="does not exist"):
        build_index(replace(settings, corpus_dir=tmp_path / "nope"), fake_encoder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="has no documents"):
        build_index(replace(settings, corpus_dir=tmp_path / "empty"), fake_encoder)


def test_bad_file_is_skipped_with_warning(settings, fake_encoder):
    (settings.corpus_dir / "broken.txt").write_bytes(b"\xff\xfe\x00\x81 not text")
    report = build_index(settings, fake_encoder)
    assert report.passages == 22
    assert any("broken.txt" in w for w in report.warnings)
    assert json.loads((current_build(settings.index_dir) / "manifest.json").read_text())["skipped"]


def test_index_kind_is_chosen_recorded_and_overridable(settings, fake_encoder):
    from dataclasses import replace

    from rag.build import choose_kind

    assert choose_kind("auto", 1_000) == "flat" and choose_kind("auto", 5_000_000) == "hnsw"
    with pytest.raises(IndexNotReady, match="auto, flat or hnsw"):
        choose_kind("ivf", 10)
    build_index(replace(settings, faiss_kind="hnsw"), fake_encoder)
    index = load_index(settings.index_dir)
    assert index.manifest["faiss"] == {"passages": "hnsw", "sentences": "hnsw"}
    assert type(index.passage_vectors).__name__ == "IndexHNSWFlat"
    retriever = Retriever(replace(settings, faiss_kind="hnsw"), fake_encoder)
    hit = retriever.search("孙华芹建议政府出台更加普惠的支持政策", 1)[0]
    assert "孙华芹建议政府出台更加普惠的支持政策" in hit.text


def test_a_ranking_keeps_the_build_it_was_made_on(settings, fake_encoder):
    """A rebuild that goes live between ranking and citing must not swap passages under the ranking."""
    build_index(settings, fake_encoder)
    retriever = Retriever(settings, fake_encoder, progress=lambda m: None)
    ranking = retriever.rank_queries([retriever.analyse("孙华芹建议政府出台更加普惠的支持政策")])[0]
    before = [p.text for p in ranking.passages]
    # a new first document shifts every passage number of the next build
    (settings.corpus_dir / "0-first.md").write_text("# 前言\n\n一段新的开头文字，排在所有段落之前。\n", "utf-8")
    build_index(settings, fake_encoder)
    retriever.analyse("触发重新加载")  # the retriever now reads the new build
    hits = retriever.hits(ranking, 3)
    assert all(h.text in before for h in hits)
    assert "孙华芹" in hits[0].text


def test_a_question_is_ranked_on_the_build_it_was_analysed_on(settings, fake_encoder):
    """Its terms' IDF and names come from one build: a build going live between analysing and
    ranking must not lend it the next build's candidates."""
    build_index(settings, fake_encoder)
    retriever = Retriever(settings, fake_encoder, progress=lambda m: None)
    query = retriever.analyse("孙华芹建议政府出台更加普惠的支持政策")
    first = {p.text for p in retriever.rank_queries([query])[0].passages}
    again = "# 孙华芹\n\n孙华芹建议政府出台更加普惠的支持政策，又说了一遍。\n"
    (settings.corpus_dir / "0-first.md").write_text(again, "utf-8")
    build_index(settings, fake_encoder)
    retriever.analyse("触发重新加载")  # the retriever now reads the new build
    ranking = retriever.rank_queries([query])[0]
    assert {p.text for p in ranking.passages} == first and ranking.corpus_size == 22


def test_the_library_logs_instead_of_printing(settings, fake_encoder, capsys, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="rag"):
        Retriever(settings, fake_encoder).search("孙华芹", 1)  # no index yet: it builds one, and says so
    assert "building the index" in caplog.text
    assert capsys.readouterr().out == ""


def test_an_encoder_named_unlike_the_setting_does_not_rebuild_every_start(settings, fake_encoder):
    other = replace(settings, model="some/other-model")  # the encoder, not the setting, made the vectors
    Retriever(other, fake_encoder).search("孙华芹", 1)
    first = current_build(settings.index_dir)
    Retriever(other, fake_encoder).search("孙华芹", 1)
    assert current_build(settings.index_dir) == first


def test_a_large_corpus_spells_names_from_its_words(settings, fake_encoder, monkeypatch):
    """Above PINYIN_ALL_TEXT passages the build spells the distinct words, not every stretch."""
    import rag.build

    monkeypatch.setattr(rag.build, "PINYIN_ALL_TEXT", 5)  # the article's 22 passages count as large
    build_index(settings, fake_encoder)
    spelled = load_index(settings.index_dir).glossary["spelled"]
    assert "孙华芹" in spelled["sun hua qin"]
    assert "芹关" not in spelled.get("qin guan", [])  # 孙华芹关注: across two words, not spelled
    assert "孙华芹" in Retriever(settings, fake_encoder).analyse("What did Sun Huaqin propose for SMEs?").names


@pytest.mark.parametrize(("question", "share"), [
    ("What did Sun Huaqin propose for SMEs?", 0.0),  # pinyin and the dictionary reach every word
    ("How old is Zhang Fan?", 1 / 3),  # "old" (古老, 年迈…: none in the text); the name's words are not
    ("Who painted the Mona Lisa?", 1 / 3),  # "painted" (彩绘); "mona" and "lisa" are no CC-CEDICT words
    ("孙华芹建议什么？", 0.0),  # a Chinese question's own words are searched as they are
])
def test_the_share_of_english_words_the_text_lacks(settings, fake_encoder, question, share):
    """English words CC-CEDICT knows whose Chinese is nowhere in the corpus (a confidence feature)."""
    build_index(settings, fake_encoder)
    assert Retriever(settings, fake_encoder).analyse(question).absent_share == pytest.approx(share)


def test_a_question_does_not_load_pypinyin(settings, fake_encoder):
    """The pinyin is worked out at build time: an English question needs no pypinyin (~55 MB)."""
    import subprocess
    import sys

    build_index(settings, fake_encoder)
    code = ("import sys; from rag.stores.local import LocalSnapshot, load_index; "
            f"s = LocalSnapshot(load_index(__import__('pathlib').Path({str(settings.index_dir)!r}))); "
            "assert s.names.find('What did Sun Huaqin propose?') == ['孙华芹']; "
            "assert not [m for m in sys.modules if m.startswith('pypinyin')], 'pypinyin loaded'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize(("question", "units", "missing"), [
    # the name is one unit (not "sun": 太阳), each English word or phrase another
    ("What did Sun Huaqin propose for SMEs?", {"孙华芹", "中小企业", "建议"}, 0),
    # the text names the company (glossary: Transfar = 传化); "employees" reaches nothing it has
    ("How many employees does Transfar have?", {"传化"}, 1),
    ("孫華芹建議什麼？", {"孙华芹", "建议"}, 0),  # a Chinese question's own words, in simplified characters
])
def test_what_a_question_asks_about(settings, fake_encoder, question, units, missing):
    """The units the confidence checks the best passage for (scoring.unit_coverage)."""
    shutil.copy(GLOSSARY, settings.corpus_dir / GLOSSARY.name)  # the article's English names
    build_index(settings, fake_encoder)
    query = Retriever(settings, fake_encoder).analyse(question)
    words = {word for unit in query.units for word in unit}
    assert words >= units and query.missing_units == missing
    assert "太阳" not in words and "孙" not in words  # the words that spelled a name are the name's unit


def test_a_failed_rebuild_answers_from_the_live_build(settings, fake_encoder, monkeypatch):
    """A full disk (or any failed automatic rebuild) must not stop every question: the live build
    answers for the text it holds, with a warning; a build of another model is never used so."""
    from rag.stores.local import LocalStore

    build_index(settings, fake_encoder)
    (settings.corpus_dir / "new.md").write_text("# 新\n\n一段还没有索引的新文字。\n", "utf-8")

    def no_space(*args, **kwargs):
        raise IndexNotReady("no space left on the disk of the index: free some space and run `rag index`")

    monkeypatch.setattr(LocalStore, "build", no_space)
    said: list[str] = []
    hits = Retriever(settings, fake_encoder, progress=said.append).search("孙华芹建议政府出台更加普惠的支持政策", 3)
    assert "孙华芹" in hits[0].text
    assert any(m.startswith("warning: no space left") and "previous build" in m for m in said), said

    class AnotherModel(FakeEncoder):
        name = "another-model"

    with pytest.raises(IndexNotReady, match="no space left"):
        Retriever(settings, AnotherModel(), progress=said.append).search("孙华芹", 3)


def test_the_corpus_words_are_kept_with_the_build_and_cut_questions_as_its_text(settings, fake_encoder):
    """corpus/userdict.txt belongs to one corpus: recorded in its build, given to jieba when the build
    opens (in a process that never read the file), and an edit to it makes the build stale."""
    import subprocess
    import sys

    (settings.corpus_dir / "userdict.txt").write_text("# the corpus's words\n智造云脑 5 n\n", "utf-8")
    build_index(settings, fake_encoder)
    assert ["智造云脑", 5, "n"] in load_index(settings.index_dir).glossary["words"]
    code = ("from pathlib import Path; from rag.lexical import tokenize; "
            "from rag.stores.local import LocalSnapshot, load_index; "
            "assert '智造云脑' not in tokenize('智造云脑是什么'); "
            f"LocalSnapshot(load_index(Path({str(settings.index_dir)!r}))); "
            "assert '智造云脑' in tokenize('智造云脑是什么'), tokenize('智造云脑是什么')")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    (settings.corpus_dir / "userdict.txt").write_text("智造云脑 5 n\n戊己庚辛 5 n\n", "utf-8")
    reasons = open_store(settings).stale_reasons(load_index(settings.index_dir).manifest, FakeEncoder.name)
    assert reasons == ["corpus changed: userdict.txt"]
