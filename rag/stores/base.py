"""What every store is: where builds live, and what a question needs from one build.

A store (``Store``) keeps builds, says which one is live, opens it as a ``Snapshot`` and makes a
new one from a ``PreparedBuild`` (``rag/build.py``). A question reads one live build through its
snapshot: candidate passages (the dense, sentence and lexical front runners), then, for those
candidates only, their passages, vectors and BM25 scores (``Candidates``). Scoring is the same code
for every store (``retriever.py``).

Stores are chosen by ``Settings.store`` through the registry in ``rag/stores/__init__.py``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..bridge import Dictionary, PinyinNames
from ..build import BuildReport, EmbedMany, Note, Progress, corpus_hashes, stale_reasons
from ..chunk import Passage
from ..config import Settings
from ..corpus import already_there, corpus_files
from ..embed import Encoder
from ..errors import CorpusError, DocumentNotFound
from ..lexical import simplified, use_words
from ..transcribe import TranscribedNames

CANDIDATES = 100  # passages taken from each of dense, sentence and BM25 search, then scored exactly
MAX_FOLDED = 200_000  # passages whose folded text a snapshot remembers (~100 MB of text at most)


class Snapshot(ABC):
    """One build of a store, read-only. Subclasses fetch; this class holds what all share."""

    size: int  # passages

    def __init__(self, name: str, manifest: dict, glossary: dict, glosses: dict[str, list[str]]):
        self.name = name  # the build's name: a new name means a new build went live
        self.manifest = manifest
        # "names" (user's glossary) and "aliases" (the text's): English -> Chinese; "spelled": pinyin ->
        # the corpus's Chinese; "words": the corpus's own jieba words (corpus/userdict.txt); "people":
        # the corpus's people -> their pinyin (rag/transcribe.py)
        self.glossary = glossary
        self.dictionary = Dictionary(glosses)  # CC-CEDICT English -> the corpus's Chinese words
        use_words(glossary.get("words", []))  # a question is cut into words as the build's text was

    @cached_property
    def centroid(self) -> np.ndarray:
        """The passages' mean vector: a question's product with it is its mean cosine to them.
        Stored with the build; an older build has it computed once, on first use."""
        stored = self.manifest.get("centroid")
        return np.asarray(stored if stored else self.mean_vector(), np.float32)

    def mean_vector(self) -> np.ndarray:
        """The mean of the passages' vectors, computed from the stored vectors (empty if unknown)."""
        return np.zeros(0, np.float32)

    @cached_property
    def names(self) -> PinyinNames:
        """Romanised names -> the corpus's Chinese, from the pinyin stored with the build."""
        return PinyinNames(self.glossary.get("spelled", {}))

    @cached_property
    def people(self) -> TranscribedNames:
        """The corpus's people, found by the sound of their names in other scripts (rag/transcribe.py).
        A build made before they were kept has none until the corpus is built again (`rag index
        --full`, or any change to it)."""
        return TranscribedNames(self.glossary.get("people", {}))

    @cached_property
    def _folded(self) -> dict[str, str]:
        return {}

    def folded(self, passages: Sequence[Passage]) -> list[str]:
        """Each passage's text in simplified characters and lower case, offsets unchanged: what the
        question's terms are matched against. Remembered per passage (a conversion costs ~0.1 µs a
        character, too much to repeat for every candidate of every question)."""
        if len(self._folded) > MAX_FOLDED:  # a shared store's passages are not all to be kept in memory
            self._folded.clear()
        out = []
        for p in passages:
            text = self._folded.get(p.id)
            if text is None:
                text = simplified(p.text)
                lowered = text.lower()
                text = self._folded[p.id] = lowered if len(lowered) == len(text) else text
            out.append(text)
        return out

    @abstractmethod
    def idf(self, terms: Sequence[str]) -> list[float]:
        """BM25's idf of each term in this build (0 for a term no passage holds)."""

    @abstractmethod
    def candidates(self, vector: np.ndarray, terms: Sequence[str]) -> list[int]:
        """Passage numbers worth scoring exactly, ascending: every passage of a small corpus."""

    @abstractmethod
    def fetch(self, ids: Sequence[int], vector: np.ndarray, terms: Sequence[str]) -> Candidates:
        """Passages ``ids`` with their sentences, cosines with ``vector`` and BM25 for ``terms``."""

    @abstractmethod
    def documents(self) -> list[tuple[str, str, int]]:
        """(document, title, passages) of every document in the build."""


