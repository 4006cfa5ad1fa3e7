"""The HTTP JSON API, served by `rag serve` beside the chat on the same port: ``/api/v1/…``.

Described by OpenAPI (``/api/v1/openapi.json``, browsable at ``/api/v1/docs``). Every collection
has its routes under ``/api/v1/collections/{collection}/``; the first one served has them at
``/api/v1/`` too. Access: with a login (``--auth-file``) or API keys (``--api-key-file``), every
route asks for one of them (HTTP Basic with the login, or ``Authorization: Bearer KEY``), and a
failed attempt waits as a failed login of the chat does (one ``SlowLogin`` for both). Every error
is ``{"error": "…", "status": N}`` with that HTTP status, never a traceback.
"""


import asyncio
import base64
import binascii
import hmac
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi import Path as PathParameter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from rag.answer import answer
from rag.checks import earlier_questions
from rag.config import COLLECTION_NAME
from rag.corpus import MAX_UPLOAD_BYTES
from rag.documents import BuildBoard, Documents
from rag.errors import CorpusError, DocumentNotFound, QuestionError, RagError
from rag.followup import MAX_HISTORY
from rag.retriever import MAX_QUESTION_CHARS, Retriever

logger = logging.getLogger(__name__)
PREFIX = "/api/v1"
MAX_K = 10  # passages a question may ask for: as the chat's slider
# A question longer than MAX_QUESTION_CHARS is cut (with a note) as the chat's box does; one past
# this is refused before it is read.
MAX_QUESTION_BODY = MAX_QUESTION_CHARS * 20
MAX_HISTORY_ITEMS = 100  # earlier questions a request may hold (only the last MAX_HISTORY are read)
# A request's body: the 10 MB document and its form's own bytes.
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + (64 << 10)
ANSWERING = 4  # questions answered at once, as the chat's queue


# -- what goes over the wire -------------------------------------------------------------------------
Question = Annotated[str, StringConstraints(max_length=MAX_QUESTION_BODY)]


class AskRequest(BaseModel):
    question: Question = Field(description=f"in any language (Chinese and English read best); cut to "
                                           f"{MAX_QUESTION_CHARS} characters (with a note)",
                               examples=["What did Sun Huaqin propose for SMEs?"])
    k: int = Field(5, ge=1, le=MAX_K, description="passages to return")
    history: list[Question] = Field(default_factory=list, max_length=MAX_HISTORY_ITEMS,
                                    description=f"the conversation's earlier questions, oldest first (the last "
                                                f"{MAX_HISTORY} are read): a follow-up is understood from them")


class RetrieveRequest(BaseModel):
    question: Question = Field(examples=["孙华芹提出了什么建议？"])
    k: int = Field(5, ge=1, le=MAX_K)


class Hit(BaseModel):
    """A cited passage: ``text`` is the document's text from ``start`` to ``end`` (character offsets)."""

    rank: int
    score: float
    doc: str
    title: str
    section: str
    position: int = Field(description="the passage's number in its document, from 0")
    start: int
    end: int
    text: str
    evidence: str = Field(description="the sentence(s) that answer, within the passage")
    evidence_start: int
    evidence_end: int
    evidence_spans: list[list[int]]
    id: str


class AnswerModel(BaseModel):
    """What `rag ask --json` prints."""

    question: str
    lang: str
    answered: bool = Field(description="false: the text does not say; the hits are then the closest passages")
    confidence: float = Field(description="the probability that the corpus answers the question (0-1)")
    understood_as: str | None = Field(description="a follow-up as completed from the history")
    notes: list[str]
    hits: list[Hit]


class Hits(BaseModel):
    question: str
    hits: list[Hit]


class DocumentModel(BaseModel):
    name: str
    title: str
    passages: int


class DocumentList(BaseModel):
    collection: str
    documents: list[DocumentModel]


class TextDocument(BaseModel):
    title: str = Field(max_length=1000)
    text: str = Field(max_length=MAX_UPLOAD_BYTES)


class ChangeModel(BaseModel):
    """A change made live: the document's name, what was done, and the new build's size."""

    name: str
    action: str = Field(description="added, replaced or removed")
    passages: int
    documents: int
    seconds: float


