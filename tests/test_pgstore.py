"""The shared store: a real PostgreSQL with pgvector (started by scripts/postgres.sh), and Ray for embedding."""

import html
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

import numpy as np
import pytest

from rag.errors import RagError
from rag.retriever import Retriever
from rag.stores import build_index, open_store
from tests.conftest import DEV_QUESTIONS, ROOT, FakeEncoder
from tests.helpers.server import article_corpus, free_port, start_server, stop_server

pytestmark = pytest.mark.slow
# XQuAD's Chinese articles of the dev half, 15 questions each (CC BY-SA 4.0; see eval/xquad-sample.*)
XQUAD_ZH = ROOT / "eval" / "xquad-sample.zh.json"


def _postgres(command: str, env: dict) -> str:
    """scripts/postgres.sh start | pause | stop for the instance ``env`` names; the last line it prints."""
    try:
        out = subprocess.run([str(ROOT / "scripts" / "postgres.sh"), command], env=env, check=True,
                             capture_output=True, text=True, timeout=600).stdout.strip()
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(exc.stdout + exc.stderr) from None
    return out.splitlines()[-1] if out else ""


@pytest.fixture
def postgres_instance():
    """A PostgreSQL with pgvector of the test's own, to stop and start: (its URL, its environment)."""
    # (not under pytest's tmp folder: the server runs as the postgres user, who cannot enter it)
    env = {**os.environ, "RAG_PG_DIR": tempfile.mkdtemp(prefix="rag-pg-test-"), "RAG_PG_PORT": str(free_port())}
    yield _postgres("start", env), env
    subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "stop"], env=env, check=False, timeout=120)


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL with pgvector for this module, stopped and deleted afterwards."""
    env = {**os.environ, "RAG_PG_DIR": tempfile.mkdtemp(prefix="rag-pg-test-"), "RAG_PG_PORT": str(free_port())}
    yield _postgres("start", env)
    subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "stop"], env=env, check=False, timeout=120)


def _pg(settings, url, schema):
    return replace(settings, store=url, store_schema=schema)


def _write_xquad_articles(corpus, count):
    """The first ``count`` XQuAD articles as Markdown documents; their (question, answer) pairs."""
    data = json.loads(XQUAD_ZH.read_text("utf-8"))["data"][:count]
    questions = []
    for n, article in enumerate(data):
        paragraphs = [p["context"] for p in article["paragraphs"]]
        (corpus / f"xquad-{n}.md").write_text(f"# {article['title']}\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")
        questions += [qa["question"] for p in article["paragraphs"] for qa in p["qas"]][:15]
    return questions


def _tops(retriever, questions):
    return [(h.doc, h.start, h.end) for h in (retriever.search(q, 1)[0] for q in questions)]


@pytest.mark.model
def test_both_stores_rank_alike_with_the_real_model(postgres_url, real_settings, tmp_path):
    from rag.embed import make_encoder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in real_settings.corpus_dir.iterdir():
        (corpus / f.name).write_bytes(f.read_bytes())
    questions = [json.loads(line)["q"] for line in DEV_QUESTIONS.read_text("utf-8").splitlines() if line.strip()]
    questions += _write_xquad_articles(corpus, 1)  # a second document, and its own questions
    local = replace(real_settings, corpus_dir=corpus, index_dir=tmp_path / "index")
    encoder = make_encoder(local, lambda m: None)
    build_index(local, encoder)
    report = build_index(_pg(local, postgres_url, "parity"), encoder)
    assert report.passages > 22
    on_disk = Retriever(local, encoder, auto_build=False)
    shared = Retriever(_pg(local, postgres_url, "parity"), encoder, auto_build=False)
    assert len(questions) >= 30
    assert _tops(shared, questions) == _tops(on_disk, questions)
    a, b = shared.search(questions[0], 3), on_disk.search(questions[0], 3)
    assert [h.evidence_spans for h in a] == [h.evidence_spans for h in b]
    assert np.allclose([h.score for h in a], [h.score for h in b], atol=1e-4)


def test_both_stores_rank_alike_past_the_candidate_limit(postgres_url, settings, fake_encoder):
    """Over 100 passages each store picks front runners itself (FAISS vs SQL): same top-1s."""
    questions = _write_xquad_articles(settings.corpus_dir, 12)[::3] + ["孙华芹建议政府出台什么政策？"]
    settings = replace(settings, max_chars=150)  # shorter passages: more of them
    report = build_index(settings, fake_encoder)
    assert report.passages > 100
    build_index(_pg(settings, postgres_url, "large"), fake_encoder)
    on_disk = Retriever(settings, fake_encoder, auto_build=False)
    shared = Retriever(_pg(settings, postgres_url, "large"), fake_encoder, auto_build=False)
    assert _tops(shared, questions) == _tops(on_disk, questions)
    # the passages' mean vector: stored with each build, and computed alike where a build lacks it
    local_snapshot, pg_snapshot = open_store(settings).open(), open_store(_pg(settings, postgres_url, "large")).open()
    assert np.allclose(local_snapshot.centroid, pg_snapshot.centroid, atol=1e-5)
    assert np.allclose(local_snapshot.mean_vector(), local_snapshot.centroid, atol=1e-5)
    assert np.allclose(pg_snapshot.mean_vector(), pg_snapshot.centroid, atol=1e-5)


def test_a_store_build_reuses_vectors_and_keeps_others_documents(postgres_url, settings, fake_encoder, tmp_path):
    pg = _pg(settings, postgres_url, "reuse")
    first = build_index(pg, fake_encoder)
    assert build_index(pg, fake_encoder).embedded == 0  # unchanged: nothing embedded, no new build
    other = tmp_path / "other"  # a second server with a folder of its own
    other.mkdir()
    (other / "robots.md").write_text("# 机器人\n\n宁波某工厂部署了1200台协作机器人。\n", "utf-8")
    report = build_index(replace(pg, corpus_dir=other), fake_encoder)
    assert report.embedded <= 2 and report.passages == first.passages + 1  # the article's vectors reused
    retriever = Retriever(pg, fake_encoder, auto_build=False)
    assert {d for d, _, _ in retriever.documents()} == {"ai-plus-manufacturing.md", "robots.md"}
    assert "1200台" in retriever.search("宁波某工厂部署了多少台协作机器人", 1)[0].text
    report = build_index(pg, fake_encoder, prune=True)  # only --prune removes what the folder lacks
    assert any("robots.md" in w for w in report.warnings)
    assert {d for d, _, _ in retriever.documents()} == {"ai-plus-manufacturing.md"}


def _store_documents(url: str, schema: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {path: bytes(data).decode("utf-8") for path, data in
                conn.execute(f"SELECT path, data FROM {schema}.documents").fetchall()}


def test_a_folder_never_overwrites_what_the_store_holds(postgres_url, settings, fake_encoder, tmp_path, monkeypatch,
                                                        capsys):
    """Names are chosen against the store; a folder uploads only what changed in it since it last synced;
    a stale copy is left out, a copy changed on both sides refused, and a question uploads nothing."""
    import rag.retriever
    from rag.cli import main
    from rag.corpus import add_text
    from rag.stores.postgres import reserve_document

    pg = _pg(settings, postgres_url, "sync")
    x, y = pg, replace(pg, corpus_dir=tmp_path / "y")  # two servers' folders
    y.corpus_dir.mkdir()
    build_index(x, fake_encoder)
    a = add_text(x.corpus_dir, "Robot Report", "甲：宁波工厂部署了1200台机器人。", lambda *n: reserve_document(x, *n))
    b = add_text(y.corpus_dir, "Robot Report", "乙：杭州工厂部署了800台机器人。", lambda *n: reserve_document(y, *n))
    assert (a.name, b.name) == ("Robot Report.md", "Robot Report-2.md")  # the name is taken in the store
    for folder in (x, y, x):
        build_index(folder, fake_encoder)
    stored = _store_documents(postgres_url, "sync")
    assert "甲" in stored["Robot Report.md"] and "乙" in stored["Robot Report-2.md"]

    note = "# 笔记\n\n{}\n"
    for folder in (x, y):
        (folder.corpus_dir / "notes.md").write_text(note.format("第一版。"), "utf-8")
        build_index(folder, fake_encoder)  # the same notes.md in both: in sync
    (x.corpus_dir / "notes.md").write_text(note.format("第二版，由x修改。"), "utf-8")
    build_index(x, fake_encoder)  # changed here since the last sync: uploaded
    assert "第二版" in _store_documents(postgres_url, "sync")["notes.md"]
    warnings = build_index(y, fake_encoder).warnings  # y's copy is the older one: left out
    assert any("notes.md: the store's copy changed" in w for w in warnings), warnings
    (y.corpus_dir / "notes.md").write_text(note.format("第三版，由y修改。"), "utf-8")
    warnings = build_index(y, fake_encoder).warnings  # changed on both sides: refused, with a line
    assert any("notes.md: the store holds another notes.md" in w for w in warnings), warnings
    z = replace(pg, corpus_dir=tmp_path / "z")  # a folder never synced, with another notes.md
    z.corpus_dir.mkdir()
    (z.corpus_dir / "notes.md").write_text(note.format("另一份同名笔记。"), "utf-8")
    warnings = build_index(z, fake_encoder).warnings
    assert any("notes.md: the store holds another notes.md" in w for w in warnings), warnings
    assert "第二版" in _store_documents(postgres_url, "sync")["notes.md"]

    # A question from a folder with a new file, and an older Robot Report, uploads nothing
    (y.corpus_dir / "only-here.md").write_text("# 只在这里\n\n这份文件只在y的文件夹里。\n", "utf-8")
    b.write_text("# Robot Report\n\n乙的旧稿。\n", "utf-8")
    monkeypatch.setattr(rag.retriever, "make_encoder", lambda *args, **kw: FakeEncoder())
    monkeypatch.setenv("RAG_STORE_SCHEMA", "sync")
    before = _store_documents(postgres_url, "sync")
    assert main(["ask", "宁波工厂部署了多少台机器人？", "--store", postgres_url, "--corpus", str(y.corpus_dir),
                 "--model", FakeEncoder.name]) == 0
    assert "Robot Report" in capsys.readouterr().out
    assert _store_documents(postgres_url, "sync") == before


def test_a_store_build_queued_behind_another_waits_and_says_so(postgres_url, settings, fake_encoder):
    import threading

    import psycopg

    pg = _pg(settings, postgres_url, "queued")
    notes: list[str] = []
    with psycopg.connect(postgres_url, autocommit=True) as holder:  # stands in for a running build
        holder.execute("SELECT pg_advisory_lock(hashtext(%s))", ("rag-build:queued",))
        with pytest.raises(RagError, match="another build of store schema queued is running"):
            build_index(pg, fake_encoder)
        queued = threading.Thread(target=build_index, args=(pg, fake_encoder),
                                  kwargs={"wait": True, "note": notes.append})
        queued.start()
        time.sleep(1.5)
        assert queued.is_alive() and notes and set(notes) == {"waiting for another build to finish"}
        holder.execute("SELECT pg_advisory_unlock(hashtext(%s))", ("rag-build:queued",))
        queued.join(timeout=60)
    assert not queued.is_alive()
    assert Retriever(pg, fake_encoder, auto_build=False).search("孙华芹", 1)


def test_a_build_killed_mid_transaction_leaves_the_previous_corpus(postgres_url, settings, fake_encoder, tmp_path):
    import psycopg

    pg = _pg(settings, postgres_url, "kill")
    build_index(pg, fake_encoder)
    retriever = Retriever(pg, fake_encoder, auto_build=False)
    assert "孙华芹" in retriever.search("孙华芹建议政府出台更加普惠的支持政策", 1)[0].text  # loaded
    live = retriever.store.live()
    # enough new text that writing the build takes a while
    for n in range(40):
        (settings.corpus_dir / f"new-{n}.md").write_text(
            f"# 新文档{n}\n\n" + "\n\n".join(f"第{n}号文档第{i}段：工厂{n}-{i}部署了{i}台机器人，产值增长{n + i}%。"
                                             for i in range(100)) + "\n", "utf-8")
    script = ("import sys; from tests.conftest import FakeEncoder; from rag.config import Settings; "
              "from rag.stores import build_index; "
              f"build_index(Settings.from_env(corpus_dir={str(settings.corpus_dir)!r}, store={postgres_url!r}, "
              "store_schema='kill', model=FakeEncoder.name), FakeEncoder())")
    builder = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    killed_in_transaction = False
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        deadline = time.time() + 300
        while builder.poll() is None and time.time() < deadline:
            # the builder's transaction has written something: kill it there
            if conn.execute("SELECT 1 FROM pg_stat_activity WHERE application_name = 'rag-build' "
                            "AND backend_xid IS NOT NULL").fetchone():
                builder.send_signal(signal.SIGKILL)
                killed_in_transaction = True
                break
            time.sleep(0.005)
    builder.wait(timeout=60)
    assert killed_in_transaction, "the build finished before it could be killed"
    time.sleep(1)  # the server notices the dead client and rolls back
    assert retriever.store.live() == live
    assert {d for d, _, _ in retriever.documents()} == {"ai-plus-manufacturing.md"}
    assert "孙华芹" in retriever.search("孙华芹建议政府出台更加普惠的支持政策", 1)[0].text
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'kill' "
                              "AND table_name LIKE 'passages%'").fetchone()[0]
    assert tables == 1  # nothing of the killed build is left
    report = build_index(pg, fake_encoder)  # its lock died with it: the next build runs
    assert report.passages > 200


def test_a_postgres_outage_fails_fast_and_answering_resumes(postgres_instance, settings, fake_encoder):
    """With PostgreSQL stopped, each question fails within seconds with one line (it waited the pool's 30 s,
    4 at a time); once it is started again, the next questions are answered, on new connections."""
    from concurrent.futures import ThreadPoolExecutor

    url, env = postgres_instance
    pg = _pg(settings, url, "outage")
    build_index(pg, fake_encoder)
    retriever = Retriever(pg, fake_encoder, auto_build=False)
    question = "孙华芹建议政府出台更加普惠的支持政策"
    assert "孙华芹" in retriever.search(question, 1)[0].text

    def failing_question(_=None) -> float:
        started = time.perf_counter()
        with pytest.raises(RagError, match="PostgreSQL at postgresql://rag@127.0.0.1") as caught:
            retriever.search(question, 1)
        assert "\n" not in str(caught.value) and "password" not in str(caught.value)
        return time.perf_counter() - started

    _postgres("pause", env)
    waits = [failing_question() for _ in range(3)]
    with ThreadPoolExecutor(4) as pool:  # as many at once as the server's worker slots
        waits += list(pool.map(failing_question, range(4)))
    assert max(waits) < 8, waits

    _postgres("start", env)
    started, answered = time.perf_counter(), None
    while answered is None and time.perf_counter() - started < 30:
        try:
            answered = retriever.search(question, 1)[0].text
        except RagError:
            time.sleep(0.2)
    recovered = time.perf_counter() - started
    print(f"\noutage: questions failed after {[round(w, 2) for w in waits]} s; answered again {recovered:.1f} s "
          "after it was back")
    assert answered and "孙华芹" in answered
    assert recovered < 15


def test_store_mistakes_are_one_line_messages(tmp_path):
    base = article_corpus(tmp_path)
    for store, message in [("mysql://x", "unknown store"),
                           (f"postgresql://rag:x@127.0.0.1:{free_port()}/db", "cannot reach PostgreSQL")]:
        out = subprocess.run([sys.executable, "-m", "rag", "ask", "--store", store, "--corpus", str(base / "corpus"),
                              "孙华芹"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode == 1 and message in out.stderr and "Traceback" not in out.stderr
        assert ":x@" not in out.stderr  # the password is never printed


@pytest.mark.model
def test_two_servers_on_one_store(postgres_instance, tmp_path):
    """A document added through one server is answered by the other, without a restart; two adds under
    one title through the two servers keep both texts; a question from the first server's folder
    uploads nothing; and all of it survives a restart of PostgreSQL."""
    from gradio_client import Client, handle_file

    url, pg_env = postgres_instance
    env = {"RAG_STORE": url, "RAG_STORE_SCHEMA": "two"}
    (tmp_path / "a").mkdir()
    first = article_corpus(tmp_path / "a")
    second = tmp_path / "b"
    second.mkdir()  # no corpus folder of its own: it answers from the store
    rag = [sys.executable, "-m", "rag"]
    out = subprocess.run([*rag, "index", "--corpus", str(first / "corpus")], cwd=ROOT, env={**os.environ, **env},
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr  # a store is filled by `rag index` (or adds), never by a question
    proc_a, url_a = start_server(first, env=env)
    proc_b = None
    try:
        proc_b, url_b = start_server(second, env=env)
        a, b = Client(url_a, verbose=False), Client(url_b, verbose=False)
        reply = b.predict("What did Sun Huaqin propose for SMEs?", 1, api_name="/ask")[0][-1]
        assert "孙华芹" in str(reply["content"])
        document = tmp_path / "q7.md"
        document.write_text("# 焊接\n\n代号Q7的智能工厂今年部署了417台焊接机器人。\n", "utf-8")
        status = a.predict(handle_file(str(document)), "", "", api_name="/add")[0]
        assert status.startswith("✅"), status
        reply = b.predict("代号Q7的智能工厂部署了多少台焊接机器人？", 1, api_name="/ask")[0][-1]
        assert "417台焊接机器人" in str(reply["content"])
        copy = tmp_path / "q7-copy.md"
        copy.write_bytes(document.read_bytes())
        status = html.unescape(b.predict(handle_file(str(copy)), "", "", api_name="/add")[0])  # (Markdown source)
        assert "already in the store as q7.md" in status, status  # through the other server: not stored twice

        # "Robot Report" with text A through one server and text B through the other: both kept
        texts = {"A": "代号R1的工厂部署了311台喷涂机器人。", "B": "代号R2的工厂部署了522台装配机器人。"}
        status_a = html.unescape(a.predict(None, "Robot Report", texts["A"], api_name="/add")[0])
        status_b = html.unescape(b.predict(None, "Robot Report", texts["B"], api_name="/add")[0])
        assert status_a.startswith("✅ Added Robot Report.md"), status_a
        assert status_b.startswith("✅ Added Robot Report-2.md"), status_b
        # a question from the first server's folder (its own Robot Report.md, now edited) uploads nothing
        (first / "corpus" / "Robot Report.md").write_text("# Robot Report\n\n旧稿。\n", "utf-8")
        out = subprocess.run([*rag, "ask", "代号R2的工厂部署了多少台装配机器人？", "--corpus", str(first / "corpus"),
                              "-k", "1"], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                             timeout=600)
        assert out.returncode == 0 and "522台装配机器人" in out.stdout, out.stdout + out.stderr
        stored = _store_documents(url, "two")
        assert "311台喷涂机器人" in stored["Robot Report.md"] and "522台装配机器人" in stored["Robot Report-2.md"]

        _postgres("pause", pg_env)  # PostgreSQL stops and starts again: nothing added is lost
        _postgres("start", pg_env)
        for question, answer in [("代号R1的工厂部署了多少台喷涂机器人？", "311台喷涂机器人"),
                                 ("代号R2的工厂部署了多少台装配机器人？", "522台装配机器人"),
                                 ("代号Q7的智能工厂部署了多少台焊接机器人？", "417台焊接机器人")]:
            for client in (a, b):
                reply = client.predict(question, 1, api_name="/ask")[0][-1]
                assert answer in str(reply["content"]), (question, reply)
    finally:
        stop_server(proc_a)
        if proc_b is not None:
            stop_server(proc_b)


@pytest.mark.model
def test_ray_embeds_like_the_local_model(postgres_url, real_settings, tmp_path):
    """A local Ray cluster (head plus one worker node): vectors equal to local ones, written to the store."""
    import ray
    from ray.cluster_utils import Cluster

    from rag.build import vector_key
    from rag.distributed import ray_embedder
    from rag.embed import make_encoder

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    try:
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        (corpus / "a.md").write_text(real_settings.corpus_dir.joinpath("ai-plus-manufacturing.md")
                                     .read_text("utf-8")[:3000], "utf-8")
        settings = replace(real_settings, corpus_dir=corpus, store=postgres_url, store_schema="ray")
        encoder = make_encoder(settings, lambda m: None)
        report = build_index(settings, encoder, embed_many=ray_embedder(settings, cluster.address, 2, lambda m: None))
        assert report.embedded > 10
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        import psycopg
        from pgvector.psycopg import register_vector

        with psycopg.connect(postgres_url) as conn:
            register_vector(conn)
            live = conn.execute("SELECT name FROM ray.live").fetchone()[0]
            rows = conn.execute(f"SELECT text, vector FROM ray.passages_{live}").fetchall()
        texts = [t for t, _ in rows]
        stored = np.stack([v.to_numpy() for _, v in rows])
        local = encoder.encode_passages(texts)
        assert float((stored * local).sum(axis=1).min()) >= 0.999
        assert all(isinstance(vector_key(encoder.name, t), str) for t in texts)
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_unknown_schema_name_is_refused(settings):
    with pytest.raises(RagError, match="schema"):
        build_index(replace(settings, store="postgresql://x@127.0.0.1:1/db", store_schema="a;drop"), None)


def test_adds_side_by_side_each_keep_their_sync_record(tmp_path):
    """One server runs several adds at once: each records its document (none overwrites another's
    record, none fails on another's temporary file)."""
    import threading

    from rag.stores.postgres import SYNCED_FILE, _change_synced, _read_synced

    def add(i: int) -> None:
        for j in range(20):
            _change_synced(tmp_path, "store", lambda now, i=i, j=j: {**now, f"doc-{i}-{j}.md": "sha"})

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_read_synced(tmp_path, "store")) == 160
    assert [p.name for p in tmp_path.iterdir()] == [SYNCED_FILE]  # no temporary file left


