"""Data types handed between stages: who says a sentence (read at build time, stored by the index), a retrieved
passage and a question's time frame. Plain frozen dataclasses, at the bottom of the layers (docs/DESIGN.md), so
the store needs no parser and the answer stage neither retrieval nor the time-word reader to name them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with everything needed to cite it; `n` is its citation number in an answer."""

    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    text: str
    start: int
    end: int
    score: float
    chunk_id: int = -1
    author: str | None = None
    n: int | None = None
    also_reported_by: tuple[str, ...] = ()  # other articles of the same story: "Source (date)", earliest first


@dataclass(frozen=True)
class TimeFrame:
    """What a question asks about time.

    `date_from`/`date_to`: the publication window (YYYY-MM-DD, either open); `order`: "recent" (newest first),
    "chronological" (a timeline) or ""; `phrase`: the words that set the window, as the question has them.
    `event`: the window is set by an event ("before the invasion of Ukraine"), which articles published after it
    still report on, so articles outside the window are ranked after those inside, not left out.
    """

    date_from: str | None = None
    date_to: str | None = None
    order: str = ""
    phrase: str = ""
    event: bool = False

    @property
    def has_window(self) -> bool:
        return bool(self.date_from or self.date_to)

    def describe(self) -> str:
        """The window in plain words ("2023-01-01 to 2024-09-21"), or empty."""
        if self.date_from and self.date_to:
            return self.date_from if self.date_from == self.date_to else f"{self.date_from} to {self.date_to}"
        if self.date_from:
            return f"{self.date_from} or later"
        return f"{self.date_to} or earlier" if self.date_to else ""


@dataclass(frozen=True)
class Attribution:
    """Who a sentence's statement belongs to.

    `kind` is "quote" (quoted words of a speaker), "reported" (a speaker's claim or stance in the outlet's words)
    or "outlet" (the outlet's own statement: `speaker` and `side` are None). `side` is the country or organization
    the speaker speaks for ("Iran", "United States"), when the sentence or the article says so; `denial` says
    whether the speaker rejects a claim.
    """

    speaker: str | None
    side: str | None
    kind: str
    denial: bool = False


OUTLET = Attribution(None, None, "outlet")
