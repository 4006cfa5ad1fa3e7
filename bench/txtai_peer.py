"""A peer row: txtai's default hybrid search over the same passages, on the XQuAD protocol.

    .venv/bin/pip install --no-deps txtai==9.14.0      # not a project dependency: a peer to compare with
    .venv/bin/python bench/txtai_peer.py [--held-aside]

The XQuAD dev half as `rag eval` reads it (every other article indexed; with --held-aside only the
8 articles rag/training.py never trains on, 4 indexed). txtai 9.14 indexes *our* passages
with the same e5 model and its query/passage prefixes, hybrid=True (its BM25 over Unicode word
segmentation fused with the vectors, its defaults otherwise); ours is `Retriever.search` on the
same corpus. Recall@1 and @5 per language over the answerable questions, plain e5 beside both.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import Settings  # noqa: E402
from rag.embed import SentenceTransformerEncoder, resolve_model  # noqa: E402
from rag.evaluate import is_right  # noqa: E402
from rag.retriever import Retriever  # noqa: E402
from rag.squad import read_squad, split_articles, squad_questions, write_corpus  # noqa: E402
from rag.stores.local import load_index  # noqa: E402

XQUAD = ROOT.parent / "shared" / "eval" / "xquad-dev"


def first_right(question: dict, texts: list[str]) -> int | None:
    return next((rank for rank, text in enumerate(texts, 1) if is_right(question, text)), None)


def main() -> None:
    from txtai import Embeddings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-aside", action="store_true", help="only the articles the ranker never trained on")
    args = parser.parse_args()
    articles = read_squad(XQUAD / "xquad-dev.zh.json", XQUAD / "xquad-dev.en.json")
    if args.held_aside:
        articles = articles[0::3]
    indexed, _ = split_articles(articles)
    questions = squad_questions(indexed)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(corpus_dir=Path(tmp) / "corpus", index_dir=Path(tmp) / "index")
        write_corpus(indexed, settings.corpus_dir)
        encoder = SentenceTransformerEncoder(settings, progress=lambda m: None)
        ours = Retriever(settings, encoder, progress=lambda m: None)
        ours.search("warm up", 1)
        passages = [p.text for p in load_index(settings.index_dir).passages]
        txtai = Embeddings(path=resolve_model(settings), hybrid=True, content=True,
                           instructions={"query": "query: ", "data": "passage: "})
        txtai.index([(i, text, None) for i, text in enumerate(passages)])
        vectors = encoder.encode_passages(passages)
        ranks: dict[str, dict[str, list[int | None]]] = {}
        for q in questions:
            dense = np.argsort(-(vectors @ encoder.encode_queries([q["q"]])[0]))[:10]
            runs = {"ours": [h.text for h in ours.search(q["q"], 10)],
                    "txtai 9.14 hybrid": [r["text"] for r in txtai.search(q["q"], 10)],
                    "plain e5": [passages[i] for i in dense]}
            for name, texts in runs.items():
                ranks.setdefault(name, {}).setdefault(q["lang"], []).append(first_right(q, texts))
    n = {lang: len(r) for lang, r in ranks["ours"].items()}
    print(f"{len(indexed)} articles indexed, {len(passages)} passages; answerable questions: {n}\n")
    print("| system | English R@1 / R@5 | Chinese R@1 / R@5 |\n|---|---|---|")
    for name, by_lang in ranks.items():
        cells = [" / ".join(f"{np.mean([r is not None and r <= k for r in by_lang[lang]]):.3f}" for k in (1, 5))
                 for lang in ("en", "zh")]
        print(f"| {name} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
