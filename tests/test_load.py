"""The real server under load: 20 concurrent clients x 20 questions, then a soak to 1,000 questions."""

import json
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from rag.evaluate import read_questions
from tests.conftest import DEV_QUESTIONS, ROOT
from tests.helpers.server import article_corpus, start_server, stop_server
from ui.app import as_text

pytestmark = [pytest.mark.slow, pytest.mark.model]

CLIENTS, PER_CLIENT, TOTAL = 20, 20, 1000
# Written where `make bench` (RAG_LOAD_RESULTS=bench/load_results.json) asks; elsewhere an untracked file.
RESULTS = Path(os.environ.get("RAG_LOAD_RESULTS") or ROOT / "tests" / "artifacts" / "load_results.json")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = article_corpus(tmp_path_factory.mktemp("load"))
    proc, url = start_server(base)
    yield proc, url
    stop_server(proc)


def ask(client, question):
    history, _ = client.predict(question, 3, api_name="/ask")
    user, reply = history[-2], history[-1]
    return _text(user), _text(reply)


def _text(message):
    content = message["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def test_concurrent_clients_get_their_own_answers(server):
    from gradio_client import Client

    proc, url = server
    questions = [q["q"] for q in read_questions(DEV_QUESTIONS)]
    expected = {}
    probe = Client(url, verbose=False)
    for q in questions:  # each question's answer, asked alone
        expected[q] = ask(probe, q)[1]
    rss_start = psutil.Process(proc.pid).memory_info().rss >> 20

    latencies, errors, mixed = [], [], []
    lock = threading.Lock()

    def client_run(c, count):
        client = Client(url, verbose=False)
        for i in range(count):
            q = questions[(c * 7 + i) % len(questions)]
            t0 = time.perf_counter()
            try:
                user, reply = ask(client, q)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)
                if user != as_text(q) or reply != expected[q]:
                    mixed.append((q, user, reply, expected[q]))

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda c: client_run(c, PER_CLIENT), range(CLIENTS)))
    elapsed = time.perf_counter() - start
    burst = len(latencies)
    # soak: keep going to 1,000 questions in all, watching the server's memory
    soak = TOTAL - CLIENTS * PER_CLIENT - len(questions)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda c: client_run(c, soak // 4), range(4)))
    rss_end = psutil.Process(proc.pid).memory_info().rss >> 20

    p50, p95 = statistics.median(latencies), sorted(latencies)[int(0.95 * (len(latencies) - 1))]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "clients": CLIENTS, "per_client": PER_CLIENT, "soak": soak, "errors": len(errors), "mixed": len(mixed),
        "p50": p50, "p95": p95, "throughput": burst / elapsed, "rss_start_mb": rss_start, "rss_end_mb": rss_end,
        "date": time.strftime("%Y-%m-%d")}, indent=2))
    assert errors == [] and mixed == [], mixed[:1]
    assert len(latencies) == CLIENTS * PER_CLIENT + 4 * (soak // 4)
    assert rss_end - rss_start < 150, (rss_start, rss_end)
