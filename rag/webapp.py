"""The Gradio chat app: cited answers with a sources panel, a library tab, and a JSON `/ask` endpoint.

Nothing heavy happens at import: `main()` builds (or updates) the index and launches the server, and
`create_app(engine, corpus_dir)` wires the page around an engine the caller already holds, so tests
can pass a prebuilt one. The rendering helpers are pure functions of the engine's dataclasses; every
piece of article text or metadata goes through `html.escape` before it reaches the page.
"""

from __future__ import annotations

import argparse
import calendar
import dataclasses
import datetime
import html
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answer import Answer, Claim, answer_to_dict
from .conversation import rewrite_followup
from .documents import MAX_FILE_BYTES, METADATA_SUFFIX, SUPPORTED_SUFFIXES, normalize_date, read_document
from .engine import MAX_QUESTION_CHARS, check_question
from .library import copy_atomically, sanitize_filename, target_path
from .errors import IngestError, QueryError, RagError
from .retrieval import MODES, Passage

if TYPE_CHECKING:
    import gradio as gr

    from .engine import RAG
    from .index import DocumentRecord

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
EXAMPLE_QUESTIONS = (
    "What missiles did Iran send to Russia?",
    "What did the Iranian foreign ministry say about the missile claims?",
    "Which State Department spokesman described a full-fledged defense partnership?",
    "What did NATO offer Russia about missile defense in 2011?",
)
PANEL_TURNS = 20  # older turns drop out of the sources panel
MAX_PASSAGES = 50  # what the slider offers and the /ask endpoint accepts (scripts may ask the engine for more)
STREAM_STEPS = 12  # the answer appears in about this many pieces
STREAM_DELAY = 0.02  # seconds between pieces


# ---------------------------------------------------------------- rendering (pure)


def escape(text: object) -> str:
    """HTML-escape text, and also the characters Markdown would act on (for chat messages)."""
    out = html.escape(str(text), quote=True)
    return re.sub(r"[\\`*_{}\[\]()#+|~$!-]", lambda m: f"&#{ord(m.group())};", out)


def safe_url(url: str | None) -> str | None:
    """The URL if it is plain http(s) with no spaces or quotes, else None (never a javascript: link)."""
    if not url:
        return None
    url = url.strip()
    if re.match(r"^https?://[^\s\"'<>`]+$", url, re.I):
        return url
    return None


def card_id(turn: int, n: int) -> str:
    """The element id of source card [n] in conversation turn `turn`."""
    return f"src-{turn}-{n}"


