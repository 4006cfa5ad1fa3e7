"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import ROOT
from tests.helpers.server import article_corpus, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Tests never write tracked files: `make screenshot` sets RAG_SCREENSHOT=docs/chat.png.
SCREENSHOT = Path(os.environ.get("RAG_SCREENSHOT") or ROOT / "tests" / "artifacts" / "chat.png")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = article_corpus(tmp_path_factory.mktemp("web"))
    for name in ("examples.txt", "userdict.txt"):  # the article's example questions and names
        shutil.copy(ROOT / "corpus" / name, base / "corpus")
    (base / "corpus" / "evil.md").write_text(
        "# 注入测试\n\n这份文档测试网页安全：<script>window.__pwned = 1</script>"
        "<img src=x onerror=\"window.__pwned = 2\"> 脚本只应作为文字显示。\n", "utf-8")
    proc, url = start_server(base)
    yield url, base
    stop_server(proc)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make setup`"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(server[0], wait_until="load")
        page.wait_for_selector("#question textarea", timeout=60_000)  # Gradio keeps a heartbeat open: no "networkidle"
        yield page
        browser.close()


def _ask(page, question):
    page.fill("#question textarea", question)
    page.click("#ask")


def _last_reply(page):
    return page.locator("#chat [data-testid='bot']").last


def test_english_question_cites_and_highlights_sun_huaqin(page):
    _ask(page, "What did Sun Huaqin propose for SMEs?")
    mark = page.wait_for_selector("#chat details[open] mark:has-text('孙华芹')", timeout=60_000)
    assert mark.is_visible()
    reply = _last_reply(page)
    assert reply.locator("details[open]").count() == 1  # answered: the best passage open, the others closed
    assert "孙华芹建议政府出台更加普惠的支持政策" in reply.locator("details[open]").inner_text()
    assert reply.locator(".evidence .cite").first.inner_text() == "[1]"  # the quote cites that passage
    assert page.locator("#chat", has_text="两者不是简单叠加").count() == 1
    SCREENSHOT.parent.mkdir(exist_ok=True)
    # show the answer from its start: the question, the quoted evidence, then the passages
    page.evaluate("document.querySelectorAll('#chat *').forEach(e => { e.scrollTop = 0; })")
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_an_english_reader_can_read_the_quoted_chinese(page):
    """The reading aid: 孙华芹 shown as the question spelled it, any word's pinyin and English on
    hover, and the word-by-word line behind its toggle."""
    _ask(page, "What did Sun Huaqin propose for SMEs?")
    page.wait_for_function("[...document.querySelectorAll('#chat [data-testid=bot]')].pop()"
                           "?.querySelector('.evidence .w.asked') != null", timeout=60_000)
    evidence = _last_reply(page).locator(".evidence")
    name = evidence.locator(".w.asked", has_text="孙华芹").first
    assert name.is_visible()
    assert evidence.locator(".gl", has_text="(Sun Huaqin)").first.is_visible()
    assert evidence.locator(".gl", has_text="(SMEs)").count() >= 1  # 中小企业 = the question's "SMEs"
    word = evidence.locator(".w", has_text="政府").first
    tip = word.locator(".tip")
    assert not tip.is_visible()
    # (the reply can still be re-rendered just after it appears, and a new element under a still
    # mouse is not hovered: hover again until the tip shows, for up to 10 s)
    for _ in range(10):
        word.hover()
        try:
            tip.wait_for(state="visible", timeout=1_000)
            break
        except PlaywrightTimeoutError:
            page.mouse.move(0, 0)
    assert tip.is_visible()
    assert "zhèng fǔ" in tip.inner_text() and "government" in tip.inner_text()
    line = evidence.locator(".wordbyword p")
    assert not line.is_visible()
    evidence.locator(".wordbyword summary").click()
    line.wait_for(state="visible", timeout=5_000)
    assert "Sun Huaqin" in line.inner_text() and "government" in line.inner_text()


def test_example_question_click(page):
    before = page.locator("#chat .message-row, #chat [data-testid='bot']").count()
    page.click("#example-1")  # 孙华芹对中小企业提出了什么建议？
    page.wait_for_function(
        "() => document.querySelector('#chat').innerText.includes('孙华芹对中小企业提出了什么建议')",
        timeout=60_000)
    page.wait_for_selector("#chat :text('原文依据')", timeout=60_000)
    assert page.locator("#chat .message-row, #chat [data-testid='bot']").count() > before


def test_script_in_document_is_shown_not_run(page):
    _ask(page, "这份文档测试网页安全的脚本")
    page.wait_for_selector("#chat :text('window.__pwned = 1')", timeout=60_000)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#chat img[src='x']").count() == 0


def test_upload_new_text_and_ask_it(page, server, tmp_path):
    doc = tmp_path / "robots.md"
    doc.write_text("# 机器人工厂\n\n宁波某机器人工厂去年部署了1200台协作机器人，产能提升了35%。\n", "utf-8")
    page.click("button[role='tab']:has-text('Corpus')")
    page.set_input_files("#upload input[type='file']", str(doc))
    page.click("#add")
    page.wait_for_selector("#add-status :text('Added robots.md')", timeout=300_000)
    assert page.locator("#documents", has_text="robots.md").count() == 1
    page.click("button[role='tab']:has-text('Chat')")
    _ask(page, "How many collaborative robots did the Ningbo factory deploy?")
    page.wait_for_selector("#chat mark:has-text('1200台协作机器人')", timeout=60_000)
    assert (server[1] / "corpus" / "robots.md").exists()


def test_user_text_is_shown_as_typed(page):
    """Escaped once, not twice (an apostrophe showed as &#x27;), and inert: a URL is text, not a
    broken link; tags, Markdown and $$ maths are shown as typed."""
    question = ("What is Transfar Group's self-developed large model called? See https://example.com/a_b(c)?x=1&y=2 "
                "or www.example.com, <b>bold</b>, **stars**, $$x^2$$")
    _ask(page, question)
    user = page.locator("#chat [data-testid='user']", has_text="Transfar Group's").last
    user.wait_for(timeout=60_000)
    assert " ".join(user.inner_text().split()) == question
    assert user.locator("a, b, strong, .katex").count() == 0


def test_messages_are_shown_as_written(page):
    page.click("button[role='tab']:has-text('Corpus')")
    page.fill("#new-title textarea", "Robot's report")
    page.fill("#new-text textarea", "## 只有一个小标题")
    page.click("#add")
    page.wait_for_selector("#add-status :text('has no text to index')", timeout=60_000)
    assert page.inner_text("#add-status").strip() == "⚠️ Robot's report has no text to index"
    page.click("button[role='tab']:has-text('Chat')")


def _post_upload(url: str, name: str, data: bytes) -> str:
    """Post a file to Gradio's upload route, as a script could without ever adding it; its path on the server."""
    import json
    import urllib.request

    boundary = "rag-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/markdown\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url + "gradio_api/upload", data=body,
                                     headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    return json.loads(urllib.request.urlopen(request, timeout=60).read())[0]


def test_uploads_never_added_are_deleted_and_none_outlive_the_server(page, tmp_path):
    import time

    base = article_corpus(tmp_path)
    (tmp_path / "tmp").mkdir()
    proc, url = start_server(base, env={"TMPDIR": str(tmp_path / "tmp"), "RAG_UPLOAD_MAX_AGE": "3"})
    try:
        [uploads] = (tmp_path / "tmp").glob("rag-uploads-*")  # the server's own upload folder

        def uploaded() -> list[str]:
            return sorted(p.name for p in uploads.rglob("*") if p.is_file())

        chosen = tmp_path / "chosen.md"
        chosen.write_text("# 选了没加\n\n这份文件只被选中上传，从未加入语料。\n", "utf-8")
        visitor = page.context.browser.new_page()  # a visitor chooses a file, then leaves without adding it
        try:
            visitor.goto(url, wait_until="load")
            visitor.click("button[role='tab']:has-text('Corpus')", timeout=60_000)
            visitor.set_input_files("#upload input[type='file']", str(chosen))
            deadline = time.time() + 30
            while "chosen.md" not in uploaded() and time.time() < deadline:
                time.sleep(0.1)
            assert "chosen.md" in uploaded()
        finally:
            visitor.close()
        posted = _post_upload(url, "posted.md", b"# posted\n\n" + b"x" * 100_000)  # a script, no login needed
        assert Path(posted).is_file() and Path(posted).is_relative_to(uploads)
        deadline = time.time() + 30
        while uploaded() and time.time() < deadline:
            time.sleep(0.2)
        assert uploaded() == []  # deleted once older than RAG_UPLOAD_MAX_AGE
        _post_upload(url, "late.md", b"# late\n\nx\n")
        assert uploaded() == ["late.md"]
    finally:
        stop_server(proc)
    assert not uploads.exists()  # the folder goes with the server


def test_login_guards_questions_and_uploads(tmp_path):
    import urllib.error
    import urllib.request

    proc, url = start_server(article_corpus(tmp_path), env={"RAG_AUTH": "alice:s3cret"})
    try:
        assert "web chat on http://127.0.0.1:" in (tmp_path / "server.log").read_text()
        for path, data in [("config", None), ("gradio_api/info", None),
                           ("gradio_api/queue/join", b"{}"), ("gradio_api/upload", b"{}")]:
            request = urllib.request.Request(url + path, data=data, headers={"content-type": "application/json"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 401, path
        login = urllib.request.Request(url + "login", data=b"username=alice&password=s3cret")
        assert urllib.request.urlopen(login, timeout=10).status == 200
    finally:
        stop_server(proc)


@pytest.mark.parametrize("first, follow_up, person, said", [
    ("Who is Zhang Tianren?", "What did he suggest?", "张天任", "张天任建议"),
    ("孙华芹是谁？", "她建议了什么？", "孙华芹", "孙华芹建议"),
])
def test_follow_up_question_cites_the_right_person(page, first, follow_up, person, said):
    page.click("#new-conversation")
    page.wait_for_function("document.querySelectorAll('#chat .cite').length === 0", timeout=30_000)
    _ask(page, first)
    page.wait_for_function("document.querySelectorAll('#chat details').length > 0", timeout=60_000)
    _ask(page, follow_up)
    page.wait_for_selector("#chat :text('understood as: ')", timeout=60_000)
    reply = _last_reply(page)  # the follow-up's answer, not the first question's
    assert "understood as: " in reply.inner_text()
    assert reply.locator("details[open]").count() == 1  # answered
    assert said in reply.locator(".evidence").inner_text()  # and what it quotes is what this person said
