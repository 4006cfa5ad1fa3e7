"""Encoders: text -> L2-normalised float32 vectors. The real one wraps sentence-transformers."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import DEFAULT_MODEL, Settings
from .errors import ModelError


class Encoder(Protocol):
    """What the index and the retriever need from an embedding model."""

    name: str

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def resolve_model(settings: Settings, progress: Callable[[str], None] = print) -> str:
    """A path or id SentenceTransformer can load without a model hub, building e5 if needed."""
    if Path(settings.model).expanduser().is_dir():
        return str(Path(settings.model).expanduser())
    if settings.model == DEFAULT_MODEL:
        from .model_build import ensure_e5_model

        return str(ensure_e5_model(settings.cache_dir / "models", progress))
    return settings.model


class SentenceTransformerEncoder:
    """A sentence-transformers model, loaded on first use, with e5's query/passage prefixes."""

    def __init__(self, settings: Settings, progress: Callable[[str], None] = print):
        self.name = settings.model_id
        self._settings = settings
        self._progress = progress
        self._model = None
        self._dim: int | None = None
        self.calls = 0  # encode calls that reached the model (tests count them)

    def _load(self):
        if self._model is not None:
            return self._model
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch

        # Two cores: more threads than cores makes torch slow and erratic when the machine is busy.
        torch.set_num_threads(max(1, self._settings.threads))
        location = resolve_model(self._settings, self._progress)
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any loading failure becomes one clear message
            raise ModelError(
                f"could not load the embedding model {self.name!r} (tried {location!r}: "
                f"{type(exc).__name__}: {str(exc)[:300]}). Set RAG_EMBED_MODEL (or --model) to a "
                f"local sentence-transformers folder, or unset it to use the bundled "
                f"{DEFAULT_MODEL}.") from exc
        if self._settings.quantize:
            # int8 weights for every Linear layer: ~2x faster on this CPU (bench/RESULTS.md)
            transformer = self._model[0]
            transformer.model = torch.ao.quantization.quantize_dynamic(
                transformer.model, {torch.nn.Linear}, dtype=torch.qint8)
        prompts = getattr(self._model, "prompts", {}) or {}
        e5 = "e5" in self.name.lower()
        self._query_prefix = prompts.get("query", "query: " if e5 else "")
        self._passage_prefix = prompts.get("passage", "passage: " if e5 else "")
        self._dim = int(self._model.get_embedding_dimension())
        return self._model

    @property
    def dim(self) -> int:
        self._load()
        assert self._dim is not None
        return self._dim

    def _encode(self, texts: Sequence[str], is_query: bool, batch_size: int) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        self.calls += 1
        prefix = self._query_prefix if is_query else self._passage_prefix
        vectors = model.encode([prefix + t for t in texts], batch_size=batch_size,
                               normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True, 32)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False, 16)
