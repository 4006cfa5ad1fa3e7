"""English names the corpus's Chinese text cannot be romanised into: a user glossary and the text's own aliases.

``corpus/glossary.tsv`` holds one pair per line, English then Chinese, tab-separated
(``Transfar<TAB>传化``); ``#`` starts a comment. The text gives aliases itself where a
Latin name follows a Chinese one in brackets: 国家橄榄球联盟 (NFL) -> "nfl" = 国家橄榄球联盟.
Both are read at index time and stored with the build (``glossary.json``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from .lexical import HAN

GLOSSARY_FILE = "glossary.tsv"
MAX_ENTRY_CHARS = 80  # longer lines are prose, not names
_ALIAS = re.compile(rf"([{HAN}·]{{2,12}})\s*[（(]\s*([A-Za-z][A-Za-z0-9 .&'\-]{{1,40}}?)\s*[)）]")


def key(english: str) -> str:
    """How an English name is matched: lower-case words joined by single spaces."""
    return " ".join(re.findall(r"[a-z0-9&]+", english.lower()))


def read_glossary(corpus_dir: Path) -> tuple[dict[str, list[str]], list[str]]:
    """Entries of ``corpus_dir/glossary.tsv`` (english key -> Chinese terms), and warnings for bad lines."""
    path = corpus_dir / GLOSSARY_FILE
    entries: dict[str, list[str]] = {}
    warnings: list[str] = []
    if not path.is_file():
        return entries, warnings
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return entries, [f"skipped: {GLOSSARY_FILE} cannot be read as UTF-8 ({exc})"]
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        english, _, chinese = (part.strip() for part in line.partition("\t"))
        if not english or not chinese or len(line) > MAX_ENTRY_CHARS or not key(english):
            warnings.append(f"{GLOSSARY_FILE}:{number}: expected 'English<TAB>中文', skipped")
            continue
        entries.setdefault(key(english), []).append(chinese)
    return entries, warnings


def text_aliases(texts: Iterable[str]) -> dict[str, list[str]]:
    """Latin names the text puts in brackets after a Chinese one: "nfl" -> ["国家橄榄球联盟"]."""
    out: dict[str, list[str]] = {}
    for text in texts:
        for chinese, english in _ALIAS.findall(text):
            names = out.setdefault(key(english), [])
            if chinese not in names:
                names.append(chinese)
    return {k: v for k, v in out.items() if k}


def matched(question: str, glossary: dict[str, list[str]]) -> list[str]:
    """The English names (keys) of ``glossary`` that occur in ``question`` as whole words."""
    words = f" {key(question)} "
    return [english for english in glossary if f" {english} " in words or f" {english}s " in words]


def chinese(names: list[str], glossary: dict[str, list[str]]) -> list[str]:
    """The Chinese terms of English ``names`` that ``matched`` found in ``glossary``, once each."""
    return list(dict.fromkeys(term for english in names for term in glossary[english]))
