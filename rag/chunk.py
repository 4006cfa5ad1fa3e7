"""Cut documents into passages of at most ``max_chars`` characters, at paragraph and sentence ends.

Every passage is an exact slice of its document's normalised text:
``document.text[p.start:p.end] == p.text``.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .ingest import Document

# The largest passage e5 reads whole: its window is 512 tokens, and Chinese text takes less than one
# token a character. Cutting a paragraph only when it is longer than this keeps more of them whole,
# which ranked better than 400 characters in both languages, cross-validated; the citation stays a
# sentence (bench/RESULTS.md, "Passages up to 600 characters").
MAX_CHARS = 600

# A sentence ends at 。！？；!?;… or an English ". " — plus any closing quotes or brackets after it.
# The one definition: sentence_spans cuts at it, has_sentence_end looks for it.
SENTENCE_END = re.compile(r"(?:[。！？；!?;]+|…+|\.(?=\s|$))[”’」』）)》】\"']*")
_CLAUSE_END = re.compile(r"[，、,：:]")


@dataclass(frozen=True)
class Passage:
    """A citable piece of a document: ``text`` is ``document.text[start:end]``."""

    id: str
    doc: str
    title: str
    section: str
    position: int  # 0-based order within its document
    start: int
    end: int
    text: str

    def text_at(self, start: int, end: int) -> str:
        """The text between document offsets ``start`` and ``end`` (a sentence of this passage)."""
        return self.text[start - self.start : end - self.start]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence in text[start:end], whitespace trimmed, covering all of it."""
    end = len(text) if end is None else end
    spans, cursor = [], start
    for match in SENTENCE_END.finditer(text, start, end):
        spans.append((cursor, match.end()))
        cursor = match.end()
    spans.append((cursor, end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[0] < s[1]]


def has_sentence_end(text: str) -> bool:
    """Does ``text`` end a sentence anywhere (SENTENCE_END)? A byline or a dateline does not."""
    return SENTENCE_END.search(text) is not None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _pieces_of_long_sentence(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split a sentence longer than max_chars at commas, or hard at max_chars when there are none."""
    cuts = [m.end() for m in _CLAUSE_END.finditer(text, start, end)]
    out, a = [], start
    while end - a > max_chars:
        last = bisect.bisect_right(cuts, a + max_chars) - 1  # the last comma within reach
        b = cuts[last] if last >= 0 and cuts[last] > a else a + max_chars
        out.append(_trim(text, a, b))
        a = b
    out.append(_trim(text, a, end))
    return [s for s in out if s[0] < s[1]]


def split_block(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut text[start:end] into spans of at most max_chars, at sentence ends, of even size."""
    start, end = _trim(text, start, end)
    if end - start <= max_chars:
        return [(start, end)] if start < end else []
    units: list[tuple[int, int]] = []
    for a, b in sentence_spans(text, start, end):
        units += [(a, b)] if b - a <= max_chars else _pieces_of_long_sentence(text, a, b, max_chars)
    target = (end - start) / math.ceil((end - start) / max_chars)  # even sizes, not a tiny tail
    out: list[tuple[int, int]] = []
    for a, b in units:
        if out and b - out[-1][0] <= max_chars and out[-1][1] - out[-1][0] < target * 0.9:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def passage_id(doc: str, text: str, seen: dict[str, int]) -> str:
    """Stable id from the document name and the passage text (numbered if the text repeats)."""
    digest = hashlib.sha1(f"{doc}\n{text}".encode()).hexdigest()[:12]
    seen[digest] = seen.get(digest, 0) + 1
    return digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def chunk_document(document: Document, max_chars: int = MAX_CHARS) -> list[Passage]:
    """All passages of one document, in reading order."""
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for block in document.blocks:
        if block.kind not in ("para", "caption"):
            continue
        for a, b in split_block(document.text, block.start, block.end, max_chars):
            text = document.text[a:b]
            passages.append(Passage(
                id=passage_id(document.doc, text, seen), doc=document.doc, title=document.title,
                section=block.section, position=len(passages), start=a, end=b, text=text))
    return passages


def chunk_corpus(documents: Iterable[Document], max_chars: int = MAX_CHARS) -> list[Passage]:
    return [p for d in documents for p in chunk_document(d, max_chars)]
