"""Documents you manage: list, add, replace and remove, each made live by a new build.

One place for what the chat's Corpus tab, `rag add` / `rag remove`, the HTTP API and Python do::

    >>> docs = Documents.of(retriever)              # or Documents(open_store(settings), encoder)
    >>> docs.add(Path("report.pdf")).name            # 'report.pdf', answered from once this returns
    >>> docs.replace("report.pdf", Path("report-v2.pdf"))
    >>> docs.remove("report.pdf")                    # its passages are never cited again

Every change is a build like ``rag index``'s: it queues behind a running build, and it is atomic:
if the build fails, the change is taken back (an add's file goes, a removed or replaced document
comes back), so what users were told is in the corpus is what the live build holds. Changes to one
store are made one at a time in a process, from the old text read to the build or its undoing, so
a change that fails never takes back another made meanwhile; at most MAX_WAITING_CHANGES wait,
and one more is refused as busy (each waits on a thread the server also answers questions with).
Two servers changing one shared store at once are kept apart only by the store's build lock.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .build import wait_for
from .corpus import add_file, add_text, file_document, text_document
from .embed import Encoder
from .errors import BusyError, CorpusError, DocumentNotFound, RagError
from .stores import Store

# (fraction done, what is happening): the chat's progress bar, the API's build state
Progress = Callable[[float, str], None]
MAX_WAITING_CHANGES = 8  # changes of one store waiting for the one under way, in this process


class _ChangeQueue:
    """The changes of one store: one under way, the others waiting."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = 0


_QUEUES: dict[str, _ChangeQueue] = {}  # store (Store.describe) -> its queue
_QUEUES_LOCK = threading.Lock()


@contextlib.contextmanager
def _one_at_a_time(store: Store, note: Callable[[str], None]) -> Iterator[None]:
    """Hold the store's change queue for one change, waiting behind the one under way and saying
    so as a build queued behind another does (``note``: the running build's progress)."""
    with _QUEUES_LOCK:
        queue = _QUEUES.setdefault(store.describe(), _ChangeQueue())
        if queue.waiting >= MAX_WAITING_CHANGES:
            raise BusyError(f"{queue.waiting} changes are already waiting to be built: try again in a while")
        queue.waiting += 1
    try:
        if not queue.lock.acquire(blocking=False):
            wait_for(lambda: queue.lock.acquire(blocking=False), note)
        try:
            yield
        finally:
            queue.lock.release()
    finally:
        with _QUEUES_LOCK:
            queue.waiting -= 1


@dataclass(frozen=True)
class Change:
    """What a change did: the document's name, "added", "replaced" or "removed", and the new build's size."""

    name: str
    action: str
    passages: int
    documents: int
    seconds: float

    def to_dict(self) -> dict:
        return {"name": self.name, "action": self.action, "passages": self.passages, "documents": self.documents,
                "seconds": round(self.seconds, 2)}


class BuildBoard:
    """How far this server's running build has got: for changes queued behind it, and for the API."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = self._total = 0
        self._doing: list[str] = []  # changes started and not finished, oldest first

    def update(self, done: int, total: int) -> None:
        with self._lock:
            self._done, self._total = done, total

    def status(self, message: str) -> tuple[float, str]:
        """A queued change's progress: the running build's, when it is this server's and embedding."""
        with self._lock:
            done, total = self._done, self._total
        if total and done < total:
            return done / total, f"{message}: it has embedded {done} of {total} texts"
        return 0.0, message

    @contextlib.contextmanager
    def running(self, what: str) -> Iterator[None]:
        with self._lock:
            self._doing.append(what)
        try:
            yield
        finally:
            with self._lock:
                self._doing.remove(what)
                self._done = self._total = 0

    def state(self) -> dict:
        """What is being built now: the changes under way (oldest first) and the texts embedded so far."""
        with self._lock:
            return {"building": bool(self._doing), "changes": list(self._doing), "embedded": self._done,
                    "to_embed": self._total}


