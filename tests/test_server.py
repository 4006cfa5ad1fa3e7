"""The real `rag serve` under hostile or careless clients: what they post costs them, not the server."""

import json
import urllib.request

import pytest

from tests.helpers.server import article_corpus, start_server, stop_server

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The chat over a copy of the article, without a login: (its folder, its process, its URL)."""
    base = article_corpus(tmp_path_factory.mktemp("server"))
    proc, url = start_server(base)
    yield base, proc, url
    stop_server(proc)


def _call(url: str, api: str, data: list) -> str:
    """Call an endpoint over Gradio's plain HTTP API (as any script could); the event stream it answers."""
    request = urllib.request.Request(f"{url}gradio_api/call/{api}", data=json.dumps({"data": data}).encode(),
                                     headers={"content-type": "application/json"})
    event = json.loads(urllib.request.urlopen(request, timeout=60).read())["event_id"]
    return urllib.request.urlopen(f"{url}gradio_api/call/{api}/{event}", timeout=120).read().decode()


def test_a_posted_junk_history_is_not_read(server):
    """The conversation is kept on the server: a client posting 20,000 junk messages as the chat's
    history neither floods the log (it made one validation error per message) nor changes the answer."""
    from gradio_client import Client

    base, _, url = server
    log = base / "server.log"
    before = log.stat().st_size
    junk = [{"role": "user", "content": "x"}] * 10_000 + ["junk"] * 10_000
    _call(url, "ask", ["What did Sun Huaqin propose for SMEs?", junk, 1])
    assert log.stat().st_size - before < 20_000  # it was 20,002 validation errors, 3.7 MB
    client = Client(url, verbose=False)
    messages = client.predict("What did Sun Huaqin propose for SMEs?", 1, api_name="/ask")[0]
    assert len(messages) == 2 and "孙华芹" in str(messages[-1]["content"])
    messages = client.predict("她建议了什么？", 1, api_name="/ask")[0]  # the session's own history is kept
    assert len(messages) == 4 and "understood as" in str(messages[-1]["content"])
