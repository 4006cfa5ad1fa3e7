"""Repair extracted text and cut it into blocks (title, headings, paragraphs, captions).

The article is a PDF extraction: a page break leaves a sentence split across blank
lines ("推动人工智能与制造业深" … "度融合"), sometimes with a photo caption in between.
``parse_document`` rejoins such fragments, moves the caption after the repaired
paragraph as a block of its own, and records where every block sits in the
normalised text, so passages can be cited by exact character offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .lexical import HAN

# A paragraph that ends on one of these is complete (no page break cut it). Not chunk.SENTENCE_END,
# which cuts sentences: a paragraph may also end on a colon or a closing bracket with no stop before
# it ("如下：", "（图）"), where no sentence is cut.
_TERMINAL = set("。！？!?；;…”’」』）)》】.:：")
# A reference mark after the stop ("…仍在运营。[citation needed]", "…发现。[3]") ends a paragraph too:
# text copied from Wikipedia must not be joined to the paragraph after it.
_REFERENCE_MARKS = re.compile(r"(?:\s*[\[［][^\[\]［］]{1,30}[\]］])+$")
_OPENERS, _CLOSERS = "“‘「『（(《【", "”’」』）)》】"
_CAPTION = re.compile(r"([/／]\s*摄|摄影|供图)\s*[:：]?\s*\S{0,12}$|^(图|图为|图片)\s*[:：]")
# Han and the other CJK characters and punctuation (kana, radicals, full-width forms): lines meet
# without a space next to one of them.
_CJK = re.compile(f"[\u2e80-\u9fff{HAN}\uff00-\uffef“”‘’]")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MAX_CAPTION_CHARS = 300
# A short paragraph without a final stop is only broken if it shows it is mid-sentence (an open
# quote, a comma): a byline ("▶ 本报记者 罗晓燕") must not swallow the paragraph after it.
MIN_FRAGMENT_CHARS = 30


@dataclass(frozen=True)
class Block:
    """A heading, paragraph or caption, located at text[start:end] of its document."""

    kind: str  # "title" | "heading" | "para" | "caption"
    section: str
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One corpus file after repair: ``text`` is what every offset refers to."""

    doc: str  # path relative to the corpus directory, e.g. "ai-plus-manufacturing.md"
    title: str
    text: str
    blocks: tuple[Block, ...]


def _clean_paragraph(lines: list[str]) -> str:
    """Join the lines (or pieces) of one paragraph: nothing between Chinese characters, a space otherwise."""
    pieces: list[str] = []
    for line in lines:
        line = re.sub(r"[ \t\u00a0]+", " ", line.strip())
        if not line:
            continue
        if pieces and not (_CJK.match(pieces[-1][-1]) or _CJK.match(line[0])):
            pieces.append(" ")
        pieces.append(line)
    return "".join(pieces)


def is_caption(text: str) -> bool:
    return len(text) <= MAX_CAPTION_CHARS and bool(_CAPTION.search(text))


def ends_complete(text: str) -> bool:
    """True when a paragraph ends on a stop (reference marks after it aside)."""
    text = _REFERENCE_MARKS.sub("", text)
    return bool(text) and text[-1] in _TERMINAL


def is_fragment(text: str) -> bool:
    """True when a paragraph stops mid-sentence (a page break cut it)."""
    if not text or ends_complete(text) or is_caption(text):
        return False
    unbalanced = any(text.count(o) > text.count(c) for o, c in zip(_OPENERS, _CLOSERS, strict=True))
    return unbalanced or len(text) >= MIN_FRAGMENT_CHARS or bool(re.search("[，、,]", text))


def _continues(before: str, after: str) -> bool:
    """Can ``after`` carry on the sentence ``before`` stopped in? Not when ``before`` stops on a
    Latin word or number and ``after`` starts with anything but a lower-case letter: "…CISCE，
    NENBSE" then "南非一些最古老的学校…" are two paragraphs, "the quick brown" then "fox…" one."""
    last = before[-1]
    return not (last.isascii() and last.isalnum()) or after[:1].islower()


def _raw_blocks(raw: str, markdown: bool) -> list[tuple[str, int, str]]:
    """Split on blank lines into (kind, heading level, cleaned text)."""
    out: list[tuple[str, int, str]] = []
    for chunk in re.split(r"\n[ \t\u3000]*\n", raw.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line for line in chunk.split("\n") if line.strip()]
        while lines:
            match = _HEADING.match(lines[0].strip()) if markdown else None
            if match:
                out.append(("heading", len(match.group(1)), match.group(2)))
                lines = lines[1:]
                continue
            # a heading can follow paragraph lines without a blank line in between
            cut = next((i for i, line in enumerate(lines) if markdown and _HEADING.match(line.strip())),
                       len(lines))
            text = _clean_paragraph(lines[:cut])
            if text:
                out.append(("caption" if is_caption(text) else "para", 0, text))
            lines = lines[cut:]
    return out


def _repair(blocks: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """Rejoin paragraphs cut by page breaks; captions found inside go after the repaired one."""
    out: list[tuple[str, int, str]] = []
    parts: list[str] = []  # pieces of a paragraph still waiting for its end
    held: list[tuple[str, int, str]] = []  # captions met meanwhile
    length = 0

    def still_open() -> bool:
        # Longer than any caption, is_fragment only looks at the final character; skip the join.
        if length > MAX_CAPTION_CHARS:
            return not ends_complete(parts[-1])
        return is_fragment(_clean_paragraph(parts))

    def close() -> None:
        nonlocal length
        out.append(("para", 0, _clean_paragraph(parts)))
        out.extend(held)
        parts.clear()
        held.clear()
        length = 0

    for kind, level, text in blocks:
        if parts and kind == "para" and not _continues(parts[-1], text):
            close()
        if parts and kind == "caption":
            held.append((kind, level, text))
        elif parts and kind == "para":
            parts.append(text)
            length += len(text)
            if not still_open():
                close()
        else:
            if parts:
                close()
            if kind == "para" and is_fragment(text):
                parts.append(text)
                length = len(text)
            else:
                out.append((kind, level, text))
    if parts:
        close()
    return out


def parse_document(doc: str, raw: str) -> Document:
    """Repair and lay out one document's text; ``doc`` names it in citations."""
    markdown = not doc.lower().endswith(".txt")  # in plain text a "#" line is not a heading
    title = ""
    section = ""
    pieces: list[str] = []
    blocks: list[Block] = []
    pos = 0
    for kind, level, text in _repair(_raw_blocks(raw, markdown)):
        prefix = ""
        if kind == "heading" and level == 1 and not title:
            kind, title, prefix = "title", text, "# "
        elif kind == "heading":
            section, prefix = text, "#" * level + " "
        if pieces:
            pos += 2  # the "\n\n" between blocks
        start = pos + len(prefix)
        pieces.append(prefix + text)
        pos = start + len(text)
        blocks.append(Block(kind, section, start, pos))
    text = "\n\n".join(pieces)
    if not title:
        title = Path(doc).stem
    return Document(doc=doc, title=title, text=text, blocks=tuple(blocks))