class Documents:
    """The documents of one store (its corpus), changed one build at a time."""

    def __init__(self, store: Store, encoder: Encoder, board: BuildBoard | None = None):
        self.store = store
        self.encoder = encoder
        self.board = board or BuildBoard()

    @classmethod
    def of(cls, retriever, board: BuildBoard | None = None) -> Documents:
        """The documents a ``Retriever`` answers from (its store, its encoder)."""
        return cls(retriever.store, retriever.encoder, board)

    @property
    def corpus_dir(self) -> Path:
        return self.store.settings.corpus_dir

    def names(self) -> list[str]:
        """The documents the next build reads (a shared store: every server's)."""
        return self.store.document_names()

    def listed(self) -> list[tuple[str, str, int]]:
        """(document, title, passages) of the live build: what questions are answered from."""
        return self.store.open().documents()

    def add(self, source: Path | None = None, *, name: str | None = None, title: str | None = None,
            text: str | None = None, progress: Progress | None = None) -> Change:
        """Add a file (``source``, read as ``name`` says, default its own name) or pasted ``text``
        titled ``title``; returns once it is in the live build. Never overwrites: a name taken
        (here or in a shared store) gets ``-2``, the same text twice is refused."""
        store = self.store
        with _one_at_a_time(store, self._note(progress)):
            if source is not None:
                path = add_file(self.corpus_dir, source, name, reserve=store.reserve)
            else:
                path = add_text(self.corpus_dir, title or "", text or "", reserve=store.reserve)
            name = path.relative_to(self.corpus_dir).as_posix()

            def undo() -> None:
                data = path.read_bytes()
                path.unlink(missing_ok=True)
                with contextlib.suppress(RagError):  # (a shared store gone: the next build there indexes it)
                    store.unreserve(name, data)

            return self._build("added", name, undo, progress)

    def replace(self, name: str, source: Path | None = None, *, source_name: str | None = None,
                title: str | None = None, text: str | None = None, progress: Progress | None = None) -> Change:
        """Replace document ``name`` by a file of the same type (``source``, read as ``source_name``
        says, default its own name) or, a Markdown document, by pasted text; it keeps its name.
        Returns once the new text is the one answered from."""
        self._check_name(name)
        suffix = Path(name).suffix.lower()
        if source is not None:
            new_name, data = file_document(source, source_name)
            if Path(new_name).suffix.lower() != suffix:
                raise CorpusError(f"{name} is a {suffix} document: replace it with a {suffix} file")
        else:
            if suffix != ".md":
                raise CorpusError(f"{name} is a {suffix} document: only a .md document is replaced by pasted text")
            data = text_document(title or Path(name).stem, text or "")[1]
        with _one_at_a_time(self.store, self._note(progress)):
            self._check_name(name)  # (removed while this one waited?)
            old = self.store.read_document(name)
            self.store.put_document(name, data)
            return self._build("replaced", name, lambda: self.store.put_document(name, old), progress)

    def remove(self, name: str, progress: Progress | None = None) -> Change:
        """Remove document ``name``; returns once the live build no longer holds it."""
        self._check_name(name)
        with _one_at_a_time(self.store, self._note(progress)):
            if self._check_name(name) == [name]:  # (checked again: another change may have come first)
                raise CorpusError(f"{name} is the only document: add another before removing it")
            old = self.store.take_document(name)
            return self._build("removed", name, lambda: self.store.put_document(name, old), progress)

    def _note(self, progress: Progress | None) -> Callable[[str], None]:
        """Waiting messages for ``progress``, with this server's running build's progress."""
        say = progress or (lambda fraction, message: None)
        return lambda message: say(*self.board.status(message))

    def _check_name(self, name: str) -> list[str]:
        names = self.names()
        if not isinstance(name, str) or name not in names:
            raise DocumentNotFound(f"no document named {str(name)[:200]!r}"
                                   + (f" (there are: {', '.join(names[:5])}{' …' if len(names) > 5 else ''})"
                                      if names else ""))
        return names

    def _build(self, action: str, name: str, undo: Callable[[], None], progress: Progress | None) -> Change:
        """Build until ``name``'s change is live; if the build fails, ``undo`` it and say so."""
        board, say, note = self.board, progress or (lambda fraction, message: None), self._note(progress)
        verb = {"added": "adding", "replaced": "replacing", "removed": "removing"}[action]

        def embedding(done: int, total: int) -> None:
            board.update(done, total)
            say(done / max(total, 1), "embedding")

        started = time.perf_counter()
        say(0.0, "indexing")
        with board.running(f"{verb} {name}"):
            # The build reads the corpus once it holds the lock: when it returns this change is live.
            try:
                report = self.store.build(self.encoder, wait=True, progress=embedding,
                                          note=note)
            except Exception as exc:  # noqa: BLE001 - not live, so not done: taken back, and said in one line
                with contextlib.suppress(Exception):
                    undo()
                reason = str(exc) if isinstance(exc, RagError) else f"something went wrong ({type(exc).__name__})"
                raise RagError(f"{name} was not {action}: {reason}") from exc
        documents = len(self.names())
        return Change(name, action, report.passages, documents, time.perf_counter() - started)
