"""Grid-search the fusion weights on the dev questions only; print how the held-out sets fare.

    python bench/tune_fusion.py ../shared/eval/dev_questions.jsonl eval/extra_questions.jsonl
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from rag.evaluate import read_questions, squash
from rag.retriever import Retriever, _cosines


def features(retriever: Retriever, questions: list[dict]) -> list[dict]:
    state = retriever._current()
    queries = [retriever.analyse(q["q"]) for q in questions]
    vectors = retriever.encoder.encode_queries([q.text for q in queries])
    n = len(state.passages)
    rows = []
    for q, query, v in zip(questions, queries, vectors, strict=True):
        p = _cosines(state.index.faiss, v, range(n))
        s_all = _cosines(state.sentence_vectors, v, range(len(state.sentence_passage)))
        s = np.array([max((s_all[j] for j in ids), default=p[i]) for i, ids in enumerate(state.sentence_ids)])
        bm = state.bm25.scores(query.terms)
        lex = bm / bm.max() if bm.max() > 0 else bm
        gold = [squash(g) for g in q["gold"]]
        ok = np.array([any(g in squash(x.text) for g in gold) for x in state.passages])
        named = np.array([any(m in x.text for m in query.names) for x in state.passages], np.float32)
        rows.append({"p": p, "s": s, "lex": lex, "named": named, "ok": ok, "lang": q["lang"]})
    return rows


def metrics(rows, sw, lw, nw):
    r1 = r5 = mrr = 0.0
    for r in rows:
        score = (1 - sw) * r["p"] + sw * r["s"] + lw * r["lex"] + nw * r["named"]
        order = np.argsort(-score, kind="stable")
        rank = int(np.nonzero(r["ok"][order])[0][0]) + 1
        r1 += rank == 1
        r5 += rank <= 5
        mrr += 1 / rank if rank <= 10 else 0
    n = len(rows)
    return r1 / n, r5 / n, mrr / n


def main() -> None:
    retriever = Retriever()
    dev = features(retriever, read_questions(Path(sys.argv[1])))
    held = [features(retriever, read_questions(Path(f))) for f in sys.argv[2:]]
    results = []
    for sw in np.arange(0, 1.01, 0.1):
        for lw in [0, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08]:
            for nw in [0, 0.01, 0.02, 0.03, 0.05]:
                results.append((metrics(dev, sw, lw, nw), sw, lw, nw))
    results.sort(key=lambda x: (x[0][2], x[0][0]), reverse=True)
    for (r1, r5, mrr), sw, lw, nw in results[:15]:
        extra = "  ".join("held R@1 {:.2f} R@5 {:.2f} MRR {:.3f}".format(*metrics(h, sw, lw, nw)) for h in held)
        print(f"sentence {sw:.1f} lexical {lw:.2f} name {nw:.2f}: dev R@1 {r1:.2f} R@5 {r5:.2f} "
              f"MRR {mrr:.3f}  {extra}")


if __name__ == "__main__":
    main()
