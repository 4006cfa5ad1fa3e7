"""Embedding on a Ray cluster: `rag index --ray [ADDRESS]`.

Ray Data spreads the texts that need vectors over a pool of actors, one model per actor
(``map_batches`` with a callable class), and the build goes on as usual with the vectors
it gets back. Every node needs this package with its ``scale`` extras and the model in its
cache (``make model``, or ``RAG_CACHE`` on a shared disk); nothing is downloaded at run time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .config import Settings
from .errors import RagError

# Library messages go to logging: the CLI and the server decide what to show.
logger = logging.getLogger(__name__)

BATCH = 32  # texts per model call on a worker, as local builds


class _Embedder:
    """A Ray actor: loads the model once, then embeds batches of passages."""

    def __init__(self, settings: Settings):
        from .embed import make_encoder

        self.encoder = make_encoder(settings, progress=lambda message: None)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.encoder.encode_passages([str(t) for t in batch["text"]])
        return {"i": batch["i"], "vector": np.asarray(vectors, np.float32)}


def ray_embedder(settings: Settings, address: str | None, workers: int,
                 progress: Callable[[str], None] = logger.info) -> Callable[[list[str]], np.ndarray]:
    """A function that embeds texts on the Ray cluster at ``address`` (None: start a local one)."""
    try:
        import ray
    except ImportError as exc:
        raise RagError("--ray needs the extras: pip install 'rag-zh[scale]'") from exc
    if workers < 1:
        raise RagError("--ray-workers must be at least 1")
    # One core per worker: the pool, not the threads inside a model, is what scales out.
    worker_settings = replace(settings, threads=1, encoder="torch")

    def embed(texts: list[str]) -> np.ndarray:
        if not ray.is_initialized():
            progress(f"connecting to Ray at {address}" if address else "starting a local Ray cluster")
            ray.init(address=address, log_to_driver=False, include_dashboard=False,
                     runtime_env={"env_vars": {"RAG_CACHE": str(settings.cache_dir),
                                               "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}})
        progress(f"embedding {len(texts)} texts on Ray with {workers} worker(s)")
        dataset = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(texts)])
        rows = dataset.map_batches(_Embedder, fn_constructor_kwargs={"settings": worker_settings},
                                   batch_size=BATCH, compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1,
                                   batch_format="numpy")
        out = np.zeros((len(texts), 0), np.float32)
        for batch in rows.iter_batches(batch_size=1024, batch_format="numpy"):
            if out.shape[1] == 0:
                out = np.zeros((len(texts), batch["vector"].shape[1]), np.float32)
            out[batch["i"]] = batch["vector"]  # Ray may return batches in any order
        return out

    return embed
