"""The `rag` command: index, ask, eval, serve. Library errors become messages and exit codes here."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from .config import Settings
from .errors import RagError


def _settings(args: argparse.Namespace) -> Settings:
    collections = args.collection or []
    if len(collections) > 1 and args.command != "serve":
        raise RagError("only `rag serve` takes more than one --collection")
    return Settings.from_env(corpus_dir=args.corpus, index_dir=args.index, model=args.model,
                             faiss_kind=getattr(args, "faiss", None), store=args.store,
                             collection=collections[0] if collections else None, **_llm(args))


def _llm(args: argparse.Namespace) -> dict:
    """The generated answer's settings given as flags (ask, chat, serve); None: RAG_LLM_* or the default."""
    return {"llm_url": getattr(args, "llm", None), "llm_model": getattr(args, "llm_model", None),
            "llm_timeout": getattr(args, "llm_timeout", None)}


def _answerer(settings: Settings):
    """The generated answer's writer when an endpoint is set (--llm, RAG_LLM_URL); None: quotes only."""
    if not settings.llm_url:
        return None
    from .generate import answerer

    return answerer(settings)  # (a mistaken URL is one line here, before anything loads)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _retriever(args: argparse.Namespace):
    from .retriever import Retriever

    return Retriever(_settings(args), progress=_log)


def cmd_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .embed import make_encoder
    from .stores import open_store

    settings = _settings(args)
    store = open_store(settings)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="text", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)

    embed_many = None
    if args.ray is not None:
        from .distributed import ray_embedder

        embed_many = ray_embedder(settings, args.ray or None, args.ray_workers, _log)
    try:
        report = store.build(make_encoder(settings, _log), full=args.full, progress=progress,
                             embed_many=embed_many, prune=args.prune, note=_log)
    finally:
        if bar is not None:  # closed before any error is printed, so the message is a line of its own
            bar.close()
    for warning in report.warnings:
        _log(f"warning: {warning}")
    print(f"indexed {report.passages} passages from {settings.corpus_dir} into {store.describe()}: "
          f"{report.embedded} texts embedded, {report.reused} reused, {report.seconds:.1f} s")
    return 0


def print_generated(result, writer) -> None:
    """The answerer's text, printed as it is written; on a failure, the one line saying why (the
    quotes and passages printed after it are the answer then)."""
    from .generate import GenerationFailed

    wrote = False
    try:
        for piece in writer.write(result):
            print(piece, end="", flush=True)
            wrote = True
        print("\n")
    except GenerationFailed as exc:
        print(f"\n{exc}\n" if wrote else f"{exc}\n", flush=True)


def print_answer(result, writer=None) -> None:
    from .render import render_hits  # (the reading aid's dictionary: loaded only to print an answer)

    if result.understood_as:
        print(f"understood as: {result.understood_as}")
    for note in result.notes:
        print(f"note: {note}")
    if writer is not None and result.answered:  # the model never sees a question the text does not answer
        print_generated(result, writer)
    if not result.answered:
        print(f"The text does not say (confidence {result.confidence:.2f}). Closest passages:\n")
    else:
        print(f"confidence {result.confidence:.2f}\n")
    print(render_hits(result))


def cmd_ask(args: argparse.Namespace) -> int:
    from .answer import answer

    writer = _answerer(_settings(args))
    result = answer(_retriever(args), args.question, args.k)
    if args.json:
        out = result.to_dict()
        if writer is not None:  # the text whole, or why there is none
            out.update(_generated_whole(result, writer))
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print_answer(result, writer)
    return 0


def _generated_whole(result, writer) -> dict:
    """--json's "generated" (the text; for a question the text does not answer, that it does not say)
    and "fallback" (why there is none)."""
    from .generate import GenerationFailed

    try:
        return {"generated": "".join(writer.write(result)), "fallback": None}
    except GenerationFailed as exc:
        return {"generated": None, "fallback": str(exc)}


def cmd_chat(args: argparse.Namespace, read=input) -> int:
    """A conversation in the terminal: follow-up questions see the earlier ones."""
    from .answer import answer

    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:  # not on every platform; input() still works
        pass
    writer = _answerer(_settings(args))
    retriever = _retriever(args)
    history: list[str] = []
    k = args.k
    print("Ask about the text. /new starts over, /k N shows N passages, /quit leaves.")
    while True:
        try:
            line = read("? ").strip()
        except EOFError:
            return 0
        if line in ("/quit", "/exit", "/q"):
            return 0
        if line == "/new":
            history = []
            print("(new conversation)")
            continue
        if line.startswith("/k"):
            try:
                k = max(1, int(line[2:].strip()))
            except ValueError:
                print("usage: /k N (a number of passages, at least 1)")
            continue
        try:
            result = answer(retriever, line, k, history=history)
        except RagError as exc:
            print(f"error: {exc}")
            continue
        print_answer(result, writer)
        history.append(result.understood_as or line)


