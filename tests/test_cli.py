"""CLI edge: user mistakes become one-line messages and exit codes, never tracebacks."""

import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True, timeout=300)


def test_missing_corpus_directory(tmp_path):
    out = run("index", "--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "ix"),
              "--model", "fake")
    assert out.returncode == 1 and "does not exist" in out.stderr and "Traceback" not in out.stderr


def test_empty_corpus(tmp_path):
    (tmp_path / "c").mkdir()
    out = run("index", "--corpus", str(tmp_path / "c"), "--index", str(tmp_path / "ix"), "--model", "fake")
    assert out.returncode == 1 and "has no documents" in out.stderr


def test_bad_k():
    out = run("ask", "hello", "-k", "0")
    assert out.returncode == 2 and "-k" in out.stderr


def test_missing_question_file(tmp_path):
    out = run("eval", str(tmp_path / "none.jsonl"), "--model", "fake", "--index", str(tmp_path / "ix"))
    assert out.returncode == 1 and "cannot read question file" in out.stderr


def test_imports_stay_lazy():
    # `import rag` and the CLI's own import must not pay for torch, gradio or faiss
    code = ("import sys, rag, rag.cli; "
            "print(sorted(m for m in ('torch', 'gradio', 'faiss', 'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
