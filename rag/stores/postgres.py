"""The shared store: PostgreSQL with pgvector, for several servers answering from one corpus.

Everything lives in one Postgres schema (``Settings.store_schema``, default ``rag``)::

    documents(path, data, sha256)      the corpus itself: every server adds to it, builds read it
    builds(name, manifest, glossary, glosses)
    live(name)                          the build questions are answered from
    passages_<build>(id, …, text, sentence_first, key, vector)      vector(dim); HNSW above 50k rows
    sentences_<build>(id, passage, key, vector)                       of multi-sentence passages
    postings_<build>(term, passage, score)   BM25 of each jieba token in each passage (btree)
    terms_<build>(term, df)

A build writes its tables and switches ``live`` in one transaction: a reader sees the old
build or the new one, never half, and a build killed midway leaves nothing behind. One
build at a time per schema (an advisory lock, released if the building process dies).

Why these choices:

- ``vector`` (float32), not ``halfvec``: the cosines are the ones the local store computes,
  so both stores rank alike; halfvec would halve the 1.5 KB per row but move cosines by ~1e-3.
- BM25 as a postings table rather than ``tsvector`` + ``ts_rank_cd``: ts_rank_cd is not BM25
  and Chinese full-text extensions (zhparser, pg_jieba) are not packaged; the postings hold
  bm25s's own per-token scores, so a question's BM25 is a SUM over btree lookups and equals
  the local one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from ..build import (
    FORMAT_VERSION,
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_LINKS,
    BuildReport,
    EmbedMany,
    Note,
    PreparedBuild,
    Progress,
    corpus_hashes,
    needs_build,
    prepare_build,
    sentence_offsets,
    stored_sentences,
    vector_key,
    wait_for,
)
from ..chunk import Passage
from ..config import Settings
from ..corpus import CORPUS_DATA_FILES, corpus_files
from ..embed import Encoder
from ..errors import CorpusError, DocumentNotFound, IndexNotReady, RagError
from ..lexical import bm25_idf
from ..scoring import is_boilerplate
from .base import CANDIDATES, Candidates, Snapshot, Store, write_whole

logger = logging.getLogger(__name__)
DUPLICATE = "the same text is already in the store as"
# How long a question may wait for PostgreSQL before it is told it is unreachable: a few seconds,
# not the pool's 30 (with 4 worker slots, users queued behind questions that could not be answered).
# Reconnection attempts give up as soon, so that once it is back the next question reconnects.
CONNECT_SECONDS = 5


def _one_line(exc: BaseException) -> str:
    """The driver's message on one line, cut to 200 characters."""
    return " ".join(str(exc).split())[:200]


def _missing_extras() -> RagError:
    return RagError("the PostgreSQL store needs the extras: pip install 'rag-zh[scale]'")


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def _connect(url: str, application_name: str = "rag") -> Any:
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError as exc:
        raise _missing_extras() from exc
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_SECONDS,
                               application_name=application_name)
    except psycopg.OperationalError as exc:
        raise RagError(f"cannot reach PostgreSQL at {safe_url(url)}: {_one_line(exc)}") from exc
    conn.execute("SET client_min_messages = warning")  # no NOTICE chatter on stderr
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    register_vector(conn)
    return conn


class _Tables:
    """Quoted names of one schema's tables."""

    def __init__(self, schema: str):
        if not schema.replace("_", "").isalnum():
            raise RagError(f"store schema {schema!r}: use letters, digits and _")
        self.schema = schema

    def __call__(self, table: str, build: str = "") -> str:
        return f'"{self.schema}"."{table}{"_" + build if build else ""}"'

    def create(self, conn: Any) -> None:
        """Create the schema's tables if missing (two processes starting at once must not both try)."""
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"rag-schema:{self.schema}",))
            self._create(conn)

    def _create(self, conn: Any) -> None:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        conn.execute(f"CREATE TABLE IF NOT EXISTS {self('documents')} (path text PRIMARY KEY, data bytea NOT NULL, "
                     "sha256 text NOT NULL, added timestamptz NOT NULL DEFAULT now())")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {self('builds')} (name text PRIMARY KEY, manifest jsonb NOT NULL, "
                     "glossary jsonb NOT NULL, glosses jsonb NOT NULL, created timestamptz NOT NULL DEFAULT now())")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {self('live')} (only_row boolean PRIMARY KEY DEFAULT true "
                     "CHECK (only_row), name text NOT NULL)")
        conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {self('build_numbers')}")


