"""Answers in time: claims ordered by their articles' dates for timeline and "most recent" questions, and the
dated entries of a timeline view."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..timeframe import TimeFrame
from .model import Answer, Claim, reader_date


@dataclass(frozen=True)
class TimelineEntry:
    """One cited claim on a timeline: its article's date (None: undated, listed last), source and citation."""

    published: str | None
    date: str  # as a reader writes it ("10 Sep 2024", "undated")
    source: str
    claim: Claim


def timeline(answer: Answer) -> list[TimelineEntry]:
    """The answer's claims by their articles' publication dates, oldest first; undated ones last."""
    cited = {p.n: p for p in answer.citations}
    entries = [TimelineEntry(cited[c.n].published, reader_date(cited[c.n].published),
                             cited[c.n].source or "source not given", c) for c in answer.claims if c.n in cited]
    dated = sorted((e for e in entries if e.published), key=lambda e: e.published)
    return [*dated, *(e for e in entries if not e.published)]


def in_time_order(answer: Answer, timeframe: TimeFrame) -> Answer:
    """The answer with the question's time frame, its claims ordered by date when the question asks for a
    timeline (oldest first) or the newest account (newest first), undated last; citations renumbered by first use."""
    answer = dataclasses.replace(answer, timeframe=timeframe)
    if answer.abstained or len(answer.claims) < 2 or timeframe.order not in ("chronological", "recent"):
        return answer
    from .extractive import format_answer

    published = {p.n: p.published for p in answer.citations}
    dated = [c for c in answer.claims if published.get(c.n)]
    dated.sort(key=lambda c: published[c.n], reverse=timeframe.order == "recent")
    claims = [*dated, *(c for c in answer.claims if not published.get(c.n))]
    numbers: dict[int, int] = {}
    for claim in claims:
        numbers.setdefault(claim.n, len(numbers) + 1)
    claims = [dataclasses.replace(c, n=numbers[c.n]) for c in claims]
    citations = sorted((dataclasses.replace(p, n=numbers[p.n]) for p in answer.citations if p.n in numbers),
                       key=lambda p: p.n)
    text = format_answer([c.text for c in claims], [c.n for c in claims])
    if answer.dispute:
        from .disagreement import ACCOUNTS_DIFFER

        text = f"{ACCOUNTS_DIFFER} {text}"
    return dataclasses.replace(answer, text=text, claims=claims, citations=citations)
