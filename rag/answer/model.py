"""What every answerer returns: an `Answer` made of `Claim`s, each citing one passage."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..lexicon.gazetteer import countries_named
from ..model import Passage, TimeFrame
from ..text import SHORT_MONTHS, tokens

ABSTAIN_TEXT = "The indexed articles do not answer this question."
UNKNOWN_SOURCE = "source unknown"  # what a passage of an article without a named outlet is credited to


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
    # Who says it (see rag.attribution): the speaker and their side, and "quote", "reported" or "outlet" (the
    # outlet's own statement); a generated claim takes these from the passage sentence that supports it.
    speaker: str | None = None
    side: str | None = None
    kind: str = "outlet"
    denial: bool = False
    confirmed_by: tuple[str, ...] = ()  # other outlets' stories that state the same fact: "Source (date)"


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
    dispute: tuple[str, str] | None = None  # (the side that claims, the side that denies) when accounts differ
    # (one outlet, another, what differs: "figures", "dates", "names" or "accounts") when sources answer differently
    differing: tuple[str, str, str] | None = None
    timeframe: TimeFrame | None = None  # the window or order read from the question's time words, if any
    query: str = ""  # what was searched for when it is not the question (a follow-up read with its conversation)

    @property
    def dispute_summary(self) -> str:
        """Who denies what, when accounts differ ("Iran denies what the United States says"), or which outlets
        differ ("Reuters and Bloomberg give different figures"); else empty."""
        if self.differing:
            first, second, what = self.differing
            return f"{first} and {second} give {'opposite' if what == 'accounts' else 'different'} {what}"
        if not self.dispute:
            return ""
        claimant, denier = self.dispute
        return f"{denier} {'deny' if ' and ' in denier else 'denies'} what {claimant} says"

    @property
    def explanation(self) -> str:
        """Why there is no answer, in plain words (empty when there is one)."""
        if not self.abstained:
            return ""
        return explain(self.abstain_reason)


def said_by(who) -> dict:
    """A claim's attribution fields from an Attribution (none when `who` is None)."""
    return {"speaker": who.speaker, "side": who.side, "kind": who.kind, "denial": who.denial} if who else {}


def quote_claim(citations: list[Passage], passage: Passage, sentence, score: float, who) -> Claim:
    """A quoted `sentence` of `passage` (anything with `start`, `end` and `text`: the answer stage's Candidate) as
    a claim, citing the passage (appended to `citations` when new) and carrying its attribution `who` (an
    Attribution, or None)."""
    numbers = {(p.doc_id, p.start, p.end): p.n for p in citations}
    key = (passage.doc_id, passage.start, passage.end)
    if key not in numbers:
        numbers[key] = len(citations) + 1
        citations.append(dataclasses.replace(passage, n=numbers[key]))
    return Claim(sentence.text, numbers[key], passage.doc_id, sentence.start, sentence.end, score, **said_by(who))


def renumbered(claims: list[Claim], citations: list[Passage]) -> tuple[list[Claim], list[Passage]]:
    """Claims and citations with the citations numbered by first use in the claims' order."""
    numbers: dict[int, int] = {}
    for claim in claims:
        numbers.setdefault(claim.n, len(numbers) + 1)
    claims = [dataclasses.replace(c, n=numbers[c.n]) for c in claims]
    citations = sorted((dataclasses.replace(p, n=numbers[p.n]) for p in citations if p.n in numbers),
                       key=lambda p: p.n)
    return claims, citations




def reader_date(published: str | None) -> str:
    """An ISO date, full or partial, as a reader writes it ("2024-09-10" -> "10 Sep 2024"); "undated" if none."""
    if not published:
        return "undated"
    parts = published.split("-")
    if len(parts) == 1:
        return parts[0]
    month = SHORT_MONTHS[int(parts[1]) - 1]
    return f"{month} {parts[0]}" if len(parts) == 2 else f"{int(parts[2])} {month} {parts[0]}"


def _names_side(who: str, side: str) -> bool:
    """Whether a speaker's name already says their side: "Washington Post" (The Washington Post), "Britain,
    France, and Germany" (United Kingdom and France and Germany)."""
    sides = {_bare(s) for s in side.split(" and ")}
    return _bare(side) in _bare(who) or sides <= countries_named(tokens(who))