class PostgresStore(Store):
    """Builds in a PostgreSQL schema; any number of processes read and add to it."""

    shared = True

    def __init__(self, settings: Settings):
        super().__init__(settings)
        self.url = settings.store
        self.tables = _Tables(settings.store_schema)
        self._pool: Any = None

    def describe(self) -> str:
        return f"{safe_url(self.url)} (schema {self.tables.schema})"

    @property
    def pool(self) -> Any:
        if self._pool is None:
            try:
                from pgvector.psycopg import register_vector
                from psycopg_pool import ConnectionPool
            except ImportError as exc:
                raise _missing_extras() from exc

            def configure(conn: Any) -> None:
                register_vector(conn)
                conn.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")

            with _connect(self.url) as conn:  # a clear message if the server is not there
                self.tables.create(conn)
            # check: a connection the server dropped (a restart, an outage) is replaced before use,
            # not handed to a question to fail with
            self._pool = ConnectionPool(self.url, min_size=1, max_size=4, configure=configure,
                                        check=ConnectionPool.check_connection, timeout=CONNECT_SECONDS,
                                        reconnect_timeout=CONNECT_SECONDS, open=True,
                                        kwargs={"autocommit": True, "connect_timeout": CONNECT_SECONDS})
        return self._pool

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            with self.pool.connection() as conn, conn.cursor() as cur:
                yield cur
        except PoolTimeout as exc:
            raise RagError(f"cannot reach PostgreSQL at {safe_url(self.url)} (no connection within "
                           f"{CONNECT_SECONDS} s): check that it is running") from exc
        except psycopg.OperationalError as exc:
            raise RagError(f"lost PostgreSQL at {safe_url(self.url)}: {_one_line(exc)}") from exc
        except psycopg.errors.UndefinedTable as exc:  # two newer builds went live during this question
            raise IndexNotReady("the index was rebuilt while answering: ask again") from exc

    def live(self) -> str | None:
        with self.cursor() as cur:
            row = cur.execute(f"SELECT name FROM {self.tables('live')}").fetchone()
        return row[0] if row else None

    def open(self) -> PgSnapshot:
        with self.cursor() as cur:
            row = cur.execute(f"SELECT b.name, b.manifest, b.glossary, b.glosses FROM {self.tables('live')} l "
                              f"JOIN {self.tables('builds')} b USING (name)").fetchone()
        if row is None:
            raise IndexNotReady(f"no index in {self.describe()}: run `rag index --store URL` to build it")
        name, manifest, glossary, glosses = row
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexNotReady(f"index in {self.describe()} has format {manifest.get('format_version')}, "
                                f"this version reads {FORMAT_VERSION}: run `rag index --full --store URL`")
        return PgSnapshot(self, name, manifest, glossary, glosses)

    def build(self, encoder: Encoder, full: bool = False, progress: Progress | None = None, wait: bool = False,
              embed_many: EmbedMany | None = None, prune: bool = False, note: Note | None = None) -> BuildReport:
        if self.settings.corpus_dir.exists():
            corpus_files(self.settings.corpus_dir)  # an empty or unreadable folder is still a mistake
        return _build(self.settings, encoder, full, progress, wait, embed_many, prune, note)

    def reserve(self, name: str, data: bytes) -> bool:
        return reserve_document(self.settings, name, data)

    def unreserve(self, name: str, data: bytes) -> None:
        unreserve_document(self.settings, name, data)

    def document_names(self) -> list[str]:
        # (the glossary and the corpus's words are stored beside the documents, not as documents)
        with self.cursor() as cur:
            return [r[0] for r in cur.execute(f"SELECT path FROM {self.tables('documents')} ORDER BY path")
                    if r[0] not in CORPUS_DATA_FILES]

    def read_document(self, name: str) -> bytes:
        with self.cursor() as cur:
            row = cur.execute(f"SELECT data FROM {self.tables('documents')} WHERE path = %s", (name,)).fetchone()
        if row is None:
            raise DocumentNotFound(f"no document named {name!r} in {self.describe()}")
        return bytes(row[0])

    def take_document(self, name: str) -> bytes:
        return take_document(self.settings, name)

    def put_document(self, name: str, data: bytes) -> None:
        put_document(self.settings, name, data)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


