"""Every Python example in the README runs as written, with the real model, in a fresh folder."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from rag.config import Settings
from tests.conftest import ARTICLE, GLOSSARY, ROOT

pytestmark = [pytest.mark.model, pytest.mark.slow]

EXAMPLES = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_has_python_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("number", range(len(EXAMPLES)))
def test_readme_python_example_runs(tmp_path, number):
    """Run in a folder holding the article as ./corpus, with a home that has the ~/report.pdf an
    example adds; the model comes from the usual cache."""
    (tmp_path / "corpus").mkdir()
    shutil.copy(ARTICLE, tmp_path / "corpus")
    shutil.copy(GLOSSARY, tmp_path / "corpus")
    shutil.copy(ROOT / "tests" / "fixtures" / "page-break.pdf", tmp_path / "report.pdf")
    env = {**os.environ, "HOME": str(tmp_path), "RAG_CACHE": str(Settings.from_env().cache_dir),
           "PYTHONPATH": str(ROOT)}
    script = tmp_path / "example.py"
    script.write_text(EXAMPLES[number], encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def _api_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text[text.index("\n## HTTP API\n"):text.index("\n## ", text.index("\n## HTTP API\n") + 1)]


CURL_BLOCKS = [block for block in re.findall(r"```bash\n(.*?)```", _api_section(), re.DOTALL) if "curl " in block]


def test_the_readme_has_curl_examples():
    assert len(CURL_BLOCKS) >= 2 and all("127.0.0.1:7860" in block for block in CURL_BLOCKS)


def test_readme_curl_examples_run_against_a_real_server(tmp_path):
    """Each `curl` block of the HTTP API section, run by bash as written against a started server (its
    port for 7860) with the login and key the section sets up: every reply is JSON without an error."""
    from tests.helpers.server import article_corpus, start_server, stop_server

    base = article_corpus(tmp_path)
    key = "readme-key-" + "0" * 24
    (base / "login.txt").write_text("alice:s3cret\n")
    (base / "keys.txt").write_text(key + "\n")
    (base / "report.md").write_text("# 报告\n\n代号R8的工厂今年部署了88台搬运机器人。\n", "utf-8")
    proc, url = start_server(base, "--auth-file", str(base / "login.txt"), "--api-key-file", str(base / "keys.txt"))
    try:
        for block in CURL_BLOCKS:
            script = "set -euo pipefail\n" + block.replace("http://127.0.0.1:7860/", url)
            done = subprocess.run(["bash", "-c", script], cwd=base, env={**os.environ, "RAG_API_KEY": key},
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stderr
            replies, decoder, at = [], json.JSONDecoder(), 0
            while at < len(done.stdout.strip()):
                reply, at = decoder.raw_decode(done.stdout, at)
                replies.append(reply)
                while at < len(done.stdout) and done.stdout[at].isspace():
                    at += 1
            assert len(replies) == block.count("curl "), done.stdout
            assert not any("error" in r for r in replies), replies
        documents = [d["name"] for d in replies[-1]["documents"]]  # the last block ends with the list
        assert documents == ["ai-plus-manufacturing.md", "report.md"], documents
    finally:
        stop_server(proc)
