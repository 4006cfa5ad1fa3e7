"""The shipped weights on held-aside sets, without training: the same rows `python -m rag.training`
prints for them (R@1 ours / plain e5 / BM25, evidence@1, refused, recognised), with today's code.

Training holds a third of each data set aside and reports on it only after a full run, which
gathers every training corpus first (over an hour). This gathers the held-aside sets named and
measures the weights in rag/data/ranker.json on them, so a change that needs no retraining (the
near-topic cues, a detection rule) can be measured on data nobody tuned on.

    python bench/held_aside.py                       # XQuAD at two folder sizes, every language
    python bench/held_aside.py "cmrc 43 + 171" "drcd 64"
"""

from __future__ import annotations

import argparse
import time

from rag.config import Settings
from rag.embed import SentenceTransformerEncoder
from rag.scoring import load_weights
from rag.training import OTHER_LANGUAGES, CachedEncoder, corpus_plans, default_eval_dir, gather, print_figures

# 60 passages (4 held-aside articles among 8 training ones) and 289 (among 171 CMRC documents)
DEFAULT_SETS = ["xquad 4 of 12", "xquad 4 + cmrc 171",
                *(f"xquad 4 of 12 {language}" for language in OTHER_LANGUAGES),
                *(f"xquad 4 + cmrc 171 {language}" for language in OTHER_LANGUAGES)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("sets", nargs="*", default=DEFAULT_SETS, help="held-aside sets, as rag.training names them")
    args = parser.parse_args()
    encoder = CachedEncoder(SentenceTransformerEncoder(Settings.from_env(), progress=lambda m: None))
    _, held = corpus_plans(encoder, default_eval_dir())
    unknown = [name for name in args.sets if name not in held]
    if unknown:
        parser.error(f"no held-aside set {unknown}; there are: {', '.join(held)}")
    started = time.perf_counter()
    samples = gather({name: held[name] for name in args.sets}, None, encoder)
    weights = load_weights()
    print_figures(weights, weights["answer_threshold"], samples)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