class PgSnapshot(Snapshot):
    """One build in PostgreSQL: questions fetch only their candidates."""

    def __init__(self, store: PostgresStore, name: str, manifest: dict, glossary: dict, glosses: dict):
        super().__init__(name, manifest, glossary, glosses)
        self.store = store
        self.size = int(manifest["passages"])
        self._t = lambda table: store.tables(table, name)

    def mean_vector(self) -> np.ndarray:
        with self.store.cursor() as cur:
            row = cur.execute(f"SELECT avg(vector) FROM {self._t('passages')}", binary=True).fetchone()
        return _array(row[0]) if row and row[0] is not None else np.zeros(0, np.float32)

    def idf(self, terms: Sequence[str]) -> list[float]:
        with self.store.cursor() as cur:
            df = dict(cur.execute(f"SELECT term, df FROM {self._t('terms')} WHERE term = ANY(%s)", (list(terms),)))
        return [bm25_idf(self.size, df.get(t, 0)) for t in terms]

    def candidates(self, vector: np.ndarray, terms: Sequence[str]) -> list[int]:
        if self.size <= CANDIDATES:
            return list(range(self.size))
        query = (f"(SELECT id FROM {self._t('passages')} ORDER BY vector <#> %(v)s LIMIT {CANDIDATES}) UNION "
                 f"(SELECT passage FROM {self._t('sentences')} ORDER BY vector <#> %(v)s LIMIT {3 * CANDIDATES}) "
                 f"UNION (SELECT passage FROM {self._t('postings')} WHERE term = ANY(%(t)s) "
                 f"GROUP BY passage ORDER BY sum(score) DESC LIMIT {CANDIDATES})")
        with self.store.cursor() as cur:
            return sorted(r[0] for r in cur.execute(query, {"v": vector.astype(np.float32), "t": list(terms)}))

    def fetch(self, ids: Sequence[int], vector: np.ndarray, terms: Sequence[str]) -> Candidates:
        ids = list(ids)
        with self.store.cursor() as cur:
            rows = cur.execute(f"SELECT id, passage_id, doc, title, section, position, start_at, end_at, text, "
                               f"vector FROM {self._t('passages')} WHERE id = ANY(%s) ORDER BY id", (ids,),
                               binary=True).fetchall()  # binary: vectors arrive as floats, not text to parse
            sentences = cur.execute(f"SELECT passage, vector FROM {self._t('sentences')} WHERE passage = ANY(%s) "
                                    f"ORDER BY id", (ids,), binary=True).fetchall()
            bm25 = dict(cur.execute(f"SELECT passage, sum(score) FROM {self._t('postings')} WHERE term = ANY(%s) "
                                    f"AND passage = ANY(%s) GROUP BY passage", (list(terms), ids)))
        if [r[0] for r in rows] != sorted(ids):
            raise IndexNotReady(f"build {self.name} in {self.store.describe()} lacks passages: run `rag index --full`")
        order = {i: row for row, i in enumerate(sorted(ids))}
        rows = [rows[order[i]] for i in ids]
        by_passage: dict[int, list[np.ndarray]] = {}
        for passage, v in sentences:
            by_passage.setdefault(passage, []).append(_array(v))
        query = vector.astype(np.float32)
        passages = [Passage(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in rows]
        return Candidates(
            passages,
            np.array([_array(r[9]) @ query for r in rows], np.float32).reshape(-1),
            np.array([bm25.get(i, 0.0) for i in ids], np.float32),
            [np.stack(by_passage[i]) @ query if i in by_passage else np.zeros(0, np.float32) for i in ids],
            [sentence_offsets(p) for p in passages],
            np.array([is_boilerplate(p.text) for p in passages], np.float32))

    def documents(self) -> list[tuple[str, str, int]]:
        with self.store.cursor() as cur:
            return [tuple(r) for r in cur.execute(f"SELECT doc, title, count(*) FROM {self._t('passages')} "
                                                   "GROUP BY doc, title ORDER BY doc, title")]


# -- builds -----------------------------------------------------------------------------------------
def _build(settings: Settings, encoder: Encoder, full: bool, progress: Progress | None, wait: bool,
           embed_many: EmbedMany | None, prune: bool, note: Note | None) -> BuildReport:
    """Upload the corpus folder's new and changed files to the store, then build from all its documents.

    Documents other servers added stay (only ``prune`` removes those not in the folder).
    """
    started = time.perf_counter()
    tables = _Tables(settings.store_schema)
    with _connect(settings.store, "rag-build") as conn:
        tables.create(conn)
        with _advisory_lock(conn, tables.schema, wait, note):
            removed = _upload(conn, tables, settings.corpus_dir, prune, _sync_key(settings))
            documents = conn.execute(f"SELECT path, data, sha256 FROM {tables('documents')} ORDER BY path").fetchall()
            if not documents:
                raise CorpusError(f"the store {safe_url(settings.store)} has no documents: pass --corpus DIR")
            hashes = {path: sha for path, _, sha in documents}
            live = conn.execute(f"SELECT b.name, b.manifest FROM {tables('live')} JOIN {tables('builds')} b "
                                "USING (name)").fetchone()
            if not full and live and not needs_build(live[1], settings, encoder.name, hashes):
                stored = conn.execute(f"SELECT (SELECT count(*) FROM {tables('passages', live[0])}) + "
                                      f"(SELECT count(*) FROM {tables('sentences', live[0])})").fetchone()[0]
                return BuildReport(live[1]["passages"], 0, stored, time.perf_counter() - started,
                                   list(live[1].get("skipped", [])) + removed)
            reuse = {} if full or not live or live[1].get("model") != encoder.name else _old_vectors(
                conn, tables, live[0])
            with tempfile.TemporaryDirectory() as folder:
                removed += _write_documents(documents, Path(folder))
                build = prepare_build(Path(folder), settings, encoder, reuse, progress, embed_many)
            if note:
                note(f"writing {len(build.passages)} passages to {safe_url(settings.store)}")
            name = _write_build(conn, tables, build)
            _drop_old_builds(conn, tables, keep={name, live[0] if live else ""})
    build.report.seconds = time.perf_counter() - started
    build.report.warnings += removed
    return build.report


def write_prepared_build(url: str, schema: str, build: PreparedBuild) -> str:
    """Write a build prepared elsewhere (``build.prepare_build``, or a benchmark's synthetic one) into
    a store schema and make it live, one build at a time; its name."""
    tables = _Tables(schema)
    with _connect(url, "rag-build") as conn:
        tables.create(conn)
        with _advisory_lock(conn, tables.schema, wait=True):
            live = conn.execute(f"SELECT name FROM {tables('live')}").fetchone()
            name = _write_build(conn, tables, build)
            _drop_old_builds(conn, tables, keep={name, live[0] if live else ""})
    return name


def _write_documents(documents: list[tuple[str, bytes, str]], folder: Path) -> list[str]:
    """The store's documents as files under ``folder`` (for the readers); warnings for bad paths."""
    warnings = []
    for path, data, _ in documents:
        if Path(path).is_absolute() or ".." in Path(path).parts:  # never write outside the folder
            warnings.append(f"skipped: {path!r} is not a path inside a corpus")
            continue
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return warnings


@contextmanager
def _advisory_lock(conn: Any, schema: str, wait: bool, note: Note | None = None) -> Iterator[None]:
    """One build per schema at a time; a crashed builder's session ends and so does its lock."""
    key = f"rag-build:{schema}"

    def try_acquire() -> bool:
        return bool(conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (key,)).fetchone()[0])

    if not try_acquire():
        if not wait:
            raise IndexNotReady(f"another build of store schema {schema} is running: wait for it to finish")
        wait_for(try_acquire, note)
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


