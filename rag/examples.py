"""What the chat offers to ask, and its page title: drawn from the corpus, never fixed in the code.

``corpus/examples.txt`` holds example questions, one a line (``#`` starts a comment). A folder
without it gets questions made from its own documents' titles, in Chinese and in English::

    >>> generated_examples([("robots.md", "机器人工厂", 3)])
    ['《机器人工厂》讲了什么？', 'What is “机器人工厂” about?']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

EXAMPLES_FILE = "examples.txt"
MAX_EXAMPLES = 4  # one row of buttons
MAX_EXAMPLE_CHARS = 200  # a button, not a paragraph
MAX_TITLE_CHARS = 40  # a longer title is cut in a question made from it
DEFAULT_TITLE = "Cited Q&A"

Documents = Sequence[tuple[str, str, int]]  # (document, title, passages), as Retriever.documents()
_END_MARKS = "？?。.!！；;：: "
_QUOTES = re.compile("[“”\"「」《》]")


def read_examples(corpus_dir: Path) -> tuple[list[str], list[str]]:
    """The questions of ``corpus_dir/examples.txt`` (none if there is no such file), and warnings."""
    path = corpus_dir / EXAMPLES_FILE
    questions: list[str] = []
    warnings: list[str] = []
    if not path.is_file():
        return questions, warnings
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return questions, [f"skipped: {EXAMPLES_FILE} cannot be read as UTF-8 ({exc})"]
    for number, line in enumerate(lines, 1):
        line = " ".join(line.split())
        if not line or line.startswith("#"):  # (a "#" inside a question is part of it: "C# 是什么？")
            continue
        if len(line) > MAX_EXAMPLE_CHARS:
            warnings.append(f"{EXAMPLES_FILE}:{number}: longer than {MAX_EXAMPLE_CHARS} characters, skipped")
        elif line not in questions:
            questions.append(line)
    if len(questions) > MAX_EXAMPLES:
        warnings.append(f"{EXAMPLES_FILE}: {len(questions)} questions, only the first {MAX_EXAMPLES} are shown")
    return questions[:MAX_EXAMPLES], warnings


def _subject(doc: str, title: str) -> str:
    """What a question about the document calls it: its title, or its file name as words, cut short."""
    if not title.strip() or title == Path(doc).stem:  # a file name ("ai-plus-manufacturing"): its words
        title = re.sub(r"[-_.\s]+", " ", Path(doc).stem)
    title = " ".join(title.split()).rstrip(_END_MARKS)
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1].rstrip() + "…"


def _question(doc: str, title: str, lang: str) -> str:
    subject = _subject(doc, title)
    if lang == "en":  # (no quotes around a title that has its own: "“人工智能+制造”如何跑出加速度")
        return f"What is {subject if _QUOTES.search(subject) else f'“{subject}”'} about?"
    if title.rstrip().endswith(("？", "?")) and len(title) <= MAX_TITLE_CHARS:
        return title.strip()  # the title asks its own question ("“人工智能+制造”如何跑出加速度？")
    whole = subject.startswith("《") and subject.endswith("》")  # already in title marks
    return f"{subject if whole else f'《{subject}》'}讲了什么？"


def generated_examples(documents: Documents) -> list[str]:
    """Up to MAX_EXAMPLES questions about the largest documents (most passages first, then by name),
    alternately in Chinese and English: each of the first documents once, then again in the other
    language while there is room. The same documents always give the same questions."""
    chosen = sorted(documents, key=lambda d: (-d[2], d[0]))[:MAX_EXAMPLES]
    out: list[str] = []
    for round_ in (0, 1):
        for i, (doc, title, _) in enumerate(chosen):
            question = _question(doc, title, ("zh", "en")[(i + round_) % 2])
            if len(out) < MAX_EXAMPLES and question not in out:
                out.append(question)
    return out


def corpus_examples(corpus_dir: Path, documents: Documents) -> tuple[list[str], list[str]]:
    """The chat's example questions: the folder's examples.txt if it holds any, else questions made
    from ``documents``; and warnings about the file."""
    questions, warnings = read_examples(corpus_dir)
    return (questions or generated_examples(documents)), warnings


def page_title(documents: Documents) -> str:
    """The page's title: the document's own for a folder of one, else how many documents it holds."""
    if len(documents) == 1:
        doc, title, _ = documents[0]
        return f"{_subject(doc, title)} · cited Q&A"
    return f"Cited Q&A over {len(documents)} documents" if documents else DEFAULT_TITLE
