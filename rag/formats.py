"""Turn a corpus file into Markdown-ish text: Markdown, plain text, HTML, PDF and DOCX.

Text files may be UTF-8 (with or without BOM), UTF-16, GB18030/GBK or Big5; the
encoding is detected (charset-normalizer). HTML keeps its main text only (trafilatura),
PDF its text layer (pypdf), DOCX its paragraphs with headings as ``#`` (python-docx).
Anything that cannot be read raises CorpusError naming the file.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from pathlib import Path

from .errors import CorpusError

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + (".html", ".htm", ".pdf", ".docx")
MAX_FILE_BYTES = 10 * 1024 * 1024  # bigger files are skipped with a warning: split them
# A DOCX is a zip: 50 KB can inflate to gigabytes of XML. Real documents of MAX_FILE_BYTES
# inflate to a few times that.
MAX_INFLATED_BYTES = 4 * MAX_FILE_BYTES
# PDF fonts often map 人, 工, 力 … to look-alike Kangxi radicals (⼈ U+2F08); NFKC maps them back.
_KANGXI = re.compile("[\u2e80-\u2fdf]")


def decode_text(data: bytes, label: str) -> str:
    """Decode bytes of a text file, detecting the encoding; raises CorpusError if it is not text."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return _check(data.decode(codec, errors="strict"), label)
            except UnicodeDecodeError as exc:
                raise CorpusError(f"{label}: starts like {codec} text but does not decode as it") from exc
    try:
        return _check(data.decode("utf-8"), label)
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16_le", "utf_16_be", "utf_8",
                                          "cp1252", "latin_1"]).best()
    if best is None:
        raise CorpusError(f"{label}: cannot tell its text encoding (tried UTF-8, UTF-16, GB18030, Big5)")
    return _check(str(best), label)


def _check(text: str, label: str) -> str:
    # Binary files decode "successfully" as latin-1 or UTF-16; real text has few control characters.
    controls = sum(1 for c in text[:20000] if ord(c) < 32 and c not in "\n\r\t\f")
    if "\x00" in text or controls > max(8, len(text[:20000]) // 200):
        raise CorpusError(f"{label} looks like a binary file, not text")
    return text


def _html(data: bytes, label: str) -> str:
    import trafilatura

    markup = decode_text(data, label)
    text = trafilatura.extract(markup, output_format="markdown", include_comments=False,
                               include_tables=True, favor_recall=True)
    if not text:
        raise CorpusError(f"{label}: no main text found in the HTML")
    meta = trafilatura.extract_metadata(markup)
    title = meta.title if meta is not None and meta.title else ""
    return f"# {title}\n\n{text}" if title and not text.lstrip().startswith("# ") else text


def _pdf(data: bytes, label: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise CorpusError(f"{label}: cannot read the PDF ({exc})") from exc
    if not any(p.strip() for p in pages):
        raise CorpusError(f"{label}: the PDF has no text layer (scanned pages need OCR first)")
    # A page break is a paragraph break; the ingest step rejoins sentences it cut.
    return _KANGXI.sub(lambda m: unicodedata.normalize("NFKC", m.group()), "\n\n".join(pages))


def check_zip(data: bytes, label: str) -> None:
    """Refuse a zip (DOCX) whose members inflate beyond MAX_INFLATED_BYTES, before parsing any of it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise CorpusError(f"{label}: cannot read the DOCX, it is not a valid zip file ({exc})") from exc
    if inflated > MAX_INFLATED_BYTES:
        raise CorpusError(f"{label}: its contents inflate to {inflated >> 20} MB; the limit is "
                          f"{MAX_INFLATED_BYTES >> 20} MB (a zip bomb, or a document to split)")


def _docx(data: bytes, label: str) -> str:
    from docx import Document as DocxDocument

    check_zip(data, label)
    try:
        document = DocxDocument(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - lxml, zipfile and python-docx each raise their own
        raise CorpusError(f"{label}: cannot read the DOCX ({type(exc).__name__}: {str(exc)[:200]})") from exc
    blocks = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "").lower()
        if style == "title":
            blocks.append(f"# {text}")
        elif style.startswith("heading"):
            level = "".join(c for c in style if c.isdigit()) or "1"
            blocks.append("#" * min(6, int(level) + 1) + f" {text}")  # Heading 1 -> "##": "#" is the title
        else:
            blocks.append(text)
    return "\n\n".join(blocks)


def extract_text(path: Path, label: str | None = None, suffix: str | None = None) -> tuple[str, bytes]:
    """(text, raw bytes) of a supported file, read as ``suffix`` (default: its own); raises CorpusError."""
    label = label or path.name
    suffix = (suffix or path.suffix).lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(f"{label}: unsupported file type (accepted: {', '.join(SUPPORTED_SUFFIXES)})")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(f"{label} is {size >> 20} MB; files over {MAX_FILE_BYTES >> 20} MB are "
                              "skipped: split it into smaller files")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise CorpusError(f"{label} disappeared while it was being read") from exc
    except OSError as exc:
        raise CorpusError(f"{label}: cannot read it ({exc.strerror})") from exc
    if suffix in (".html", ".htm"):
        return _html(data, label), data
    if suffix == ".pdf":
        return _pdf(data, label), data
    if suffix == ".docx":
        return _docx(data, label), data
    return decode_text(data, label), data
