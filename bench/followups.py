"""Follow-up questions: the last turn asked alone, all turns glued together, and with history.

    .venv/bin/python bench/followups.py [eval/conversations.jsonl]

Prints R@1 / R@3 per language for the three ways of asking, on the article.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.evaluate import evaluate, read_questions  # noqa: E402
from rag.retriever import Retriever  # noqa: E402


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "eval" / "conversations.jsonl"
    conversations = read_questions(path)
    retriever = Retriever(Settings.from_env(corpus_dir=ROOT / "corpus", index_dir=ROOT / "index"),
                          progress=lambda m: None)
    ways = {
        "last turn alone": [dict(c, history=[]) for c in conversations],
        "turns glued together": [dict(c, q=" ".join(c["history"] + [c["q"]]), history=[]) for c in conversations],
        "with history (ours)": conversations,
    }
    print(f"{len(conversations)} conversations from {path.name}\n")
    print("| way of asking | lang | n | R@1 | R@3 |\n|---|---|---|---|---|")
    for way, questions in ways.items():
        summary = evaluate(retriever, questions).summary()
        for lang, m in [("all", summary)] + sorted(summary["by_language"].items()):
            print(f"| {way} | {lang} | {m['n']} | {m['recall@1']:.2f} | {m['recall@3']:.2f} |")


if __name__ == "__main__":
    main()
