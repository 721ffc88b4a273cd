"""Speaker precision and recall of `rag.attribution` on a labelled set of article sentences (eval/speakers.jsonl)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .gazetteer import country_span
from .text import possessor

_JOINERS = frozenset({"the", "a", "an", "and"})


def _words(name: str) -> list[str]:
    """A name's lower-case words, country aliases written out ("the U.K." -> united kingdom)."""
    lower = [possessor(w) for w in re.findall(r"[\w.’'-]+", name)]
    out, i = [], 0
    while i < len(lower):
        country, n = country_span(lower, i)
        out.extend(country.split() if country else [lower[i]])
        i += n or 1
    return [w for w in out if w not in _JOINERS]


def head_word(label: str) -> str:
    """The word a labelled speaker is known by: the last one before "of/from/for" ("officials", "Blinken")."""
    words = _words(label)
    for stop in ("of", "from", "for"):
        if stop in words[1:]:
            words = words[:words.index(stop)]
    return words[-1]


def speaker_matches(predicted: str, label: str) -> bool:
    """A predicted speaker names the labelled one when it holds the label's head word ("Macron" for "Emmanuel
    Macron", "the U.K." for "the United Kingdom"), or is its initials ("AP")."""
    if head_word(label) in _words(predicted):
        return True
    # An outlet's or agency's initials: "AP" for "the Associated Press".
    initials = "".join(w[0] for w in re.findall(r"[A-Z][\w-]*", label))
    return predicted.isupper() and len(predicted) > 1 and predicted.replace(".", "") == initials


@dataclass(frozen=True)
class SpeakerScores:
    """Speaker precision (of the sentences given a speaker) and recall (of the quoted and reported ones)."""

    correct: int
    predicted: int
    labelled: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.labelled if self.labelled else 0.0


def load_speaker_rows(path: str | Path, split: str | None = None) -> list[dict]:
    """Labelled sentences; odd-numbered ids are the dev half, even ones held out."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if split is None:
        return rows
    return [r for r in rows if (int(r["id"][1:]) % 2 == 1) == (split == "dev")]


def score_speakers(rows: Sequence[dict], predicted: Sequence[str | None]) -> SpeakerScores:
    """Score predicted speakers (None: the outlet's own statement) against the rows' labels, in order."""
    correct = labelled = given = 0
    for row, speaker in zip(rows, predicted, strict=True):
        spoken = row["kind"] in ("quote", "reported")
        labelled += spoken
        given += speaker is not None
        correct += bool(spoken and speaker is not None and speaker_matches(speaker, row["speaker"]))
    return SpeakerScores(correct, given, labelled)


def predict_speakers(rows: Sequence[dict], index) -> list[str | None]:
    """The speaker the index stores for each labelled sentence (read at build time with its article around it)."""
    out = []
    for row in rows:
        text = index.document_text(row["doc_id"]) or ""
        spans = index.document_sentences(row["doc_id"])
        at = next((r for r, start, end in spans
                   if row["sentence"][:60] in text[start:end] or text[start:end][:60] in row["sentence"]), None)
        out.append(index.attributions([at])[at].speaker if at is not None else None)
    return out
