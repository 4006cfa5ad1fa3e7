"""Start the real `rag serve` for a test, on a free port over a folder's corpus."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def article_corpus(base: Path) -> Path:
    """base/corpus holding a copy of the article and its data files; returns base."""
    (base / "corpus").mkdir()
    shutil.copy(ROOT / "corpus" / "ai-plus-manufacturing.md", base / "corpus")
    for data in ("glossary.tsv", "userdict.txt", "examples.txt"):  # the article's data files, as corpus/ has
        shutil.copy(ROOT / "corpus" / data, base / "corpus")
    return base


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(base: Path, *extra: str, env: dict | None = None):
    """Start `rag serve` over base/corpus (index in base/index); returns (process, url) once it answers."""
    port = free_port()
    log = open(base / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port),
                             "--corpus", str(base / "corpus"), "--index", str(base / "index"), *extra],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 600
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((base / "server.log").read_text()) from None
            time.sleep(1)
    proc.kill()
    raise RuntimeError("server did not start: " + (base / "server.log").read_text())


def stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
