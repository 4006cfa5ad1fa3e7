"""A generated answer, written by a language model behind any OpenAI-compatible endpoint (Ollama,
vLLM, llama.cpp's server, hosted APIs), from the cited passages only.

An answerer takes the ``Answer`` that ``rag.answer.answer`` returns and writes its text; the
extractive reply (the quoted evidence and the cited passages) is what every front end shows
anyway. ``Generator`` is the answerer that asks a model:

- the model sees only the passages the answer cites (``Answer.quoted``), numbered by their rank,
  the numbers the front ends show beside them, and is told to answer in the question's language
  and to end every sentence with the [n] of the passage it comes from;
- what it writes is kept sentence by sentence: a marker pointing at no cited passage is dropped,
  and so is a sentence left without a marker (a claim the passages do not back);
- a question the text does not answer never reaches the model: the reply says so;
- a slow, failing or unreachable endpoint raises ``GenerationFailed``, whose message is the one
  line a front end shows above the extractive reply.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol

import httpx

from .chunk import SENTENCE_END
from .config import Settings
from .errors import RagError
from .language import detect

if TYPE_CHECKING:
    from .answer import Answer

# Enough for a few cited sentences; it also bounds how long a model that rambles is read.
MAX_TOKENS = 512
# Low, so that the model stays close to the passages' words, but not 0: some small models loop greedily.
TEMPERATURE = 0.2
# A reason is one line on a screen.
MAX_REASON_CHARS = 200

NOT_SAID = {"en": "The text does not say.", "zh": "原文没有提到。"}

SYSTEM = {
    "en": ("You answer a question from numbered passages of a text, and from nothing else. Answer in {language}, "
           "in a few sentences. End every sentence with the number of the passage it comes from in square "
           "brackets, like [1], or [1][2] when it comes from two; use only the numbers of the passages given. "
           "Do not add anything the passages do not say."),
    "zh": ("你只根据给出的带编号的原文段落回答问题，不使用任何其他知识。用中文回答，写几句话即可。"
           "每句话的句末都用方括号标出它所依据的段落编号，例如[1]；依据两段时写[1][2]。只能使用给出的段落编号。"
           "不要添加段落中没有的内容。"),
}
LABELS = {"en": ("Passages", "Question"), "zh": ("段落", "问题")}

# Citation markers as models write them: [1], [1][2], [1] [2], [1, 2], 【1】, [1、2]; a run of them is one.
_ONE_MARKER = r"[\[【]\s*\d{1,3}(?:\s*[,，、]\s*\d{1,3})*\s*[\]】]"
MARKER = re.compile(rf"([ \t]*)({_ONE_MARKER}(?:[ \t]*{_ONE_MARKER})*)")
# Where a sentence ends: the package's one sentence end, or a line break (a list item, a paragraph).
SENTENCE_BREAK = re.compile(rf"{SENTENCE_END.pattern}|\n+")
# What may still become a marker at the end of a stream's text: "[", "[1", "[1,".
OPEN_MARKER = re.compile(r"\s*[\[【][\d\s,，、]*$")


class GenerationFailed(RagError):
    """The model gave no usable answer; the message is the one line a front end shows."""


class Answerer(Protocol):
    """Writes the text of an answer from its cited passages; the extractive reply stays under it."""

    def write(self, answer: Answer) -> Iterator[str]:
        """The text, piece by piece as it is written; raises GenerationFailed when there is none."""
        ...


def answerer(settings: Settings) -> Answerer | None:
    """The answerer the settings ask for: a Generator when an endpoint is set, else None (extractive only)."""
    return Generator(settings) if settings.llm_url else None


def generate(answer: Answer, settings: Settings) -> Iterator[str]:
    """The generated answer to ``answer``'s question, sentence by sentence as the model writes it."""
    return Generator(settings).write(answer)


def chat_url(url: str) -> str:
    """The chat completions address of an endpoint given as its host, its /v1 or the full address."""
    url = url.strip().rstrip("/")
    if not re.match(r"https?://[^/\s]+", url):
        raise RagError(f"the model endpoint {url[:80]!r} is not an http:// or https:// URL "
                       "(e.g. http://127.0.0.1:11434 for Ollama)")
    if url.endswith("/chat/completions"):
        return url
    return url + ("/chat/completions" if url.endswith("/v1") else "/v1/chat/completions")


def cited_passages(answer: Answer) -> dict[int, str]:
    """What the model may read: the cited passages by the number the front ends show (their rank)."""
    return {hit.rank: hit.text for hit in answer.quoted}