def _eval_questions(args: argparse.Namespace) -> tuple[list[dict], Settings]:
    """Questions to evaluate and the settings to use: a SQuAD file brings its own corpus."""
    from .evaluate import read_questions
    from .squad import is_squad, read_squad, split_articles, squad_questions, write_corpus

    settings = _settings(args)
    path = Path(args.file)
    if is_squad(path):
        articles = read_squad(path, Path(args.english) if args.english else None, args.lang, args.convert)
        indexed, left_out = split_articles(articles, args.indexed_share)
        home = settings.cache_dir / "eval" / path.stem  # vectors are reused between runs
        if (home / "corpus").exists():
            shutil.rmtree(home / "corpus")
        write_corpus(indexed, home / "corpus")
        # its own index, or its own schema of a shared store, so the evaluation never touches the real corpus
        schema = "eval_" + re.sub(r"\W", "_", path.stem.lower())
        settings = replace(settings, corpus_dir=home / "corpus", index_dir=home / "index", store_schema=schema)
        return squad_questions(indexed) + squad_questions(left_out, answerable=False), settings
    questions = read_questions(path)
    if args.unanswerable:
        questions += [dict(q, gold=[]) for q in read_questions(Path(args.unanswerable))]
    return questions, settings


def _print_metrics(label: str, m: dict) -> None:
    line = (f"{label:>9}  n={m['n']:<4} R@1 {m['recall@1']:.3f}  R@5 {m['recall@5']:.3f}  "
            f"MRR@10 {m['mrr@10']:.3f}")
    if "evidence@1" in m and label.split()[0] not in ("e5", "bm25"):
        line += (f"  evidence@1 {m['evidence@1']:.3f} (right passage: {m['evidence@1_right_passage']:.3f})"
                 f"  refused {m['refused_share']:.3f}")
        if "gloss" in m:
            g = m["gloss"]
            line += (f"  glossed {g['glossed_share']:.3f} of {g['content_words']} words (whole words "
                     f"{g['whole_word_share']:.3f}), the question's own words "
                     f"shown {g['asked_shown_share']:.3f} of {g['asked_words']} ({g['questions']} answers)")
        if "off_corpus" in m:
            line += f"  off-corpus recognised {m['off_corpus']['recognised_share']:.3f} (n={m['off_corpus']['n']})"
    print(line)


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import baseline_report, evaluate
    from .retriever import Retriever

    if args.k is not None:
        _log("note: rag eval no longer takes -k: it reports recall@1, @3, @5 and MRR@10 over the top 10 passages")
    questions, settings = _eval_questions(args)
    retriever = Retriever(settings, progress=_log)
    if retriever.store.shared and settings.store_schema.startswith("eval_"):
        # a SQuAD file's own schema: the articles indexed this time, and no others from an earlier run
        retriever.store.build(retriever.encoder, wait=True, prune=True, note=_log)
    summary = evaluate(retriever, questions).summary()
    if args.baselines:
        summary["baselines"] = {m: baseline_report(retriever, questions, m).summary() for m in ("e5", "bm25")}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    for lang, m in [("all", summary)] + list(summary["by_language"].items()):
        _print_metrics(lang, m)
    for method, base in summary.get("baselines", {}).items():
        for lang, m in base["by_language"].items():
            _print_metrics(f"{method} {lang}", m)
    for miss in summary["missed"][:20]:
        print(f"  missed at rank {miss['rank'] or '>10'}: [{miss['id']}] {miss['q']}")
    return 0


def _documents(args: argparse.Namespace):
    from .documents import Documents
    from .embed import make_encoder
    from .stores import open_store

    settings = _settings(args)
    return Documents(open_store(settings), make_encoder(settings, _log, light=True))


def _say(fraction: float, message: str) -> None:
    if message != "embedding":  # (one line a text would flood the terminal)
        _log(message)


def cmd_add(args: argparse.Namespace) -> int:
    from .corpus import safe_name

    documents = _documents(args)
    source = Path(args.file)
    if not source.is_file():
        raise RagError(f"{args.file}: no such file")
    if args.replace:
        name = args.name or safe_name(source.name, source.suffix.lower())
        change = documents.replace(name, source, progress=_say)
    else:
        change = documents.add(source, name=args.name, progress=_say)
    print(f"{change.action} {change.name}: {change.documents} documents, {change.passages} passages in "
          f"{documents.store.describe()} ({change.seconds:.1f} s)")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    documents = _documents(args)
    change = documents.remove(args.name, progress=_say)
    print(f"removed {change.name}: {change.documents} documents, {change.passages} passages left in "
          f"{documents.store.describe()} ({change.seconds:.1f} s)")
    return 0


