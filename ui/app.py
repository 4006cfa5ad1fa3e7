"""The web chat: build_app(retriever) makes the Gradio page; respond() is the pure part behind it.

Every piece of corpus text goes through html.escape before it reaches the page, so a
document holding <script> is shown, never run; Gradio's sanitiser is a second guard.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from rag.answer import Answer, answer
from rag.config import Settings
from rag.errors import RagError
from rag.formats import SUPPORTED_SUFFIXES
from rag.retriever import Hit, Retriever

EXAMPLES = [
    "What did Sun Huaqin propose for SMEs?",
    "孙华芹对中小企业提出了什么建议？",
    "What is Transfar Group's self-developed large model called?",
    "工业母机成果转化为什么不是简单的样机交付？",
]
MAX_K = 10
LEAD_MARGIN = 0.01  # in score units (cosine): how close a second hit must be to be quoted too
CSS = """
.evidence mark, .passage mark { background: #fde68a; padding: 0 2px; border-radius: 3px; }
.cite { color: #2563eb; font-weight: 600; }
.lowconf { color: #b45309; }
.where { color: #6b7280; font-size: 0.9em; }
"""

TEXTS = {
    "en": {"from": "From the text", "none": "The text does not say. These are the closest passages, "
           "shown with low confidence:", "sources": "Cited passages", "passage": "passage",
           "chars": "characters"},
    "zh": {"from": "原文依据", "none": "文中没有提到这一点。以下是最接近的段落（低置信度）：",
           "sources": "引用段落", "passage": "第", "chars": "字符"},
}


def _where(hit: Hit, lang: str) -> str:
    t = TEXTS[lang]
    section = hit.section or hit.title
    position = (f"{t['passage']} {hit.passage.position + 1}" if lang == "en"
                else f"第 {hit.passage.position + 1} 段")
    return html.escape(f"{hit.doc} · {section} · {position} · {t['chars']} {hit.start}–{hit.end}")


def _highlighted(hit: Hit) -> str:
    """The passage, escaped, with its evidence sentences marked."""
    p = hit.passage
    out, cursor = [], 0
    for a, b in sorted((a - p.start, b - p.start) for a, b in hit.evidence_spans):
        out += [html.escape(p.text[cursor:a]), "<mark>", html.escape(p.text[a:b]), "</mark>"]
        cursor = b
    return "".join(out) + html.escape(p.text[cursor:])


def _evidence(hit: Hit) -> str:
    """The evidence sentences in reading order, escaped."""
    p = hit.passage
    return " … ".join(html.escape(p.text[a - p.start : b - p.start]) for a, b in sorted(hit.evidence_spans))


def render_answer(result: Answer) -> str:
    """The assistant's reply as HTML: quoted evidence with [n] markers, then the cited passages."""
    t = TEXTS[result.lang]
    parts = [f"<p><em>{html.escape(note)}</em></p>" for note in result.notes]
    if result.answered:
        # quote the best hit, and the second only when it is nearly as good
        lead = [h for h in result.hits[:2] if h.score >= result.hits[0].score - LEAD_MARGIN]
        quotes = " ".join(f"“{_evidence(h)}” <span class='cite'>[{h.rank}]</span>" for h in lead)
        parts.append(f"<div class='evidence'><strong>{t['from']}:</strong> <mark>{quotes}</mark></div>")
    else:
        parts.append(f"<p class='lowconf'><strong>{t['none']}</strong></p>")
    parts.append(f"<p><strong>{t['sources']}</strong></p>")
    for hit in result.hits:
        opened = " open" if hit.rank == 1 and result.answered else ""
        parts.append(
            f"<details class='passage'{opened}><summary><span class='cite'>[{hit.rank}]</span> "
            f"<span class='where'>{_where(hit, result.lang)}</span><br>"
            f"<mark>{_evidence(hit)}</mark></summary>"
            f"<p>{_highlighted(hit)}</p></details>")
    return "\n".join(parts)


def respond(retriever: Retriever, message: str, history: list | None, k: int = 5) -> list[dict]:
    """Answer one turn; the history is kept but each question is answered on its own."""
    history = list(history or [])
    question = message if isinstance(message, str) else ""
    try:
        reply = render_answer(answer(retriever, question, max(1, min(int(k), MAX_K))))
    except RagError as exc:
        reply = f"<p class='lowconf'>⚠️ {html.escape(str(exc))}</p>"
    except Exception as exc:  # noqa: BLE001 - the page shows a message, never a traceback
        reply = f"<p class='lowconf'>⚠️ Something went wrong: {html.escape(type(exc).__name__)}</p>"
    shown = " ".join(question.split())[:500] or "(empty)"
    return history + [{"role": "user", "content": html.escape(shown)},
                      {"role": "assistant", "content": reply}]


def corpus_summary(retriever: Retriever) -> tuple[str, list[list]]:
    """One line saying what the corpus is, and a table of documents with passage counts."""
    passages = retriever.passages
    counts: dict[tuple[str, str], int] = {}
    for p in passages:
        counts[(p.doc, p.title)] = counts.get((p.doc, p.title), 0) + 1
    line = (f"Corpus: {len(counts)} document(s), {len(passages)} passages · model "
            f"`{retriever.settings.model}` · ask in English or Chinese.")
    return line, [[doc, title, n] for (doc, title), n in sorted(counts.items())]


def build_app(retriever: Retriever):
    import gradio as gr

    from rag.corpus import add_file, add_text
    from rag.index import build_index

    def ask(message, history, k):
        return respond(retriever, message, history, k), ""

    def rebuild(progress: gr.Progress) -> None:
        progress(0, desc="indexing")
        build_index(retriever.settings, retriever.encoder,
                    progress=lambda done, total: progress(done / max(total, 1), desc="embedding"))

    def add(upload, title, text, progress=gr.Progress()):
        try:
            if upload is not None:  # Gradio keeps the uploaded file's own name in its temp path
                path = add_file(retriever.settings.corpus_dir, Path(upload))
            else:
                path = add_text(retriever.settings.corpus_dir, title, text)
            rebuild(progress)
            status = f"✅ Added {path.name}; the index is rebuilt and the chat answers from it."
        except RagError as exc:
            status = f"⚠️ {exc}"
        except Exception as exc:  # noqa: BLE001 - a message in the page, never a traceback
            status = f"⚠️ Something went wrong while adding the text: {type(exc).__name__}"
        line, table = corpus_summary(retriever)
        return status, line, table, None, "", ""

    with gr.Blocks(title="AI + 制造 · cited Q&A") as app:
        gr.Markdown("## Ask the text · 向原文提问")
        line, table = corpus_summary(retriever)
        summary = gr.Markdown(line, elem_id="corpus-line")
        with gr.Tab("Chat"):
            chatbot = gr.Chatbot(elem_id="chat", height=640, sanitize_html=True,
                                 render_markdown=True, group_consecutive_messages=False)
            with gr.Row():
                box = gr.Textbox(placeholder="Ask a question… 请输入问题", show_label=False,
                                 scale=5, max_length=100_000, elem_id="question")
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            k = gr.Slider(1, MAX_K, value=5, step=1, label="Passages to show")
            gr.Markdown("**Try:**")
            with gr.Row():
                for i, example in enumerate(EXAMPLES):
                    button = gr.Button(example, size="sm", elem_id=f"example-{i}")
                    button.click(lambda h, kk, q=example: ask(q, h, kk), [chatbot, k], [chatbot, box])
            send.click(ask, [box, chatbot, k], [chatbot, box])
            box.submit(ask, [box, chatbot, k], [chatbot, box])
        with gr.Tab("Corpus", elem_id="corpus-tab"):
            docs = gr.Dataframe(value=table, headers=["file", "title", "passages"],
                                interactive=False, elem_id="documents")
            gr.Markdown("Add a document (.md, .txt, .html, .pdf, .docx; at most 10 MB), or paste text with a title.")
            upload = gr.File(file_types=list(SUPPORTED_SUFFIXES), type="filepath", elem_id="upload")
            title = gr.Textbox(label="Title", elem_id="new-title")
            text = gr.Textbox(label="Text", lines=6, elem_id="new-text")
            add_button = gr.Button("Add to corpus and rebuild", elem_id="add")
            status = gr.Markdown(elem_id="add-status")
            add_button.click(add, [upload, title, text], [status, summary, docs, upload, title, text])
    return app


def parse_auth(value: str | None) -> tuple[str, str] | None:
    value = value or os.environ.get("RAG_AUTH")
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise RagError("--auth / RAG_AUTH must look like user:password")
    return user, password


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None) -> None:
    """Load the model and index once, then serve the chat until interrupted."""
    credentials = parse_auth(auth)
    if host not in ("127.0.0.1", "localhost", "::1") and credentials is None:
        print(f"warning: listening on {host} without a login: anyone who can reach it can ask and "
              "add documents; pass --auth user:password (or set RAG_AUTH)", flush=True)
    retriever = Retriever(settings, progress=lambda m: print(m, flush=True))
    retriever.search("warm-up", 1)  # load model and index before the first visitor
    app = build_app(retriever)
    print(f"web chat on http://{host}:{port}", flush=True)
    try:
        app.queue(default_concurrency_limit=4).launch(
            server_name=host, server_port=port, auth=credentials, show_error=False,
            max_file_size="10mb", css=CSS, theme=None)
    except OSError as exc:  # port taken, address not on this machine
        raise RagError(f"cannot listen on {host}:{port} ({exc}): pass another --port or --host") from exc
