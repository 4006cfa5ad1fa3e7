"""Builds killed at random moments (SIGKILL) never leave a broken index; readers switch live."""

import os
import random
import subprocess
import sys
import threading
import time

import pytest

from rag.retriever import Retriever
from rag.stores import build_index
from rag.stores.local import load_index
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
QUESTION = "孙华芹建议政府出台更加普惠的支持政策"


def test_sigkill_during_build_leaves_a_loadable_index(settings, fake_encoder):
    build_index(settings, fake_encoder)
    rng = random.Random(7)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outcomes = {"killed": 0, "finished": 0}
    for round_ in range(24):
        # change the corpus each round so every build has something new to write
        (settings.corpus_dir / "changing.md").write_text(f"# 变化\n\n第{round_}轮的新文字。", "utf-8")
        proc = subprocess.Popen([sys.executable, "tests/helpers/slow_build.py", str(settings.corpus_dir),
                                 str(settings.index_dir)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0, 0.9))  # the slowed build embeds for ~0.6 s, then writes
        proc.kill()
        proc.wait()
        outcomes["finished" if proc.stdout.read().strip() == "done" else "killed"] += 1
        index = load_index(settings.index_dir)  # never half-written
        assert index.passage_vectors.ntotal == len(index.passages)
        # the surviving build (this round's or the one before) answers the question
        _, ids = index.passage_vectors.search(fake_encoder.encode_queries([QUESTION]), 1)
        assert QUESTION in index.passages[int(ids[0][0])].text
    assert outcomes["killed"] >= 12, outcomes
    # and the next normal build recovers and cleans up the debris of killed builds
    build_index(settings, fake_encoder)
    assert len([p for p in (settings.index_dir / "builds").iterdir()]) <= 2


def test_reader_switches_to_new_build_without_failing(settings, fake_encoder):
    build_index(settings, fake_encoder)
    retriever = Retriever(settings, fake_encoder, auto_build=False)
    retriever.search(QUESTION, 1)  # loaded once at start, as the server does
    errors, answered = [], [0]
    stop = threading.Event()

    def ask_forever():
        while not stop.is_set():
            try:
                retriever.search(QUESTION, 3)
                answered[0] += 1
            except Exception as exc:  # noqa: BLE001 - any failure in flight is the bug
                errors.append(exc)

    thread = threading.Thread(target=ask_forever)
    thread.start()
    for i in range(5):
        (settings.corpus_dir / f"new-{i}.md").write_text(f"# 新文档{i}\n\n第{i}份新文档：协作机器人{i}号。", "utf-8")
        build_index(settings, fake_encoder)
    stop.set()
    thread.join()
    assert errors == [] and answered[0] > 0
    hits = retriever.search("第4份新文档：协作机器人4号。", 1)
    assert hits[0].doc == "new-4.md"