def claim_spans(passage: Passage, claims: Sequence[Claim]) -> list[tuple[int, int]]:
    """Character spans inside `passage.text` of the claims that cite it, merged and clipped."""
    spans = []
    for claim in claims:
        if claim.n != passage.n or claim.doc_id != passage.doc_id:
            continue
        start = max(0, claim.start - passage.start)
        end = min(len(passage.text), claim.end - passage.start)
        if end > start:
            spans.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Escaped text with each span wrapped in <mark>; spans must be sorted and disjoint."""
    out, pos = [], 0
    for start, end in spans:
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n\n", "\n")  # paragraphs one line apart (the card keeps line breaks)


def render_meta(passage: Passage | DocumentRecord) -> str:
    """Source · date · link line of a card."""
    parts = [html.escape(passage.source or "source not given"), html.escape(passage.published or "undated")]
    url = safe_url(passage.url)
    if url:
        parts.append(f'<a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer nofollow">{html.escape(url)}</a>')
    elif passage.url:
        parts.append(html.escape(passage.url))
    return " · ".join(parts)


def without_title(passage: Passage, spans: Sequence[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """The passage text without the article title it opens with (the card shows it as a heading), spans shifted."""
    title = (passage.title or "").strip()
    if not title or not passage.text.startswith(title):
        return passage.text, list(spans)
    cut = len(passage.text) - len(passage.text[len(title):].lstrip())
    shifted = [(max(0, a - cut), b - cut) for a, b in spans if b > cut]
    return passage.text[cut:], shifted


def render_card(passage: Passage, claims: Sequence[Claim], turn: int) -> str:
    """One cited passage: number, title, source, date, link, and its text with the cited sentences marked."""
    text = highlight(*without_title(passage, claim_spans(passage, claims)))
    return (
        f'<article class="src-card" id="{card_id(turn, passage.n or 0)}">'
        f'<h4><span class="src-n">[{passage.n}]</span> {html.escape(passage.title or passage.doc_id)}</h4>'
        f'<p class="src-meta">{render_meta(passage)}</p>'
        f'<p class="src-text">{text}</p></article>'
    )


def render_other(passage: Passage) -> str:
    """A retrieved passage that the answer does not cite."""
    return (
        '<article class="src-card src-other">'
        f"<h4>{html.escape(passage.title or passage.doc_id)}</h4>"
        f'<p class="src-meta">{render_meta(passage)}</p>'
        f'<p class="src-text">{html.escape(passage.text)}</p></article>'
    )


def render_turn(turn: int, question: str, query: str, answer: Answer, *, latest: bool = True) -> str:
    """The sources-panel section of one question: the query searched for, cited cards, other passages."""
    rewritten = query.strip() != question.strip()
    cited = {(p.doc_id, p.start, p.end) for p in answer.citations}
    others = [p for p in answer.passages if (p.doc_id, p.start, p.end) not in cited]
    parts = [f'<section class="turn" id="turn-{turn}"><details{" open" if latest else ""}>',
             f'<summary>Q{turn}: {html.escape(question)}</summary>',
             f'<p class="src-query">Searched for: <q>{html.escape(query)}</q>'
             + (' <span class="src-note">(rewritten from the conversation)</span>' if rewritten else "") + "</p>"]
    if answer.abstained:
        parts.append(f'<p class="src-abstain">{html.escape(answer.explanation)}</p>')
    parts.extend(render_card(p, answer.claims, turn) for p in answer.citations)
    if answer.dropped:
        parts.append('<details class="src-dropped"><summary>Sentences removed: not supported by the passage they '
                     f'cite ({len(answer.dropped)})</summary><ul>'
                     + "".join(f"<li>{html.escape(c.text)} <em>({html.escape(c.reason)})</em></li>" for c in answer.dropped)
                     + "</ul></details>")
    if others:
        label = "Closest passages" if answer.abstained else "Also retrieved, not cited"
        parts.append(f'<details class="src-others"><summary>{label} ({len(others)})</summary>'
                     + "".join(map(render_other, others)) + "</details>")
    parts.append("</details></section>")
    return "".join(parts)


def render_retrieved(turn: int, question: str, passages: Sequence[Passage]) -> str:
    """The sources-panel section shown while the answer is being written: every passage found."""
    return (f'<section class="turn" id="turn-{turn}"><details open><summary>Q{turn}: {html.escape(question)}</summary>'
            f'<p class="src-note">Found {len(passages)} passages; the answer is being written.</p>'
            + "".join(map(render_other, passages)) + "</details></section>")


def render_panel(sections: Sequence[str]) -> str:
    """The whole sources panel: newest turn first."""
    if not sections:
        return '<p class="src-empty">Sources for each answer appear here.</p>'
    return "".join(reversed(sections[-PANEL_TURNS:]))


_CITE_RE = re.compile(r"\[(\d+)\]")


def render_answer(answer: Answer, turn: int) -> str:
    """The chat message for an answer: quoted sentences with clickable [n] links, or an abstention notice."""
    notes = "".join(f'<p class="answer-note">{escape(note)}</p>' for note in answer.notes)
    if answer.abstained:
        return ('<div class="abstain"><strong>No answer in the articles.</strong> '
                f"{escape(answer.explanation)} The closest passages are listed under Sources.</div>{notes}")
    titles = {p.n: p.title for p in answer.citations}
    out = []
    for i, piece in enumerate(_CITE_RE.split(answer.text)):
        if i % 2 == 0:
            out.append(escape(piece))
        elif int(piece) in titles:
            n = int(piece)
            # Quote marks become typographic ones, so the tooltip needs no entity that the chat could escape again.
            tooltip = html.escape(titles[n].replace('"', "”").replace("'", "’"), quote=False)
            out.append(f'<a class="cite" href="#{card_id(turn, n)}" title="{tooltip}">&#91;{n}&#93;</a>')
        else:
            out.append(escape(f"[{piece}]"))
    return f'<div class="answer">{"".join(out)}</div>{notes}'


def library_rows(docs: Sequence[DocumentRecord]) -> list[list]:
    """Rows of the library table: title, source, date, chunks, document id."""
    return [[d.title, d.source or "", d.published or "undated", d.n_chunks, d.doc_id]
            for d in sorted(docs, key=lambda d: (d.published or "", d.doc_id), reverse=True)]


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


def plan_query(question: str, previous: Sequence[str]) -> tuple[str, str]:
    """(question, query to search for): the stripped question and its rewrite from the conversation."""
    question = check_question(question)
    query = rewrite_followup(question, previous)
    return question, query if len(query) <= MAX_QUESTION_CHARS else question


# ---------------------------------------------------------------- library: uploads and deletes


@dataclass(frozen=True)
class UploadResult:
    """What an upload did: (file name, title) indexed, and (file name, reason) refused."""

    indexed: list[tuple[str, str]]
    failed: list[tuple[str, str]]


def ingest_uploads(engine: RAG, corpus_dir: str | Path, uploads: Sequence[str | Path],
                   *, names: Sequence[str] | None = None) -> UploadResult:
    """Check, store (in `corpus_dir`, sanitized names; the app gives the index's managed folder) and index uploads.

    Each file is read first from a private staging copy, so a bad file is refused before anything
    is written; the good ones are copied into the folder and indexed in one incremental
    update. Call with the app's write lock held.
    """
    corpus = Path(corpus_dir)
    corpus.mkdir(parents=True, exist_ok=True)
    names = list(names) if names is not None else [Path(u).name for u in uploads]
    failed: list[tuple[str, str]] = []
    ready: list[tuple[str, Path, Path]] = []  # (shown name, staged file, target)
    taken = {p.stem for p in corpus.iterdir() if p.is_file() and not p.name.endswith(METADATA_SUFFIX)}
    taken |= {d.doc_id for d in engine.documents()}
    with tempfile.TemporaryDirectory(prefix="rag-upload-") as staging:
        for upload, shown in zip(uploads, names):
            shown = Path(str(shown)).name or "upload"
            safe = sanitize_filename(shown)
            suffix = Path(safe).suffix
            if suffix not in SUPPORTED_SUFFIXES:
                failed.append((shown, f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}"))
                continue
            try:
                size = Path(upload).stat().st_size
            except OSError as exc:
                failed.append((shown, f"the upload cannot be read ({exc.strerror or exc})"))
                continue
            if size > MAX_FILE_BYTES:
                failed.append((shown, f"is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit; split it into smaller files"))
                continue
            target = target_path(corpus, safe, taken)
            taken.add(target.stem)
            staged = Path(staging) / f"{len(ready)}" / target.name  # same stem: same document id as the target
            staged.parent.mkdir()
            shutil.copyfile(upload, staged)
            try:
                read_document(staged)
            except IngestError as exc:
                failed.append((shown, exc.reason))
                continue
            ready.append((shown, staged, target))
        if not ready:
            return UploadResult([], failed)
        written: list[Path] = []
        for shown, staged, target in ready:
            copy_atomically(staged, target)
            written.append(target)
        try:
            report = engine.add(written)
        except BaseException:
            _remove(written)
            raise
        bad = {}
        for error in report.errors:
            for target in written:
                if error.startswith(str(target)):
                    bad[target] = error[len(str(target)):].lstrip(": ")
        _remove(list(bad))
    titles = {d.doc_id: d.title for d in engine.documents()}
    indexed = []
    for shown, _, target in ready:
        if target in bad:
            failed.append((shown, bad[target]))
        else:
            indexed.append((target.name, titles.get(target.stem, target.stem)))
    return UploadResult(indexed, failed)


def _remove(paths: Sequence[Path]) -> None:
    """Delete uploaded files that did not make it into the index."""
    for path in paths:
        path.unlink(missing_ok=True)


def delete_article(engine: RAG, doc_id: str) -> str:
    """Drop an article from the index (and its managed copy); a corpus file stays, remembered as removed."""
    records = {d.doc_id: d for d in engine.documents()}
    if doc_id not in records:
        raise RagError(f"no indexed article has id {doc_id!r}; refresh the library list")
    engine.remove([doc_id])
    return f"Deleted “{records[doc_id].title}” ({doc_id}) from the library; it stays out after a restart."


# ---------------------------------------------------------------- the page

CSS = """
#sources-panel { max-height: 78vh; overflow-y: auto; }
#sources-panel details > summary { cursor: pointer; font-weight: 600; margin: 4px 0; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 8px 10px; margin: 8px 0;
            background: var(--background-fill-primary); scroll-margin: 12px; transition: box-shadow .3s; }
