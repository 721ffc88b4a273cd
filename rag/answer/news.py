"""The news-aware steps every answer passes through, whichever answerer wrote it: both sides of a dispute, a
timeline spanning its period, other outlets' confirmations, and claims in the order the question asks for. The
steps change claims, citations and the dispute; the text is written from them once, after the last step."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..model import TimeFrame
from .chronology import in_time_order, span_the_period
from .confirmation import with_confirmations
from .disagreement import show_both_sides, show_differing_sources
from .extractive import candidate_sentences
from .model import Answer
from .render import rendered
from ..store import IndexView


def news_aware(index: IndexView, answer: Answer, question_vector: np.ndarray, timeframe: TimeFrame,
               load_reader: Callable | None = None) -> Answer:
    """The answer with the question's time frame applied and its disputes and confirmations shown; with
    `load_reader` (the trained reader, loaded on demand), sources that answer differently are shown too."""
    if answer.abstain_reason == "no-passages" and timeframe.has_window:
        answer = dataclasses.replace(answer, abstain_reason=f"out-of-window: {timeframe.describe()}")
    answer = given = dataclasses.replace(answer, timeframe=timeframe)
    # Both steps read the sentences of the same passages (a step adds claims, never passages): read them once.
    candidates = candidate_sentences(index, answer.passages) if not answer.abstained and answer.passages else []
    answer = show_both_sides(index, answer, question_vector, candidates=candidates)
    if load_reader is not None:
        answer = show_differing_sources(index, answer, candidates, load_reader)
    answer = span_the_period(index, answer, question_vector, candidates=candidates)
    return rendered(given, in_time_order(with_confirmations(index, answer), timeframe))
