"""respond(): answers, citations, refusal, errors and escaping, without a browser."""

import pytest

from rag.corpus import add_file, add_text, safe_name
from rag.errors import CorpusError
from rag.retriever import Retriever
from ui.app import respond


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