def _bare(name: str) -> str:
    """A name for comparison: lower case, without a leading "the"."""
    name = name.lower().strip()
    return name[4:] if name.startswith("the ") else name


def byline(claim: Claim, passage: Passage) -> str:
    """Who says a claim, where and when: "Nasser Kanaani (Iran), via AP, 10 Sep 2024", or "AP, 10 Sep 2024" for
    the outlet's own statement."""
    date = reader_date(passage.published)
    who = claim.speaker or ""
    if claim.side and not _names_side(who, claim.side):  # not "Washington Post (The Washington Post)"
        who += f" ({claim.side})"
    where = f"via {passage.source}" if passage.source else UNKNOWN_SOURCE
    line = f"{who}, {where}, {date}" if claim.speaker else f"{passage.source or UNKNOWN_SOURCE}, {date}"
    if claim.confirmed_by:
        line += "; confirmed by " + ", ".join(claim.confirmed_by)
    return line


def answer_to_dict(answer: Answer, query: str | None = None) -> dict:
    """An answer as JSON-ready data (the app's `/ask` endpoint and `rag ask --json` return this)."""
    data = {"question": answer.question, "query": query if query is not None else answer.query or answer.question,
            "answer": answer.text,
            "abstained": answer.abstained, "abstain_reason": answer.abstain_reason, "explanation": answer.explanation,
            "notes": list(answer.notes), "answerer": answer.answerer, "confidence": answer.confidence,
            "citations": [dataclasses.asdict(p) for p in answer.citations],
            "claims": [dataclasses.asdict(c) for c in answer.claims],
            "dropped": [dataclasses.asdict(c) for c in answer.dropped],
            "dispute": list(answer.dispute) if answer.dispute else None, "dispute_summary": answer.dispute_summary,
            "differing": list(answer.differing) if answer.differing else None,
            "timeframe": dataclasses.asdict(answer.timeframe) if answer.timeframe else None}
    return data


def passage_from_dict(fields: dict) -> Passage:
    """A Passage from its JSON (`dataclasses.asdict`, as /ask's citations and /search's passages carry it)."""
    return Passage(**{**fields, "also_reported_by": tuple(fields.get("also_reported_by") or ())})


def answer_from_dict(data: dict) -> Answer:
    """The Answer `answer_to_dict` made (what `rag ask` rebuilds from a running app's /ask reply)."""

    def claim(fields: dict) -> Claim:
        return Claim(**{**fields, "confirmed_by": tuple(fields.get("confirmed_by") or ())})

    return Answer(data["question"], data["answer"], [passage_from_dict(p) for p in data["citations"]], data["abstained"],
                  claims=[claim(c) for c in data["claims"]], confidence=data["confidence"],
                  abstain_reason=data["abstain_reason"], notes=list(data["notes"]), answerer=data["answerer"],
                  dropped=[claim(c) for c in data["dropped"]],
                  dispute=tuple(data["dispute"]) if data["dispute"] else None,
                  differing=tuple(data["differing"]) if data.get("differing") else None,
                  timeframe=TimeFrame(**data["timeframe"]) if data["timeframe"] else None,
                  query=data.get("query") or "")


def explain(reason: str) -> str:
    """A reader's sentence for an abstention reason."""
    kind, _, detail = reason.partition(":")
    detail = detail.strip()
    if kind == "not-mentioned" and detail:
        return f"The articles do not mention {detail}."
    if kind == "wrong-kind" and detail:
        return f"The passages found do not state {detail}."
    if kind == "out-of-window" and detail:
        return f"No article is published {detail} or mentions that time; to search all dates, stop reading dates in the question (the app's “Read dates in the question”, `rag ask --no-dates`)."
    if kind == "not-answered" and detail:
        return f"No sentence of the articles answers this. The closest they come: {detail}."
    if kind == "llm-refused":
        return "The language model found no answer in the passages."
    if kind == "no-passages":
        return "No article matches the question (or the filters)."
    return "No passage of the articles answers this question closely enough."
