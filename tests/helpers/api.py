"""Clients of the real server's HTTP API, for the API's tests on both stores."""

import threading

import httpx

FACTORY = "代号K9的智能工厂今年部署了731台喷涂机器人。"
QUESTION = "代号K9的智能工厂部署了多少台喷涂机器人？"


def asking(url: str, headers: dict, questions: list[str], stop: threading.Event, failures: list, answers: list):
    """Ask ``questions`` in turn over /api/v1/ask until ``stop``; every failed request goes to ``failures``."""
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        while not stop.is_set():
            for question in questions:
                try:
                    response = client.post("api/v1/ask", json={"question": question, "k": 3})
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if response.status_code != 200:
                    failures.append((response.status_code, response.text[:300]))
                else:
                    answers.append(response.json())


def removal_while_asking(url: str, headers: dict | None = None, clients: int = 2) -> None:
    """Add a document through the API, then remove it while clients keep asking: no question fails,
    and once the removal has returned no answer cites it."""
    headers = headers or {}
    with httpx.Client(base_url=url, headers=headers, timeout=600) as api:
        added = api.post("api/v1/documents", json={"title": "K9工厂", "text": FACTORY})
        assert added.status_code == 201, added.text
        name = added.json()["name"]
        top = api.post("api/v1/ask", json={"question": QUESTION, "k": 1}).json()["hits"][0]
        assert top["doc"] == name and "731台" in top["text"]
        stop, failures, answers = threading.Event(), [], []
        threads = [threading.Thread(target=asking, args=(url, headers, [QUESTION, "孙华芹提出了什么建议？"], stop,
                                                         failures, answers)) for _ in range(clients)]
        for thread in threads:
            thread.start()
        try:
            removed = api.delete(f"api/v1/documents/{name}")
            assert removed.status_code == 200, removed.text
            assert removed.json()["action"] == "removed"
            for _ in range(3):  # after the removal returned, never cited again
                hits = api.post("api/v1/ask", json={"question": QUESTION, "k": 10}).json()["hits"]
                assert name not in {h["doc"] for h in hits}
            listed = api.get("api/v1/documents").json()["documents"]
            assert name not in {d["name"] for d in listed}
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=300)
    assert not failures, failures[:3]
    assert answers  # the clients did ask meanwhile
