"""Real files in each format and encoding, made by the tests: text, repairs and offsets."""


import pytest

from rag.chunk import chunk_document
from rag.corpus import read_corpus, read_document
from rag.errors import CorpusError
from tests.conftest import ROOT

SIMPLIFIED = ("人工智能与制造业的融合，不是技术与产业的简单叠加，而是对生产逻辑的全流程重构。"
              "张帆认为，我国“人工智能+制造”虽取得积极进展，但仍面临工业数据匮乏、生态支撑不足等问题。")
TRADITIONAL = ("人工智慧與製造業的融合，不是技術與產業的簡單疊加，而是對生產邏輯的全流程重構。"
               "張帆認為，我國製造業雖取得積極進展，但仍面臨工業數據匱乏、生態支撐不足等問題。")


def squash(text):
    return "".join(text.split())


def check_offsets(document):
    passages = chunk_document(document)
    assert passages
    for p in passages:
        assert document.text[p.start:p.end] == p.text
    return passages


@pytest.mark.parametrize("encoding, text", [
    ("utf-8", SIMPLIFIED), ("utf-8-sig", SIMPLIFIED), ("utf-16", SIMPLIFIED),
    ("gb18030", SIMPLIFIED), ("gbk", SIMPLIFIED), ("big5", TRADITIONAL),
])
def test_text_encodings(tmp_path, encoding, text):
    title = "標題" if encoding == "big5" else "标题"
    body = f"# {title}\n\n{text}\n\n{text}\n"
    (tmp_path / "doc.md").write_bytes(body.encode(encoding))
    document = read_document(tmp_path / "doc.md", tmp_path)
    assert document.title == title
    passages = check_offsets(document)
    assert squash("".join(p.text for p in passages)) == squash(text * 2)


def test_plain_text_hash_lines_are_text(tmp_path):
    (tmp_path / "notes.txt").write_text("#1 号车间\n\n" + SIMPLIFIED, "utf-8")
    document = read_document(tmp_path / "notes.txt", tmp_path)
    assert document.title == "notes"
    assert "#1 号车间" in [p.text for p in check_offsets(document)]


def test_html_keeps_main_text_only(tmp_path):
    html = f"""<!doctype html><html><head><meta charset="gb18030"><title>融合之路</title></head>
    <body><nav><a href="/">首页</a> | <a href="/news">新闻中心</a> | 登录注册</nav>
    <article><h1>融合之路</h1><p>{SIMPLIFIED}</p><p>{SIMPLIFIED[:40]}这是第二段，介绍工业数据集建设。</p></article>
    <footer>版权所有 © 2026 某某网站 京ICP备00000000号</footer></body></html>"""
    (tmp_path / "page.html").write_bytes(html.encode("gb18030"))
    document = read_document(tmp_path / "page.html", tmp_path)
    text = "".join(p.text for p in check_offsets(document))
    assert "工业数据匮乏" in text and "介绍工业数据集建设" in text
    assert "京ICP备" not in text and "登录注册" not in text
    assert document.title == "融合之路"


def test_docx_headings_and_paragraphs(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("报告标题", level=0)
    d.add_heading("第一部分", level=1)
    d.add_paragraph(SIMPLIFIED)
    d.add_heading("第二部分", level=1)
    d.add_paragraph("第二部分的正文。")
    d.save(tmp_path / "report.docx")
    document = read_document(tmp_path / "report.docx", tmp_path)
    passages = check_offsets(document)
    assert document.title == "报告标题"
    assert [(p.section, p.text) for p in passages][-1] == ("第二部分", "第二部分的正文。")
    assert passages[0].section == "第一部分"


@pytest.fixture
def pdf_file(tmp_path):
    """A two-page PDF whose first sentence is cut by the page break (tests/fixtures/page-break.pdf).

    Made once by Chromium (--print-to-pdf) from two paragraphs with a page break between
    "…与制造业深" and "度融合…", followed by SIMPLIFIED; committed so these tests need no browser.
    """
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes((ROOT / "tests" / "fixtures" / "page-break.pdf").read_bytes())
    return pdf


def test_pdf_text_layer_with_page_break_repaired(pdf_file):
    document = read_document(pdf_file, pdf_file.parent)
    passages = check_offsets(document)
    text = "".join(p.text for p in passages)
    assert "推动人工智能与制造业深度融合，是发展新质生产力的核心路径" in squash(text)
    assert "工业数据匮乏" in text


def test_unreadable_files_are_skipped_by_name(tmp_path):
    (tmp_path / "good.md").write_text("# 好\n\n" + SIMPLIFIED, "utf-8")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 nope")
    (tmp_path / "empty.md").write_text("", "utf-8")
    documents, warnings = read_corpus(tmp_path)
    assert [d.doc for d in documents] == ["good.md"]
    for name in ("binary.txt", "broken.pdf", "broken.docx", "empty.md"):
        assert sum(name in w for w in warnings) == 1, (name, warnings)


def test_too_large_file_is_skipped(tmp_path, monkeypatch):
    import rag.formats

    monkeypatch.setattr(rag.formats, "MAX_FILE_BYTES", 1000)
    (tmp_path / "big.txt").write_text(SIMPLIFIED * 20, "utf-8")
    with pytest.raises(CorpusError, match="split it"):
        read_document(tmp_path / "big.txt", tmp_path)


def test_read_document_of_missing_file(tmp_path):
    with pytest.raises(CorpusError, match="disappeared"):
        read_document(tmp_path / "gone.md", tmp_path)


def test_the_folders_own_files_are_not_documents(tmp_path):
    (tmp_path / "glossary.tsv").write_text("Transfar\t传化\n", "utf-8")
    (tmp_path / "userdict.txt").write_text("孙华芹 10 nr\n", "utf-8")
    (tmp_path / "examples.txt").write_text("孙华芹建议了什么？\n", "utf-8")
    (tmp_path / "notes").mkdir()  # only the folder's top holds its own files: below, a document
    (tmp_path / "notes" / "examples.txt").write_text("子文件夹里的同名文件是文档。\n", "utf-8")
    (tmp_path / "a.md").write_text("# 文章\n\n正文。\n", "utf-8")
    documents, warnings = read_corpus(tmp_path)
    assert [d.doc for d in documents] == ["a.md", "notes/examples.txt"] and warnings == []