.src-card.flash { box-shadow: 0 0 0 3px var(--color-accent); }
.src-card h4 { margin: 0 0 2px; font-size: 0.95rem; }
.src-n { color: var(--color-accent); }
.src-meta, .src-query { color: var(--body-text-color-subdued); font-size: 0.85rem; margin: 0 0 6px; }
.src-meta a { overflow-wrap: anywhere; }
.src-text { white-space: pre-wrap; font-size: 0.9rem; line-height: 1.45; margin: 0; }
.src-text mark { background: #fde68a; color: #111; padding: 0 1px; }
.src-note { font-style: italic; }
.src-other { opacity: 0.85; }
.abstain { border-left: 4px solid var(--border-color-accent); padding-left: 8px; }
a.cite { text-decoration: none; font-weight: 600; cursor: pointer; }
"""

# Clicking [n] in an answer opens and scrolls to its card (also inside collapsed older turns).
HEAD = """<script>
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest('a[href^="#src-"]') : null;
  if (!link) return;
  var card = document.getElementById(link.getAttribute("href").slice(1));
  if (!card) return;
  event.preventDefault();
  event.stopPropagation();
  for (var el = card.parentElement; el; el = el.parentElement) { if (el.tagName === "DETAILS") el.open = true; }
  // Scroll the sources panel only: the chat stays where it is.
  var panel = document.getElementById("sources-panel");
  var box = panel && panel.contains(card) ? panel : null;
  if (box) {
    var top = card.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop - 12;
    box.scrollTo({top: top, behavior: "smooth"});
  } else {
    card.scrollIntoView({behavior: "smooth", block: "nearest"});
  }
  card.classList.add("flash");
  setTimeout(function () { card.classList.remove("flash"); }, 1500);
}, true);
</script>"""


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


def create_app(engine: RAG, corpus_dir: str | Path) -> gr.Blocks:
    """The Gradio page around an engine; uploads are kept in the index's managed folder (not in `corpus_dir`)."""
    import gradio as gr

    library = engine.library_dir
    write_lock = threading.Lock()  # uploads and deletes touch the managed folder and the index one at a time

    def respond(question, history, turns, k, mode, sources, date_from, date_to, answer_with="quotes",
                llm_url="", llm_model=""):
        history = list(history or [])
        turns = list(turns or [])
        try:
            filters = parse_filters(k, mode, sources, date_from, date_to)
            question, query = plan_query(question or "", [t["query"] for t in turns])
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
            for event in engine.ask_stream(query, **filters.kwargs(), answerer="llm" if llm else "extractive", llm=llm):
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
        answer = _with_question(answer, question)
        if not answer.abstained and not written:
            for piece in _stream_pieces(answer.text):
                history[-1] = {"role": "assistant", "content": escape(piece) + " …"}
                yield gr.skip(), history, gr.skip(), gr.skip(), gr.skip()
                time.sleep(STREAM_DELAY)
        history[-1] = {"role": "assistant", "content": render_answer(answer, turn)}
        turns.append({"turn": turn, "query": query, "open": render_turn(turn, question, query, answer),
                      "closed": render_turn(turn, question, query, answer, latest=False)})
        turns = turns[-PANEL_TURNS:]
        sections = [t["closed"] for t in turns[:-1]] + [turns[-1]["open"]]
        yield gr.skip(), history, render_panel(sections), turns, ""

    def clear_chat():
        return [], render_panel([]), [], ""

    def pick_example(evt):
        return evt.value["text"] if isinstance(evt.value, dict) else str(evt.value)

    # Gradio passes the clicked example to a parameter hinted gr.SelectData; a real object, not the
    # string `from __future__ import annotations` would leave (gradio is imported inside this function).
    pick_example.__annotations__["evt"] = gr.SelectData

    def library_view():
        docs = engine.documents()
        return (library_rows(docs), gr.update(choices=_doc_choices(engine), value=None),
                gr.update(choices=_sources_choices(engine)), f"{len(docs)} articles indexed; uploads are kept in {escape(library)}.")

    def locked_update(update, failure: str):
        """(result, None), or (None, a message) when the update fails; one update of the index at a time."""
        with write_lock:
            try:
                return update(), None
            except (RagError, OSError) as exc:
                log.exception("library update failed")
                return None, f"{failure} {escape(exc)}"

    def upload(files):
        paths = [getattr(f, "name", f) for f in (files or [])]
        if not paths:
            return (*library_view(), "Choose one or more .txt, .md, .html, .htm or .pdf files.")
        result, error = locked_update(lambda: ingest_uploads(engine, library, paths),
                                      "**Upload failed, the index is unchanged:**")
        if error:
            return (*library_view(), error)
        lines = [f"**Indexed {escape(name)}:** {escape(title)}" for name, title in result.indexed]
        lines += [f"**Not indexed {escape(name)}:** {escape(reason)}" for name, reason in result.failed]
        return (*library_view(), "\n\n".join(lines))

    def delete(doc_id, pending=None):
        """Delete in two clicks: the first names the article and asks to confirm, the second deletes it."""
        if not doc_id:
            return (*library_view(), "Choose an article to delete first.", None)
        titles = {d.doc_id: d.title for d in engine.documents()}
        if doc_id in titles and pending != doc_id:
            return (gr.skip(), gr.skip(), gr.skip(), gr.skip(),
                    f"Delete “{escape(titles[doc_id])}” ({escape(doc_id)})? Click **Delete article** again to confirm.",
                    doc_id)
        message, error = locked_update(lambda: delete_article(engine, doc_id), "Cannot delete:")
        return (*library_view(), error or escape(message), None)

    def ask(question: str, k: int = 5, mode: str = "hybrid", sources: list[str] | None = None,
            date_from: str | None = None, date_to: str | None = None,
            previous_questions: list[str] | None = None) -> dict:
        """Answer a question from the indexed articles. Returns JSON: question, query (after follow-up
        rewriting against `previous_questions`), answer (sentences with [n] markers), abstained,
        confidence, citations (n, doc_id, title, source, published, url, text, start, end, score) and claims."""
        try:
            filters = parse_filters(k, mode, sources, date_from, date_to)
            previous: list[str] = []
            for earlier in previous_questions or []:  # replay the rewriting so chains of follow-ups keep their topic
                if earlier and earlier.strip():
                    previous.append(rewrite_followup(earlier.strip(), previous))
            question, query = plan_query(question or "", previous)
            answer = engine.ask(query, **filters.kwargs())
        except RagError as exc:
            raise gr.Error(str(exc)) from exc
        return answer_to_dict(_with_question(answer, question), query)

    # Uploads land in Gradio's temporary folder before they are copied into the corpus; clear them hourly.
    with gr.Blocks(title="News Q&A", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        turns = gr.State([])
        gr.Markdown("## News Q&A\nAnswers quote the indexed articles; each sentence cites its source `[n]`.")
        with gr.Tab("Chat", id="chat"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=360):
                    chatbot = gr.Chatbot(
                        value=[], elem_id="chat", label="Conversation", height=520, latex_delimiters=[],
                        buttons=[], feedback_options=None, autoscroll=True,
                        placeholder="Ask a question about the indexed news articles.",
                        examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
                    )
                    with gr.Row():
                        question = gr.Textbox(placeholder="Ask a question… (Enter to send)", show_label=False,
                                              lines=1, max_lines=6, scale=5, elem_id="question")
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                    status = gr.Markdown("", elem_id="ask-status")
                    with gr.Accordion("Settings", open=False, elem_id="settings"):
                        k = gr.Slider(1, MAX_PASSAGES, value=5, step=1, label="Number of passages")
                        mode = gr.Radio(list(MODES[::-1]), value="hybrid", label="Retrieval mode", elem_id="mode")
                        sources = gr.Dropdown(_sources_choices(engine), multiselect=True, value=[],
                                              label="Only these sources (empty: all)", elem_id="source-filter")
                        with gr.Row():
                            date_from = gr.Textbox(label="Published from", placeholder="YYYY, YYYY-MM or YYYY-MM-DD", elem_id="date-from")
                            date_to = gr.Textbox(label="Published to", placeholder="YYYY, YYYY-MM or YYYY-MM-DD", elem_id="date-to")
                        answer_with = gr.Radio([("Quoted sentences", "quotes"), ("Language model (verified)", "llm")],
                                               value="quotes", label="Answer with", elem_id="answer-with")
                        with gr.Row():
                            llm_url = gr.Textbox(label="LLM endpoint (OpenAI-compatible base URL)",
                                                 value=os.environ.get("RAG_LLM_BASE_URL", ""),
                                                 placeholder="http://127.0.0.1:8080/v1", elem_id="llm-url")
                            llm_model = gr.Textbox(label="LLM model", value=os.environ.get("RAG_LLM_MODEL", ""),
                                                   placeholder="default", elem_id="llm-model")
                    clear = gr.Button("New conversation", size="sm")
                with gr.Column(scale=2, min_width=320):
                    gr.Markdown("### Sources")
                    panel = gr.HTML(render_panel([]), elem_id="sources-panel", js_on_load=None)
        with gr.Tab("Library", id="library"):
            summary = gr.Markdown(elem_id="library-summary")
            table = gr.Dataframe(headers=["Title", "Source", "Published", "Chunks", "Document id"],
                                 datatype=["str", "str", "str", "number", "str"], interactive=False,
                                 elem_id="library-table", wrap=True,
                                 column_widths=["46%", "18%", "11%", "7%", "18%"])
            with gr.Row(elem_id="upload-row"):
                uploader = gr.UploadButton(
                    f"Upload articles (.txt .md .html .pdf, up to {MAX_FILE_BYTES // (1024 * 1024)} MB each)",
                    file_count="multiple", file_types=list(SUPPORTED_SUFFIXES), elem_id="upload")
            with gr.Row():
                doomed = gr.Dropdown([], label="Article to delete", elem_id="delete-choice", scale=4)
                remove = gr.Button("Delete article", variant="stop", elem_id="delete", scale=1)
            library_status = gr.Markdown(elem_id="library-status")

        ask_inputs = [question, chatbot, turns, k, mode, sources, date_from, date_to, answer_with, llm_url, llm_model]
        ask_outputs = [question, chatbot, panel, turns, status]
        chat_options = {"concurrency_limit": 4, "concurrency_id": "ask", "api_visibility": "private"}
        question.submit(respond, ask_inputs, ask_outputs, **chat_options)
        send.click(respond, ask_inputs, ask_outputs, **chat_options)
        chatbot.example_select(pick_example, None, question, api_visibility="private").then(
            respond, ask_inputs, ask_outputs, **chat_options)
        clear.click(clear_chat, None, [chatbot, panel, turns, status], api_visibility="private")
        chatbot.clear(clear_chat, None, [chatbot, panel, turns, status], api_visibility="private")  # its bin icon
        library_outputs = [table, doomed, sources, summary, library_status]
        write_options = {"concurrency_limit": 1, "concurrency_id": "library-writes", "api_visibility": "private"}
        uploader.upload(upload, uploader, library_outputs, **write_options)
        pending_delete = gr.State(None)
        remove.click(delete, [doomed, pending_delete], [*library_outputs, pending_delete], **write_options)
        doomed.change(lambda: None, None, pending_delete, api_visibility="private")  # another choice: ask again
        app.load(library_view, None, [table, doomed, sources, summary], api_visibility="private")
        gr.api(ask, api_name="ask", concurrency_limit=4, concurrency_id="ask")
    return app


def _llm_settings(answer_with: str | None, url: str | None, model: str | None):
    """LLM settings when the user chose the language model, else None (nothing is sent anywhere)."""
    if answer_with != "llm":
        return None
    from .answer.llm import LLMSettings

    return LLMSettings.resolve(base_url=(url or "").strip() or None, model=(model or "").strip() or None)


def _with_question(answer: Answer, question: str) -> Answer:
    """The answer labelled with the question as typed (the engine saw the rewritten query)."""
    return dataclasses.replace(answer, question=question)


def launch(app: gr.Blocks, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, corpus_dir: str | Path = "seeds",
           index_dir: str | Path = "index", block: bool = True, quiet: bool = False):
    """Serve the page on host:port; nothing is served from the corpus or index folders."""
    blocked = [str(Path(p).resolve()) for p in (corpus_dir, index_dir)]
    return app.queue(default_concurrency_limit=1).launch(
        server_name=host, server_port=port, prevent_thread_lock=not block, quiet=quiet,
        allowed_paths=[], blocked_paths=blocked, max_file_size=2 * MAX_FILE_BYTES,
        footer_links=["api"], run_history=False, enable_monitoring=False, ssr_mode=False, share=False,
        css=CSS, head=HEAD, theme="default",
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


def main(argv: list[str] | None = None) -> int:
    """`python app.py`: parse the options and serve."""
    return serve(build_parser().parse_args(argv))


def serve(args: argparse.Namespace) -> int:
    """Build or update the index from the corpus, then serve the app until interrupted."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no version check or telemetry (no network)
    from .embedding import configure_runtime

    configure_runtime()
    from .engine import RAG

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
        app = create_app(engine, args.corpus)
        print(f"Starting the app on http://{args.host}:{args.port} (Ctrl+C to stop)", flush=True)
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
