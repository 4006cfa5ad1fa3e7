"""The index: a folder of plain files (FAISS vectors, passages as JSONL, a manifest). No pickle.

Layout of ``index/``::

    CURRENT                  name of the live build (replaced atomically)
    builds/<name>/index.faiss
    builds/<name>/passages.jsonl
    builds/<name>/sentences.faiss
    builds/<name>/bm25/        BM25 over jieba tokens (bm25s's .npy and .json files)
    builds/<name>/glossary.json  {"names": corpus/glossary.tsv, "aliases": the text's own}: English -> Chinese;
                                 "spelled": the corpus's pinyin ("hua qin" -> 华芹), for romanised names
    builds/<name>/dictionary.json  CC-CEDICT glosses -> the corpus's Chinese words (for English questions)
    builds/<name>/manifest.json
    .lock                    held while a build runs

A build writes a new folder and then switches CURRENT to it, so a crash mid-build
leaves the previous index in place, and a reader never sees half a build.
Passages whose text and model are unchanged reuse their stored vectors.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .bridge import corpus_glosses, spell_corpus
from .chunk import Passage, chunk_corpus, sentence_spans
from .config import Settings
from .corpus import corpus_files, read_corpus
from .embed import Encoder
from .errors import IndexNotReady
from .glossary import GLOSSARY_FILE, read_glossary, text_aliases
from .lexical import TRADITIONAL_SHARE, BM25Index, traditional_share

FORMAT_VERSION = 8  # 2: BM25 saved; 3: glossary; 4: CC-CEDICT glosses; 5: names apart from aliases; 6: pinyin;
# 7: the dictionary's words whose Chinese the corpus lacks; 8: BM25 and glosses over simplified characters
# A corpus of up to this many passages (~1-2 MB of text) has the pinyin of every Chinese stretch
# stored with its build; above, work and size would grow with the text (minutes and GBs at 100k
# passages), so only its distinct words are spelled: a name jieba cuts apart is then not found.
PINYIN_ALL_TEXT = 5_000
CHUNKER_VERSION = 1  # bump when ingest/chunk output changes for the same files
EXACT_SEARCH_LIMIT = 50_000  # exact search takes ~3 ms here; above it HNSW (bench/scaling.py)
EMBED_BATCH = 32  # texts per encode call: big enough to batch, small enough for a smooth progress bar
WAIT_POLL_SECONDS = 1.0  # a build queued behind another says it is still waiting this often
# HNSW (bench/scaling.py, 1M vectors): 32 links per node and efSearch 128 gave recall@10 0.99 vs
# exact search at 0.26 ms per query; efConstruction 80 keeps building time reasonable.
HNSW_LINKS, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128


def stored_sentences(passage: Passage) -> list[tuple[int, int]]:
    """Spans (in the passage) of the sentences that get vectors: none for a one-sentence passage.

    Sentence vectors are stored passage after passage, in this order.
    """
    spans = sentence_spans(passage.text)
    return spans if len(spans) > 1 else []


def sentence_texts(passages: list[Passage]) -> list[str]:
    """The texts of all stored sentences, in the order their vectors are stored."""
    return [p.text[a:b] for p in passages for a, b in stored_sentences(p)]


def vector_key(model: str, text: str) -> str:
    """Content hash: a text embedded once with a model is never embedded again."""
    return hashlib.sha1(f"{model}\n{text}".encode()).hexdigest()


@dataclass
class Index:
    """A loaded build: passages[i] is vector i of ``passage_vectors``."""

    passages: list[Passage]
    passage_vectors: Any  # a faiss.Index
    sentence_vectors: Any  # a faiss.Index over the sentences of multi-sentence passages (stored_sentences)
    bm25: BM25Index
    glossary: dict[str, dict[str, list[str]]]  # "names" (user's glossary), "aliases" (text's), "spelled" (pinyin)
    glosses: dict[str, list[str]]  # CC-CEDICT English -> the corpus's Chinese words (bridge.corpus_glosses)
    manifest: dict
    path: Path


@dataclass
class BuildReport:
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def corpus_hashes(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every readable corpus file (and the glossary), keyed by path relative to the corpus."""
    hashes = {}
    glossary = corpus_dir / GLOSSARY_FILE
    for path in corpus_files(corpus_dir) + ([glossary] if glossary.is_file() else []):
        try:
            hashes[path.relative_to(corpus_dir).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue  # vanished or unreadable: the build reports it
    return hashes


def current_build(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return index_dir / "builds" / name


def load_index(index_dir: Path) -> Index:
    """Load the live build; raises IndexNotReady saying how to fix a missing or damaged index."""
    import faiss

    build = current_build(index_dir)
    if build is None:
        raise IndexNotReady(f"no index in {index_dir}: run `rag index` to build it")
    try:
        manifest = json.loads((build / "manifest.json").read_text())
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexNotReady(f"index in {index_dir} has format {manifest.get('format_version')}, "
                              f"this version reads {FORMAT_VERSION}: run `rag index --full`")
        with open(build / "passages.jsonl", encoding="utf-8") as f:
            passages = [Passage(**json.loads(line)) for line in f if line.strip()]
        vectors = faiss.read_index(str(build / "index.faiss"))
        sentences = faiss.read_index(str(build / "sentences.faiss"))
        bm25 = BM25Index.load(build / "bm25")
        glossary = json.loads((build / "glossary.json").read_text(encoding="utf-8"))
        glosses = json.loads((build / "dictionary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, RuntimeError, KeyError) as exc:
        raise IndexNotReady(f"index in {index_dir} is damaged ({type(exc).__name__}: "
                          f"{str(exc)[:200]}): run `rag index --full` to rebuild it") from exc
    if not vectors.ntotal == bm25.size == len(passages) or vectors.d != manifest.get("dim"):
        raise IndexNotReady(f"index in {index_dir} is inconsistent ({vectors.ntotal} vectors, "
                          f"{len(passages)} passages): run `rag index --full` to rebuild it")
    if sentences.d != vectors.d:
        raise IndexNotReady(f"index in {index_dir} is inconsistent (sentence vectors of dimension "
                          f"{sentences.d}, passages {vectors.d}): run `rag index --full` to rebuild it")
    return Index(passages, vectors, sentences, bm25, glossary, glosses, manifest, build)


def chunker_settings(settings: Settings) -> dict:
    """What the manifest records of how text was cut: a change means every passage changes."""
    return {"version": CHUNKER_VERSION, "max_chars": settings.max_chars}


def model_and_chunker_reasons(manifest: dict, settings: Settings, model: str) -> list[str]:
    """Why a build's vectors or passages no longer match the encoder named ``model`` and the settings."""
    reasons = []
    if manifest.get("model") != model:
        reasons.append(f"built with model {manifest.get('model')!r}, now {model!r}")
    if manifest.get("chunker") != (chunker := chunker_settings(settings)):
        reasons.append(f"chunker settings changed ({manifest.get('chunker')} -> {chunker})")
    return reasons


def stale_reasons(manifest: dict, settings: Settings, model: str) -> list[str]:
    """Why an index no longer matches the corpus, settings and the encoder named ``model`` ([] if it does)."""
    reasons = model_and_chunker_reasons(manifest, settings, model)
    if settings.store_url:
        # A shared store holds the corpus itself: only `rag index` and adds bring a folder's changes to it,
        # never a question (a stale folder's rebuild replaced what other servers had added).
        return reasons
    old = manifest.get("corpus", {})
    new = corpus_hashes(settings.corpus_dir)
    changed = sorted(set(old) ^ set(new) | {d for d in set(old) & set(new) if old[d] != new[d]})
    if changed:
        reasons.append("corpus changed: " + ", ".join(changed[:5]) + (" …" if len(changed) > 5 else ""))
    return reasons


def make_faiss(vectors: np.ndarray, dim: int, kind: str):
    import faiss

    index: Any
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_LINKS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)  # vectors are normalised: inner product = cosine
    if len(vectors):
        index.add(vectors)
    return index


def _old_vectors(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    """Vectors of the live build keyed by vector_key, if it used the same model."""
    try:
        old = load_index(index_dir)
    except IndexNotReady:
        return {}
    if old.manifest.get("model") != model:
        return {}
    texts = [p.text for p in old.passages] + sentence_texts(old.passages)
    vectors = np.concatenate([old.passage_vectors.reconstruct_n(0, old.passage_vectors.ntotal),
                              old.sentence_vectors.reconstruct_n(0, old.sentence_vectors.ntotal)])
    if len(vectors) != len(texts):
        return {}
    return {vector_key(model, t): vectors[i] for i, t in enumerate(texts)}


def choose_kind(setting: str, size: int) -> str:
    """Exact search while it is fast enough, HNSW above EXACT_SEARCH_LIMIT; or as configured."""
    if setting not in ("auto", "flat", "hnsw"):
        raise IndexNotReady(f"unknown FAISS index kind {setting!r}: use auto, flat or hnsw")
    if setting != "auto":
        return setting
    return "hnsw" if size > EXACT_SEARCH_LIMIT else "flat"


@dataclass
class PreparedBuild:
    """Everything a store writes for one build, worked out from a corpus folder."""

    passages: list[Passage]
    passage_vectors: np.ndarray
    sentence_vectors: np.ndarray  # of stored_sentences, passage after passage
    bm25: BM25Index
    glossary: dict[str, dict[str, list[str]]]
    glosses: dict[str, list[str]]
    manifest: dict
    report: BuildReport


def prepare_build(corpus_dir: Path, settings: Settings, encoder: Encoder, reuse: dict[str, np.ndarray],
                  progress: Callable[[int, int], None] | None = None,
                  embed_many: Callable[[list[str]], np.ndarray] | None = None) -> PreparedBuild:
    """Read, cut, tokenise and embed ``corpus_dir``, embedding only texts whose vectors are not in ``reuse``.

    ``embed_many`` embeds the new texts somewhere else (``rag index --ray``); by default the
    encoder does it here, in batches.
    """
    started = time.perf_counter()
    # Hashes of every file, skipped ones too, so a skipped file does not look like a change.
    hashes = corpus_hashes(corpus_dir)
    documents, warnings = read_corpus(corpus_dir)
    passages = chunk_corpus(documents, settings.max_chars)
    user_glossary, glossary_warnings = read_glossary(corpus_dir)
    warnings += glossary_warnings
    # Passages, then the sentences of multi-sentence passages (for sentence-level evidence).
    texts = [p.text for p in passages] + sentence_texts(passages)
    vectors, embedded = _embed(encoder, texts, reuse, progress, embed_many)
    kinds = {"passages": choose_kind(settings.faiss_kind, len(passages)),
             "sentences": choose_kind(settings.faiss_kind, len(texts) - len(passages))}
    manifest = {
        "format_version": FORMAT_VERSION, "model": encoder.name, "dim": encoder.dim, "faiss": kinds,
        "chunker": chunker_settings(settings), "corpus": hashes,
        "documents": [d.doc for d in documents], "skipped": warnings, "passages": len(passages),
        # the script questions are put in for the model (lexical.in_script)
        "script": "traditional" if traditional_share([p.text for p in passages]) >= TRADITIONAL_SHARE else "simplified",
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    bm25 = BM25Index.build([p.text for p in passages])
    glossary = {"names": user_glossary, "aliases": text_aliases(p.text for p in passages),
                "spelled": spell_corpus([p.text for p in passages] if len(passages) <= PINYIN_ALL_TEXT
                                        else bm25.vocabulary())}
    report = BuildReport(len(passages), embedded, len(set(texts)) - embedded, time.perf_counter() - started,
                         warnings)
    return PreparedBuild(passages, vectors[: len(passages)], vectors[len(passages) :], bm25, glossary,
                         corpus_glosses(bm25), manifest, report)


def build_index(settings: Settings, encoder: Encoder, full: bool = False,
                progress: Callable[[int, int], None] | None = None, wait: bool = False,
                embed_many: Callable[[list[str]], np.ndarray] | None = None, prune: bool = False,
                note: Callable[[str], None] | None = None) -> BuildReport:
    """Build (or refresh) the index of settings.corpus_dir into the store ``settings`` names.

    With ``wait``, a build already running is waited for instead of refused; the corpus is
    read only once the lock is held, so a file written before the call is in the result.
    A shared store (``settings.store``) keeps documents other servers added, unless ``prune``.
    """
    if settings.store_url:
        from .pgstore import build_postgres

        if settings.corpus_dir.exists():
            corpus_files(settings.corpus_dir)  # an empty or unreadable folder is still a mistake
        return build_postgres(settings, encoder, full, progress, wait, embed_many, prune, note)
    corpus_files(settings.corpus_dir)  # a missing or empty corpus is reported before anything is written
    started = time.perf_counter()
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with _build_lock(settings.index_dir, wait, note):
        _clear_leftovers(settings.index_dir)  # of a build that died (killed, or the disk was full)
        if not full and (live := _up_to_date(settings, encoder.name)) is not None:
            # Nothing changed: no embedding, no new build, no reload for running servers.
            reused = live.passage_vectors.ntotal + live.sentence_vectors.ntotal
            return BuildReport(len(live.passages), 0, reused, time.perf_counter() - started,
                               list(live.manifest.get("skipped", [])))
        reuse = {} if full else _old_vectors(settings.index_dir, encoder.name)
        build = prepare_build(settings.corpus_dir, settings, encoder, reuse, progress, embed_many)
        write_build(settings.index_dir, build)
        build.report.seconds = time.perf_counter() - started
        return build.report


@contextmanager
def _build_lock(index_dir: Path, wait: bool, note: Callable[[str], None] | None = None) -> Iterator[None]:
    """One build of an index at a time: refuse a second one, or with ``wait`` queue behind it."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(index_dir / ".lock"))

    def try_acquire() -> bool:
        try:
            lock.acquire(timeout=0)
            return True
        except Timeout:
            return False

    if not try_acquire():
        if not wait:
            raise IndexNotReady(f"another build of {index_dir.name}/ is running: wait for it to finish")
        wait_for(try_acquire, note)
    try:
        yield
    finally:
        lock.release()


def wait_for(try_acquire: Callable[[], bool], note: Callable[[str], None] | None) -> None:
    """Poll ``try_acquire`` until it succeeds, saying each time that the build is queued.

    The repeated note lets whoever added a document see why nothing moves yet, and lets a
    server show them the progress of the build they are waiting for.
    """
    while True:
        if note:
            note("waiting for another build to finish")
        time.sleep(WAIT_POLL_SECONDS)
        if try_acquire():
            return


def _embed(encoder: Encoder, texts: list[str], reuse: dict[str, np.ndarray],
           progress: Callable[[int, int], None] | None,
           embed_many: Callable[[list[str]], np.ndarray] | None = None) -> tuple[np.ndarray, int]:
    """Vectors of ``texts`` in order, embedding only those not in ``reuse``; and how many were embedded."""
    keys = [vector_key(encoder.name, t) for t in texts]
    todo_text = {k: t for k, t in zip(keys, texts, strict=True) if k not in reuse}  # new texts, once each
    # Similar lengths in a batch: less padding, so fewer wasted positions in each forward pass.
    todo = sorted(todo_text, key=lambda k: len(todo_text[k]))
    if embed_many is not None:  # elsewhere (a Ray cluster), all at once
        new = list(embed_many([todo_text[k] for k in todo])) if todo else []
        reuse.update(zip(todo, new, strict=True))
    else:
        for batch_start in range(0, len(todo), EMBED_BATCH):
            batch = todo[batch_start : batch_start + EMBED_BATCH]
            reuse.update(zip(batch, encoder.encode_passages([todo_text[k] for k in batch]), strict=True))
            if progress:
                progress(batch_start + len(batch), len(todo))
    vectors = np.stack([reuse[k] for k in keys]) if keys else np.zeros((0, encoder.dim), np.float32)
    return vectors, len(todo)


def _up_to_date(settings: Settings, model: str) -> Index | None:
    """The live build, if it loads and matches the corpus and settings."""
    try:
        live = load_index(settings.index_dir)
    except IndexNotReady:
        return None
    kinds = live.manifest.get("faiss", {})
    if stale_reasons(live.manifest, settings, model) or kinds.get("passages") != choose_kind(
            settings.faiss_kind, len(live.passages)):
        return None
    return live


def _clear_leftovers(index_dir: Path) -> None:
    """Remove what a build that died left (``builds/*.tmp``, ``CURRENT.tmp``); only under the build lock,
    when no other build can be writing them."""
    for tmp in (index_dir / "builds").glob("*.tmp"):
        shutil.rmtree(tmp, ignore_errors=True)
    (index_dir / "CURRENT.tmp").unlink(missing_ok=True)


def _out_of_space(exc: BaseException) -> bool:
    """Did a write fail because the disk is full? (FAISS reports it as a RuntimeError naming errno 28.)"""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, RuntimeError) and os.strerror(errno.ENOSPC) in str(exc)


def write_build(index_dir: Path, build: PreparedBuild) -> None:
    """Write a prepared build into ``index_dir`` and make it the live one (callers hold the build lock).

    Its FAISS indexes are of the kinds its manifest names (exact, or HNSW for large corpora). If
    writing fails (a full disk), the partial build is removed and the live one stays as it was.
    """
    kinds, dim = build.manifest["faiss"], build.manifest["dim"]
    vectors = {"index.faiss": make_faiss(build.passage_vectors, dim, kinds["passages"]),
               "sentences.faiss": make_faiss(build.sentence_vectors, dim, kinds["sentences"])}
    builds = index_dir / "builds"
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    pointer = index_dir / "CURRENT.tmp"
    try:
        _write_files(builds / (name + ".tmp"), build, vectors)
        (builds / (name + ".tmp")).rename(builds / name)
        _fsync(builds)  # the rename is on disk before CURRENT can point at the build
        pointer.write_text(name + "\n")
        _fsync(pointer)
        previous = current_build(index_dir)
        os.replace(pointer, index_dir / "CURRENT")  # the switch: atomic on POSIX
    except BaseException as exc:
        # (a killed build's leftovers are cleared by the next one: _clear_leftovers)
        for partial in (builds / (name + ".tmp"), builds / name):
            shutil.rmtree(partial, ignore_errors=True)
        pointer.unlink(missing_ok=True)
        if _out_of_space(exc):
            raise IndexNotReady(f"no space left on the disk of {index_dir}: free some space and run `rag index` "
                                "again (the index in use is unchanged)") from exc
        if isinstance(exc, OSError):
            raise IndexNotReady(f"cannot write the index in {index_dir} ({exc.strerror}): check the folder, "
                                "then run `rag index` again (the index in use is unchanged)") from exc
        raise
    _fsync(index_dir)  # and durable: a power cut cannot bring back the old CURRENT
    # Keep the previous build for readers still using it; drop anything older.
    keep = {name, previous.name if previous else ""}
    for old in builds.iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _write_files(tmp: Path, build: PreparedBuild, vectors: dict[str, Any]) -> None:
    """A build's files, in a new folder ``tmp``, flushed to disk."""
    import faiss

    tmp.mkdir(parents=True)
    for file_name, index in vectors.items():
        faiss.write_index(index, str(tmp / file_name))
    build.bm25.save(tmp / "bm25")
    (tmp / "glossary.json").write_text(json.dumps(build.glossary, ensure_ascii=False, indent=1), encoding="utf-8")
    (tmp / "dictionary.json").write_text(json.dumps(build.glosses, ensure_ascii=False), encoding="utf-8")
    with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
        for p in build.passages:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    (tmp / "manifest.json").write_text(json.dumps(build.manifest, ensure_ascii=False, indent=2))
    for path in [*tmp.rglob("*"), tmp]:  # the files, then the folders that name them
        _fsync(path)


def _fsync(path: Path) -> None:
    """Flush a file, or a folder's entries (a rename is durable only once its folder is flushed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
