"""CLI edge: user mistakes become one-line messages and exit codes, never tracebacks (in-process: fast)."""

import subprocess
import sys
from types import SimpleNamespace

import pytest

from rag.cli import main


@pytest.fixture
def run(capsys):
    def run(*args):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code
        out = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

    return run


def test_missing_corpus_directory(tmp_path, run):
    out = run("index", "--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "ix"),
              "--model", "fake")
    assert out.returncode == 1 and "does not exist" in out.stderr and "Traceback" not in out.stderr


def test_empty_corpus(tmp_path, run):
    (tmp_path / "c").mkdir()
    out = run("index", "--corpus", str(tmp_path / "c"), "--index", str(tmp_path / "ix"), "--model", "fake")
    assert out.returncode == 1 and "has no documents" in out.stderr


def test_bad_k(run):
    out = run("ask", "hello", "-k", "0")
    assert out.returncode == 2 and "-k" in out.stderr


def test_missing_question_file(tmp_path, run):
    out = run("eval", str(tmp_path / "none.jsonl"), "--model", "fake", "--index", str(tmp_path / "ix"))
    assert out.returncode == 1 and "cannot read question file" in out.stderr


def test_imports_stay_lazy():
    # `import rag` and the CLI's own import must not pay for torch, gradio or faiss
    code = ("import sys, rag, rag.cli; "
            "print(sorted(m for m in ('torch', 'gradio', 'faiss', 'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_eval_takes_k_and_says_what_replaced_it(run, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text("not json\n", "utf-8")
    out = run("eval", str(questions), "-k", "5", "--corpus", str(tmp_path / "none"))
    assert out.stderr.splitlines()[0] == ("note: rag eval no longer takes -k: it reports recall@1, @3, @5 and "
                                          "MRR@10 over the top 10 passages")
    assert out.returncode == 1 and "q.jsonl:1: not a question line" in out.stderr  # and then goes on
    assert "-k" not in run("eval", "--help").stdout
    assert run("ask", "x", "-k", "0").returncode == 2
