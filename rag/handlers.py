"""What the chat page's events do, over one engine: the question and its filters checked, the answer streamed,
conversations exported, uploads and deletions in the library, and the JSON `/ask` and `/search` endpoints. The
page's layout and wiring are in rag.webapp; what it shows is rendered by rag.views."""

from __future__ import annotations

import calendar
import dataclasses
import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .answer import answer_to_dict
from .documents import normalize_date
from .engine import RAG, check_question
from .library import delete_article, ingest_uploads, upload_metadata
from .errors import QueryError, RagError
from .retrieval import DEFAULT_MMR_LAMBDA, SearchOptions
from .answer.llm import LLMSettings
from .views import (PANEL_TURNS, conversation_json, conversation_markdown, escape, render_answer, render_library,
                    render_panel, render_retrieved, render_turn)

log = logging.getLogger(__name__)

MAX_PASSAGES = 50  # what the slider offers and the /ask endpoint accepts (scripts may ask the engine for more)
STREAM_STEPS = 12  # the answer appears in about this many pieces
STREAM_DELAY = 0.02  # seconds between pieces


# ---------------------------------------------------------------- questions and filters


@dataclass(frozen=True)
class AskForm:
    """What the chat page sends with a question, in the order of `rag.webapp.wire`'s inputs: the question, the chat
    so far (Gradio's messages and the turns behind them) and the settings chosen in the page."""

    question: str | None
    history: list | None
    turns: list | None
    k: float | int | None = 5
    mode: str | None = "hybrid"
    sources: Sequence[str] | None = None
    date_from: str | None = None
    date_to: str | None = None
    answer_with: str | None = "quotes"
    llm_url: str | None = ""
    llm_model: str | None = ""
    read_time: bool = True


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
                  date_from: str | None = None, date_to: str | None = None) -> SearchOptions:
    """The search the page's settings ask for, as SearchOptions (which checks the mode); a bad value raises
    QueryError naming it and the fix. The page's own rules: k from a slider or JSON (1 to MAX_PASSAGES), a date
    period read as whole days ("to 2024-09" is to its last day), empty source names dropped."""
    try:
        k = int(k if k is not None else 5)
    except (TypeError, ValueError) as exc:
        raise QueryError(f"number of passages {k!r} is not a whole number; pick 1 to {MAX_PASSAGES}") from exc
    if not 1 <= k <= MAX_PASSAGES:
        raise QueryError(f"number of passages {k} is out of range; pick 1 to {MAX_PASSAGES}")
    dates = [date_bound(date_from, label="from", end=False), date_bound(date_to, label="to", end=True)]
    if dates[0] and dates[1] and dates[0] > dates[1]:
        raise QueryError(f"the date range {dates[0]} to {dates[1]} is empty; swap the dates")
    return SearchOptions(k=k, mode=mode or "hybrid", sources=tuple(s for s in (sources or []) if s),
                         date_from=dates[0], date_to=dates[1])


def sources_choices(engine: RAG) -> list[str]:
    return sorted({d.source for d in engine.documents() if d.source})


def doc_choices(engine: RAG) -> list[tuple[str, str]]:
    return [(f"{d.title} ({d.doc_id})", d.doc_id) for d in sorted(engine.documents(), key=lambda d: d.title.casefold())]


def stream_pieces(text: str, steps: int = STREAM_STEPS) -> Iterator[str]:
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

    def respond(self, form: AskForm):
        """Answer the page's question, streamed: (question box, chat, sources panel, turns, status) updates."""
        import gradio as gr

        history = list(form.history or [])
        turns = list(form.turns or [])
        try:
            filters = parse_filters(form.k, form.mode, form.sources, form.date_from, form.date_to)
            question = check_question(form.question or "")
            llm = llm_settings(form.answer_with, form.llm_url, form.llm_model)
        except QueryError as exc:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"**Cannot ask:** {escape(exc)}"
            return
        turn = turns[-1]["turn"] + 1 if turns else 1
        history += [{"role": "user", "content": escape(question)}, {"role": "assistant", "content": "*Searching…*"}]
        yield "", history, gr.skip(), gr.skip(), ""
        sections = [t["closed"] for t in turns]
        answer, written = None, ""
        try:
            for event in self.engine.ask_stream(question, filters, answerer="llm" if llm else "extractive", llm=llm,
                                                read_time=bool(form.read_time), history=[t["answer"] for t in turns]):
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
            for piece in stream_pieces(answer.text):
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
        return (render_library(docs), gr.update(choices=doc_choices(self.engine), value=None),
                gr.update(choices=sources_choices(self.engine)),
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
            answer = engine.ask(question or "", filters, read_time=bool(read_time), history=history)
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
            passages = engine.search(query or "", filters, mmr_lambda=mmr_lambda)
        except RagError as exc:
            raise gr.Error(str(exc)) from exc
        return [dataclasses.asdict(p) for p in passages]

    return ask, search


def llm_settings(answer_with: str | None, url: str | None, model: str | None):
    """LLM settings when the user chose the language model, else None (nothing is sent anywhere)."""
    if answer_with != "llm":
        return None

    return LLMSettings.resolve(base_url=(url or "").strip() or None, model=(model or "").strip() or None)

