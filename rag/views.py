"""What the page and the exports show: answers, source cards, the sources panel and the library as HTML (Jinja2
templates in rag/templates/, every value autoescaped, so article text and metadata reach the page as text), and
answers and conversations as Markdown and JSON. Pure functions of the engine's dataclasses."""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .answer import UNKNOWN_SOURCE, Answer, Claim, answer_to_dict, byline
from .answer.chronology import timeline
from .model import Passage
from .text import CITATION_RE

if TYPE_CHECKING:
    from .store import DocumentRecord

PANEL_TURNS = 20  # older turns drop out of the sources panel


# ---------------------------------------------------------------- rendering (pure)


def escape(text: object) -> str:
    """HTML-escape text, and also the characters Markdown would act on (for chat messages).

    Quote marks stay as they are: they are safe in text, and the chat showed their entities literally ("France&#x27;s")."""
    out = html.escape(str(text), quote=False)
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


@functools.cache
def templates():
    """The page's Jinja2 templates (rag/templates/), autoescaping every value; loaded on first render."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["safe_url"] = safe_url
    env.filters["chat"] = lambda text: Markup(escape(text))
    env.globals["unknown_source"] = UNKNOWN_SOURCE
    return env


def highlight_segments(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, marked) at the spans; paragraphs one line apart (the card keeps line breaks)."""
    out, pos = [], 0
    for start, end in spans:
        out += [(text[pos:start], False), (text[start:end], True)]
        pos = end
    out.append((text[pos:], False))
    return [(piece.replace("\n\n", "\n"), marked) for piece, marked in out if piece]


def render_meta(passage: Passage | DocumentRecord) -> str:
    """Source · date · link line of a card."""
    return str(templates().get_template("meta.html").module.meta(passage))


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
    segments = highlight_segments(*without_title(passage, claim_spans(passage, claims)))
    return templates().get_template("card.html").render(p=passage, other=False, anchor=card_id(turn, passage.n or 0),
                                                        segments=segments)


def render_other(passage: Passage) -> str:
    """A retrieved passage that the answer does not cite."""
    return templates().get_template("card.html").render(p=passage, other=True, segments=[(passage.text, False)])


def render_turn(turn: int, question: str, query: str, answer: Answer, *, latest: bool = True) -> str:
    """The sources-panel section of one question: the query searched for, cited cards, other passages."""
    from markupsafe import Markup

    cited = {(p.doc_id, p.start, p.end) for p in answer.citations}
    others = [p for p in answer.passages if (p.doc_id, p.start, p.end) not in cited]
    return templates().get_template("turn.html").render(
        turn=turn, question=question, query=query, latest=latest, rewritten=query.strip() != question.strip(),
        explanation=answer.explanation, dropped=answer.dropped,
        cards=[Markup(render_card(p, answer.claims, turn)) for p in answer.citations],
        others=[Markup(render_other(p)) for p in others],
        others_label="Closest passages" if answer.abstained else "Also retrieved, not cited")


def render_retrieved(turn: int, question: str, passages: Sequence[Passage]) -> str:
    """The sources-panel section shown while the answer is being written: every passage found."""
    from markupsafe import Markup

    return templates().get_template("retrieved.html").render(turn=turn, question=question,
                                                             cards=[Markup(render_other(p)) for p in passages])


def render_panel(sections: Sequence[str]) -> str:
    """The whole sources panel: newest turn first."""
    if not sections:
        return '<p class="src-empty">Sources for each answer appear here.</p>'
    return "".join(reversed(sections[-PANEL_TURNS:]))


KIND_TITLES = {"quote": "quoted words of the speaker", "reported": "the speaker's claim, in the outlet's words",
               "outlet": "the outlet's own statement"}


@dataclass(frozen=True)
class AnswerLine:
    """One line of an answer: its sentence(s), the passage [n] it cites (None for text that cites none), and who
    says it (the claim's byline; empty when the answer's markers do not line up with its claims)."""

    text: str
    n: int | None = None
    claim: Claim | None = None
    byline: str = ""


_FULLWIDTH = str.maketrans("［］", "[]")  # how an answer quotes an article's own "[2]" (see format_answer)