@dataclass(frozen=True)
class Candidates:
    """Candidate passages of one question and what scoring needs of them, row-aligned."""

    passages: list[Passage]
    passage_cos: np.ndarray
    bm25: np.ndarray
    sentence_cos: list[np.ndarray]  # per passage: cosines of its stored_sentences (none: one sentence)
    spans: list[list[tuple[int, int]]]  # per passage: sentence_offsets
    boilerplate: np.ndarray  # per passage: 1 for a byline or dateline (scoring.is_boilerplate)



class Store(ABC):
    """Where builds live: which one is live, opening it, making a new one, and the store's policy."""

    # A shared store holds its documents itself, for many servers: a question never builds it
    # (a build would upload the asking server's folder), and adds reserve their name in it first.
    shared: ClassVar[bool] = False

    def __init__(self, settings: Settings):
        self.settings = settings

    @abstractmethod
    def describe(self) -> str:
        """Where the store is, for messages (never with a password)."""

    @abstractmethod
    def live(self) -> str | None:
        """Name of the live build (None: there is none). Asked before every question: cheap."""

    @abstractmethod
    def open(self) -> Snapshot:
        """The live build; raises IndexNotReady saying how to fix a missing or damaged one."""

    @abstractmethod
    def build(self, encoder: Encoder, full: bool = False, progress: Progress | None = None, wait: bool = False,
              embed_many: EmbedMany | None = None, prune: bool = False, note: Note | None = None) -> BuildReport:
        """Build (or refresh) from ``settings.corpus_dir`` and make the build live, one build at a time.

        Unless ``full``, texts whose vectors the live build holds are not embedded again, and an
        unchanged corpus makes no new build. With ``wait``, a build already running is waited for
        (``note`` says so) instead of refused; the corpus is read once the lock is held, so a file
        written before the call is in the result. ``prune``: a shared store drops the documents
        the folder lacks (by default it keeps what other servers added).
        """

    def stale_reasons(self, manifest: dict, model: str) -> list[str]:
        """Why a build no longer matches the settings, the encoder named ``model`` and (unless the
        store is shared: only `rag index` and adds bring a folder's changes to it) the corpus folder."""
        corpus = None if self.shared else corpus_hashes(self.settings.corpus_dir)
        return stale_reasons(manifest, self.settings, model, corpus)

    def reserve(self, name: str, data: bytes) -> bool:
        """Hold the name ``name`` for an added document's ``data`` (False: the store has one of that
        name, try another). A folder's own file is its reservation: nothing more to do."""
        return True

    def unreserve(self, name: str, data: bytes) -> None:
        """Take back a reservation whose build failed."""
        return None  # a folder's file is removed by whoever added it

    def close(self) -> None:
        """Let go of connections (a store is usable again after it)."""
        return None  # a store without connections holds nothing to let go

    # -- the documents the next build reads (here: the corpus folder's files) ---------------------
    def document_names(self) -> list[str]:
        """The documents the next build reads, by name (their path in the corpus, "/" between folders)."""
        corpus_dir = self.settings.corpus_dir
        try:
            return [p.relative_to(corpus_dir).as_posix() for p in corpus_files(corpus_dir)]
        except CorpusError:  # no folder, or nothing in it
            return []

    def _document_path(self, name: str) -> Path:
        if name not in self.document_names():  # only a document's own name: never a path elsewhere
            raise DocumentNotFound(f"no document named {name!r} in {self.settings.corpus_dir}")
        return self.settings.corpus_dir / name

    def read_document(self, name: str) -> bytes:
        """Document ``name``'s bytes; DocumentNotFound if there is none."""
        return self._document_path(name).read_bytes()

    def take_document(self, name: str) -> bytes:
        """Take document ``name`` out of what the next build reads; its bytes (for ``put_document``
        to bring it back if that build fails). DocumentNotFound if there is none."""
        path = self._document_path(name)
        data = path.read_bytes()
        path.unlink()
        return data

    def put_document(self, name: str, data: bytes) -> None:
        """Make document ``name`` hold ``data`` for the next build: a replacement, or a removal taken
        back. Written whole or not at all (a reader never sees half a document)."""
        path = self.settings.corpus_dir / name
        same = already_there(self.settings.corpus_dir, data)
        if same is not None and same.resolve() != path.resolve():
            raise CorpusError(f"this text is already in the corpus as "
                              f"{same.relative_to(self.settings.corpus_dir).as_posix()}")
        write_whole(path, data)


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: the old or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".rag-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CorpusError(f"cannot write {path.name} ({exc.strerror}): free some space and try again") from exc
