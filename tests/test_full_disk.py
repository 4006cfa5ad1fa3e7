"""Running out of disk space: one line saying what to do, nothing half-written left, adds that can be retried."""

import errno
import html
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rag.config import Settings
from rag.corpus import add_text
from rag.errors import CorpusError
from rag.retriever import Retriever
from rag.stores import build_index
from rag.stores.local import current_build, load_index
from tests.conftest import ARTICLE, FakeEncoder
from ui.app import add_document

DISK_BYTES = 4 << 20  # one build of the article with the fake encoder takes ~0.7 MB
NO_SPACE = f"write error: {errno.ENOSPC} ({os.strerror(errno.ENOSPC)})"


class SmallDisk:
    """A folder on a 4 MB file system of its own: a tmpfs when the tests run as root (as in CI);
    otherwise FAISS's writes under it fail with ENOSPC while it is "full"."""

    def __init__(self, path: Path, monkeypatch):
        self.path = path
        self.full = False
        path.mkdir()
        mount = ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(path)]
        self.mounted = os.geteuid() == 0 and subprocess.run(mount, capture_output=True).returncode == 0
        if not self.mounted:
            import faiss

            real = faiss.write_index

            def write_index(index, name):
                if self.full and name.startswith(str(path)):
                    raise RuntimeError(f"Error: 'ret == (size_t)(1)' failed: {NO_SPACE} in {name}")
                return real(index, name)

            monkeypatch.setattr(faiss, "write_index", write_index)

    def fill(self, leave: int = 0) -> None:
        """Leave only ``leave`` bytes free."""
        self.full = True
        if self.mounted:
            stat = os.statvfs(self.path)
            with open(self.path / "filler", "wb") as f:
                f.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))

    def release(self) -> None:
        self.full = False
        (self.path / "filler").unlink(missing_ok=True)

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", str(self.path)], check=True)


@pytest.fixture
def disk(tmp_path, monkeypatch):
    small = SmallDisk(tmp_path / "disk", monkeypatch)
    yield small
    small.unmount()


@pytest.fixture
def on_disk(tmp_path, disk, monkeypatch):
    """Settings with the index on the small disk (the corpus on the ordinary one); rag's CLI uses the fake encoder."""
    import rag.embed
    import rag.retriever

    (tmp_path / "corpus").mkdir()
    shutil.copy(ARTICLE, tmp_path / "corpus")
    for module in (rag.embed, rag.retriever):
        monkeypatch.setattr(module, "make_encoder", lambda *a, **kw: FakeEncoder())
    return Settings.from_env(corpus_dir=tmp_path / "corpus", index_dir=disk.path / "index", model=FakeEncoder.name)


def _robots(corpus: Path, n: int = 200) -> None:
    (corpus / "robots.md").write_text("# 机器人\n\n" + "\n\n".join(
        f"第{i}号工厂部署了{i * 3}台协作机器人，产值增长了{i % 17}个百分点。" for i in range(n)) + "\n", "utf-8")


def test_rag_index_on_a_full_disk_says_what_to_do_and_leaves_nothing_behind(on_disk, disk, capsys):
    from rag.cli import main

    args = ["index", "--corpus", str(on_disk.corpus_dir), "--index", str(on_disk.index_dir)]
    assert main(args) == 0
    live = current_build(on_disk.index_dir)
    _robots(on_disk.corpus_dir)
    disk.fill(leave=200_000)  # room for part of a build, not all of it
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]  # (after the embedding progress bar)
    assert last.startswith("error: no space left on the disk of") and "free some space" in last, err
    assert "Traceback" not in err and err.count("error:") == 1
    assert current_build(on_disk.index_dir) == live and load_index(on_disk.index_dir).passages
    assert not list(on_disk.index_dir.rglob("*.tmp")), list(on_disk.index_dir.rglob("*"))  # partial build removed
    assert {p.name for p in (on_disk.index_dir / "builds").iterdir()} == {live.name}

    disk.release()
    leftover = on_disk.index_dir / "builds" / "20260101-000000-1-1.tmp"  # what a build killed mid-write leaves
    leftover.mkdir()
    (leftover / "index.faiss").write_bytes(b"\0" * (DISK_BYTES - (1 << 20)))  # most of the disk
    (on_disk.index_dir / "CURRENT.tmp").write_text("20260101-000000-1-1\n")
    assert main(args) == 0  # the next build clears it first (under the lock), then fits
    assert not leftover.exists() and not (on_disk.index_dir / "CURRENT.tmp").exists()
    assert "协作机器人" in "".join(p.text for p in load_index(on_disk.index_dir).passages)


def test_rag_ask_on_a_full_disk_answers_from_the_live_build(on_disk, disk, capsys):
    from rag.cli import main

    build_index(on_disk, FakeEncoder())
    _robots(on_disk.corpus_dir)  # the index is now stale: `rag ask` rebuilds first, and cannot
    disk.fill(leave=200_000)
    args = ["ask", "孙华芹建议政府出台更加普惠的支持政策", "--corpus", str(on_disk.corpus_dir),
            "--index", str(on_disk.index_dir), "-k", "1"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "孙华芹" in out and "Traceback" not in err
    assert "warning: no space left on the disk of" in err and "previous build" in err, err
    assert not list(on_disk.index_dir.rglob("*.tmp"))


def test_a_failed_add_can_be_added_again(on_disk, disk):
    retriever = Retriever(on_disk, FakeEncoder(), progress=lambda m: None)
    build_index(on_disk, retriever.encoder)
    text = "宁波某机器人工厂去年部署了1200台协作机器人，产能提升了35%。" * 20
    disk.fill()
    status = html.unescape(add_document(retriever, None, "机器人工厂", text, lambda f, d: None))  # (Markdown source)
    assert "机器人工厂.md was not added: no space left on the disk" in status, status
    assert not (on_disk.corpus_dir / "机器人工厂.md").exists()  # not indexed, so not kept
    assert retriever.search("宁波某机器人工厂部署了多少台协作机器人", 1)[0].doc != "机器人工厂.md"
    disk.release()
    status = html.unescape(add_document(retriever, None, "机器人工厂", text, lambda f, d: None))
    assert status.startswith("✅ Added 机器人工厂.md"), status  # not "already in the corpus"
    assert retriever.search("宁波某机器人工厂部署了多少台协作机器人", 1)[0].doc == "机器人工厂.md"


def test_a_document_that_cannot_be_saved_leaves_no_part_of_itself(tmp_path, monkeypatch):
    import builtins

    import rag.corpus

    class HalfWritten:
        """A file that takes half of what is written to it, then finds the disk full."""

        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(rag.corpus, "open", lambda *a, **kw: HalfWritten(builtins.open(*a, **kw)), raising=False)
    corpus = tmp_path / "corpus"
    with pytest.raises(CorpusError, match="cannot save 机器人工厂.md .*No space left on device.*add it again"):
        add_text(corpus, "机器人工厂", "宁波某机器人工厂去年部署了1200台协作机器人。")
    assert list(corpus.iterdir()) == []
