"""The Gradio chat app: cited answers with a sources panel, a library tab, and a JSON `/ask` endpoint.

Nothing heavy happens at import: `main()` builds (or updates) the index and launches the server, and
`create_app(engine, corpus_dir)` wires the page around an engine the caller already holds, so tests
can pass a prebuilt one. What the page shows is rendered by rag.views.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import dataclasses
import datetime
import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answer import answer_to_dict
from .documents import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, normalize_date
from .engine import RAG, check_question
from .library import delete_article, ingest_uploads, upload_metadata
from .errors import QueryError, RagError
from .retrieval import DEFAULT_MMR_LAMBDA, MODES
from .answer.llm import LLMSettings
from .embedding import configure_runtime
from .local_llm import resolve_model, serve as serve_model
from .remote import announced
from .views import (PANEL_TURNS, conversation_json, conversation_markdown, escape, render_answer, render_library,
                    render_panel, render_retrieved, render_turn)

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
EXAMPLE_QUESTIONS = (
    "What missiles did Iran send to Russia?",
    "What did the Iranian foreign ministry say about the missile claims?",
    "Which State Department spokesman described a full-fledged defense partnership?",
    "What did NATO offer Russia about missile defense in 2011?",
)
MAX_PASSAGES = 50  # what the slider offers and the /ask endpoint accepts (scripts may ask the engine for more)
STREAM_STEPS = 12  # the answer appears in about this many pieces
STREAM_DELAY = 0.02  # seconds between pieces


# ---------------------------------------------------------------- questions and filters


@dataclass(frozen=True)
class Filters:
    """Retrieval settings chosen in the page."""

    k: int = 5
    mode: str = "hybrid"
    sources: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None

    def kwargs(self) -> dict[str, Any]:
        return {"k": self.k, "mode": self.mode, "sources": list(self.sources) or None,
                "date_from": self.date_from, "date_to": self.date_to}


def date_bound(value: str | None, *, label: str, end: bool) -> str | None:
    """A full YYYY-MM-DD bound from YYYY, YYYY-MM or YYYY-MM-DD: the first day of the period, or the
    last when `end` ("to 2024-09" includes all of September)."""
    try:
        value = normalize_date(value, where=repr(label))
    except ValueError as exc:
        raise QueryError(f"{exc}; e.g. 2024-09-10") from exc
    if value is None:
        return None
    parts = [int(p) for p in value.split("-")]
    year, month = parts[0], parts[1] if len(parts) > 1 else (12 if end else 1)
    try:
        day = parts[2] if len(parts) == 3 else (calendar.monthrange(year, month)[1] if end else 1)
        return datetime.date(year, month, day).isoformat()
    except ValueError as exc:  # calendar.IllegalMonthError is a ValueError too
        raise QueryError(f"{label!r} date {value!r} is not a real date; e.g. 2024-09-10") from exc


def parse_filters(k: float | int | None = 5, mode: str | None = "hybrid", sources: Sequence[str] | None = None,
                  date_from: str | None = None, date_to: str | None = None) -> Filters:
    """Validate the settings; a bad value raises QueryError naming it and the fix."""
    try:
        k = int(k if k is not None else 5)
    except (TypeError, ValueError) as exc:
        raise QueryError(f"number of passages {k!r} is not a whole number; pick 1 to {MAX_PASSAGES}") from exc
    if not 1 <= k <= MAX_PASSAGES:
        raise QueryError(f"number of passages {k} is out of range; pick 1 to {MAX_PASSAGES}")
    mode = mode or "hybrid"
    if mode not in MODES:
        raise QueryError(f"retrieval mode {mode!r} is not one of {', '.join(MODES)}")
    dates = [date_bound(date_from, label="from", end=False), date_bound(date_to, label="to", end=True)]
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise QueryError(f"the date range {dates[0]} to {dates[1]} is empty; swap the dates")
    return Filters(k, mode, tuple(s for s in (sources or []) if s), dates[0], dates[1])


# ---------------------------------------------------------------- the page

STATIC = Path(__file__).parent / "static"


@functools.cache
def page_assets() -> tuple[str, str]:
    """The page's CSS, and the <script> for its head (rag/static/app.css and app.js)."""
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    return css, f"<script>\n{(STATIC / 'app.js').read_text(encoding='utf-8')}</script>"


def _sources_choices(engine: RAG) -> list[str]:
    return sorted({d.source for d in engine.documents() if d.source})


