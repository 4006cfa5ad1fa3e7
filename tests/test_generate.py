"""The generated answer (rag/generate.py): the prompt, the markers kept sentence by sentence, and the
protocol against a real llama.cpp server (llama-cpp-python's) over a tiny model the test writes:
streaming, markers, time-outs and fall-backs."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from rag.answer import Answer
from rag.chunk import Passage
from rag.config import Settings
from rag.errors import RagError
from rag.generate import (
    NOT_SAID,
    CitedStream,
    GenerationFailed,
    Generator,
    answerer,
    chat_url,
    cite_sentence,
    generate,
    keep_cited,
    messages,
    split_sentences,
)
from rag.retriever import Hit
from tests.helpers.llm import SCRIPT, LlamaServer, server_python, write_model
from tests.helpers.server import free_port

PASSAGES = ["孙华芹建议政府出台更加普惠的支持政策，帮助中小企业用好人工智能。",
            "宁波某工厂部署了1200台协作机器人。",
            "这一段没有被引用，模型不应看到它。"]


def _answer(lang: str = "en", answered: bool = True, quoted: int = 2, question: str = "What did Sun propose?"
            ) -> Answer:
    """An answer over PASSAGES: the first ``quoted`` hits are cited (close scores), the last is not."""
    hits = []
    for rank, text in enumerate(PASSAGES, 1):
        passage = Passage(f"p{rank}", "ai.md", "人工智能+制造", "", rank - 1, 0, len(text), text)
        score = 5.0 - 0.1 * (rank - 1) if rank <= quoted else 1.0
        hits.append(Hit(passage, rank, score, 0.9, 1.0, ((0, len(text)),)))
    return Answer(question, lang, hits, 0.9 if answered else 0.01, answered)


# --- the prompt and the markers, without a model ---------------------------------------------------------------

def test_the_model_sees_only_the_cited_passages_numbered_as_shown():
    chat = messages(_answer())
    prompt = chat[-1]["content"]
    assert f"[1] 人工智能+制造\n{PASSAGES[0]}" in prompt and f"[2] 人工智能+制造\n{PASSAGES[1]}" in prompt
    assert PASSAGES[2] not in prompt and "[3]" not in prompt  # shown under the answer, but not cited
    assert prompt.endswith("Question: What did Sun propose?")
    assert chat[0]["role"] == "system" and "Answer in English" in chat[0]["content"]
    assert "[1]" in chat[0]["content"]  # every sentence is to end with its passage's number


def test_the_model_is_told_to_answer_in_the_questions_language():
    chat = messages(_answer(lang="zh", quoted=1, question="孙华芹建议了什么？"))
    assert "用中文回答" in chat[0]["content"] and chat[-1]["content"].endswith("问题: 孙华芹建议了什么？")
    assert PASSAGES[1] not in chat[-1]["content"]
    # a question in another language is ranked as English ones are, but answered in its own language
    chat = messages(_answer(question="Was schlug Sun Huaqin für kleine Unternehmen vor?"))
    assert "Answer in the language the question is asked in (ISO 639-1 code de)" in chat[0]["content"]


@pytest.mark.parametrize("sentence, kept", [
    ("Sun proposed support [1].", "Sun proposed support [1]."),
    ("The factory has 1200 robots [2].", "The factory has 1200 robots [2]."),
    ("Both agree [1][9].", "Both agree [1]."),        # the marker pointing nowhere goes, the sentence stays
    ("Both agree [9][2].", "Both agree [2]."),
    ("Both agree [1, 9].", "Both agree [1]."),
    ("Both agree [1] [1].", "Both agree [1]."),
    ("孙华芹建议出台普惠政策【1】。", "孙华芹建议出台普惠政策[1]。"),
    ("孙华芹建议出台普惠政策[1、2]。", "孙华芹建议出台普惠政策[1][2]。"),
    ("It grew tenfold [7].", None),                   # cites only a passage that is not cited: a claim unbacked
    ("It grew tenfold [3].", None),                   # passage 3 is shown, but the model never saw it
    ("A claim with no source.", None),
    ("[2] The factory has robots.", "[2] The factory has robots."),
])
def test_markers_pointing_at_no_cited_passage_are_dropped_sentence_by_sentence(sentence, kept):
    assert cite_sentence(sentence, {1, 2}) == kept


def test_a_text_is_cut_into_sentences_with_the_markers_after_their_end():
    assert split_sentences("甲建议政策。[1]乙部署机器人[2]。没有来源。") == [
        "甲建议政策。[1]", "乙部署机器人[2]。", "没有来源。"]
    assert split_sentences("It is 3.5 times [1]. Next [2].\n- a list item [1]\n") == [
        "It is 3.5 times [1].", " Next [2].\n", "- a list item [1]\n"]
    assert keep_cited("Sun proposed it [1]. Nobody said this [4]. Robots came [2] [5].", {1, 2}) == (
        "Sun proposed it [1]. Robots came [2].")


def test_a_streamed_sentence_waits_for_what_may_still_belong_to_it():
    stream = CitedStream({1})
    assert stream.feed("Sun said so.") == []          # a marker may follow
    assert stream.feed(" [") == []
    assert stream.feed("1]") == []
    assert stream.feed(" It is 3.") == ["Sun said so. [1]"]   # "3." may be "3.5"
    assert stream.feed("5 times [1]. Unbacked.") == [" It is 3.5 times [1]."]
    assert stream.close() == []                        # the last sentence cites nothing


def test_any_cut_of_the_stream_keeps_what_the_whole_text_keeps():
    text = "孙华芹建议出台政策[1]。工厂部署了机器人【2】。\n它增长了[7]。Both agree [1][9]. Done [2]."
    whole = keep_cited(text, {1, 2})
    for size in (1, 2, 3, 5, 8, len(text)):
        stream = CitedStream({1, 2})
        pieces = [out for i in range(0, len(text), size) for out in stream.feed(text[i:i + size])]
        assert "".join(pieces + stream.close()).strip() == whole


def test_endpoint_addresses_and_mistakes():
    assert chat_url("http://127.0.0.1:11434") == "http://127.0.0.1:11434/v1/chat/completions"
    assert chat_url("http://h:8000/v1/") == "http://h:8000/v1/chat/completions"
    assert chat_url("https://api.example/v1/chat/completions") == "https://api.example/v1/chat/completions"
    for wrong in ("localhost:11434", "ftp://h/v1", ""):
        with pytest.raises(RagError, match="not an http"):
            chat_url(wrong)
    with pytest.raises(RagError, match="positive number of seconds"):
        Settings.from_env(llm_timeout="soon")


def test_nothing_changes_without_an_endpoint(monkeypatch):
    for name in ("RAG_LLM_URL", "RAG_LLM_MODEL", "RAG_LLM_TIMEOUT", "RAG_LLM_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.llm_url == "" and answerer(settings) is None  # the front ends show the extractive reply
    monkeypatch.setenv("RAG_LLM_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("RAG_LLM_TIMEOUT", "2.5")
    assert isinstance(answerer(Settings.from_env()), Generator) and Settings.from_env().llm_timeout == 2.5


def test_an_endpoint_that_sends_what_is_not_openais_form_falls_back_in_one_line():
    generator = Generator(Settings(llm_url="http://127.0.0.1:1"))
    for data, why in [(b"<html>", "not JSON"), (b'{"text": "hi"}', "not OpenAI"),
                      (b'{"error": {"message": "model not loaded"}}', "model not loaded")]:
        with pytest.raises(GenerationFailed, match=why) as failed:
            generator._content(data, "delta")
        assert "\n" not in str(failed.value)


# --- against a real llama.cpp server -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    base = tmp_path_factory.mktemp("llama")
    server = LlamaServer(server_python(), write_model(base / "scripted.gguf"), base / "server.log")
    yield server
    server.stop()


def _settings(llama: LlamaServer, **more) -> Settings:
    return Settings(**{"llm_url": llama.url, "llm_timeout": 30.0, **more})


@pytest.mark.slow
def test_the_real_server_streams_the_answer_in_several_pieces(llama):
    pieces = list(Generator(_settings(llama)).stream(messages(_answer())))
    assert len(pieces) >= len(SCRIPT) - 1  # a token at a time, not one block
    assert "".join(pieces).strip() == "".join(SCRIPT).replace("▁", " ").strip()


@pytest.mark.slow
def test_markers_pointing_nowhere_are_dropped_from_the_real_stream(llama):
    sentences = list(generate(_answer(quoted=2), _settings(llama)))
    assert len(sentences) == 3  # each sentence as soon as it is complete
    assert "".join(sentences) == "Passage one says so [1]. Both agree [1]. The second adds more [2]."
    # with passage 2 not cited, what cites only it goes as well
    assert "".join(generate(_answer(quoted=1), _settings(llama))) == "Passage one says so [1]. Both agree [1]."


@pytest.mark.slow
def test_a_question_the_text_does_not_answer_never_reaches_the_model(llama):
    before = llama.completions()
    assert list(generate(_answer(answered=False), _settings(llama))) == [NOT_SAID["en"]]
    assert list(generate(_answer(lang="zh", answered=False), _settings(llama))) == [NOT_SAID["zh"]]
    list(generate(_answer(), _settings(llama)))  # (the count is read from the server's own log)
    time.sleep(0.5)
    assert llama.completions() == before + 1


@pytest.mark.slow
def test_a_server_that_writes_nothing_in_time_falls_back_in_one_line(llama):
    os.kill(llama.proc.pid, signal.SIGSTOP)  # the real server, frozen: it accepts, and answers nothing
    try:
        started = time.monotonic()
        with pytest.raises(GenerationFailed, match="wrote nothing within 1 s") as failed:
            list(generate(_answer(), _settings(llama, llm_timeout=1.0)))
        assert time.monotonic() - started < 5
    finally:
        os.kill(llama.proc.pid, signal.SIGCONT)
    assert "\n" not in str(failed.value) and llama.url in str(failed.value)
    assert "".join(generate(_answer(), _settings(llama))).startswith("Passage one")  # and it is back


@pytest.mark.slow
def test_a_server_that_stops_writing_falls_back_in_one_line(tmp_path):
    """Frozen mid-answer: a model that writes until its token limit, stopped after its first piece."""
    server = LlamaServer(server_python(), write_model(tmp_path / "endless.gguf", endless=True), tmp_path / "log")
    try:
        pieces = Generator(Settings(llm_url=server.url, llm_timeout=1.0)).stream(messages(_answer()))
        assert next(pieces) == SCRIPT[0].replace("▁", " ")
        os.kill(server.proc.pid, signal.SIGSTOP)
        try:
            with pytest.raises(GenerationFailed, match="stopped writing for more than 1 s") as failed:
                for _ in pieces:  # what it had sent before it froze, then nothing
                    pass
        finally:
            os.kill(server.proc.pid, signal.SIGCONT)
        assert "\n" not in str(failed.value)
    finally:
        server.stop()


@pytest.mark.slow
def test_an_unreachable_or_failing_endpoint_falls_back_in_one_line(llama):
    nobody = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(GenerationFailed, match="could not be reached") as failed:
        list(generate(_answer(), Settings(llm_url=nobody, llm_model="any", llm_timeout=5.0)))
    assert time.monotonic() - started < 5 and "\n" not in str(failed.value)
    with pytest.raises(GenerationFailed, match="answered HTTP 404") as failed:  # a wrong path on the real server
        list(generate(_answer(), _settings(llama, llm_url=llama.url + "/wrong/path")))
    assert "\n" not in str(failed.value)


# --- the front ends, with the real model over the article and the real llama.cpp server -----------------------

SUN = "What did Sun Huaqin propose for SMEs?"
NOWHERE = "What is the capital of France?"


def _cli(real_settings, capsys, *args):
    from rag.cli import main

    code = main([*args, "--corpus", str(real_settings.corpus_dir), "--index", str(real_settings.index_dir)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
@pytest.mark.model
def test_rag_ask_prints_the_generated_answer_above_the_cited_passages(llama, real_settings, capsys):
    code, out, err = _cli(real_settings, capsys, "ask", SUN, "-k", "3", "--llm", llama.url)
    assert code == 0 and "Traceback" not in err
    assert out.startswith("Passage one says so [1]. Both agree [1].")  # streamed, markers kept only if cited
    assert out.index("Both agree [1].") < out.index("confidence") < out.index("[1] ") < out.index("[3] ")
    code, out, _ = _cli(real_settings, capsys, "ask", SUN, "-k", "3", "--llm", llama.url, "--json")
    data = json.loads(out)
    assert data["generated"].startswith("Passage one says so [1].") and data["fallback"] is None


@pytest.mark.slow
@pytest.mark.model
def test_rag_ask_falls_back_to_the_quotes_with_one_line(llama, real_settings, capsys):
    nobody = f"http://127.0.0.1:{free_port()}"
    code, out, err = _cli(real_settings, capsys, "ask", SUN, "-k", "2", "--llm", nobody, "--llm-model", "m")
    assert code == 0 and "Traceback" not in err
    first = out.splitlines()[0]
    assert first.startswith(f"no generated answer: the model at {nobody}/v1/chat/completions could not be reached")
    assert "evidence:" in out and "孙华芹" in out  # the extractive reply, as without a model
    before = llama.completions()
    code, out, _ = _cli(real_settings, capsys, "ask", NOWHERE, "--llm", llama.url)
    assert code == 0 and out.startswith("The text does not say") and "Passage one" not in out
    assert llama.completions() == before  # the model was never asked
    code, _, err = _cli(real_settings, capsys, "ask", SUN, "--llm", "localhost:11434")
    assert code == 1 and err.startswith("error: the model endpoint 'localhost:11434' is not an http") \
        and len(err.strip().splitlines()) == 1
    code, _, err = _cli(real_settings, capsys, "ask", SUN, "--llm", llama.url, "--llm-timeout", "soon")
    assert code == 1 and "positive number of seconds" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.model
def test_without_an_endpoint_rag_ask_is_unchanged(real_settings, capsys, monkeypatch):
    monkeypatch.delenv("RAG_LLM_URL", raising=False)
    code, out, _ = _cli(real_settings, capsys, "ask", SUN, "-k", "2", "--json")
    assert code == 0 and "generated" not in json.loads(out)
    code, out, _ = _cli(real_settings, capsys, "ask", SUN, "-k", "2")
    assert out.startswith("confidence ")


@pytest.mark.slow
@pytest.mark.model
def test_the_chat_streams_the_generated_answer_above_the_evidence(llama, real_retriever):
    from ui.app import respond, respond_stream

    writer = Generator(_settings(llama))
    replies = [messages[-1]["content"] for messages, _ in respond_stream(real_retriever, SUN, [], 3, [], writer)]
    assert len(replies) >= 4  # the quotes at once, then the answer sentence by sentence
    final = replies[-1]
    assert final.startswith("<p class='generated'>Passage one says so <span class='cite'>[1]</span>")
    assert final.index("generated") < final.index("class='evidence'") < final.index("class='passage'")
    assert final.endswith(respond(real_retriever, SUN, [], 3)[0][-1]["content"])  # the extractive reply, whole
    assert "class='evidence'" in replies[0] and "generated" in replies[0]  # the evidence while it writes

    nobody = Generator(Settings(llm_url=f"http://127.0.0.1:{free_port()}", llm_model="m"))
    final = list(respond_stream(real_retriever, SUN, [], 3, [], nobody))[-1][0][-1]["content"]
    assert final.startswith("<p class='lowconf'>⚠️ no generated answer") and "class='evidence'" in final
    before = llama.completions()
    steps = list(respond_stream(real_retriever, NOWHERE, [], 3, [], writer))
    assert len(steps) == 1 and "generated" not in steps[0][0][-1]["content"] and llama.completions() == before


@pytest.mark.slow
@pytest.mark.model
def test_rag_serve_streams_the_generated_answer_with_rag_llm_url(llama, tmp_path):
    from gradio_client import Client

    from tests.helpers.server import article_corpus, start_server, stop_server

    proc, url = start_server(article_corpus(tmp_path), env={"RAG_LLM_URL": llama.url})
    try:
        assert f"generated answers by the model at {llama.url}" in (tmp_path / "server.log").read_text()
        job = Client(url, verbose=False).submit(SUN, 3, api_name="/ask")
        final = str(job.result(timeout=300)[0][-1]["content"])
        assert len(job.outputs()) >= 3  # the page got the reply in steps
        assert "Passage one says so" in final and "孙华芹" in final
    finally:
        stop_server(proc)