class BuildState(BaseModel):
    building: bool
    changes: list[str] = Field(description="the changes being built, oldest first")
    embedded: int = Field(description="texts embedded so far by the running build")
    to_embed: int


class CollectionList(BaseModel):
    default: str
    collections: list[str]


class ErrorModel(BaseModel):
    error: str
    status: int


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorModel, "description": what} for code, what in [
        (401, "no login or API key, or a wrong one"), (404, "no such collection or document"),
        (411, "no Content-Length"), (413, "the request is too large"), (415, "neither JSON nor a form"),
        (422, "the request is not acceptable: the message says why"),
        (503, "not possible now (the store is unreachable, a build failed): the message says why")]}


@dataclass
class Collection:
    """One corpus served: its retriever, and its build progress (shared with the chat)."""

    name: str
    retriever: Retriever
    board: BuildBoard

    @property
    def documents(self) -> Documents:
        return Documents.of(self.retriever, self.board)


# -- access ---------------------------------------------------------------------------------------------
class Access:
    """Who may call: the chat's login (HTTP Basic) or an API key (Bearer). ``slow`` is the chat's
    SlowLogin: a wrong password or key waits, and counts with the chat's failed logins."""

    def __init__(self, credentials: tuple[str, str] | None, keys: list[str], slow: Any):
        self.credentials, self.keys, self.slow = credentials, keys, slow

    @property
    def required(self) -> bool:
        return self.credentials is not None or bool(self.keys)

    async def check(self, request: Request) -> None:
        if not self.required:
            return
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer" and self.keys:
            if any(hmac.compare_digest(value.strip().encode(), key.encode()) for key in self.keys):
                return
            await self.slow.failed()
        elif scheme == "basic" and self.credentials is not None:
            try:
                user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", ""
            if await self.slow.check(user, password):
                return
        elif scheme:
            await self.slow.failed()
        kinds = " or ".join(k for k, on in [("the login (HTTP Basic)", self.credentials is not None),
                                             ("an API key (Authorization: Bearer KEY)", bool(self.keys))] if on)
        raise ApiError(401, f"wrong or missing credentials: send {kinds}",
                       {"WWW-Authenticate": 'Basic realm="rag", Bearer' if self.credentials else "Bearer"})


def read_api_keys(path: str | None) -> list[str]:
    """API keys from --api-key-file: one a line; blank lines and # comments are skipped."""
    if not path:
        return []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RagError(f"cannot read --api-key-file {path}: {exc.strerror}") from exc
    keys = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    if not keys or any(len(key) < 16 or " " in key for key in keys):
        raise RagError(f"--api-key-file {path}: write one key a line, each at least 16 characters without spaces")
    return keys


# -- errors as JSON ---------------------------------------------------------------------------------------
def _json_error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def status_of(exc: RagError) -> int:
    """The HTTP status of a library error: the client's mistake (4xx) or the server's state (503)."""
    if isinstance(exc, DocumentNotFound):
        return 404
    if isinstance(exc, QuestionError | CorpusError):
        return 422
    return 503  # no index yet, a build that failed, PostgreSQL unreachable: nothing the request can change


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)[:500]


