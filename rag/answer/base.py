"""The two answerers behind one protocol: each streams the text it writes as it writes it, then its Answer.

`Quoting` quotes article sentences (rag.answer.extractive) and yields its Answer at once; `Writing` has a
language model write the answer (rag.answer.llm), yields the text as it arrives and then the Answer with every
sentence checked against the passage it cites. The engine runs either the same way and falls back to quoting
when a written answer keeps no sentence or the model fails."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..errors import LLMError
from ..model import Passage
from ..store import IndexView
from .extractive import DEFAULT_ABSTAIN_THRESHOLD, Question, answer
from .llm import LLMSettings, stream_answer
from .model import Answer


class Answerer(Protocol):
    """What answers a question from its passages: text pieces as they are written, then the Answer."""

    def stream(self, index: IndexView, question: Question, passages: list[Passage]) -> Iterator[str | Answer]: ...


@dataclass(frozen=True)
class Quoting:
    """The extractive answerer: the sentences that answer, quoted and cited, or a refusal saying why; `read`
    (the reader's probability that each sentence answers) decides which near-best sentences join the lead."""

    abstain_threshold: float = DEFAULT_ABSTAIN_THRESHOLD
    read: Callable[[str, list[str]], np.ndarray] | None = None

    def stream(self, index: IndexView, question: Question, passages: list[Passage]) -> Iterator[str | Answer]:
        yield answer(index, question, passages, abstain_threshold=self.abstain_threshold, read=self.read)


@dataclass(frozen=True)
class Writing:
    """A language model's answer (an OpenAI-compatible endpoint, `settings`), each sentence checked against the
    passage it cites with `encode` (the embedding model); `count_tokens` fits the passages to its context."""

    settings: LLMSettings
    encode: Callable[[list[str]], np.ndarray]
    count_tokens: Callable[[str], int]

    def stream(self, index: IndexView, question: Question, passages: list[Passage]) -> Iterator[str | Answer]:
        yield from stream_answer(index, question.text, passages, self.settings, self.encode, self.count_tokens)


def with_fallback(pieces: Iterator[str | Answer], finish: Callable[[Answer], Answer],
                  quoted: Callable[[str], Answer]) -> Iterator[str | Answer]:
    """An answerer's `pieces` as the asker gets them: the text as it is written, then the answer `finish`ed (the
    news steps, the question's notes); `quoted(note)` instead, the quoted answer with a note saying why, when no
    sentence a language model wrote survives the check or its endpoint fails."""
    try:
        for piece in pieces:
            if isinstance(piece, str):
                yield piece
            elif piece.abstain_reason == "llm-unsupported":
                # No generated sentence survived the check: the quoted answer, with what was dropped.
                answer = quoted("No sentence the language model wrote is supported by the passages; "
                                "these are quoted sentences instead.")
                yield dataclasses.replace(answer, dropped=piece.dropped)
            else:
                yield finish(piece)
    except LLMError as exc:
        yield quoted(f"The language model did not answer ({exc}); these are quoted sentences instead.")
