"""respond(): answers, citations, refusal, errors and escaping, without a browser."""

import shutil

import pytest

from rag.config import Settings
from rag.corpus import add_file, add_text, corpus_files, safe_name
from rag.errors import CorpusError
from rag.retriever import Retriever
from tests.conftest import ARTICLE, FakeEncoder
from ui.app import build_app, respond


@pytest.fixture
def retriever(settings, fake_encoder):
    return Retriever(settings, fake_encoder, progress=lambda m: None)


@pytest.mark.model
def test_reply_cites_and_highlights(real_retriever):
    history = respond(real_retriever, "孙华芹建议政府出台更加普惠的支持政策", [], 3)[0]
    assert [m["role"] for m in history] == ["user", "assistant"]
    reply = history[1]["content"]
    assert "[1]" in reply and "[3]" in reply and "<mark>" in reply
    assert "ai-plus-manufacturing.md · 两者不是简单叠加" in reply


@pytest.mark.model
def test_refusal_highlights_nothing(real_retriever):
    reply = respond(real_retriever, "What is the capital of France?", [], 3)[0][1]["content"]
    assert "does not say" in reply and "<mark>" not in reply


@pytest.mark.model
def test_follow_up_uses_the_conversation(real_retriever):
    history, asked = respond(real_retriever, "张天任是谁？", [], 3)
    history, asked = respond(real_retriever, "他建议了什么？", history, 3, asked)
    reply = history[-1]["content"]
    assert "understood as: 张天任建议了什么" in reply and "张天任建议" in reply.split("[1]")[0]


def test_user_text_is_shown_not_rendered(retriever):
    history = respond(retriever, "![x](http://127.0.0.1:7999/q.png) \u202eSun Huaqin", [], 1)[0]
    shown = history[0]["content"]
    assert "](" not in shown and "\u202e" not in shown and "Sun Huaqin" in shown


def test_lone_surrogate_is_not_an_error(retriever):
    reply = respond(retriever, "孙华芹\ud800建议", [], 1)[0][1]["content"]
    assert "went wrong" not in reply


def test_history_is_kept(retriever):
    history = respond(retriever, "张天任", [], 2)[0]
    history = respond(retriever, "于旭波", history, 2)[0]
    assert len(history) == 4 and history[2]["content"] == "于旭波"


@pytest.mark.parametrize("bad", ["", "   ", "\u200b\u200b", "？？？"])
def test_empty_question_gets_a_message(retriever, bad):
    reply = respond(retriever, bad, [], 3)[0][-1]["content"]
    assert "question is empty" in reply and "Traceback" not in reply


def test_huge_question_is_cut_with_a_note(retriever):
    reply = respond(retriever, "人工智能" * 25_000, [], 2)[0][-1]["content"]
    assert "cut to its first 500 characters" in reply


def test_corpus_html_is_escaped(settings, fake_encoder):
    (settings.corpus_dir / "evil.md").write_text(
        "# 恶意\n\n<script>alert('x')</script> 文本 <img src=x onerror=alert(1)> 结束。", "utf-8")
    reply = respond(Retriever(settings, fake_encoder, progress=lambda m: None), "script alert 文本", [], 3)[0][-1]
    assert "<script>" not in reply["content"] and "&lt;script&gt;" in reply["content"]
    assert "<img" not in reply["content"]


def test_question_html_is_escaped(retriever):
    history = respond(retriever, "<b>bold</b> Group's 张天任", [], 1)[0]
    assert history[0]["content"] == "&#60;b&#62;bold&#60;/b&#62; Group's 张天任"  # escaped once


def test_safe_names_stay_inside(tmp_path):
    assert safe_name("../../etc/passwd") == "passwd.md"
    assert safe_name("..\\..\\x.txt", ".txt") == "x.txt"
    assert safe_name("") == "document.md"
    path = add_text(tmp_path, "../../逃逸", "正文。")
    assert path.parent == tmp_path


def test_long_titles_in_rare_cjk_fit_the_file_system(tmp_path):
    title = "".join(chr(0x20000 + n) for n in range(100))  # CJK Extension B: 4 bytes each in UTF-8
    first = add_text(tmp_path, title, "第一篇正文。")
    second = add_text(tmp_path, title, "第二篇正文。")  # the same title: the next free -2 name still fits
    assert second.name == first.stem + "-2.md"
    assert len(first.name.encode()) <= 255 and len(second.name.encode()) <= 255
    assert first.stem == title[: len(first.stem)]  # cut between characters, never inside one
    assert len(safe_name("报告" * 100, ".docx").encode()) <= 250  # common CJK keeps its 80 characters
    assert safe_name("报告" * 100) == "报告" * 40 + ".md"


def test_bad_uploads_get_clear_messages(tmp_path):
    (tmp_path / "a.exe").write_bytes(b"MZ")
    with pytest.raises(CorpusError, match="only .md"):
        add_file(tmp_path / "c", tmp_path / "a.exe")
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    with pytest.raises(CorpusError, match="cannot read the PDF"):
        add_file(tmp_path / "c", tmp_path / "a.pdf")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(CorpusError, match="binary|encoding|decode"):
        add_file(tmp_path / "c", tmp_path / "b.txt")
    (tmp_path / "big.txt").write_bytes(b"a" * (11 << 20))
    with pytest.raises(CorpusError, match="limit"):
        add_file(tmp_path / "c", tmp_path / "big.txt")
    with pytest.raises(CorpusError, match="title"):
        add_text(tmp_path, " ", "正文")


def test_added_files_never_take_the_name_of_the_folders_own_files(tmp_path):
    (tmp_path / "userdict.txt").write_text("词条。\n", "utf-8")
    path = add_file(tmp_path / "c", tmp_path / "userdict.txt")  # a document that happens to be called so
    assert path.name == "userdict-2.txt" and corpus_files(tmp_path / "c") == [path]
    (tmp_path / "upload").write_text("另一个词条。\n", "utf-8")
    assert add_file(tmp_path / "c", tmp_path / "upload", name="examples.txt").name == "examples-2.txt"


def _examples_shown(app) -> list[str]:
    buttons = sorted((b.elem_id, b.value) for b in app.blocks.values() if (b.elem_id or "").startswith("example-"))
    return [value for _, value in buttons if value]


def test_a_fresh_folder_shows_examples_from_its_own_documents(tmp_path, fake_encoder):
    corpus = tmp_path / "mine"
    corpus.mkdir()
    (corpus / "robots.md").write_text("# 机器人工厂\n\n宁波某机器人工厂去年部署了1200台协作机器人。\n", "utf-8")
    (corpus / "battery.md").write_text("# 电池实验\n\n实验平台测试了锂电池。第二句话。\n\n第二段落。\n", "utf-8")
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index", model=FakeEncoder.name)
    app = build_app(Retriever(settings, fake_encoder, progress=lambda m: None))
    shown = _examples_shown(app)
    assert shown == ["《电池实验》讲了什么？", "What is “机器人工厂” about?",  # the larger document first
                     "What is “电池实验” about?", "《机器人工厂》讲了什么？"]
    assert not any("孙华芹" in q or "Transfar" in q for q in shown)  # nothing of the sample article
    assert app.title == "Cited Q&A over 2 documents"


def test_the_article_folder_shows_its_examples_file(settings, fake_encoder):
    shutil.copy(ARTICLE.parent / "examples.txt", settings.corpus_dir)
    app = build_app(Retriever(settings, fake_encoder, progress=lambda m: None))
    assert _examples_shown(app)[1] == "孙华芹对中小企业提出了什么建议？"
    assert app.title == "“人工智能+制造”如何跑出加速度 · cited Q&A"