def install_errors(app: FastAPI) -> None:
    """Every error of an API route as ``{"error", "status"}`` JSON."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _json_error(exc.status, exc.message, exc.headers)

    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError) -> JSONResponse:
        return _json_error(status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _json_error(422, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _json_error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
        return _json_error(500, f"something went wrong ({type(exc).__name__}); the server's log has the details")


# -- routes --------------------------------------------------------------------------------------------------
def build_api(app: FastAPI, collections: dict[str, Collection], access: Access, uploads: Path) -> None:
    """Add the API's routes to ``app`` (before the chat is mounted at ``/``, which takes the rest)."""
    answering = asyncio.Semaphore(ANSWERING)
    first = next(iter(collections))

    async def guard(request: Request) -> None:
        await access.check(request)

    async def named(collection: Annotated[str, PathParameter(description="the collection's name",
                                                             pattern=COLLECTION_NAME.pattern)]) -> Collection:
        if collection not in collections:
            raise ApiError(404, f"no collection {collection!r} on this server (there are: {', '.join(collections)})")
        return collections[collection]

    async def default() -> Collection:
        return collections[first]

    router = APIRouter(prefix=PREFIX, dependencies=[Depends(guard)], responses=ERRORS)

    @router.get("/collections", response_model=CollectionList, tags=["collections"])
    async def list_collections() -> dict:
        """The collections this server answers from; the default one also has its routes at /api/v1/."""
        return {"default": first, "collections": list(collections)}

    places: list[tuple[str, Callable[..., Any], str, str]] = [
        ("/collections/{collection}", named, "", "collection"), ("", default, "_default", "default collection")]
    for prefix, pick, suffix, tag in places:
        _collection_routes(router, prefix, pick, suffix, tag, answering, uploads)

    @router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    async def unknown(request: Request, rest: str) -> None:
        asked = {"type": "http", "path": request.url.path, "method": request.method, "root_path": ""}
        for route in router.routes:  # a path that exists, asked with another method
            if getattr(route, "endpoint", None) is not unknown and route.matches(asked)[0] == Match.PARTIAL:
                raise ApiError(405, f"{request.method} is not allowed on {request.url.path}: see {PREFIX}/docs")
        raise ApiError(404, f"no such endpoint: {request.method} {request.url.path}: see {PREFIX}/docs")

    app.include_router(router)


def _collection_routes(router: APIRouter, prefix: str, pick: Callable, suffix: str, tag: str,
                       answering: asyncio.Semaphore, uploads: Path) -> None:
    """The routes of one collection under ``prefix`` (its name in the path, or the default's)."""
    Picked = Annotated[Collection, Depends(pick)]

    @router.post(prefix + "/ask", response_model=AnswerModel, operation_id="ask" + suffix, tags=[tag])
    async def ask(body: AskRequest, c: Picked) -> dict:
        """Answer a question with cited passages, a confidence, and whether the text answers it at all
        (the same object as `rag ask --json`)."""
        history = earlier_questions(body.history)
        async with answering:
            result = await run_in_threadpool(answer, c.retriever, body.question, body.k, history)
        return result.to_dict()

    @router.post(prefix + "/retrieve", response_model=Hits, operation_id="retrieve" + suffix, tags=[tag])
    async def retrieve(body: RetrieveRequest, c: Picked) -> dict:
        """The passages that best answer a question, best first (no answer decision)."""
        async with answering:
            hits = await run_in_threadpool(c.retriever.search, body.question, body.k)
        return {"question": body.question, "hits": [h.to_dict() for h in hits]}

    @router.get(prefix + "/documents", response_model=DocumentList, operation_id="documents" + suffix, tags=[tag])
    async def documents(c: Picked) -> dict:
        """The documents questions are answered from (the live build), with their passage counts."""
        listed = await run_in_threadpool(c.retriever.documents)
        return {"collection": c.name, "documents": [{"name": d, "title": t, "passages": n} for d, t, n in listed]}

    @router.post(prefix + "/documents", response_model=ChangeModel, status_code=201, operation_id="add" + suffix,
                 tags=[tag], openapi_extra=_DOCUMENT_BODY)
    async def add(request: Request, c: Picked) -> dict:
        """Add a document: a file (multipart field ``file``) or text with a title (JSON, or the form's
        ``title`` and ``text``). Returns once it is answered from; the same text twice is refused."""
        return await _change(request, uploads, lambda source, name, title, text: c.documents.add(
            source, name=name, title=title, text=text).to_dict())

    @router.put(prefix + "/documents/{name:path}", response_model=ChangeModel, operation_id="replace" + suffix,
                tags=[tag], openapi_extra=_DOCUMENT_BODY)
    async def replace(request: Request, name: str, c: Picked) -> dict:
        """Replace a document by a file of its type, or (a .md document) by text; it keeps its name."""
        return await _change(request, uploads, lambda source, source_name, title, text: c.documents.replace(
            name, source, source_name=source_name, title=title, text=text).to_dict())

    @router.delete(prefix + "/documents/{name:path}", response_model=ChangeModel, operation_id="remove" + suffix,
                   tags=[tag])
    async def remove(name: str, c: Picked) -> dict:
        """Remove a document; returns once no answer cites it any more."""
        return (await run_in_threadpool(c.documents.remove, name)).to_dict()

    @router.get(prefix + "/build", response_model=BuildState, operation_id="build" + suffix, tags=[tag])
    async def build(c: Picked) -> dict:
        """This server's build of the collection, while it runs: the changes under way and the texts embedded."""
        return c.board.state()


