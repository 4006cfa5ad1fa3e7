"""Adding documents loses nothing: concurrent adds through the real server, duplicates, hostile DOCX files."""

import io
import threading
import tracemalloc
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from rag.corpus import add_file, add_text
from rag.errors import CorpusError
from rag.stores import build_index
from rag.stores.local import load_index
from tests.helpers.server import article_corpus, start_server, stop_server


@pytest.fixture
def article_server(tmp_path):
    """The real chat server over a copy of the article: (its folder, its process, its URL)."""
    base = article_corpus(tmp_path)
    proc, url = start_server(base)
    yield base, proc, url
    stop_server(proc)


def _docx_bomb(path, inflated_mb: int) -> None:
    """A DOCX-shaped zip whose document.xml inflates to ``inflated_mb`` MB of spaces."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            for _ in range(inflated_mb):
                f.write(b" " * (1 << 20))


def test_docx_bomb_is_refused_before_it_is_parsed(tmp_path):
    bomb = tmp_path / "bomb.docx"
    _docx_bomb(bomb, 60)
    assert bomb.stat().st_size < 1 << 20
    tracemalloc.start()
    with pytest.raises(CorpusError, match="inflate"):
        add_file(tmp_path / "corpus", bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 << 20
    assert not (tmp_path / "corpus").exists() or not list((tmp_path / "corpus").iterdir())


def test_malformed_docx_in_the_corpus_is_skipped_with_a_warning(settings, fake_encoder):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types")  # broken XML
        z.writestr("word/document.xml", "<w:document><unclosed")
    (settings.corpus_dir / "broken.docx").write_bytes(buffer.getvalue())
    report = build_index(settings, fake_encoder)
    assert any("broken.docx" in w for w in report.warnings)
    assert report.passages == 22  # the article is indexed all the same


def test_the_same_text_twice_is_refused(tmp_path):
    corpus = tmp_path / "corpus"
    first = add_text(corpus, "机器人", "宁波某工厂部署了1200台协作机器人。")
    with pytest.raises(CorpusError, match=f"already in the corpus as {first.name}"):
        add_text(corpus, "机器人", "宁波某工厂部署了1200台协作机器人。")
    assert len(list(corpus.iterdir())) == 1


def test_same_title_at_once_keeps_every_text(tmp_path):
    corpus = tmp_path / "corpus"
    barrier = threading.Barrier(8)

    def add(n):
        barrier.wait()
        return add_text(corpus, "同一个标题", f"第{n}号工厂部署了{n}00台机器人。")

    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(add, range(1, 9)))
    assert len(set(paths)) == 8
    assert {p.read_text("utf-8").split("\n\n")[1] for p in paths} == {f"第{n}号工厂部署了{n}00台机器人。\n" for n in
                                                                      range(1, 9)}


@pytest.mark.slow
@pytest.mark.model
def test_concurrent_adds_through_the_server_are_all_answered(article_server):
    from gradio_client import Client

    base, proc, url = article_server
    facts = {f"工厂{c}{d}": f"代号{c}{d}的智能工厂今年部署了{c}{d}7台焊接机器人，由{c}{d}号车间负责运维。"
             for c in "ABC" for d in "12"}
    shared = {f"同名{n}": f"同名文档第{n}篇：代号同名{n}的仓库使用了{n}9台搬运机器人。" for n in range(1, 3)}
    stop = threading.Event()
    answered = []

    def asker():
        client = Client(url, verbose=False)
        while not stop.is_set():
            history = client.predict("What did Sun Huaqin propose for SMEs?", 3, api_name="/ask")[0]
            answered.append("孙华芹" in str(history[-1]["content"]))

    def adder(items):
        client = Client(url, verbose=False)
        return [client.predict(None, title, text, api_name="/add")[0] for title, text in items]

    askers = [threading.Thread(target=asker) for _ in range(5)]
    for t in askers:
        t.start()
    groups = [[(t, facts[t]) for t in facts if t.startswith(f"工厂{c}")] for c in "ABC"]
    groups += [[("同名", text)] for text in shared.values()]
    with ThreadPoolExecutor(len(groups)) as pool:
        statuses = [s for group in pool.map(adder, groups) for s in group]
    stop.set()
    for t in askers:
        t.join()
    assert all(s.startswith("✅") for s in statuses), statuses
    assert answered and all(answered)  # questions kept being answered, rightly, during the adds
    index = load_index(base / "index")
    texts = "".join(p.text for p in index.passages)
    for text in list(facts.values()) + list(shared.values()):
        assert texts.count(text) == 1  # each add is in the live index exactly once
    assert len(list((base / "corpus").glob("*.md"))) == 1 + len(facts) + len(shared)
    # adds were embedded without torch: the server never loaded it (~1 GB)
    assert "libtorch" not in open(f"/proc/{proc.pid}/maps").read()
    client = Client(url, verbose=False)
    for title in facts:
        code = title[2:]
        reply = client.predict(f"代号{code}的智能工厂部署了多少台焊接机器人？", 1, api_name="/ask")[0][-1]
        assert f"{code}7台焊接机器人" in str(reply["content"])


@pytest.mark.slow
@pytest.mark.model
def test_an_add_queued_behind_another_shows_that_builds_progress(article_server):
    import time

    from gradio_client import Client

    _, _, url = article_server
    big = "\n\n".join(f"第{n}号园区的{n}号产线今年新增了{n * 7}台检测设备，年产值达到{n * 13}亿元。"
                      f"该产线由{n}号团队负责，已连续运行{n + 3}个月。" for n in range(1, 121))
    first, second = Client(url, verbose=False), Client(url, verbose=False)
    running = first.submit(None, "大文档", big, api_name="/add")
    deadline = time.time() + 120
    while not _descriptions(running) & {"embedding"} and time.time() < deadline:
        time.sleep(0.1)
    queued = second.submit(None, "小文档", "代号Q9的仓库使用了39台搬运机器人。", api_name="/add")
    seen = set()
    while not queued.done():
        seen |= _descriptions(queued)
        time.sleep(0.1)
    seen |= _descriptions(queued)
    assert running.result()[0].startswith("✅") and queued.result()[0].startswith("✅")
    waits = [d for d in seen if d.startswith("waiting for another build to finish: it has embedded")]
    assert waits, seen  # the queued client saw the running build's progress, not a frozen bar
    reply = second.predict("代号Q9的仓库使用了多少台搬运机器人？", 1, api_name="/ask")[0][-1]
    assert "39台搬运机器人" in str(reply["content"])


def _descriptions(job) -> set[str]:
    """The progress descriptions a gradio_client job has reported so far."""
    units = job.status().progress_data or []
    return {unit.desc for unit in units if unit.desc}
