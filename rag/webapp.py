"""The Gradio chat app: cited answers with a sources panel, a library tab, and a JSON `/ask` endpoint.

Nothing heavy happens at import: `main()` builds (or updates) the index and launches the server, and
`create_app(engine, corpus_dir)` wires the page around an engine the caller already holds, so tests
can pass a prebuilt one. What the page shows is rendered by rag.views.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .documents import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from .engine import RAG
from .errors import RagError
from .retrieval import MODES
from .embedding import configure_runtime
from .local_llm import resolve_model, serve as serve_model
from .remote import announced
from .handlers import FORM_FIELDS, MAX_PASSAGES, AskForm, PageHandlers, json_endpoints, sources_choices
from .views import render_library, render_panel

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


# ---------------------------------------------------------------- the page

STATIC = Path(__file__).parent / "static"


@functools.cache
def page_assets() -> tuple[str, str]:
    """The page's CSS, and the <script> for its head (rag/static/app.css and app.js)."""
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    return css, f"<script>\n{(STATIC / 'app.js').read_text(encoding='utf-8')}</script>"


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
         "sources": gr.Dropdown(sources_choices(engine), multiselect=True, value=[],
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

    def respond(*values):  # a generator function, so Gradio streams it; the values come in ask_inputs' order
        yield from on.respond(AskForm(*values))

    asked = [c["question"].submit(respond, ask_inputs, ask_outputs, **chat_options),
             c["send"].click(respond, ask_inputs, ask_outputs, **chat_options),
             c["chatbot"].example_select(on.pick_example, None, c["question"], api_visibility="private").then(
                 respond, ask_inputs, ask_outputs, **chat_options)]
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


def launch(app: gr.Blocks, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
           private: Sequence[str | Path] = ("seeds", "index"), block: bool = True, quiet: bool = False):
    """Serve the page on host:port; nothing is served from the `private` folders (the corpus and the index)."""
    import gradio as gr

    blocked = [str(Path(p).resolve()) for p in private]
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
            launch(app, host=args.host, port=args.port, private=(args.corpus, args.index))
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # typically the port is taken
        print(f"error: cannot serve on {args.host}:{args.port} ({exc}); pick another --port", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