_DOCUMENT_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary", "description": ".md, .txt, .html, .pdf or .docx, "
                                                                        f"at most {MAX_UPLOAD_BYTES >> 20} MB"},
        "title": {"type": "string"}, "text": {"type": "string"}}}},
    "application/json": {"schema": {"type": "object", "required": ["title", "text"], "properties": {
        "title": {"type": "string"}, "text": {"type": "string"}}}}}}}


async def _change(request: Request, uploads: Path, run: Callable[[Path | None, str | None, str, str], dict]) -> dict:
    """Read a document from the request (a file, or a title and text) and run the change in a thread."""
    length = request.headers.get("content-length")
    if length is None or not length.isdecimal():
        raise ApiError(411, "send the document with a Content-Length")
    if int(length) > MAX_BODY_BYTES:
        raise ApiError(413, f"the document is larger than {MAX_UPLOAD_BYTES >> 20} MB")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    folder = Path(tempfile.mkdtemp(prefix="api-", dir=uploads))  # (the server's upload folder, gone on exit)
    try:
        source, name, title, text = None, None, "", ""
        if kind == "application/json":
            try:
                body = TextDocument.model_validate_json(await request.body())
            except ValueError as exc:
                raise ApiError(422, f"send JSON {{\"title\": …, \"text\": …}} ({str(exc).splitlines()[0][:200]})"
                               ) from exc
            title, text = body.title, body.text
        elif kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_UPLOAD_BYTES)
            upload = form.get("file")
            if upload is not None and not isinstance(upload, str):
                name = Path(upload.filename or "document.txt").name
                source = folder / "upload"
                with open(source, "wb") as out:
                    shutil.copyfileobj(upload.file, out)
            title, text = str(form.get("title") or ""), str(form.get("text") or "")
        else:
            raise ApiError(415, "send the document as a form (multipart/form-data: file, or title and text) or "
                                "as JSON {\"title\": …, \"text\": …}")
        return await run_in_threadpool(run, source, name, title, text)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class BodyLimit:
    """Refuses an API request whose body says it is larger than MAX_BODY_BYTES, or does not say how
    large it is (a chunked body), before it is read: a route's model is checked only once the whole
    body is in memory."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
            length = dict(scope["headers"]).get(b"content-length")
            sends_body = scope["method"] in ("POST", "PUT", "PATCH")
            if length is None and sends_body:
                await _json_error(411, "send the request's Content-Length (a chunked body is not taken)")(
                    scope, receive, send)
                return
            if length is not None and not length.isdigit():
                await _json_error(400, "the request's Content-Length is not a number")(scope, receive, send)
                return
            if length is not None and int(length) > MAX_BODY_BYTES:
                await _json_error(413, f"the request is larger than {MAX_UPLOAD_BYTES >> 20} MB")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def make_app(collections: dict[str, Collection], access: Access, uploads: Path) -> FastAPI:
    """The server's FastAPI app with the API's routes; the chat is mounted on it afterwards."""
    app = FastAPI(title="Ask the text · 向原文提问", version="1",
                  description="Cited question answering over Chinese documents: ask, retrieve, and manage the "
                              "documents of each collection. Log in with HTTP Basic (the chat's login) or send "
                              "`Authorization: Bearer KEY` when the server requires it.",
                  docs_url=PREFIX + "/docs", redoc_url=None, openapi_url=PREFIX + "/openapi.json")
    install_errors(app)
    app.add_middleware(BodyLimit)
    build_api(app, collections, access, uploads)
    return app