def messages(answer: Answer) -> list[dict[str, str]]:
    """The chat messages: what to do, in the question's language, then the cited passages and the question."""
    lang = answer.lang if answer.lang in SYSTEM else "en"
    passages_label, question_label = LABELS[lang]
    hits = "\n\n".join(f"[{hit.rank}] {' · '.join(p for p in (hit.title, hit.section) if p)}\n{hit.text}"
                       for hit in answer.quoted)
    question = answer.understood_as or answer.question
    system = SYSTEM[lang]
    if lang == "en":  # any question not in Chinese: English, or the language it is asked in
        code = detect(question)
        system = system.format(language="English" if code in ("en", "zh") else
                               f"the language the question is asked in (ISO 639-1 code {code})")
    return [{"role": "system", "content": system},
            {"role": "user", "content": f"{passages_label}:\n\n{hits}\n\n{question_label}: {question}"}]


def cite_sentence(sentence: str, cited: Iterable[int]) -> str | None:
    """One sentence with the markers that point at no cited passage taken out; None when none is left."""
    cited = set(cited)
    kept_any = False

    def keep(match: re.Match) -> str:
        nonlocal kept_any
        numbers = [int(n) for n in re.findall(r"\d+", match.group(2))]
        kept = [n for n in dict.fromkeys(numbers) if n in cited]
        kept_any = kept_any or bool(kept)
        # a marker kept keeps the space before it; one dropped takes its space along
        return match.group(1) + "".join(f"[{n}]" for n in kept) if kept else ""

    text = MARKER.sub(keep, sentence)
    return text if kept_any else None


def split_sentences(text: str) -> list[str]:
    """``text`` cut into sentences, each with the markers written just after its end (“…。[1]”)."""
    out, cursor = [], 0
    for end in _sentence_ends(text):
        out.append(text[cursor:end])
        cursor = end
    if text[cursor:].strip():
        out.append(text[cursor:])
    return out


def keep_cited(text: str, cited: Iterable[int]) -> str:
    """A whole generated text, kept sentence by sentence (cite_sentence)."""
    cited = set(cited)
    kept = [s for s in (cite_sentence(s, cited) for s in split_sentences(text)) if s is not None]
    return "".join(kept).strip()


def _sentence_ends(text: str) -> list[int]:
    """Where each sentence of ``text`` ends, the markers right after its end included."""
    ends, cursor = [], 0
    while (found := SENTENCE_BREAK.search(text, cursor)) is not None:
        end = found.end()
        while (marker := MARKER.match(text, end)) is not None:
            end = marker.end()
        while text[end:end + 1] == "\n":  # the line break after it keeps the text's layout
            end += 1
        ends.append(end)
        cursor = end
    return ends


class CitedStream:
    """Model text in, cited sentences out: a sentence is let through when the text after it shows it
    is over (more text, not a marker that may still belong to it), or when the stream ends."""

    def __init__(self, cited: Iterable[int]):
        self.cited = set(cited)
        self.pending = ""
        self.started = False

    def feed(self, delta: str) -> list[str]:
        text, taken, out = self.pending + delta, 0, []
        for end in _sentence_ends(text):
            rest = text[end:]
            # the end of a sentence is certain only once something that is not a marker follows it:
            # "3." may be "3.5", and "。" may be followed by a "[1]" still to come
            if not rest.strip() or OPEN_MARKER.fullmatch(rest):
                break
            out += self._kept(text[taken:end])
            taken = end
        self.pending = text[taken:]
        return out

    def close(self) -> list[str]:
        """The last sentence, when the stream has ended."""
        sentence, self.pending = self.pending, ""
        return self._kept(sentence) if sentence.strip() else []

    def _kept(self, sentence: str) -> list[str]:
        kept = cite_sentence(sentence, self.cited)
        if kept is None or not kept.strip():
            return []
        if not self.started:
            kept = kept.lstrip()
            self.started = True
        return [kept]


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_REASON_CHARS else line[: MAX_REASON_CHARS - 1] + "…"


