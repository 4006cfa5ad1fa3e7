"""Building an index, whatever store keeps it: read the corpus, cut it, embed what is new.

``prepare_build`` turns a corpus folder into a ``PreparedBuild`` (passages, their vectors and their
sentences' vectors, BM25, the glossary and the bilingual dictionary, and a manifest); a store
(``rag/stores/``) writes it and makes it live. Texts whose vectors a store already holds (same
model, same text: ``vector_key``) are not embedded again. ``stale_reasons`` and ``needs_build`` are
the one check of whether a build still matches the corpus and the settings, for every store.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
from .lexical import TRADITIONAL_SHARE, USER_WORDS_FILE, BM25Index, read_user_words, traditional_share, use_words
from .transcribe import person_names

FORMAT_VERSION = 9  # 2: BM25 saved; 3: glossary; 4: CC-CEDICT glosses; 5: names apart from aliases; 6: pinyin;
# 7: the dictionary's words whose Chinese the corpus lacks; 8: BM25 and glosses over simplified characters;
# 9: the corpus's own jieba words (corpus/userdict.txt) kept with the build (and, from the tenth stop,
# the passages' mean vector: a build without it has it computed when opened, Snapshot.centroid; from
# the twelfth, the corpus's people in the glossary: a build without them finds no name by its sound
# in other scripts until it is built again, and is read as before, its vectors reused)
# A corpus of up to this many passages (~1-2 MB of text) has the pinyin of every Chinese stretch
# stored with its build; above, work and size would grow with the text (bench/RESULTS.md), so only
# its distinct words are spelled: a name jieba cuts apart is then not found.
PINYIN_ALL_TEXT = 5_000
CHUNKER_VERSION = 2  # bump when ingest/chunk output changes for the same files (2: every Han block joins lines)
EXACT_SEARCH_LIMIT = 50_000  # up to this many vectors, exact search is fast enough (bench/scaling.py)
EMBED_BATCH = 32  # texts per encode call: big enough to batch, small enough for a smooth progress bar
WAIT_POLL_SECONDS = 1.0  # a build queued behind another says it is still waiting this often
# The HNSW graph above EXACT_SEARCH_LIMIT, in both stores (FAISS and pgvector take the same three
# numbers): links per node, candidates kept while building, candidates kept while searching.
# Chosen with bench/scaling.py (recall@10 against exact search in bench/RESULTS.md).
HNSW_LINKS, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 128

Progress = Callable[[int, int], None]  # (texts embedded so far, texts to embed)
EmbedMany = Callable[[list[str]], np.ndarray]  # embeds texts elsewhere (`rag index --ray`)
Note = Callable[[str], None]  # one line of what a build is doing (e.g. queued behind another)


def stored_sentences(passage: Passage) -> list[tuple[int, int]]:
    """Spans (in the passage) of the sentences that get vectors: none for a one-sentence passage.

    Sentence vectors are stored passage after passage, in this order.
    """
    spans = sentence_spans(passage.text)
    return spans if len(spans) > 1 else []


def sentence_texts(passages: list[Passage]) -> list[str]:
    """The texts of all stored sentences, in the order their vectors are stored."""
    return [p.text[a:b] for p in passages for a, b in stored_sentences(p)]


def sentence_offsets(passage: Passage) -> list[tuple[int, int]]:
    """Document offsets of a passage's sentences; a one-sentence passage is its own sentence."""
    return [(passage.start + a, passage.start + b) for a, b in stored_sentences(passage)] or [
        (passage.start, passage.end)]



def vector_key(model: str, text: str) -> str:
    """Content hash: a text embedded once with a model is never embedded again."""
    return hashlib.sha1(f"{model}\n{text}".encode()).hexdigest()


