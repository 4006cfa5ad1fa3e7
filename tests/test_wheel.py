"""Installed from a wheel into a fresh virtualenv, `rag` works from any folder and writes nothing beside itself."""

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.model]


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_wheel_works_from_an_empty_folder(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("rag_zh-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    # The dependencies (pinned CPU torch included) come from the project's environment, so
    # nothing is downloaded twice; the package itself only from the wheel.
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([venv / "bin" / "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True)
    before = _files(venv)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("RAG_CORPUS", None)
    env.pop("RAG_INDEX", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(a) for a in args], cwd=work, env=env, capture_output=True, text=True)

    empty = run(venv / "bin" / "rag", "ask", "孙华芹提出了什么建议？")
    assert empty.returncode == 1 and "Traceback" not in empty.stderr
    assert "corpus" in empty.stderr and "--corpus" in empty.stderr and len(empty.stderr.strip().splitlines()) == 1
    assert not (work / "index").exists()

    (work / "corpus").mkdir()
    (work / "corpus" / "robots.md").write_text(
        "# 机器人工厂\n\n宁波某机器人工厂去年部署了1200台协作机器人，产能提升了35%。\n", "utf-8")
    assert run(venv / "bin" / "rag", "index").returncode == 0
    asked = run(venv / "bin" / "rag", "ask", "How many robots did the factory deploy?", "--json")
    assert asked.returncode == 0, asked.stderr
    assert "1200台协作机器人" in asked.stdout
    code = "from rag import retrieve; print(retrieve('宁波工厂部署了多少台机器人？', k=1)[0].text)"
    python = run(venv / "bin" / "python", "-c", code)
    assert "1200台" in python.stdout, python.stderr
    assert (work / "index" / "CURRENT").exists()
    assert _files(venv) == before  # no corpus/ or index/ written inside the installation
    import rag

    assert Path(rag.__file__).resolve().is_relative_to(ROOT)  # the tests themselves use the checkout