def _error_of(body: bytes) -> str:
    """The message of an error response: OpenAI's {"error": {"message": …}}, FastAPI's {"detail": …}, or text."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data))
        if isinstance(error, dict):
            error = error.get("message", error)
        return error if isinstance(error, str) else json.dumps(error, ensure_ascii=False)
    return str(data)


class Generator:
    """The answerer that asks a model behind an OpenAI-compatible /v1/chat/completions endpoint."""

    def __init__(self, settings: Settings):
        if not settings.llm_url:
            raise RagError("no model endpoint: set RAG_LLM_URL or --llm URL")
        self.url = chat_url(settings.llm_url)
        self.model = settings.llm_model
        self.timeout = float(settings.llm_timeout)
        self.headers = {"Authorization": f"Bearer {settings.llm_key}"} if settings.llm_key else {}

    def write(self, answer: Answer) -> Iterator[str]:
        """The answer's text, sentence by sentence; a question the text does not answer never
        reaches the model."""
        cited = cited_passages(answer)
        if not answer.answered or not cited:
            yield NOT_SAID.get(answer.lang, NOT_SAID["en"])
            return
        stream = CitedStream(cited)
        wrote = False
        for delta in self.stream(messages(answer)):
            for sentence in stream.feed(delta):
                wrote = True
                yield sentence
        for sentence in stream.close():
            wrote = True
            yield sentence
        if not wrote:
            raise self._failed("wrote no sentence that cites a passage")

    def stream(self, chat: list[dict[str, str]]) -> Iterator[str]:
        """The model's text as the endpoint streams it (server-sent events), piece by piece."""
        body = {"model": self.model or self._first_model(), "messages": chat, "stream": True,
                "max_tokens": MAX_TOKENS, "temperature": TEMPERATURE}
        started = time.monotonic()
        last = None  # when the last piece of text came: pings and empty pieces do not count
        try:
            with httpx.Client(timeout=self.timeout, headers=self.headers) as client, \
                    client.stream("POST", self.url, json=body) as response:
                if response.status_code >= 400:
                    raise self._failed(f"answered HTTP {response.status_code}: "
                                       f"{_error_of(response.read()[:2000])}")
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    # an endpoint that ignores "stream" sends the whole answer at once
                    yield self._content(response.read(), "message")
                    return
                for line in response.iter_lines():
                    now = time.monotonic()
                    if now - (last or started) > self.timeout:  # kept alive by pings, but writing nothing
                        raise self._slow(last is not None)
                    if not line.startswith("data:"):
                        continue  # blank lines, ": ping" comments, "event:" names
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    piece = self._content(data.encode(), "delta")
                    if piece:
                        last = now
                        yield piece
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise self._failed(f"did not accept a connection within {self.timeout:g} s") from None
            raise self._slow(last is not None) from None
        except httpx.HTTPError as exc:
            raise self._failed(f"could not be reached ({_one_line(str(exc)) or type(exc).__name__})") from None

    def _content(self, data: bytes, kind: str) -> str:
        """The text in one streamed event (kind "delta") or a whole response ("message")."""
        try:
            event = json.loads(data)
        except ValueError:
            raise self._failed(f"sent something that is not JSON: {data[:80].decode('utf-8', 'replace')}") from None
        if isinstance(event, dict) and "error" in event:
            raise self._failed(f"reported an error: {_error_of(data)}")
        try:
            choices = event["choices"]
            if not choices:  # a usage-only event
                return ""
            content = choices[0][kind].get("content") or ""
        except (KeyError, IndexError, TypeError, AttributeError):
            raise self._failed("answered in a form that is not OpenAI's chat completions") from None
        if not isinstance(content, str):
            raise self._failed("answered in a form that is not OpenAI's chat completions")
        return content

    def _first_model(self) -> str:
        """The endpoint's first model, when none is named (llama.cpp's server has one; Ollama needs a name)."""
        models = self.url.rsplit("/chat/completions", 1)[0] + "/models"
        try:
            response = httpx.get(models, timeout=self.timeout, headers=self.headers)
        except httpx.TimeoutException:
            raise self._slow(False) from None
        except httpx.HTTPError as exc:
            raise self._failed(f"could not be reached ({_one_line(str(exc)) or type(exc).__name__})") from None
        if response.status_code >= 400:
            raise self._failed(f"answered HTTP {response.status_code}: {_error_of(response.content[:2000])}")
        try:
            return str(response.json()["data"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise self._failed("lists no model: name one with --llm-model or RAG_LLM_MODEL") from None

    def _slow(self, wrote: bool) -> GenerationFailed:
        if wrote:
            return self._failed(f"stopped writing for more than {self.timeout:g} s")
        return self._failed(f"wrote nothing within {self.timeout:g} s")

    def _failed(self, why: str) -> GenerationFailed:
        return GenerationFailed(_one_line(f"no generated answer: the model at {self.url} {why}"))