def _doc_choices(engine: RAG) -> list[tuple[str, str]]:
    return [(f"{d.title} ({d.doc_id})", d.doc_id) for d in sorted(engine.documents(), key=lambda d: d.title.casefold())]


def _stream_pieces(text: str, steps: int = STREAM_STEPS) -> Iterator[str]:
    """Growing prefixes of `text`, cut at word boundaries."""
    words = text.split(" ")
    size = max(1, -(-len(words) // steps))
    for end in range(size, len(words), size):
        yield " ".join(words[:end])


FORM_FIELDS = ("title", "source", "author", "published", "url")  # the upload form's fields, in page order


class PageHandlers:
    """What the page's events do, over one engine: ask (streamed), export, the library's uploads and deletions, and
    the JSON endpoints. The layout (`chat_tab`, `library_tab`) and the wiring (`wire`) are below."""

    def __init__(self, engine: RAG):
        import gradio as gr

        self.engine = engine
        self.library = engine.library_dir
        self.write_lock = threading.Lock()  # uploads and deletes touch the managed folder and the index one at a time
        self.cache_dir: str | None = None  # Gradio's cache folder, where the conversation downloads are written
        # Gradio passes the clicked example to a parameter hinted gr.SelectData; a real object, not the string
        # `from __future__ import annotations` would leave.
        PageHandlers.pick_example.__annotations__["evt"] = gr.SelectData

    def respond(self, question, history, turns, k, mode, sources, date_from, date_to, answer_with="quotes",
                llm_url="", llm_model="", read_time=True):
        import gradio as gr

        history = list(history or [])
        turns = list(turns or [])
        try:
            filters = parse_filters(k, mode, sources, date_from, date_to)
            question = check_question(question or "")
            llm = _llm_settings(answer_with, llm_url, llm_model)
        except QueryError as exc:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"**Cannot ask:** {escape(exc)}"
            return
        turn = turns[-1]["turn"] + 1 if turns else 1
        history += [{"role": "user", "content": escape(question)}, {"role": "assistant", "content": "*Searching…*"}]
        yield "", history, gr.skip(), gr.skip(), ""
        sections = [t["closed"] for t in turns]
        answer, written = None, ""
        try:
            for event in self.engine.ask_stream(question, **filters.kwargs(), answerer="llm" if llm else "extractive",
                                                llm=llm, read_time=bool(read_time), history=[t["answer"] for t in turns]):
                if event.kind == "passages":  # the sources are there before the answer is written
                    history[-1] = {"role": "assistant", "content": "*Writing the answer…*"}
                    yield gr.skip(), history, render_panel([*sections, render_retrieved(turn, question, event.passages)]), gr.skip(), gr.skip()
                elif event.kind == "token":
                    written += event.text
                    history[-1] = {"role": "assistant", "content": escape(written) + " …"}
                    yield gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
                else:
                    answer = event.answer
        except RagError as exc:
            history[-1] = {"role": "assistant", "content": f"**Cannot answer:** {escape(exc)}"}
            yield "", history, gr.skip(), gr.skip(), f"**Cannot answer:** {escape(exc)}"
            return
        query = answer.query or question
        if not answer.abstained and not written:
            for piece in _stream_pieces(answer.text):
                history[-1] = {"role": "assistant", "content": escape(piece) + " …"}
                yield gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
                time.sleep(STREAM_DELAY)
        history[-1] = {"role": "assistant", "content": render_answer(answer, turn)}
        turns.append({"turn": turn, "query": query, "answer": answer, "open": render_turn(turn, question, query, answer),
                      "closed": render_turn(turn, question, query, answer, latest=False)})
        turns = turns[-PANEL_TURNS:]
        sections = [t["closed"] for t in turns[:-1]] + [turns[-1]["open"]]
        yield gr.skip(), history, render_panel(sections), turns, ""

    def clear_chat(self):
        return [], render_panel([]), [], "", *self.exports([])

    def exports(self, turns):
        """The conversation as Markdown and as JSON for the download buttons, written into Gradio's cache (emptied
        hourly by delete_cache and at a restart) so no file outlives the session's use of it."""
        import gradio as gr
        from gradio.processing_utils import save_bytes_to_cache

        answers = [t["answer"] for t in turns or []]
        if not answers:
            return gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
        files = [save_bytes_to_cache(render(answers).encode("utf-8"), name, self.cache_dir)
                 for render, name in ((conversation_markdown, "conversation.md"), (conversation_json, "conversation.json"))]
        return tuple(gr.update(value=path, interactive=True) for path in files)

    def pick_example(self, evt):
        return evt.value["text"] if isinstance(evt.value, dict) else str(evt.value)

    def library_view(self):
        import gradio as gr

        docs = self.engine.documents()
        return (render_library(docs), gr.update(choices=_doc_choices(self.engine), value=None),
                gr.update(choices=_sources_choices(self.engine)),
                f"{len(docs)} articles indexed; uploads are kept in {escape(self.library)}.")

    def locked_update(self, update, failure: str):
        """(result, None), or (None, a message) when the update fails; one update of the index at a time."""
        with self.write_lock:
            try:
                return update(), None
            except (RagError, OSError) as exc:
                log.exception("library update failed")
                return None, f"{failure} {escape(exc)}"

    def prefill(self, files=None):
        """Files chosen: for one file, what it says of itself (title, source, author, date, URL) to check or correct
        before adding; otherwise an empty form, so nothing from an earlier file is kept with the next one."""
        paths = [getattr(f, "name", f) for f in (files or [])]
        if len(paths) != 1:
            note = (f"Each of the {len(paths)} files keeps the title, source and date it holds; choose one file at a "
                    "time to set them." if paths else "")
            return (*("" for _ in FORM_FIELDS), note)
        found = upload_metadata(paths[0])
        return (*(found.get(field, "") for field in FORM_FIELDS), "")

    def upload(self, files, *form):
        import gradio as gr

        keep_form = (gr.skip(),) * (1 + len(FORM_FIELDS))  # the chosen files and the metadata form stay as they are
        paths = [getattr(f, "name", f) for f in (files or [])]
        if not paths:
            return (*self.library_view(), "Choose one or more .txt, .md, .html, .htm or .pdf files.", *keep_form)
        # The form describes a single file; with several, each keeps what it holds.
        metadata = [dict(zip(FORM_FIELDS, form))] if len(paths) == 1 else None
        result, error = self.locked_update(lambda: ingest_uploads(self.engine, self.library, paths, metadata=metadata),
                                           "**Upload failed, the index is unchanged:**")
        if error:
            return (*self.library_view(), error, *keep_form)
        lines = [f"**Indexed {escape(name)}:** {escape(title)}" for name, title in result.indexed]
        lines += [f"**Not indexed {escape(name)}:** {escape(reason)}" for name, reason in result.failed]
        done = not result.failed or len(paths) > 1  # a single file that failed stays, with its form, to be fixed
        return (*self.library_view(), "\n\n".join(lines), *((None, *("" for _ in FORM_FIELDS)) if done else keep_form))

    def delete(self, doc_id, pending=None):
        """Delete in two clicks: the first names the article and asks to confirm, the second deletes it."""
        import gradio as gr

        if not doc_id:
            return (*self.library_view(), "Choose an article to delete first.", None)
        titles = {d.doc_id: d.title for d in self.engine.documents()}
        if doc_id in titles and pending != doc_id:
            return (gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                    f"Delete “{escape(titles[doc_id])}” ({escape(doc_id)})? Click **Delete article** again to confirm.",
                    doc_id)
        message, error = self.locked_update(lambda: delete_article(self.engine, doc_id), "Cannot delete:")
        return (*self.library_view(), error or escape(message), None)


def json_endpoints(engine: RAG) -> tuple[Callable, Callable]:
    """The app's /ask and /search: plain functions, so Gradio reads their parameters and docstrings for its API page."""
    import gradio as gr

    def ask(question: str, k: int = 5, mode: str = "hybrid", sources: list[str] | None = None,
            date_from: str | None = None, date_to: str | None = None,
            previous_questions: list[str] | None = None, read_time: bool = True) -> dict:
        """Answer a question from the indexed articles. Returns JSON: question, query (after follow-up
        rewriting against `previous_questions`), answer (sentences with [n] markers), abstained,
        confidence, citations (n, doc_id, title, source, published, url, text, start, end, score) and claims."""
        try:
            filters = parse_filters(k, mode, sources, date_from, date_to)
            history = [q for q in previous_questions or [] if q and q.strip()]
            answer = engine.ask(question or "", **filters.kwargs(), read_time=bool(read_time), history=history)
        except RagError as exc:
            raise gr.Error(str(exc)) from exc
        return answer_to_dict(answer)

    def search(query: str, k: int = 5, mode: str = "hybrid", sources: list[str] | None = None,
               date_from: str | None = None, date_to: str | None = None,
               mmr_lambda: float | None = DEFAULT_MMR_LAMBDA) -> list[dict]:
        """The passages that best match a query. Returns JSON: a list of passages (doc_id, chunk_id, title,
        source, published, url, text, start, end, score), best first."""
        try:
            filters = parse_filters(k, mode, sources, date_from, date_to)
            passages = engine.search(query or "", **filters.kwargs(), mmr_lambda=mmr_lambda)
        except RagError as exc:
            raise gr.Error(str(exc)) from exc
        return [dataclasses.asdict(p) for p in passages]

    return ask, search


def chat_tab(engine: RAG) -> dict:
    """The chat tab's components, by name (inside a gr.Blocks)."""
    import gradio as gr

    c: dict = {}
    with gr.Tab("Chat", id="chat"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                c["chatbot"] = gr.Chatbot(
                    value=[], elem_id="chat", label="Conversation", height=520, latex_delimiters=[],
                    buttons=[], feedback_options=None, autoscroll=True,
                    placeholder="Ask a question about the indexed news articles.",
                    examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
                )
                with gr.Row():
                    c["question"] = gr.Textbox(placeholder="Ask a question… (Enter to send)", show_label=False,
                                               lines=1, max_lines=6, scale=5, elem_id="question")
                    c["send"] = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                c["status"] = gr.Markdown("", elem_id="ask-status")
                with gr.Accordion("Settings", open=False, elem_id="settings"):
                    c.update(settings(engine))
                c["clear"] = gr.Button("New conversation", size="sm")
                with gr.Row(elem_id="export"):
                    c["export_md"] = gr.DownloadButton("Download conversation (Markdown)", size="sm",
                                                       interactive=False, elem_id="export-md")
                    c["export_json"] = gr.DownloadButton("Download conversation (JSON)", size="sm", interactive=False,
                                                         elem_id="export-json")
            with gr.Column(scale=2, min_width=320):
                gr.Markdown("### Sources")
                c["panel"] = gr.HTML(render_panel([]), elem_id="sources-panel", js_on_load=None, max_height="78vh")
    return c


def settings(engine: RAG) -> dict:
    """The retrieval and answer settings under the chat."""
    import gradio as gr

    c = {"k": gr.Slider(1, MAX_PASSAGES, value=5, step=1, label="Number of passages"),
         "mode": gr.Radio(list(MODES[::-1]), value="hybrid", label="Retrieval mode", elem_id="mode"),
         "sources": gr.Dropdown(_sources_choices(engine), multiselect=True, value=[],
                                label="Only these sources (empty: all)", elem_id="source-filter")}
    with gr.Row():
        c["date_from"] = gr.Textbox(label="Published from", placeholder="YYYY, YYYY-MM or YYYY-MM-DD",
                                    elem_id="date-from")
        c["date_to"] = gr.Textbox(label="Published to", placeholder="YYYY, YYYY-MM or YYYY-MM-DD", elem_id="date-to")
    c["read_time"] = gr.Checkbox(value=True, elem_id="read-time",
                                 label="Read dates in the question (“since 2023”, “last year”, "
                                       "“most recent”); untick to search all dates")
    c["answer_with"] = gr.Radio([("Quoted sentences", "quotes"), ("Language model (unsupported sentences dropped)", "llm")],
                                value="quotes", label="Answer with", elem_id="answer-with")
    with gr.Row():
        c["llm_url"] = gr.Textbox(label="LLM endpoint (OpenAI-compatible base URL)",
                                  value=os.environ.get("RAG_LLM_BASE_URL", ""),
                                  placeholder="http://127.0.0.1:8080/v1", elem_id="llm-url")
        c["llm_model"] = gr.Textbox(label="LLM model", value=os.environ.get("RAG_LLM_MODEL", ""),
                                    placeholder="default", elem_id="llm-model")
    return c


def library_tab() -> dict:
    """The library tab's components, by name (inside a gr.Blocks)."""
    import gradio as gr

    c: dict = {}
    with gr.Tab("Library", id="library"):
        c["summary"] = gr.Markdown(elem_id="library-summary")
        c["table"] = gr.HTML(render_library([]), elem_id="library-table")
        with gr.Row(elem_id="upload-row"):
            c["chosen"] = gr.File(label=f"Articles to add (.txt .md .html .pdf, up to {MAX_FILE_BYTES // (1024 * 1024)} MB each)",
                                  file_count="multiple", file_types=list(SUPPORTED_SUFFIXES), elem_id="upload-files",
                                  scale=2)
            with gr.Column(scale=3):
                c["meta_title"] = gr.Textbox(label="Title", elem_id="upload-title")
                with gr.Row():
                    c["meta_source"] = gr.Textbox(label="Source", elem_id="upload-source")
                    c["meta_author"] = gr.Textbox(label="Author", elem_id="upload-author")
                    c["meta_published"] = gr.Textbox(label="Published", placeholder="YYYY, YYYY-MM or YYYY-MM-DD",
                                                elem_id="upload-date")
                c["meta_url"] = gr.Textbox(label="URL", elem_id="upload-url")
                c["uploader"] = gr.Button("Add to library", variant="primary", elem_id="upload")
                c["upload_status"] = gr.Markdown(elem_id="upload-status")
        with gr.Row(equal_height=False):
            c["doomed"] = gr.Dropdown([], label="Article to delete", elem_id="delete-choice", scale=4)
            with gr.Column(scale=1, min_width=160):
                c["remove"] = gr.Button("Delete article", variant="stop", elem_id="delete")
                c["delete_status"] = gr.Markdown(elem_id="delete-status")
    return c


def wire(app, c: dict, on: PageHandlers) -> None:
    """Connect the components' events to the handlers (inside the gr.Blocks)."""
    import gradio as gr

    turns = c["turns"]
    ask_inputs = [c[n] for n in ("question", "chatbot")] + [turns] + [c[n] for n in (
        "k", "mode", "sources", "date_from", "date_to", "answer_with", "llm_url", "llm_model", "read_time")]
    ask_outputs = [c["question"], c["chatbot"], c["panel"], turns, c["status"]]
    chat_options = {"concurrency_limit": 4, "concurrency_id": "ask", "api_visibility": "private"}
    asked = [c["question"].submit(on.respond, ask_inputs, ask_outputs, **chat_options),
             c["send"].click(on.respond, ask_inputs, ask_outputs, **chat_options),
             c["chatbot"].example_select(on.pick_example, None, c["question"], api_visibility="private").then(
                 on.respond, ask_inputs, ask_outputs, **chat_options)]
    exported = [c["export_md"], c["export_json"]]
    for event in asked:  # after each answer (not on `turns.change`: Gradio cannot hash the Answers it holds)
        event.then(on.exports, turns, exported, api_visibility="private")
    cleared = [c["chatbot"], c["panel"], turns, c["status"], *exported]
    c["clear"].click(on.clear_chat, None, cleared, api_visibility="private")
    c["chatbot"].clear(on.clear_chat, None, cleared, api_visibility="private")  # its bin icon
    library_outputs = [c["table"], c["doomed"], c["sources"], c["summary"]]
    write_options = {"concurrency_limit": 1, "concurrency_id": "library-writes", "api_visibility": "private"}
    meta_fields = [c[f"meta_{field}"] for field in FORM_FIELDS]  # in the order `upload` reads them
    chosen = c["chosen"]
    # On the user's own changes to the chosen files only (not `change`): clearing them after adding them must not
    # wipe the status line.
    gr.on([chosen.upload, chosen.delete, chosen.clear], on.prefill, chosen, [*meta_fields, c["upload_status"]],
          api_visibility="private")
    c["uploader"].click(on.upload, [chosen, *meta_fields], [*library_outputs, c["upload_status"], chosen, *meta_fields],
                        **write_options)
    pending_delete = gr.State(None)
    c["remove"].click(on.delete, [c["doomed"], pending_delete], [*library_outputs, c["delete_status"], pending_delete],
                      **write_options)
    c["doomed"].change(lambda: None, None, pending_delete, api_visibility="private")  # another choice: ask again
    app.load(on.library_view, None, library_outputs, api_visibility="private")


def create_app(engine: RAG, corpus_dir: str | Path) -> gr.Blocks:
    """The Gradio page around an engine; uploads are kept in the index's managed folder (not in `corpus_dir`)."""
    import gradio as gr

    handlers = PageHandlers(engine)
    ask, search = json_endpoints(engine)
    # Uploads land in Gradio's temporary folder before they are copied into the corpus; clear them hourly.
    with gr.Blocks(title="News Q&A", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        handlers.cache_dir = app.GRADIO_CACHE
        components = {"turns": gr.State([])}
        gr.Markdown("## News Q&A\nAnswers quote the indexed articles; each sentence cites its source `[n]`.")
        components.update(chat_tab(engine))
        components.update(library_tab())
        wire(app, components, handlers)
        gr.api(ask, api_name="ask", concurrency_limit=4, concurrency_id="ask")
        gr.api(search, api_name="search", concurrency_id="ask")
    return app


def _llm_settings(answer_with: str | None, url: str | None, model: str | None):
    """LLM settings when the user chose the language model, else None (nothing is sent anywhere)."""
    if answer_with != "llm":
        return None

    return LLMSettings.resolve(base_url=(url or "").strip() or None, model=(model or "").strip() or None)


def launch(app: gr.Blocks, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, corpus_dir: str | Path = "seeds",
           index_dir: str | Path = "index", block: bool = True, quiet: bool = False):
    """Serve the page on host:port; nothing is served from the corpus or index folders."""
    import gradio as gr

    blocked = [str(Path(p).resolve()) for p in (corpus_dir, index_dir)]
    # Keys Gradio's own translations lack (its screen-reader status line, the file box's upload button): without
    # them the page shows and announces the keys themselves.
    translations = gr.I18n(en={"common.complete": "Complete", "common.upload": "Upload"})
    return app.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, prevent_thread_lock=not block, quiet=quiet,
        allowed_paths=[], blocked_paths=blocked, max_file_size=MAX_FILE_BYTES,
        footer_links=["api"], run_history=False, enable_monitoring=False, ssr_mode=False, share=False,
        css=page_assets()[0], head=page_assets()[1], theme="default", i18n=translations,
    )


# ---------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    """Options of `python app.py`."""
    parser = argparse.ArgumentParser(prog="app.py", description="Chat with cited answers from news articles.",
                                     epilog="example: python app.py --port 7861   # then open http://127.0.0.1:7861")
    add_serve_arguments(parser)
    return parser


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by `python app.py` and `rag serve`."""
    parser.add_argument("--corpus", default="seeds", help="folder of articles to index (default: seeds); uploads are kept beside the index")
    parser.add_argument("--index", default="index", help="index folder, built or updated at start (default: index)")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST}; 0.0.0.0 exposes the app to your network)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    parser.add_argument("--llm", metavar="MODEL", help="also start a local language model for “Language model” "
                                                       "answers: smollm2, qwen, or a .gguf path (see `rag llm`)")


def main(argv: list[str] | None = None) -> int:
    """`python app.py`: parse the options and serve."""
    return serve(build_parser().parse_args(argv))


def serve(args: argparse.Namespace) -> int:
    """Build or update the index from the corpus, then serve the app until interrupted."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no version check or telemetry (no network)

    configure_runtime()

    started = time.perf_counter()
    try:
        print(f"Checking the index {args.index}/ against the articles in {args.corpus}/ …", flush=True)
        engine = RAG.build(args.corpus, args.index, progress=True)
        report = engine.last_report
        print(f"Index ready: {len(engine.documents())} articles, {report.n_chunks} chunks "
              f"({len(report.embedded)} embedded, {len(report.reused)} unchanged, {len(report.removed)} removed) "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
        for error in report.errors:
            print(f"skipped {error}", file=sys.stderr)
        with contextlib.ExitStack() as stack:
            if getattr(args, "llm", None):

                model = resolve_model(args.llm)
                print(f"Starting the local language model {model.name} …", flush=True)
                # the app's LLM settings read the endpoint from the environment (prefilled under Settings)
                os.environ["RAG_LLM_BASE_URL"] = stack.enter_context(serve_model(model))
                print(f"Language model ready at {os.environ['RAG_LLM_BASE_URL']}: choose it under Settings → "
                      "Answer with", flush=True)
            app = create_app(engine, args.corpus)
            print(f"Starting the app on http://{args.host}:{args.port} (Ctrl+C to stop)", flush=True)

            # `rag ask` on this index asks the app instead of loading the model itself
            local = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
            stack.enter_context(announced(args.index, f"http://{local}:{args.port}"))
            launch(app, host=args.host, port=args.port, corpus_dir=args.corpus, index_dir=args.index)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # typically the port is taken
        print(f"error: cannot serve on {args.host}:{args.port} ({exc}); pick another --port", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