def cmd_documents(args: argparse.Namespace) -> int:
    from .stores import open_store

    for doc, title, passages in open_store(_settings(args)).open().documents():
        print(f"{doc}\t{passages} passages\t{title}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import serve

    names = args.collection or [None]  # (None: $RAG_COLLECTION or the default)
    if len(set(names)) < len(names):
        raise RagError("name each --collection once")
    collections = [Settings.from_env(corpus_dir=args.corpus, index_dir=args.index, model=args.model,
                                     store=args.store, collection=name, **_llm(args)) for name in names]
    serve(collections, host=args.host, port=args.port, auth=args.auth, auth_file=args.auth_file,
          api_key_file=args.api_key_file)
    return 0


def _common_options() -> argparse.ArgumentParser:
    """The options every command takes."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", metavar="DIR", help="corpus directory (default: ./corpus)")
    common.add_argument("--index", metavar="DIR", help="index directory (default: ./index)")
    common.add_argument("--store", metavar="URL", help="where builds live: local (the --index folder, default) "
                        "or postgresql://user:password@host:port/db, shared by many servers ($RAG_STORE)")
    common.add_argument("--model", help="sentence-transformers model id or path "
                        "(default: $RAG_EMBED_MODEL or intfloat/multilingual-e5-small)")
    common.add_argument("--collection", metavar="NAME", action="append",
                        help="which corpus and index (default: $RAG_COLLECTION or the default one, ./corpus and "
                             "./index); NAME's are collections/NAME/corpus and collections/NAME/index. "
                             "`rag serve` takes several")
    return common


def _index_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true", help="re-embed everything")
    p.add_argument("--prune", action="store_true",
                   help="shared store only: also remove documents that are not in the corpus folder")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="embed new texts on a Ray cluster (ADDRESS, e.g. ray://head:10001 or auto; "
                        "none: a local cluster)")
    p.add_argument("--ray-workers", type=int, default=2, metavar="N", help="embedding workers with --ray (2)")
    p.add_argument("--faiss", choices=["auto", "flat", "hnsw"],
                   help="vector index: exact (flat), approximate (hnsw), or by size (auto, the default)")
    p.set_defaults(func=cmd_index)


def _llm_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm", metavar="URL", help="also write the answer with the model behind this OpenAI-compatible "
                   "endpoint (Ollama, vLLM, llama.cpp's server…), from the cited passages only ($RAG_LLM_URL)")
    p.add_argument("--llm-model", metavar="NAME", help="its model (default: $RAG_LLM_MODEL or the first it lists)")
    p.add_argument("--llm-timeout", metavar="SECONDS", help="quotes only when it writes nothing for this long "
                   "(default: $RAG_LLM_TIMEOUT or 30)")


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(prog="rag", description="Cited Q&A over Chinese documents.")
    sub = parser.add_subparsers(dest="command", required=True)

    _index_options(sub.add_parser("index", parents=[common], help="build or refresh the index"))

    p = sub.add_parser("ask", parents=[common], help="answer one question with cited passages")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="passages to show (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _llm_options(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", parents=[common], help="a conversation in the terminal (follow-up questions)")
    p.add_argument("-k", type=int, default=3, help="passages to show (default 3)")
    _llm_options(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("eval", parents=[common], help="recall@k, MRR, evidence and refusals on a question file")
    p.add_argument("file", help="JSON lines with q (or turns) and gold, or a SQuAD-format JSON file")
    p.add_argument("--unanswerable", metavar="FILE", help="JSON lines of questions the text does not answer")
    p.add_argument("--english", "--translation", metavar="FILE",
                   help="SQuAD only: the same questions in another language (same ids), asked too")
    p.add_argument("--lang", default="en", help="SQuAD only: the language of --translation (en)")
    p.add_argument("--convert", metavar="OPENCC", help="SQuAD only: convert the text and its answers, not the "
                   "questions, with OpenCC (t2s: to simplified, s2t: to traditional)")
    p.add_argument("--indexed-share", type=float, default=0.5,
                   help="SQuAD only: share of articles indexed; questions on the rest are off-corpus (0.5)")
    p.add_argument("--baselines", action="store_true", help="also rank with plain e5 and plain BM25")
    # scripts of earlier versions pass -k: taken, and answered with what replaced it
    p.add_argument("-k", type=int, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("add", parents=[common], help="add a document (or replace one) and rebuild")
    p.add_argument("file", help="a .md, .txt, .html, .pdf or .docx file")
    p.add_argument("--replace", action="store_true", help="replace the document of the same name")
    p.add_argument("--name", help="the document's name (default: the file's own, made safe)")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("remove", parents=[common], help="remove a document and rebuild")
    p.add_argument("name", help="the document's name, as `rag documents` lists it")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("documents", parents=[common], help="list the documents of the live index")
    p.set_defaults(func=cmd_documents)

    p = sub.add_parser("serve", parents=[common], help="start the web chat and the HTTP API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", metavar="USER:PASSWORD",
                   help="require a login (visible in `ps`: prefer --auth-file or RAG_AUTH)")
    p.add_argument("--auth-file", metavar="FILE", help="require the login user:password written in FILE")
    _llm_options(p)
    p.add_argument("--api-key-file", metavar="FILE",
                   help="API keys, one a line, accepted as `Authorization: Bearer KEY` by the HTTP API")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (k := getattr(args, "k", None)) is not None and k < 1:
        print("error: -k must be at least 1", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