def test_a_damaged_sync_record_is_started_afresh(tmp_path):
    """A record that is not JSON, or JSON of another shape, reads as empty and is rewritten, never a traceback."""
    from rag.stores.postgres import SYNCED_FILE, _change_synced, _read_synced

    for damaged in ("{not json", "[1, 2]", '{"store": [1]}'):
        (tmp_path / SYNCED_FILE).write_text(damaged, "utf-8")
        assert _read_synced(tmp_path, "store") == {}
        _change_synced(tmp_path, "store", lambda now: {**now, "a.md": "sha"})
        assert _read_synced(tmp_path, "store") == {"a.md": "sha"}


def test_documents_managed_on_the_store_keep_the_folder_in_step(postgres_url, settings, fake_encoder, tmp_path):
    """Replace and remove on the shared store: the row changes, the folder's copy and its sync record
    follow, so a later `rag index` from this folder (or another that held a copy) neither uploads the
    removed document again nor calls the replaced one a conflict."""
    from rag.documents import Documents
    from rag.stores import open_store

    pg = _pg(settings, postgres_url, "managed")
    build_index(pg, fake_encoder)
    docs = Documents(open_store(pg), fake_encoder)
    name = docs.add(title="机器人工厂", text="宁波某工厂部署了1200台协作机器人。").name
    other = replace(pg, corpus_dir=tmp_path / "other")  # another server's folder, holding a synced copy
    other.corpus_dir.mkdir()
    (other.corpus_dir / name).write_bytes((pg.corpus_dir / name).read_bytes())
    assert not build_index(other, fake_encoder).warnings

    docs.replace(name, text="宁波某工厂部署了1500台协作机器人。")
    assert "1500台" in _store_documents(postgres_url, "managed")[name]
    assert "1500台" in (pg.corpus_dir / name).read_text("utf-8")  # the folder's copy follows
    assert not build_index(pg, fake_encoder).warnings  # no conflict, nothing uploaded over it
    retriever = Retriever(pg, fake_encoder, auto_build=False)
    assert "1500台" in retriever.search("宁波某工厂部署了多少台协作机器人", 1)[0].text

    docs.remove(name)
    assert name not in _store_documents(postgres_url, "managed")
    assert not (pg.corpus_dir / name).exists()
    assert name not in {h.doc for h in retriever.search("宁波某工厂部署了多少台协作机器人", 10)}
    build_index(pg, fake_encoder)  # `rag index` from this folder
    warnings = build_index(other, fake_encoder).warnings  # and from the other, whose copy is older
    assert any(f"{name}: the store's copy changed" in w or f"{name}: removed from the store" in w
               for w in warnings), warnings
    assert name not in _store_documents(postgres_url, "managed")
    assert name not in {d for d, _, _ in retriever.documents()}
    with pytest.raises(RagError, match="no document named"):
        docs.remove(name)

    # A folder whose only document is removed keeps its copy, recorded as removed from the store
    lone = replace(pg, corpus_dir=tmp_path / "lone")
    lone.corpus_dir.mkdir()
    (lone.corpus_dir / "lone.md").write_text("# 孤本\n\n苏州某工厂部署了300台焊接机器人。\n", "utf-8")
    build_index(lone, fake_encoder)
    Documents(open_store(lone), fake_encoder).remove("lone.md")
    assert (lone.corpus_dir / "lone.md").exists()
    warnings = build_index(lone, fake_encoder).warnings
    assert any("lone.md: removed from the store" in w for w in warnings), warnings
    assert "lone.md" not in _store_documents(postgres_url, "managed")


@pytest.mark.model
def test_a_document_removed_through_the_api_is_gone_while_clients_ask(postgres_url, tmp_path):
    """The real server on PostgreSQL: a document added and then removed over HTTP, two clients asking
    all the while: no question fails, and the removed document is never cited again."""
    from tests.helpers.api import removal_while_asking

    env = {"RAG_STORE": postgres_url, "RAG_STORE_SCHEMA": "api"}
    base = article_corpus(tmp_path)
    out = subprocess.run([sys.executable, "-m", "rag", "index", "--corpus", str(base / "corpus")], cwd=ROOT,
                         env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    proc, url = start_server(base, env=env)
    try:
        removal_while_asking(url)
    finally:
        stop_server(proc)
