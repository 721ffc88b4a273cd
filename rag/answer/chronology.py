"""Answers in time: claims ordered by their articles' dates for timeline and "most recent" questions, and the
dated entries of a timeline view."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..model import TimeFrame
from ..text import years_named
from .model import UNKNOWN_SOURCE, Answer, Claim, quote_claim, reader_date, renumbered
from .extractive import candidate_sentences
from ..store import IndexView

# A timeline takes the best sentence of each retrieved article it does not cite yet when that sentence is at
# least this close to the question (cosine). Chosen on the dev half of eval/news_gold.jsonl (eval/EXPERIMENTS.md).
SPAN_ON_TOPIC = 0.55


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
                             cited[c.n].source or UNKNOWN_SOURCE, c) for c in answer.claims if c.n in cited]
    dated = sorted((e for e in entries if e.published), key=lambda e: e.published)
    return [*dated, *(e for e in entries if not e.published)]


def in_time_order(answer: Answer, timeframe: TimeFrame) -> Answer:
    """The answer with the question's time frame, its claims ordered by date when the question asks for a
    timeline (oldest first) or the newest account (newest first), undated last; citations renumbered by first use."""
    answer = dataclasses.replace(answer, timeframe=timeframe)
    if answer.abstained or len(answer.claims) < 2 or timeframe.order not in ("chronological", "recent"):
        return answer

    published = {p.n: p.published for p in answer.citations}
    dated = [c for c in answer.claims if published.get(c.n)]
    dated.sort(key=lambda c: published[c.n], reverse=timeframe.order == "recent")
    claims = [*dated, *(c for c in answer.claims if not published.get(c.n))]
    claims, citations = renumbered(claims, answer.citations)
    return dataclasses.replace(answer, claims=claims, citations=citations)


def span_the_period(index: IndexView, answer: Answer, question_vector: np.ndarray, *, on_topic: float = SPAN_ON_TOPIC,
                    candidates: list | None = None) -> Answer:
    """For a timeline question, the answer with the best on-topic sentence of each retrieved dated article it does
    not cite yet (of any article from a year the question names), so the claims span the period asked."""
    if (answer.abstained or not answer.claims or not answer.timeframe or answer.timeframe.order != "chronological"
            or index.sentence_vectors.shape[1] == 0):
        return answer

    cited_docs = {c.doc_id for c in answer.claims}
    if candidates is None:  # the sentences of the answer's passages (news_aware passes them, read once)
        candidates = candidate_sentences(index, answer.passages)
    candidates = [c for c in candidates
                  if answer.passages[c.passage_index].published and answer.passages[c.passage_index].doc_id not in cited_docs]
    if not candidates:
        return answer
    relevance = np.asarray(index.sentence_vectors[[c.row for c in candidates]], dtype=np.float32) @ question_vector

    # A year the question names is part of the period asked: its article's best sentence counts whatever its score.
    named = set(years_named(answer.question))
    best: dict[str, int] = {}
    for i, found in enumerate(candidates):
        passage = answer.passages[found.passage_index]
        asked = relevance[i] >= on_topic or passage.published[:4] in named
        if asked and (passage.doc_id not in best or relevance[i] > relevance[best[passage.doc_id]]):
            best[passage.doc_id] = i
    if not best:
        return answer
    claims, citations = list(answer.claims), list(answer.citations)
    who = index.attributions([candidates[i].row for i in best.values()])
    for i in best.values():
        found = candidates[i]
        claims.append(quote_claim(citations, answer.passages[found.passage_index], found, float(relevance[i]),
                                  who.get(found.row)))
    return dataclasses.replace(answer, claims=claims, citations=citations)