@dataclass
class BuildReport:
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def corpus_hashes(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every readable corpus file, and of the glossary and the user words (a change to
    either changes the build), keyed by path relative to the corpus."""
    hashes = {}
    data = [corpus_dir / name for name in (GLOSSARY_FILE, USER_WORDS_FILE) if (corpus_dir / name).is_file()]
    for path in corpus_files(corpus_dir) + data:
        try:
            hashes[path.relative_to(corpus_dir).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue  # vanished or unreadable: the build reports it
    return hashes


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


def stale_reasons(manifest: dict, settings: Settings, model: str, corpus: dict[str, str] | None) -> list[str]:
    """Why a build no longer answers for the corpus and settings with the encoder named ``model``
    ([] if it does). ``corpus``: the sha256 of each document the build should hold (None: not
    compared, for a store that holds its documents itself)."""
    reasons = []
    if manifest.get("format_version") != FORMAT_VERSION:
        reasons.append(f"format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}")
    reasons += model_and_chunker_reasons(manifest, settings, model)
    if corpus is not None:
        old = manifest.get("corpus", {})
        changed = sorted(set(old) ^ set(corpus) | {d for d in set(old) & set(corpus) if old[d] != corpus[d]})
        if changed:
            reasons.append("corpus changed: " + ", ".join(changed[:5]) + (" …" if len(changed) > 5 else ""))
    return reasons


def needs_build(manifest: dict, settings: Settings, model: str, corpus: dict[str, str]) -> list[str]:
    """Why ``rag index`` must make a new build ([]: the live one stands): it is stale, or its vector
    index is not of the kind the settings ask for (``--faiss``)."""
    reasons = stale_reasons(manifest, settings, model, corpus)
    kinds = {"passages": choose_kind(settings.faiss_kind, manifest.get("passages", 0))}
    if manifest.get("faiss", {}).get("passages") != kinds["passages"]:
        reasons.append(f"vector index {manifest.get('faiss', {}).get('passages')!r}, asked {kinds['passages']!r}")
    return reasons


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
    glossary: dict[str, Any]  # see Snapshot.__init__
    glosses: dict[str, list[str]]
    manifest: dict
    report: BuildReport


def prepare_build(corpus_dir: Path, settings: Settings, encoder: Encoder, reuse: dict[str, np.ndarray],
                  progress: Progress | None = None, embed_many: EmbedMany | None = None) -> PreparedBuild:
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
    user_words, word_warnings = read_user_words(corpus_dir)
    warnings += glossary_warnings + word_warnings
    use_words(user_words)  # before anything is cut into words; questions get them when the build opens
    # Passages, then the sentences of multi-sentence passages (for sentence-level evidence).
    passage_texts = [p.text for p in passages]
    texts = passage_texts + sentence_texts(passages)
    vectors, embedded = embed_texts(encoder, texts, reuse, progress, embed_many)
    kinds = {"passages": choose_kind(settings.faiss_kind, len(passages)),
             "sentences": choose_kind(settings.faiss_kind, len(texts) - len(passages))}
    manifest = {
        "format_version": FORMAT_VERSION, "model": encoder.name, "dim": encoder.dim, "faiss": kinds,
        "chunker": chunker_settings(settings), "corpus": hashes,
        "documents": [d.doc for d in documents], "skipped": warnings, "passages": len(passages),
        # the script questions are put in for the model (lexical.in_script)
        "script": "traditional" if traditional_share(passage_texts) >= TRADITIONAL_SHARE else "simplified",
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # a question's cosine to it is its mean cosine to the passages (Snapshot.centroid)
        "centroid": [round(float(x), 6) for x in vectors[: len(passages)].mean(axis=0)] if passages else [],
    }
    bm25 = BM25Index.build(passage_texts)
    all_text = len(passages) <= PINYIN_ALL_TEXT
    spelled = spell_corpus(passage_texts if all_text else bm25.vocabulary())
    # the corpus's people with their pinyin, for names written in other scripts (rag/transcribe.py)
    people = person_names(passage_texts) if all_text else set()
    glossary = {"names": user_glossary, "aliases": text_aliases(passage_texts),
                "words": [list(word) for word in user_words], "spelled": spelled,
                "people": {name: key for key, names in spelled.items() for name in names if name in people}}
    report = BuildReport(len(passages), embedded, len(set(texts)) - embedded, time.perf_counter() - started,
                         warnings)
    return PreparedBuild(passages, vectors[: len(passages)], vectors[len(passages) :], bm25, glossary,
                         corpus_glosses(bm25), manifest, report)


def wait_for(try_acquire: Callable[[], bool], note: Note | None) -> None:
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


def embed_texts(encoder: Encoder, texts: list[str], reuse: dict[str, np.ndarray], progress: Progress | None,
                embed_many: EmbedMany | None = None) -> tuple[np.ndarray, int]:
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
