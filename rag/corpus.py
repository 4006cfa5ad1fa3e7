"""The corpus folder: finding and reading its documents, and adding texts to it safely.

Adding checks size and type limits, sanitises names and never overwrites::

    >>> add_text(Path("corpus"), "新闻标题", "正文……")      # -> corpus/新闻标题.md
    >>> add_file(Path("corpus"), Path("~/report.txt"))
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from .errors import CorpusError
from .examples import EXAMPLES_FILE
from .formats import MAX_FILE_BYTES as MAX_UPLOAD_BYTES
from .formats import SUPPORTED_SUFFIXES, extract_text
from .glossary import GLOSSARY_FILE
from .ingest import Document, parse_document
from .lexical import USER_WORDS_FILE

# All documents together: the most one machine's chat should hold (embedding them takes hours on a
# small machine: bench/RESULTS.md, "Index builds").
MAX_CORPUS_BYTES = 100 * 1024 * 1024
# Files at the top of the folder that are about the corpus, not documents of it: never indexed as
# text, and never the name an added document gets.
CORPUS_DATA_FILES = frozenset({GLOSSARY_FILE, USER_WORDS_FILE, EXAMPLES_FILE})
# A name's stem, in UTF-8 bytes: file systems allow 255 bytes a name, and "-9999" and ".docx" must
# still fit after it (80 characters of CJK Extension B, 4 bytes each, did not).
MAX_STEM_BYTES = 240


def safe_name(name: str, suffix: str = ".md") -> str:
    """A file name that stays inside the corpus: no directories, no dots in front, no oddities."""
    stem = Path(unicodedata.normalize("NFKC", name).replace("\\", "/")).name
    stem = Path(stem).stem if Path(stem).suffix.lower() in SUPPORTED_SUFFIXES else stem
    stem = re.sub(r"[^\w\- ]+", "_", stem).strip(" ._-")[:80]  # (\w holds every Han character)
    stem = stem.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", "ignore").rstrip(" ._-")  # whole characters
    return (stem or "document") + suffix


# Reserves a name in a shared store for a document's bytes: False if the store holds that name.
Reserve = Callable[[str, bytes], bool]


def _write_new(corpus_dir: Path, name: str, data: bytes, reserve: Reserve | None = None) -> Path:
    """Write ``data`` under ``name`` or the first free ``name-N``, creating the file exclusively
    (two adds with one title at once get two files, never one overwriting the other); with
    ``reserve``, only under a name the shared store does not hold either. Never a name of
    CORPUS_DATA_FILES: an added "examples.txt" is a document, saved as "examples-2.txt"."""
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, 10_000):
        path = corpus_dir / (name if n == 1 else f"{stem}-{n}{suffix}")
        if path.name in CORPUS_DATA_FILES:
            continue
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        try:
            with open(fd, "wb") as f:
                f.write(data)
        except OSError as exc:  # a full disk: no half-written document stays in the corpus
            path.unlink(missing_ok=True)
            raise CorpusError(f"cannot save {name} in {corpus_dir} ({exc.strerror}): "
                              "free some space and add it again") from exc
        try:
            if reserve is None or reserve(path.name, data):
                return path
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        path.unlink(missing_ok=True)  # the store has a document of that name: the next one
    raise CorpusError(f"too many documents named {name}: choose another title")


def already_there(corpus_dir: Path, data: bytes) -> Path | None:
    """A corpus file with exactly these bytes, if there is one."""
    digest = hashlib.sha256(data).digest()
    size = len(data)
    for path in corpus_dir.rglob("*"):
        try:
            if path.is_file() and path.stat().st_size == size and hashlib.sha256(path.read_bytes()).digest() == digest:
                return path
        except OSError:
            continue
    return None


def _save(corpus_dir: Path, name: str, data: bytes, reserve: Reserve | None = None) -> Path:
    corpus_dir.mkdir(parents=True, exist_ok=True)
    total = sum(p.stat().st_size for p in corpus_dir.rglob("*") if p.is_file())
    if total + len(data) > MAX_CORPUS_BYTES:
        raise CorpusError(f"the corpus would grow past {MAX_CORPUS_BYTES >> 20} MB: remove documents first")
    if (same := already_there(corpus_dir, data)) is not None:
        raise CorpusError(f"this text is already in the corpus as {same.relative_to(corpus_dir).as_posix()}")
    return _write_new(corpus_dir, name, data, reserve)


def _check_text(raw: str, label: str) -> None:
    if "\x00" in raw:
        raise CorpusError(f"{label} looks like a binary file, not text")
    document = parse_document(label, raw)
    if not any(b.kind in ("para", "caption") for b in document.blocks):
        raise CorpusError(f"{label} has no text to index")


def text_document(title: str, text: str) -> tuple[str, bytes]:
    """Pasted text as a checked Markdown document titled ``title``: (its safe name, its bytes)."""
    title = " ".join((title or "").split())
    if not title:
        raise CorpusError("give the text a title")
    if not text or not text.strip():
        raise CorpusError("the text is empty")
    body = f"# {title}\n\n{text.strip()}\n"
    if len(body.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise CorpusError(f"the text is larger than {MAX_UPLOAD_BYTES >> 20} MB")
    _check_text(body, title)
    return safe_name(title), body.encode("utf-8")


def file_document(source: Path, name: str | None = None) -> tuple[str, bytes]:
    """A supported file (at most 10 MB), checked to read as ``name`` says: (its safe name, its bytes)."""
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
    return safe_name(name, suffix), data


def add_text(corpus_dir: Path, title: str, text: str, reserve: Reserve | None = None) -> Path:
    """Save pasted text as a Markdown document titled ``title``; returns its path. ``reserve``: see _write_new."""
    return _save(corpus_dir, *text_document(title, text), reserve)


def add_file(corpus_dir: Path, source: Path, name: str | None = None, reserve: Reserve | None = None) -> Path:
    """Copy a supported file (at most 10 MB) into the corpus after checking it reads; returns its new path.
    ``reserve``: see _write_new."""
    return _save(corpus_dir, *file_document(source, name), reserve)


def _scan(corpus_dir: Path) -> tuple[list[Path], list[Path]]:
    """The supported files under ``corpus_dir`` but CORPUS_DATA_FILES, sorted, and apart those that
    are links to a file outside it (never read: a link must not bring other files of the machine
    into the index)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist: create it and put "
                          f"documents ({' '.join(SUPPORTED_SUFFIXES)}) in it, or pass --corpus DIR")
    root = corpus_dir.resolve()
    files: list[Path] = []
    outside: list[Path] = []
    for p in sorted(corpus_dir.rglob("*")):
        relative = p.relative_to(corpus_dir)
        if (p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and relative.as_posix() not in CORPUS_DATA_FILES
                and not any(part.startswith(".") for part in relative.parts)):
            (files if p.resolve().is_relative_to(root) else outside).append(p)
    if not files:
        raise CorpusError(f"corpus directory {corpus_dir} has no documents "
                          f"({' '.join(SUPPORTED_SUFFIXES)}): add at least one")
    return files, outside


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The documents under ``corpus_dir``, sorted; raises CorpusError if there are none.

    The folder's data files (CORPUS_DATA_FILES) are not documents, and links to files outside the
    folder are left out (``read_corpus`` warns about them).
    """
    return _scan(corpus_dir)[0]


def read_document(path: Path, corpus_dir: Path) -> Document:
    """Read and repair one file; raises CorpusError naming the file if it cannot be read."""
    doc = path.relative_to(corpus_dir).as_posix()
    raw, _ = extract_text(path, doc)
    return parse_document(doc, raw)


def read_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """All readable documents, plus a warning for each file that was skipped."""
    documents = []
    warnings = [f"skipped: {p.relative_to(corpus_dir).as_posix()} is a link to a file outside {corpus_dir}"
                for p in _scan(corpus_dir)[1]]
    for path in corpus_files(corpus_dir):
        try:
            document = read_document(path, corpus_dir)
        except CorpusError as exc:
            warnings.append(f"skipped: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - one broken file must not stop the others being indexed
            warnings.append(f"skipped: {path.name}: cannot read it ({type(exc).__name__}: {str(exc)[:200]})")
            continue
        if not any(b.kind in ("para", "caption") for b in document.blocks):
            warnings.append(f"skipped: {path} has no text")
            continue
        documents.append(document)
    if not documents:
        raise CorpusError(f"no usable text in {corpus_dir}: " + "; ".join(warnings))
    return documents, warnings
