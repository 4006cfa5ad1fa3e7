"""SQuAD-format question sets (such as XQuAD) as a corpus plus answerable and off-corpus questions.

The protocol (``../shared/eval/xquad-dev/README.md``): each article is one document, its
Chinese contexts its paragraphs and its title the heading; every question on an indexed
article is asked in Chinese and, from a second file with the same ids, in English; the
questions on the articles left out are off-corpus, and the right reply is a refusal.

    >>> articles = read_squad(Path("xquad-dev.zh.json"), Path("xquad-dev.en.json"))
    >>> indexed, left_out = split_articles(articles, 0.5)
    >>> write_corpus(indexed, Path("/tmp/corpus"))
    >>> questions = squad_questions(indexed) + squad_questions(left_out, answerable=False)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import RagError


@dataclass(frozen=True)
class Article:
    title: str
    contexts: tuple[str, ...]
    questions: tuple[dict, ...]  # {"id", "lang", "q", "gold": [answer], "context": index into contexts}


def _load(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data["data"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RagError(f"{path} is not a SQuAD-format file (expected {{\"data\": [articles]}}): {exc}") from exc


def is_squad(path: Path) -> bool:
    """True for a SQuAD-format JSON file (rather than our JSON lines)."""
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(4096).lstrip()
    except OSError:
        return False
    return head.startswith("{") and bool(re.match(r'\{\s*"(data|version)"', head))


def read_squad(path: Path, english: Path | None = None, lang: str = "en", convert: str | None = None) -> list[Article]:
    """Articles of a SQuAD file; with ``english`` (a parallel file in language ``lang``, same ids),
    each question is asked in both languages. ``convert`` (an OpenCC configuration such as
    ``t2s`` or ``s2t``) converts the text and its answers but not the questions: questions in one
    Chinese script over text in the other."""
    translations = {}
    if english is not None:
        for article in _load(english):
            for paragraph in article["paragraphs"]:
                translations.update({qa["id"]: qa["question"] for qa in paragraph["qas"]})
    text = _converter(convert)
    articles: list[Article] = []
    for article in _load(path):
        contexts, questions = [], []
        for paragraph in article["paragraphs"]:
            contexts.append(text(" ".join(paragraph["context"].split("\n"))))
            for qa in paragraph["qas"]:
                gold = [text(a["text"]) for a in qa.get("answers", [])]
                base = {"gold": gold, "context": len(contexts) - 1}
                questions.append({**base, "id": qa["id"] + ":zh", "lang": "zh", "q": qa["question"]})
                if qa["id"] in translations:
                    questions.append({**base, "id": f"{qa['id']}:{lang}", "lang": lang, "q": translations[qa["id"]]})
        articles.append(Article(str(article.get("title", f"article-{len(articles) + 1}")), tuple(contexts),
                                tuple(questions)))
    return articles


def _converter(config: str | None):
    """OpenCC's conversion ``config`` (e.g. t2s: traditional to simplified), or no change."""
    if not config:
        return lambda text: text
    import opencc

    try:
        return opencc.OpenCC(config).convert
    except Exception as exc:  # opencc raises a bare RuntimeError for an unknown configuration
        raise RagError(f"unknown OpenCC conversion {config!r} (try t2s or s2t)") from exc


def split_articles(articles: list[Article], indexed_share: float = 0.5) -> tuple[list[Article], list[Article]]:
    """Every other article (or the given share, spread evenly) indexed; the rest left out."""
    step = 1 / max(indexed_share, 1e-9)
    chosen = {int(i * step) for i in range(round(len(articles) * indexed_share))}
    return ([a for i, a in enumerate(articles) if i in chosen], [a for i, a in enumerate(articles) if i not in chosen])


def document_name(article: Article) -> str:
    return re.sub(r"[^\w\-]+", "_", article.title).strip("_")[:80] + ".md"


def write_corpus(articles: list[Article], corpus_dir: Path) -> None:
    """One Markdown document per article: its title as heading, its contexts as paragraphs."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    for article in articles:
        body = f"# {article.title.replace('_', ' ')}\n\n" + "\n\n".join(article.contexts) + "\n"
        (corpus_dir / document_name(article)).write_text(body, encoding="utf-8")


def squad_questions(articles: list[Article], answerable: bool = True) -> list[dict]:
    """Question dicts for ``evaluate``: answerable ones know their document and context."""
    out = []
    for article in articles:
        for q in article.questions:
            if not any(c.isalnum() for c in q["q"]):
                continue  # a few data-set questions are only punctuation: nothing to ask
            if answerable:
                out.append({**q, "doc": document_name(article), "context": article.contexts[q["context"]]})
            else:
                out.append({"id": q["id"], "lang": q["lang"], "q": q["q"], "gold": [], "doc": document_name(article)})
    return out