def _upload(conn: Any, tables: _Tables, corpus_dir: Path, prune: bool, key: str) -> list[str]:
    """Copy the corpus folder's changes since it last synced with the store into it; with ``prune``,
    drop the store's documents that are not in the folder. Warnings for what was left out.

    The store is never overwritten with what it did not expect: a new file goes in only under a
    name the store does not hold, a changed one only over the copy this folder last synced (compare
    and swap). A copy unchanged here while the store's changed is stale and stays out; a copy changed
    on both sides is refused. A text the store holds under another name is not stored twice.
    """
    if not corpus_dir.is_dir():
        return []
    hashes = corpus_hashes(corpus_dir)
    synced = _read_synced(corpus_dir, key)  # path -> sha256 the folder and the store last agreed on
    stored = dict(conn.execute(f"SELECT path, sha256 FROM {tables('documents')}").fetchall())
    stored_as = {sha: path for path, sha in stored.items()}
    notes = []
    with conn.transaction():
        for path, sha in hashes.items():
            theirs, base = stored.get(path), synced.get(path)
            if theirs == sha:
                synced[path] = sha
            elif stored_as.get(sha, path) != path:
                notes.append(f"skipped: {path}: {DUPLICATE} {stored_as[sha]}")
            elif base == sha and theirs is None:  # unchanged here since the last sync, removed from the store
                notes.append(f"skipped: {path}: removed from the store since this folder last synced with it "
                             "(rename this copy to add it again)")
            elif base == sha:  # unchanged here since the last sync, changed in the store: this copy is older
                notes.append(f"skipped: {path}: the store's copy changed since this folder's was synced: "
                             "the store's is kept")
            elif theirs is None and _insert_document(conn, tables, path, (corpus_dir / path).read_bytes(), sha):
                synced[path] = sha
            elif theirs is not None and theirs == base and conn.execute(
                    f"UPDATE {tables('documents')} SET data = %s, sha256 = %s, added = now() "
                    "WHERE path = %s AND sha256 = %s", ((corpus_dir / path).read_bytes(), sha, path, base)).rowcount:
                synced[path] = sha  # changed here, and the store still held what this folder had
            else:
                notes.append(f"skipped: {path}: the store holds another {path}, changed since this folder "
                             "last synced with it: rename this copy to add it as a document of its own")
        gone = sorted(set(stored) - set(hashes)) if prune else []
        if gone:
            conn.execute(f"DELETE FROM {tables('documents')} WHERE path = ANY(%s)", (gone,))
    # merged with the record as it is now: an add may have recorded its document meanwhile
    _change_synced(corpus_dir, key, lambda now: {p: sha for p, sha in {**now, **synced}.items() if p not in gone})
    return notes + [f"removed from the store (not in {corpus_dir}): {path}" for path in gone]


