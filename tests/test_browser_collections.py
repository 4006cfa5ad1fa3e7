"""In headless Chromium: the collection selector of a server with two collections, and removing a
document from the Corpus tab."""

from pathlib import Path

import pytest

from tests.helpers.server import article_corpus, start_server, stop_server
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.model, pytest.mark.slow]
WELDING = "# 焊接车间\n\n代号W5的焊接车间今年部署了266台焊接机器人。\n"


def _choose(page, dropdown: str, option: str) -> None:
    page.click(f"{dropdown} input")
    page.click(f"ul[role='listbox'] li:has-text('{option}')", timeout=30_000)


def test_the_selector_switches_collections_and_a_document_is_removed(tmp_path):
    from playwright.sync_api import sync_playwright

    base = article_corpus(tmp_path)
    robots = base / "collections" / "robots" / "corpus"
    robots.mkdir(parents=True)
    (robots / "welding.md").write_text(WELDING, "utf-8")
    proc, url = start_server(base, "--collection", "default", "--collection", "robots")
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make setup`"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(url, wait_until="load")
            page.wait_for_selector("#question textarea", timeout=60_000)
            page.wait_for_selector("#corpus-line :text('1 document(s), 22 passages')", timeout=60_000)
            _choose(page, "#collection", "robots")
            page.wait_for_selector("#corpus-line :text('1 document(s), 1 passages')", timeout=60_000)
            page.fill("#question textarea", "代号W5的焊接车间部署了多少台焊接机器人？")
            page.click("#ask")
            page.wait_for_selector("#chat [data-testid='bot'] :text('266台')", timeout=120_000)
            assert "welding.md" in page.locator("#chat [data-testid='bot']").last.inner_text()

            page.click("button[role='tab']:has-text('Corpus')")
            page.fill("#new-title textarea", "装配车间")
            page.fill("#new-text textarea", "代号A2的装配车间部署了19台装配机器人。")
            page.click("#add")
            page.wait_for_selector("#add-status :text('Added 装配车间.md')", timeout=300_000)
            _choose(page, "#document-choice", "装配车间.md")
            page.click("#remove")
            page.wait_for_selector("#add-status :text('Removed 装配车间.md')", timeout=300_000)
            assert page.inner_text("#add-status").strip() == \
                "✅ Removed 装配车间.md; the chat no longer answers from it."
            assert "装配车间.md" not in page.inner_text("#documents")
            browser.close()
    finally:
        stop_server(proc)
    assert sorted(p.name for p in robots.iterdir()) == ["welding.md"]
    assert not (base / "corpus" / "装配车间.md").exists()  # the default collection never had it
