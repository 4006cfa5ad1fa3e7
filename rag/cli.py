"""The `rag` command: index, ask, eval, serve. Library errors become messages and exit codes here."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import Settings
from .errors import RagError


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(corpus_dir=args.corpus, index_dir=args.index, model=args.model,
                             faiss_kind=getattr(args, "faiss", None))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _retriever(args: argparse.Namespace):
    from .retriever import Retriever

    return Retriever(_settings(args), progress=_log)


def cmd_index(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .embed import SentenceTransformerEncoder
    from .index import build_index

    settings = _settings(args)
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="text", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)

    report = build_index(settings, SentenceTransformerEncoder(settings, _log), full=args.full,
                         progress=progress)
    if bar is not None:
        bar.close()
    for warning in report.warnings:
        _log(f"warning: {warning}")
    print(f"indexed {report.passages} passages from {settings.corpus_dir} into {settings.index_dir}: "
          f"{report.embedded} texts embedded, {report.reused} reused, {report.seconds:.1f} s")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .answer import answer

    result = answer(_retriever(args), args.question, args.k)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    for note in result.notes:
        print(f"note: {note}")
    if not result.answered:
        print("The text does not say. Closest passages (low confidence):\n")
    for hit in result.hits:
        where = f"{hit.doc} · {hit.section or hit.title} · passage {hit.passage.position + 1} " \
                f"[{hit.start}:{hit.end}]"
        print(f"[{hit.rank}] {hit.score:.3f}  {where}\n    evidence: {hit.evidence}\n    {hit.text}\n")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluate import evaluate, read_questions

    questions = read_questions(Path(args.file))
    if args.unanswerable:
        questions += [dict(q, gold=[]) for q in read_questions(Path(args.unanswerable))]
    summary = evaluate(_retriever(args), questions).summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    for lang, m in [("all", summary)] + list(summary["by_language"].items()):
        print(f"{lang:>4}  n={m['n']:<3} R@1 {m['recall@1']:.3f}  R@3 {m['recall@3']:.3f}  "
              f"R@5 {m['recall@5']:.3f}  MRR@10 {m['mrr@10']:.3f}  wrongly refused {m['wrongly_refused']}")
    if "unanswerable" in summary:
        u = summary["unanswerable"]
        print(f"unanswerable: {u['recognised']} of {u['n']} recognised as not in the text")
    for miss in summary["missed"]:
        print(f"  missed at rank {miss['rank'] or '>10'}: [{miss['id']}] {miss['q']}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import serve

    serve(_settings(args), host=args.host, port=args.port, auth=args.auth)
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", metavar="DIR", help="corpus directory (default: corpus/)")
    common.add_argument("--index", metavar="DIR", help="index directory (default: index/)")
    common.add_argument("--model", help="sentence-transformers model id or path "
                        "(default: $RAG_EMBED_MODEL or intfloat/multilingual-e5-small)")
    parser = argparse.ArgumentParser(prog="rag", description="Cited Q&A over Chinese documents.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", parents=[common], help="build or refresh the index")
    p.add_argument("--full", action="store_true", help="re-embed everything")
    p.add_argument("--faiss", choices=["auto", "flat", "hnsw"],
                   help="vector index: exact (flat), approximate (hnsw), or by size (auto, the default)")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", parents=[common], help="answer one question with cited passages")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="passages to show (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", parents=[common], help="recall@k and MRR on a question file")
    p.add_argument("file", help="JSON lines with q and gold")
    p.add_argument("--unanswerable", metavar="FILE", help="JSON lines of questions the text does not answer")
    p.add_argument("-k", type=int, default=10, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", parents=[common], help="start the web chat")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require a login (or set RAG_AUTH)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "k", 1) < 1:
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