def _insert_document(conn: Any, tables: _Tables, path: str, data: bytes, sha: str) -> bool:
    """Store a document under ``path`` unless the store already holds one there; whether it did."""
    return bool(conn.execute(f"INSERT INTO {tables('documents')} (path, data, sha256) VALUES (%s, %s, %s) "
                             "ON CONFLICT (path) DO NOTHING", (path, data, sha)).rowcount)


# -- what a folder last synced with a store ----------------------------------------------------------
SYNCED_FILE = ".rag-store-sync.json"  # in the corpus folder (hidden: never read as a document)


def _sync_key(settings: Settings) -> str:
    return f"{safe_url(settings.store)} {settings.store_schema}"


def _records(corpus_dir: Path) -> dict:
    """Every store's record kept in the folder ({} when there is none, or it is damaged)."""
    try:
        records = json.loads((corpus_dir / SYNCED_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def _record(records: dict, key: str) -> dict[str, str]:
    """One store's record: path -> sha256 the folder and that store last agreed on."""
    record = records.get(key)
    return dict(record) if isinstance(record, dict) else {}


def _read_synced(corpus_dir: Path, key: str) -> dict[str, str]:
    return _record(_records(corpus_dir), key)


_SYNC_LOCK = threading.Lock()  # adds run side by side in one server: one change of the record at a time


def _change_synced(corpus_dir: Path, key: str, change: Callable[[dict[str, str]], dict[str, str]]) -> None:
    """Change (atomically, one change at a time) the record of what the folder and the store agree
    on, per store. A folder that cannot be written (read-only, full) loses only the record: it
    is said in one line, and the next sync compares with the store again."""
    path = corpus_dir / SYNCED_FILE
    with _SYNC_LOCK:
        everything = _records(corpus_dir)
        everything[key] = change(_record(everything, key))
        try:
            fd, tmp = tempfile.mkstemp(prefix=SYNCED_FILE, suffix=".tmp", dir=corpus_dir)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(everything, f, ensure_ascii=False, indent=1, sort_keys=True)
            os.replace(tmp, path)
        except OSError as exc:
            logger.warning("warning: could not record what %s last synced with the store "
                                                "(%s)", corpus_dir, exc.strerror or exc)


# -- adds -------------------------------------------------------------------------------------------
def reserve_document(settings: Settings, name: str, data: bytes) -> bool:
    """Store an added document under ``name`` if the store holds no document of that name (False:
    try another); raises CorpusError if it holds the same text under another name.

    The insert is the name's reservation: two servers adding one title at once get two names.
    """
    sha = hashlib.sha256(data).hexdigest()
    tables = _Tables(settings.store_schema)
    with _connect(settings.store, "rag-add") as conn:
        tables.create(conn)
        same = conn.execute(f"SELECT path FROM {tables('documents')} WHERE sha256 = %s LIMIT 1", (sha,)).fetchone()
        if same:
            raise CorpusError(f"{DUPLICATE} {same[0]}")
        if not _insert_document(conn, tables, name, data, sha):
            return False
    _change_synced(settings.corpus_dir, _sync_key(settings), lambda now: {**now, name: sha})
    return True


def unreserve_document(settings: Settings, name: str, data: bytes) -> None:
    """Take back an add whose build failed (only if the store still holds exactly that text there)."""
    tables = _Tables(settings.store_schema)
    with _connect(settings.store, "rag-add") as conn:
        conn.execute(f"DELETE FROM {tables('documents')} WHERE path = %s AND sha256 = %s",
                     (name, hashlib.sha256(data).hexdigest()))
    _change_synced(settings.corpus_dir, _sync_key(settings),
                   lambda now: {path: sha for path, sha in now.items() if path != name})


def take_document(settings: Settings, name: str) -> bytes:
    """Delete document ``name`` from the store; its bytes. The folder's copy, if it has one, is
    recorded as synced before it goes, so that `rag index` run from a folder still holding it (this
    one, if the copy is its last document, or another server's) leaves it out as removed from the
    store rather than uploading it again."""
    tables = _Tables(settings.store_schema)
    with _connect(settings.store, "rag-remove") as conn:
        tables.create(conn)
        row = conn.execute(f"DELETE FROM {tables('documents')} WHERE path = %s RETURNING data", (name,)).fetchone()
    if row is None:
        raise DocumentNotFound(f"no document named {name!r} in {safe_url(settings.store)} "
                               f"(schema {settings.store_schema})")
    copy = settings.corpus_dir / name
    if copy.is_file() and not Path(name).is_absolute() and ".." not in Path(name).parts:
        sha = hashlib.sha256(copy.read_bytes()).hexdigest()
        _change_synced(settings.corpus_dir, _sync_key(settings), lambda now: {**now, name: sha})
        if len(corpus_files(settings.corpus_dir)) > 1:  # (a build refuses a folder without documents)
            copy.unlink(missing_ok=True)
    return bytes(row[0])


def put_document(settings: Settings, name: str, data: bytes) -> None:
    """Store ``data`` as document ``name`` (a replacement, or a removal taken back), and the folder's
    copy too if it has one, recorded as synced: folder, record and store then agree, so `rag index`
    neither uploads the old copy over it nor calls it a conflict."""
    sha = hashlib.sha256(data).hexdigest()
    tables = _Tables(settings.store_schema)
    with _connect(settings.store, "rag-replace") as conn:
        tables.create(conn)
        same = conn.execute(f"SELECT path FROM {tables('documents')} WHERE sha256 = %s AND path <> %s LIMIT 1",
                            (sha, name)).fetchone()
        if same:
            raise CorpusError(f"{DUPLICATE} {same[0]}")
        conn.execute(f"INSERT INTO {tables('documents')} (path, data, sha256) VALUES (%s, %s, %s) ON CONFLICT "
                     "(path) DO UPDATE SET data = EXCLUDED.data, sha256 = EXCLUDED.sha256, added = now()",
                     (name, data, sha))
    copy = settings.corpus_dir / name
    if copy.is_file():
        write_whole(copy, data)
    if settings.corpus_dir.is_dir():
        _change_synced(settings.corpus_dir, _sync_key(settings), lambda now: {**now, name: sha})


def _old_vectors(conn: Any, tables: _Tables, build: str) -> dict[str, np.ndarray]:
    """Vectors of the live build keyed by vector_key (the caller checked it used the same model)."""
    rows = conn.execute(f"SELECT key, vector FROM {tables('passages', build)} UNION ALL "
                        f"SELECT key, vector FROM {tables('sentences', build)}", binary=True).fetchall()
    return {key: _array(vector) for key, vector in rows}


def _array(vector: Any) -> np.ndarray:
    """A pgvector value as float32 numpy (pgvector-python returns its own Vector type)."""
    return np.asarray(vector.to_numpy() if hasattr(vector, "to_numpy") else vector, np.float32)


def _write_build(conn: Any, tables: _Tables, build: PreparedBuild) -> str:
    """Write a build's tables and make it live, in one transaction; its name."""
    from psycopg.types.json import Jsonb

    with conn.transaction():
        name = f"b{conn.execute('SELECT nextval(%s)', (tables('build_numbers'),)).fetchone()[0]}"
        t = {table: tables(table, name) for table in ("passages", "sentences", "postings", "terms")}
        dim = build.manifest["dim"]
        conn.execute(f"CREATE TABLE {t['passages']} (id int PRIMARY KEY, passage_id text, doc text, title text, "
                     f"section text, position int, start_at int, end_at int, text text, sentence_first int, "
                     f"key text, vector vector({dim}))")
        conn.execute(f"CREATE TABLE {t['sentences']} (id int PRIMARY KEY, passage int, key text, "
                     f"vector vector({dim}))")
        conn.execute(f"CREATE TABLE {t['postings']} (term text, passage int, score real)")
        conn.execute(f"CREATE TABLE {t['terms']} (term text PRIMARY KEY, df int)")
        # Bulk-load first, index after: ~150k rows/s, against ~750/s into an HNSW index.
        _copy(conn, t["passages"], ["int4", "text", "text", "text", "text", "int4", "int4", "int4", "text", "int4",
                                    "text", "vector"], _passage_rows(build))
        _copy(conn, t["sentences"], ["int4", "int4", "text", "vector"], _sentence_rows(build))
        _copy(conn, t["postings"], ["text", "int4", "float4"],
              ([term, d, score] for term, docs, scores in build.bm25.postings()
               for d, score in zip(docs.tolist(), scores.tolist(), strict=True)))
        _copy(conn, t["terms"], ["text", "int4"], ([term, len(docs)] for term, docs, _ in build.bm25.postings()))
        _index_build(conn, t, build.manifest["faiss"])
        conn.execute(f"INSERT INTO {tables('builds')} (name, manifest, glossary, glosses) VALUES (%s, %s, %s, %s)",
                     (name, Jsonb(build.manifest), Jsonb(build.glossary), Jsonb(build.glosses)))
        conn.execute(f"INSERT INTO {tables('live')} (name) VALUES (%s) ON CONFLICT (only_row) "
                     "DO UPDATE SET name = EXCLUDED.name", (name,))
    return name


def _copy(conn: Any, table: str, types: list[str], rows: Iterable[Sequence[Any]]) -> None:
    """Bulk-load ``rows`` into ``table`` with binary COPY."""
    with conn.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT BINARY)") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _passage_rows(build: PreparedBuild) -> Iterator[list[Any]]:
    model, first = build.manifest["model"], 0
    for i, (p, vector) in enumerate(zip(build.passages, build.passage_vectors, strict=True)):
        yield [i, p.id, p.doc, p.title, p.section, p.position, p.start, p.end, p.text, first,
               vector_key(model, p.text), vector]
        first += len(stored_sentences(p))


def _sentence_rows(build: PreparedBuild) -> Iterator[list[Any]]:
    model = build.manifest["model"]
    sentences = ((i, p.text[a:b]) for i, p in enumerate(build.passages) for a, b in stored_sentences(p))
    for j, ((i, text), vector) in enumerate(zip(sentences, build.sentence_vectors, strict=True)):
        yield [j, i, vector_key(model, text), vector]


def _index_build(conn: Any, t: dict[str, str], kinds: dict[str, str]) -> None:
    """Indexes of a build's tables, made once they are loaded."""
    # (term, passage): a question's top passages by term, and its candidates' scores by both keys
    conn.execute(f"CREATE INDEX ON {t['postings']} (term, passage)")
    conn.execute(f"CREATE INDEX ON {t['sentences']} (passage)")
    for table in ("passages", "sentences"):
        if kinds[table] == "hnsw":  # exact search below EXACT_SEARCH_LIMIT rows, as the local store does
            conn.execute(f"CREATE INDEX ON {t[table]} USING hnsw (vector vector_ip_ops) "
                         f"WITH (m = {HNSW_LINKS}, ef_construction = {HNSW_EF_CONSTRUCTION})")


def _drop_old_builds(conn: Any, tables: _Tables, keep: set[str]) -> None:
    """Drop builds but the live one and the one before (readers may still be on it)."""
    for (name,) in conn.execute(f"SELECT name FROM {tables('builds')} WHERE NOT name = ANY(%s)",
                                (list(keep),)).fetchall():
        with conn.transaction():
            for table in ("passages", "sentences", "postings", "terms"):
                conn.execute(f"DROP TABLE IF EXISTS {tables(table, name)}")
            conn.execute(f"DELETE FROM {tables('builds')} WHERE name = %s", (name,))