def answer_lines(answer: Answer) -> list[AnswerLine]:
    """The answer's text cut at its [n] markers: one line per claim, each with its marker and byline. Text before a
    claim ("Accounts differ.") and after the last marker are lines of their own; a marker that cites no passage
    stays text."""

    cited = {p.n: p for p in answer.citations}
    parts = CITATION_RE.split(answer.text)
    # Each claim ends with its one marker, so the k-th marker closes the k-th claim.
    claims = answer.claims if len(parts) // 2 == len(answer.claims) else []
    lines: list[AnswerLine] = []
    carry = ""  # text of an uncited marker, kept for the next line
    for k in range(len(parts) // 2):
        said, n = (carry + parts[2 * k]).strip(), int(parts[2 * k + 1].split(",")[0])
        if n not in cited:
            carry = f"{said} [{n}] "
            continue
        carry = ""
        claim = claims[k] if claims else None
        if claim and said.translate(_FULLWIDTH).endswith(claim.text) and len(said) > len(claim.text):
            lines.append(AnswerLine(said[:len(said) - len(claim.text)].strip()))
            said = said[len(said) - len(claim.text):]
        lines.append(AnswerLine(said, n, claim, byline(claim, cited[n]) if claim else ""))
    rest = (carry + parts[-1]).strip()
    return lines + [AnswerLine(rest)] if rest else lines


def render_answer(answer: Answer, turn: int) -> str:
    """The chat message for an answer: one line per claim with its clickable [n] and byline, or an abstention notice."""
    titles = {p.n: p.title for p in answer.citations}
    # Quote marks become typographic ones, so the tooltip needs no entity that the chat could escape again.
    lines = [{"text": line.text, "n": line.n, "byline": line.byline, "kind": line.claim.kind if line.claim else "",
              "anchor": card_id(turn, line.n or 0),
              "tooltip": (titles.get(line.n) or "").replace('"', "”").replace("'", "’")}
             for line in answer_lines(answer)]

    frame = answer.timeframe
    entries = [{"date": e.date, "undated": not e.published, "source": e.source, "text": e.claim.text, "n": e.claim.n,
                "anchor": card_id(turn, e.claim.n or 0)} for e in timeline(answer)]
    dates = {e["date"] for e in entries}
    chronological = bool(frame and frame.order == "chronological")
    return templates().get_template("answer.html").render(abstained=answer.abstained, explanation=answer.explanation,
                                                          kind_titles=KIND_TITLES, dispute=answer.dispute_summary,
                                                          window=frame.describe() if frame else "",
                                                          phrase=frame.phrase if frame else "",
                                                          newest_first=bool(frame and frame.order == "recent"),
                                                          timeline=entries if chronological or len(dates) > 1 else [],
                                                          timeline_open=chronological,
                                                          lines=lines, notes=answer.notes, found=bool(answer.passages),
                                                          copy_markdown=_copyable(answer_markdown(answer)),
                                                          copy_json=_copyable(json.dumps(answer_to_dict(answer),
                                                                                         indent=2, ensure_ascii=False)))


def _copyable(text: str) -> str:
    """Text for a copy button's value: base64 of its UTF-8, so neither the chat's Markdown nor its sanitizer touches it."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def render_library(docs: Sequence[DocumentRecord]) -> str:
    """The library table, newest first: title, source, date, chunks, document id."""
    rows = sorted(docs, key=lambda d: (d.published or "", d.doc_id), reverse=True)
    return templates().get_template("library.html").render(docs=rows)


# ---------------------------------------------------------------- export (pure)

_MARKDOWN_RE = re.compile(r"[\\`*_\[\]<>#|]")


def _md(text: object) -> str:
    """Text with Markdown's active characters backslash-escaped: article text stays text in any Markdown viewer."""
    return _MARKDOWN_RE.sub(lambda m: "\\" + m.group(), str(text))


def answer_markdown(answer: Answer, number: int | None = None) -> str:
    """An answer as Markdown: the question as a heading, one paragraph per claim with its [n] and byline (or why
    there is no answer), its notes, then the numbered sources with title, source, date and URL."""
    out = [f"## {f'Q{number}. ' if number else ''}{_md(answer.question)}"]
    if answer.query and answer.query != answer.question:  # a follow-up: what it was read as
        out.append(f"*Searched for:* {_md(answer.query)}")
    if answer.abstained:
        out.append(f"No answer in the articles. {_md(answer.explanation)}")
    else:
        if answer.dispute_summary:
            out.append(f"*{_md(answer.dispute_summary)}.*")
        out += [_md(line.text) + (f" [{line.n}]" if line.n else "") + (f" — {_md(line.byline)}" if line.byline else "")
                for line in answer_lines(answer)]
    out += [f"Note: {_md(note)}" for note in answer.notes]
    if answer.citations and not answer.abstained:
        out.append("Sources:\n\n" + "\n".join(
            f"{p.n}. {_md(p.title or p.doc_id)} — {_md(p.source or UNKNOWN_SOURCE)}, {p.published or 'undated'}"
            + (f", <{safe_url(p.url)}>" if safe_url(p.url) else f", {_md(p.url)}" if p.url else "")
            for p in answer.citations))
    return "\n\n".join(out) + "\n"


def conversation_markdown(answers: Sequence[Answer]) -> str:
    """A conversation as one Markdown file: each question and answer with its sources, in the order asked."""
    return "\n".join(["# News Q&A conversation\n", *(answer_markdown(a, i) for i, a in enumerate(answers, 1))])


def conversation_json(answers: Sequence[Answer]) -> str:
    """A conversation as JSON: the list of its answers, each as the app's /ask endpoint returns one."""
    return json.dumps([answer_to_dict(a) for a in answers], indent=2, ensure_ascii=False) + "\n"
