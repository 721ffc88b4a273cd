"""What every answerer returns: an `Answer` made of `Claim`s, each citing one passage."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..retrieval import Passage

ABSTAIN_TEXT = "The indexed articles do not answer this question."


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer and the passage it cites.

    Extractive claims are article text: `text` is `document[start:end]` (one sentence, or two when the first
    names the subject of the second). LLM claims are generated: `start:end` is the passage sentence that
    supports them best, and `supported` says whether the verifier accepted them (`reason` says why not).
    """

    text: str
    n: int | None
    doc_id: str
    start: int
    end: int
    score: float
    sentences: int = 1
    generated: bool = False
    supported: bool = True
    reason: str = ""


@dataclass(frozen=True)
class Answer:
    """An answer: `text` with [n] markers, the cited passages (numbered by first use), or an abstention.

    `abstain_reason` says why there is no answer ("not-mentioned: S-300", "low-score", "llm-refused"), and
    `notes` say in plain words what a reader should know (what is not mentioned, a fallback from the LLM).
    """

    question: str
    text: str
    citations: list[Passage]
    abstained: bool
    claims: list[Claim] = dataclasses.field(default_factory=list)
    confidence: float = 0.0
    passages: list[Passage] = dataclasses.field(default_factory=list)  # everything retrieved, cited or not
    abstain_reason: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)
    answerer: str = "extractive"
    dropped: list[Claim] = dataclasses.field(default_factory=list)  # generated sentences the verifier rejected

    @property
    def explanation(self) -> str:
        """Why there is no answer, in plain words (empty when there is one)."""
        if not self.abstained:
            return ""
        return explain(self.abstain_reason)


def answer_to_dict(answer: Answer, query: str | None = None) -> dict:
    """An answer as JSON-ready data (the app's `/ask` endpoint and `rag ask --json` return this)."""
    data = {"question": answer.question, **({"query": query} if query is not None else {}), "answer": answer.text,
            "abstained": answer.abstained, "abstain_reason": answer.abstain_reason, "explanation": answer.explanation,
            "notes": list(answer.notes), "answerer": answer.answerer, "confidence": answer.confidence,
            "citations": [dataclasses.asdict(p) for p in answer.citations],
            "claims": [dataclasses.asdict(c) for c in answer.claims],
            "dropped": [dataclasses.asdict(c) for c in answer.dropped]}
    return data


def explain(reason: str) -> str:
    """A reader's sentence for an abstention reason."""
    kind, _, detail = reason.partition(":")
    detail = detail.strip()
    if kind == "not-mentioned" and detail:
        return f"The articles do not mention {detail}."
    if kind == "wrong-kind" and detail:
        return f"The passages found do not state {detail}."
    if kind == "llm-refused":
        return "The language model found no answer in the passages."
    if kind == "no-passages":
        return "No article matches the question (or the filters)."
    return "No passage of the articles answers this question closely enough."
