"""The HTTP JSON API of the real `rag serve`, over HTTP: ask, retrieve, documents, progress, access,
every error status, OpenAPI, and two collections on one server."""

import json
import subprocess
import sys
import threading
import time

import httpx
import pytest
from openapi_spec_validator import validate

from tests.conftest import ROOT
from tests.helpers.api import removal_while_asking
from tests.helpers.server import article_corpus, start_server, stop_server

pytestmark = [pytest.mark.model, pytest.mark.slow]
KEY = "test-key-0123456789abcdef"
LOGIN = ("alice", "s3cret")
SUN = "What did Sun Huaqin propose for SMEs?"
ROBOTS = "# 焊接车间\n\n代号W5的焊接车间今年部署了266台焊接机器人。\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The server with a login and an API key, over the article (default) and a "robots" collection:
    (its folder, its URL)."""
    base = article_corpus(tmp_path_factory.mktemp("api"))
    robots = base / "collections" / "robots" / "corpus"
    robots.mkdir(parents=True)
    (robots / "welding.md").write_text(ROBOTS, "utf-8")
    (base / "auth").write_text(":".join(LOGIN) + "\n")
    (base / "keys").write_text(f"# the test's client\n{KEY}\n")
    proc, url = start_server(base, "--auth-file", str(base / "auth"), "--api-key-file", str(base / "keys"),
                             "--collection", "default", "--collection", "robots")
    yield base, url
    stop_server(proc)


@pytest.fixture
def api(server):
    with httpx.Client(base_url=server[1], headers={"Authorization": f"Bearer {KEY}"}, timeout=600) as client:
        yield client


def test_the_openapi_document_validates_and_has_a_docs_page(api):
    spec = api.get("api/v1/openapi.json").json()
    validate(spec)
    paths = spec["paths"]
    for path in ("/api/v1/ask", "/api/v1/retrieve", "/api/v1/documents", "/api/v1/documents/{name}", "/api/v1/build",
                 "/api/v1/collections", "/api/v1/collections/{collection}/ask"):
        assert path in paths, path
    assert set(paths["/api/v1/documents/{name}"]) == {"put", "delete"}
    page = api.get("api/v1/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()


def test_ask_gives_what_rag_ask_json_prints(server, api):
    base, _ = server
    answer = api.post("api/v1/ask", json={"question": SUN, "k": 3}).json()
    out = subprocess.run([sys.executable, "-m", "rag", "ask", SUN, "-k", "3", "--json", "--corpus",
                          str(base / "corpus"), "--index", str(base / "index")], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    assert answer == printed  # the same object, to the last offset and score
    assert answer["answered"] and answer["confidence"] > 0.5 and answer["understood_as"] is None
    top = answer["hits"][0]
    assert "孙华芹" in top["text"] and top["start"] <= top["evidence_start"] < top["evidence_end"] <= top["end"]
    follow = api.post("api/v1/ask", json={"question": "她建议了什么？", "history": ["孙华芹是谁？"]}).json()
    assert follow["understood_as"] and "孙华芹" in follow["understood_as"]


def test_retrieve_gives_hits_only(api):
    body = api.post("api/v1/retrieve", json={"question": "孙华芹提出了什么建议？", "k": 2}).json()
    assert set(body) == {"question", "hits"} and len(body["hits"]) == 2
    assert body["hits"][0]["doc"] == "ai-plus-manufacturing.md" and "孙华芹" in body["hits"][0]["text"]


def test_access_by_login_or_key_only(server):
    _, url = server
    ask = {"question": "孙华芹提出了什么建议？", "k": 1}
    with httpx.Client(base_url=url, timeout=120) as client:
        assert client.get("api/v1/documents").status_code == 401
        assert client.post("api/v1/ask", json=ask).status_code == 401
        refused = client.get("api/v1/documents", headers={"Authorization": "Bearer wrong-key-0123456789"})
        assert refused.status_code == 401 and "credentials" in refused.json()["error"]
        assert "Bearer" in refused.headers["www-authenticate"]
        assert client.get("api/v1/documents", auth=("alice", "wrong")).status_code == 401
        assert client.get("api/v1/documents", auth=LOGIN).status_code == 200
        assert client.post("api/v1/ask", json=ask, auth=LOGIN).json()["answered"]
        assert client.get("api/v1/documents", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        # the chat keeps its login page
        assert client.post("login", data={"username": "alice", "password": "wrong"}).status_code == 400


def test_failed_keys_wait_longer_each_time(server):
    _, url = server
    waits = []
    with httpx.Client(base_url=url, timeout=120) as client:
        for n in range(3):
            started = time.perf_counter()
            assert client.get("api/v1/build", headers={"Authorization": f"Bearer guess-{n}"}).status_code == 401
            waits.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert client.get("api/v1/build", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        assert time.perf_counter() - started < 0.5  # a good key never waits
    assert all(w >= least for w, least in zip(waits, [0.25, 0.5, 1.0], strict=True)), waits


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "says"), [
    ("post", "api/v1/ask", {"json": {"question": "   "}}, 422, "the question is empty"),
    ("post", "api/v1/ask", {"json": {"question": "孙华芹", "k": 0}}, 422, "k:"),
    ("post", "api/v1/ask", {"json": {"question": "孙华芹", "k": 11}}, 422, "k:"),
    ("post", "api/v1/ask", {"json": {"question": "孙华芹", "history": "一个字符串"}}, 422, "history"),
    ("post", "api/v1/ask", {"json": {"question": "孙" * 10_001}}, 422, "question"),
    ("post", "api/v1/ask", {"json": {"history": []}}, 422, "question: Field required"),
    ("post", "api/v1/ask", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "JSON"),
    ("get", "api/v1/ask", {}, 405, "GET is not allowed"),
    ("get", "api/v1/nothing", {}, 404, "no such endpoint"),
    ("get", "api/v1/collections/nothing/documents", {}, 404, "no collection 'nothing'"),
    ("get", "api/v1/collections/Bad%20Name/documents", {}, 404, "no collection 'Bad Name'"),
    ("delete", "api/v1/documents/nothing.md", {}, 404, "no document named 'nothing.md'"),
    ("delete", "api/v1/documents/ai-plus-manufacturing.md", {}, 404, "no document named"),  # (robots has it not)
    ("put", "api/v1/documents/nothing.md", {"json": {"title": "t", "text": "宁波某工厂部署了机器人。"}}, 404,
     "no document named"),
    ("post", "api/v1/documents", {"json": {"title": "", "text": "宁波某工厂部署了机器人。"}}, 422,
     "give the text a title"),
    ("post", "api/v1/documents", {"json": {"title": "空", "text": "  "}}, 422, "the text is empty"),
    ("post", "api/v1/documents", {"files": {"file": ("evil.exe", b"MZ\x00\x00")}}, 422, "only .md"),
    ("post", "api/v1/documents", {"files": {"file": ("copy.md", (ROOT / "corpus" / "ai-plus-manufacturing.md")
                                                     .read_bytes())}}, 422, "already in the corpus as"),
    ("post", "api/v1/documents", {"content": b"x", "headers": {"content-type": "text/plain"}}, 415, "multipart"),
    ("post", "api/v1/documents", {"content": b"x" * (11 << 20), "headers": {"content-type": "text/plain"}}, 413,
     "larger than 10 MB"),
    ("post", "api/v1/ask", {"content": b" " * (11 << 20), "headers": {"content-type": "application/json"}}, 413,
     "larger than 10 MB"),
])
def test_every_mistake_is_a_json_error_with_its_status(api, method, path, kwargs, status, says):
    if path.startswith("api/v1/documents/ai-plus"):
        path = "api/v1/collections/robots/documents/ai-plus-manufacturing.md"
    response = api.request(method.upper(), path, **kwargs)
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert body["status"] == status and says in body["error"], body
    assert "Traceback" not in response.text


def test_add_replace_remove_and_progress(server, api):
    """A document's life over HTTP, with the build's progress readable while it runs."""
    base, _ = server
    long_text = "\n\n".join(f"第{n}号车间部署了{n * 7}台协作机器人，产能提高了{n}成。" * 12 for n in range(1, 40))
    seen: list[dict] = []
    done = threading.Event()

    def watch():
        with httpx.Client(base_url=server[1], headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as c:
            while not done.is_set():
                seen.append(c.get("api/v1/build").json())
                time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        added = api.post("api/v1/documents", files={"file": ("workshops.md", f"# 车间\n\n{long_text}\n".encode())})
    finally:
        done.set()
        watcher.join()
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "workshops.md" and added.json()["action"] == "added"
    running = [s for s in seen if s["building"]]
    assert running and running[0]["changes"] == ["adding workshops.md"], seen[:5]
    assert any(s["to_embed"] > 0 and s["embedded"] <= s["to_embed"] for s in running), running[:5]
    assert not api.get("api/v1/build").json()["building"]
    names = [d["name"] for d in api.get("api/v1/documents").json()["documents"]]
    assert names == ["ai-plus-manufacturing.md", "workshops.md"]

    text = api.post("api/v1/documents", data={"title": "喷涂车间", "text": "代号P3的喷涂车间部署了58台喷涂机器人。"})
    assert text.status_code == 201 and text.json()["name"] == "喷涂车间.md", text.text
    replaced = api.put("api/v1/documents/喷涂车间.md",
                       json={"title": "喷涂车间", "text": "代号P3的喷涂车间部署了61台喷涂机器人。"})
    assert replaced.status_code == 200 and replaced.json()["action"] == "replaced", replaced.text
    question = {"question": "代号P3的喷涂车间部署了多少台喷涂机器人？", "k": 1}
    top = api.post("api/v1/ask", json=question).json()["hits"][0]
    assert top["doc"] == "喷涂车间.md" and "61台" in top["text"]
    wrong_type = api.put("api/v1/documents/喷涂车间.md", files={"file": ("a.txt", "代号P3的车间。".encode())})
    assert wrong_type.status_code == 422 and "replace it with a .md file" in wrong_type.json()["error"]
    for name in ("喷涂车间.md", "workshops.md"):
        assert api.delete(f"api/v1/documents/{name}").status_code == 200
    assert [d["name"] for d in api.get("api/v1/documents").json()["documents"]] == ["ai-plus-manufacturing.md"]
    assert sorted(p.name for p in (base / "corpus").glob("*.md")) == ["ai-plus-manufacturing.md"]


def test_a_removed_document_is_never_cited_while_clients_ask(server):
    removal_while_asking(server[1], {"Authorization": f"Bearer {KEY}"})


def test_two_collections_answer_from_their_own_documents_only(api):
    assert api.get("api/v1/collections").json() == {"default": "default", "collections": ["default", "robots"]}
    question = {"question": "代号W5的焊接车间部署了多少台焊接机器人？", "k": 5}
    robots = api.post("api/v1/collections/robots/ask", json=question).json()
    assert robots["answered"] and {h["doc"] for h in robots["hits"]} == {"welding.md"}
    assert "266台" in robots["hits"][0]["text"]
    default = api.post("api/v1/ask", json=question).json()
    assert "welding.md" not in {h["doc"] for h in default["hits"]} and not default["answered"]
    named = api.post("api/v1/collections/default/ask", json=question).json()
    assert named["hits"] == default["hits"]
    sun = api.post("api/v1/collections/robots/ask", json={"question": SUN}).json()
    assert {h["doc"] for h in sun["hits"]} == {"welding.md"} and not sun["answered"]
    listed = api.get("api/v1/collections/robots/documents").json()
    assert listed == {"collection": "robots", "documents": [{"name": "welding.md", "title": "焊接车间", "passages": 1}]}
    added = api.post("api/v1/collections/robots/documents",
                     json={"title": "装配", "text": "代号A2的车间部署了19台装配机器人。"})
    assert added.status_code == 201, added.text
    assert "装配.md" not in {d["name"] for d in api.get("api/v1/documents").json()["documents"]}
    assert api.delete("api/v1/collections/robots/documents/装配.md").status_code == 200


def test_the_chat_removes_and_replaces_and_offers_the_collections(server, tmp_path):
    """The Corpus tab's Remove and Replace (the page's own endpoints), and the collection selector."""
    import html

    from gradio_client import Client, handle_file

    base, url = server
    chat = Client(url, auth=LOGIN, verbose=False)
    status = html.unescape(chat.predict(None, "冲压车间", "代号S1的冲压车间部署了33台冲压机器人。", api_name="/add")[0])
    assert status.startswith("✅ Added 冲压车间.md"), status
    new = tmp_path / "new.md"
    new.write_text("# 冲压车间\n\n代号S1的冲压车间部署了44台冲压机器人。\n", "utf-8")
    status = html.unescape(chat.predict("冲压车间.md", handle_file(str(new)), "", "", api_name="/replace")[0])
    assert status.startswith("✅ Replaced 冲压车间.md"), status
    reply = chat.predict("代号S1的冲压车间部署了多少台冲压机器人？", 1, api_name="/ask")[0][-1]["content"]
    assert "44台" in str(reply)
    status = html.unescape(chat.predict("冲压车间.md", None, "", "", api_name="/remove")[0])
    assert status.startswith("✅ Removed 冲压车间.md"), status
    status = html.unescape(chat.predict("冲压车间.md", None, "", "", api_name="/remove")[0])
    assert status == "⚠️ no document named '冲压车间.md' (there are: ai-plus-manufacturing.md)", status
    assert not (base / "corpus" / "冲压车间.md").exists()
    config = httpx.get(url + "config", cookies=chat.cookies, timeout=60).json()
    selector = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "collection"][0]
    assert selector["props"]["visible"] and [c[0] for c in selector["props"]["choices"]] == ["default", "robots"]


def test_rag_add_replace_remove_and_documents(tmp_path):
    """The CLI: a line for each change, one line for a mistake, exit 1."""
    base = article_corpus(tmp_path)
    rag = [sys.executable, "-m", "rag"]
    folder = ["--corpus", str(base / "corpus"), "--index", str(base / "index"), "--collection", "robots"]
    report = tmp_path / "welding.md"
    report.write_text(ROBOTS, "utf-8")

    def run(*args):
        return subprocess.run([*rag, *args, *folder], cwd=ROOT, capture_output=True, text=True, timeout=600)

    out = run("add", str(report))
    assert out.returncode == 0 and out.stdout.startswith("added welding.md: 1 documents"), out.stdout + out.stderr
    assert (base / "collections" / "robots" / "corpus" / "welding.md").exists()
    report.write_text(ROBOTS.replace("266", "277"), "utf-8")
    out = run("add", str(report), "--replace")
    assert out.returncode == 0 and out.stdout.startswith("replaced welding.md"), out.stdout + out.stderr
    out = run("documents")
    assert out.stdout == "welding.md\t1 passages\t焊接车间\n", out.stdout + out.stderr
    out = run("remove", "welding.md")
    assert out.returncode == 1 and out.stderr == "error: welding.md is the only document: add another before " \
                                                  "removing it\n", out.stderr
    out = run("remove", "nothing.md")
    assert out.returncode == 1 and out.stderr.startswith("error: no document named 'nothing.md'"), out.stderr
    assert len(out.stderr.splitlines()) == 1
    out = subprocess.run([*rag, "documents", "--collection", "Bad"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1 and out.stderr.startswith("error: collection name 'Bad'"), out.stderr


def test_a_chunked_body_is_refused_before_it_is_read(server):
    def chunks():
        yield b'{"question": "'
        yield b"x" * 1000
        yield b'"}'

    with httpx.Client(base_url=server[1], timeout=60) as anonymous:  # no credentials either
        reply = anonymous.post("api/v1/retrieve", content=chunks(), headers={"content-type": "application/json"})
    assert reply.status_code == 411 and "Content-Length" in reply.json()["error"]


def test_a_document_in_a_subfolder_is_removed_by_its_path(server, api):
    base, _ = server
    sub = base / "collections" / "robots" / "corpus" / "sub"
    sub.mkdir(exist_ok=True)
    (sub / "extra.md").write_text("# 附加\n\n附加车间有十二台机器人。\n", "utf-8")
    reply = api.delete("api/v1/collections/robots/documents/sub/extra.md")
    assert reply.status_code == 200, reply.text
    assert reply.json()["name"] == "sub/extra.md" and not (sub / "extra.md").exists()
