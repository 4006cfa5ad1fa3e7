"""Every Python example in the README runs as written, with the real model, in a fresh folder."""

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
