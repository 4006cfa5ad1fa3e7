"""Stores, chosen by ``Settings.store`` (``--store`` / ``RAG_STORE``) through one registry.

- ``local`` (the default): FAISS, BM25 and JSON files under ``index/`` (``local.py``);
- ``postgresql://…``: PostgreSQL with pgvector, shared by many servers (``postgres.py``).

A store is registered under the scheme of its URL: ``register_store("memory", MemoryStore)`` here,
or from another package through the ``rag.stores`` entry point group::

    [project.entry-points."rag.stores"]
    memory = "my_package:MemoryStore"

A store is a ``base.Store``: it names itself (``describe``), says which build is live, opens it as a
``base.Snapshot``, makes new builds from ``build.prepare_build``, and states its policy (``shared``).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from ..build import BuildReport, EmbedMany, Note, Progress
from ..config import Settings
from ..embed import Encoder
from ..errors import RagError
from .base import Candidates, Snapshot, Store
from .local import LocalStore
from .postgres import PostgresStore

StoreFactory = Callable[[Settings], Store]
ENTRY_POINTS = "rag.stores"
_REGISTRY: dict[str, StoreFactory] = {"local": LocalStore, "postgresql": PostgresStore, "postgres": PostgresStore}


def register_store(scheme: str, factory: StoreFactory) -> None:
    """Make ``--store SCHEME://…`` (or just ``SCHEME``) open ``factory(settings)``."""
    _REGISTRY[scheme] = factory


def store_scheme(store: str) -> str:
    """The registry key of a ``--store`` value: its URL scheme, or the name itself ("" is local)."""
    return store.split("://", 1)[0].lower() if "://" in store else (store or "local")


def open_store(settings: Settings) -> Store:
    """The store ``settings.store`` names (nothing is connected or read until it is used)."""
    scheme = store_scheme(settings.store)
    if scheme not in _REGISTRY:
        for entry in entry_points(group=ENTRY_POINTS, name=scheme):
            register_store(scheme, entry.load())
    if scheme not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise RagError(f"unknown store {settings.store!r}: use local or a postgresql://user:password@host/db URL "
                       f"(stores known here: {known})")
    return _REGISTRY[scheme](settings)


def build_index(settings: Settings, encoder: Encoder, full: bool = False, progress: Progress | None = None,
                wait: bool = False, embed_many: EmbedMany | None = None, prune: bool = False,
                note: Note | None = None) -> BuildReport:
    """Build (or refresh) the corpus folder into the store ``settings`` names (see ``Store.build``)."""
    return open_store(settings).build(encoder, full=full, progress=progress, wait=wait, embed_many=embed_many,
                                      prune=prune, note=note)


__all__ = ["Candidates", "Snapshot", "Store", "StoreFactory", "build_index", "open_store", "register_store",
           "store_scheme"]
