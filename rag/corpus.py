"""Adding texts to the corpus safely: size and type limits, sanitised names, no overwrites.

    >>> add_text(Path("corpus"), "新闻标题", "正文……")      # -> corpus/新闻标题.md
    >>> add_file(Path("corpus"), Path("~/report.txt"))
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .errors import CorpusError
from .formats import SUPPORTED_SUFFIXES, extract_text
from .ingest import parse_document

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def safe_name(name: str, suffix: str = ".md") -> str:
    """A file name that stays inside the corpus: no directories, no dots in front, no oddities."""
    stem = Path(unicodedata.normalize("NFKC", name).replace("\\", "/")).name
    stem = Path(stem).stem if Path(stem).suffix.lower() in SUPPORTED_SUFFIXES else stem
    stem = re.sub(r"[^\w\u4e00-\u9fff\- ]+", "_", stem).strip(" ._-")[:80]
    return (stem or "document") + suffix


def _free_path(corpus_dir: Path, name: str) -> Path:
    path = corpus_dir / name
    n = 2
    while path.exists():
        path = corpus_dir / f"{Path(name).stem}-{n}{Path(name).suffix}"
        n += 1
    return path


def _check_text(raw: str, label: str) -> None:
    if "\x00" in raw:
        raise CorpusError(f"{label} looks like a binary file, not text")
    document = parse_document(label, raw)
    if not any(b.kind in ("para", "caption") for b in document.blocks):
        raise CorpusError(f"{label} has no text to index")


def add_text(corpus_dir: Path, title: str, text: str) -> Path:
    """Save pasted text as a Markdown document titled ``title``; returns its path."""
    title = " ".join((title or "").split())
    if not title:
        raise CorpusError("give the text a title")
    if not text or not text.strip():
        raise CorpusError("the text is empty")
    body = f"# {title}\n\n{text.strip()}\n"
    if len(body.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise CorpusError(f"the text is larger than {MAX_UPLOAD_BYTES >> 20} MB")
    _check_text(body, title)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    path = _free_path(corpus_dir, safe_name(title))
    path.write_text(body, encoding="utf-8")
    return path


def add_file(corpus_dir: Path, source: Path, name: str | None = None) -> Path:
    """Copy a supported file (at most 10 MB) into the corpus after checking it reads; returns its new path."""
    name = name or source.name
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(f"{Path(name).name}: only {', '.join(SUPPORTED_SUFFIXES)} files are accepted")
    size = source.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise CorpusError(f"{Path(name).name} is {size >> 10} KB; the limit is {MAX_UPLOAD_BYTES >> 20} MB")
    # an upload's temporary file may have another suffix: read it as the name says
    raw, data = extract_text(source, Path(name).name, suffix)
    _check_text(raw, Path(name).name)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    path = _free_path(corpus_dir, safe_name(name, suffix))
    path.write_bytes(data)
    return path
