"""How an ``Answer`` is shown: one place for the chat's HTML, the terminal's text and the JSON.

- ``render_answer``: the chat's reply (quoted evidence with [n] marks and, for a reader of English,
  every Chinese word readable, then the cited passages);
- ``render_generated``: an answerer's text (rag/generate.py) above it;
- ``render_hits``: what `rag ask` and `rag chat` print for the cited passages;
- ``Answer.to_dict``: what `rag ask --json` prints and the HTTP API returns.

User text is always shown as written, its HTML and Markdown inert (``as_text``).
"""

from __future__ import annotations

import html
import re

from .answer import Answer
from .gloss import Word, gloss, word_by_word
from .retriever import Hit

# What HTML or Markdown reads as markup, as numeric entities, in one pass (html.escape and then
# this turned "Group's" into "Group&#x27;s" on the page); ":" and "." too, so a URL is shown as
# typed rather than made into a link.
_INERT = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\\`*_[](){}!#|~$+-.:"})

TEXTS = {
    "en": {"from": "From the text", "none": "The text does not say. These are the closest passages, "
           "shown with low confidence:", "sources": "Cited passages", "passage": "passage",
           "chars": "characters"},
    "zh": {"from": "原文依据", "none": "文中没有提到这一点。以下是最接近的段落（低置信度）：",
           "sources": "引用段落", "chars": "字符"},
}


def _where(hit: Hit, lang: str) -> str:
    t = TEXTS[lang]
    section = hit.section or hit.title
    position = (f"{t['passage']} {hit.passage.position + 1}" if lang == "en"
                else f"第 {hit.passage.position + 1} 段")
    return html.escape(f"{hit.doc} · {section} · {position} · {t['chars']} {hit.start}–{hit.end}")


def _highlighted(hit: Hit) -> str:
    """The passage, escaped, with its evidence sentences marked."""
    p = hit.passage
    out, cursor = [], 0
    for a, b in sorted((a - p.start, b - p.start) for a, b in hit.evidence_spans):
        out += [html.escape(p.text[cursor:a]), "<mark>", html.escape(p.text[a:b]), "</mark>"]
        cursor = b
    return "".join(out) + html.escape(p.text[cursor:])


def _evidence(hit: Hit) -> str:
    """The evidence sentences in reading order, escaped."""
    p = hit.passage
    return " … ".join(html.escape(p.text_at(a, b)) for a, b in sorted(hit.evidence_spans))


def _glossed_word(word: Word) -> str:
    """One word of quoted Chinese: its pinyin and English on hover or tap (focus); a word the
    question reached is underlined and followed by the question's own words for it."""
    if not word.pinyin:
        return html.escape(word.text)
    meaning = word.asked or word.name or "; ".join(word.senses)
    tip = f"{word.pinyin} · {meaning}" if meaning else word.pinyin
    css = "w asked" if word.asked else "w"
    # the tip is a hidden child shown by CSS: the page's sanitiser keeps classes, not data attributes
    shown = (f"<span class='{css}' tabindex='0'>{html.escape(word.text)}"
             f"<span class='tip'>{html.escape(tip)}</span></span>")
    return shown + (f"<span class='gl'> ({html.escape(word.asked)})</span>" if word.asked else "")


def _glossed_evidence(result: Answer, hit: Hit) -> tuple[str, str]:
    """The evidence sentences as HTML with the reading aid (rag/gloss.py), and their word-by-word
    English line."""
    p, asked, names = hit.passage, dict(result.asked), dict(result.names)
    quoted, lines = [], []
    for a, b in sorted(hit.evidence_spans):
        words = gloss(p.text_at(a, b), a, asked, names)
        quoted.append("".join(_glossed_word(w) for w in words))
        lines.append(word_by_word(words))
    return " … ".join(quoted), " … ".join(lines)


def as_text(text: str) -> str:
    """User text for a Markdown-rendering component: shown exactly as written, its HTML and Markdown
    inert (``![x](http://…)`` is shown, never fetched; a URL is text, not a link)."""
    return text.translate(_INERT)


def _terms_in(hit: Hit, terms: tuple[str, ...]) -> str:
    """The question's (bridged) terms found in the evidence: shows an English reader why it matched."""
    found = [t for t in terms if t and t in hit.evidence.lower()]
    return f"<br><span class='where'>matched: {html.escape(' · '.join(found[:6]))}</span>" if found else ""


def render_answer(result: Answer) -> str:
    """The assistant's reply as HTML: quoted evidence with [n] markers, then the cited passages."""
    t = TEXTS[result.lang]
    parts = [f"<p><em>{html.escape(note)}</em></p>" for note in result.notes]
    if result.understood_as:
        parts.append(f"<p class='where'>understood as: {as_text(result.understood_as)}</p>")
    if result.answered and result.lang == "en":
        # an English reader: every Chinese word can be read (hover or tap), and a line word by word
        glossed = [(_glossed_evidence(result, h), h.rank) for h in result.quoted]
        quotes = " ".join(f"“{html_}” <span class='cite'>[{rank}]</span>" for (html_, _), rank in glossed)
        lines = "<br>".join(f"[{rank}] {html.escape(line)}" for (_, line), rank in glossed)
        parts.append(f"<div class='evidence'><strong>{t['from']}:</strong> <mark>{quotes}</mark>"
                     f"{_terms_in(result.quoted[0], result.terms)}"
                     f"<details class='wordbyword'><summary>word by word</summary><p>{lines}</p></details></div>")
    elif result.answered:
        quotes = " ".join(f"“{_evidence(h)}” <span class='cite'>[{h.rank}]</span>" for h in result.quoted)
        parts.append(f"<div class='evidence'><strong>{t['from']}:</strong> <mark>{quotes}</mark>"
                     f"{_terms_in(result.quoted[0], result.terms)}</div>")
    else:
        parts.append(f"<p class='lowconf'><strong>{t['none']}</strong></p>")
    confidence = f"<span class='where'>(confidence {result.confidence:.2f})</span>"
    parts.append(f"<p><strong>{t['sources']}</strong> {confidence}</p>")
    for hit in result.hits:
        opened = " open" if hit.rank == 1 and result.answered else ""
        # without an answer nothing is evidence: the closest passages are shown plain
        lead = f"<mark>{_evidence(hit)}</mark>" if result.answered else _evidence(hit)
        body = _highlighted(hit) if result.answered else html.escape(hit.text)
        parts.append(
            f"<details class='passage'{opened}><summary><span class='cite'>[{hit.rank}]</span> "
            f"<span class='where'>{_where(hit, result.lang)}</span><br>{lead}</summary>"
            f"<p>{body}</p></details>")
    return "\n".join(parts)


def render_generated(text: str, done: bool = True) -> str:
    """An answerer's text as HTML: shown as written (inert), its [n] markers as the citations' marks."""
    parts = re.split(r"\[(\d+)\]", text)  # (rag.generate leaves only well-formed markers)
    body = "".join(f"<span class='cite'>[{part}]</span>" if i % 2 else as_text(part).replace("\n", "<br>")
                   for i, part in enumerate(parts))
    return f"<p class='generated'>{body}{'' if done else ' …'}</p>"


def citation(hit: Hit) -> str:
    """Where a hit is: document · section · passage number [start:end] (document character offsets)."""
    return f"{hit.doc} · {hit.section or hit.title} · passage {hit.passage.position + 1} [{hit.start}:{hit.end}]"


def render_hits(result: Answer) -> str:
    """The cited passages as text for a terminal: score, citation, evidence (word by word for a
    reader of English), and the passage."""
    quoted = {hit.rank for hit in result.quoted}
    out = []
    for hit in result.hits:
        evidence = f"\n    evidence: {hit.evidence}" if result.answered else ""
        if hit.rank in quoted and result.lang == "en":  # an English reader: the quote word by word
            evidence += f"\n    word by word: {word_by_word(result.gloss(hit))}"
        out.append(f"[{hit.rank}] {hit.score:.3f}  {citation(hit)}{evidence}\n    {hit.text}\n")
    return "\n".join(out)
