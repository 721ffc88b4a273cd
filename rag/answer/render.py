"""An answer's text, written from its claims in one place: each quoted sentence with its [n] marker, opened by
"Accounts differ." or "Sources differ." when the answer shows a dispute. The news steps (rag.answer.news) change
an answer's claims, citations and dispute; its text is written once, after the last of them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..text import CITATION_RE
from .model import Answer

ACCOUNTS_DIFFER = "Accounts differ."  # what a disputed answer opens with
SOURCES_DIFFER = "Sources differ."  # what an answer opens with when two outlets answer the question differently


def format_answer(texts: Sequence[str], numbers: Sequence[int]) -> str:
    """Join quoted sentences, each followed by its [n] marker.

    An article's own "[2]" would read as a citation, so inside quotes it becomes fullwidth "［2］":
    article text is data and can never add or change citations.
    """
    quoted = [CITATION_RE.sub(lambda m: f"［{m.group(1)}］", text) for text in texts]
    return " ".join(f"{text} [{n}]" for text, n in zip(quoted, numbers))


def claims_text(answer: Answer) -> str:
    """The answer's claims as its text, opened by what its dispute is."""
    opening = ACCOUNTS_DIFFER if answer.dispute else SOURCES_DIFFER if answer.differing else ""
    body = format_answer([c.text for c in answer.claims], [c.n for c in answer.claims])
    return f"{opening} {body}" if opening else body


def rendered(before: Answer, after: Answer) -> Answer:
    """`after` (what the news steps made of `before`) with its text written from its claims, when the steps changed
    what it quotes or in which order, or opened a dispute; else its text as it was (a language model's own
    sentences stay as written when no step touched them)."""
    def quoted(answer: Answer) -> list[tuple[str, int]]:
        return [(c.text, c.n) for c in answer.claims]

    unchanged = quoted(after) == quoted(before) and (after.dispute, after.differing) == (before.dispute, before.differing)
    if after.abstained or unchanged:
        return after
    return dataclasses.replace(after, text=claims_text(after))
