"""Run one index build with a slowed fake encoder (for the crash-safety test to kill)."""

import sys
import time
from pathlib import Path

from rag.config import Settings
from rag.stores import build_index
from tests.conftest import FakeEncoder


class SlowEncoder(FakeEncoder):
    def encode_passages(self, texts):
        time.sleep(0.15)
        return super().encode_passages(texts)


if __name__ == "__main__":
    corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
    settings = Settings.from_env(corpus_dir=corpus, index_dir=index, model=FakeEncoder.name)
    print("start", flush=True)
    build_index(settings, SlowEncoder(), full=True)
    print("done", flush=True)
