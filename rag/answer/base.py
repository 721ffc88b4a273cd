"""The two answerers behind one protocol: each streams the text it writes as it writes it, then its Answer.

`Quoting` quotes article sentences (rag.answer.extractive) and yields its Answer at once; `Writing` has a
language model write the answer (rag.answer.llm), yields the text as it arrives and then the Answer with every
sentence checked against the passage it cites. The engine runs either the same way and falls back to quoting
when a written answer keeps no sentence or the model fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

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
