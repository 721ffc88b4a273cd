"""One verifier for every answerer: a claim stands only if the passage it cites supports it.

An extractive claim is article text, so it must be exactly the span it names. A generated claim must cite a
passage it was shown, every number and name in it must be in that passage, and it must be close in meaning
(cosine of sentence embeddings) to one sentence of the passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..text import normalize, possessor

# A generated sentence is close in meaning to a passage sentence at this cosine or above (all-MiniLM-L6-v2).
SUPPORT_COSINE = 0.55
_NUMBER_RE = re.compile(r"\d[\d,.]*\d|\d")
_NAME_RE = re.compile(r"(?<=[a-z,;:] )[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")


@dataclass(frozen=True)
class Verdict:
    """Whether a claim is supported, why not, and the passage sentence (start, end) that supports it best."""

    supported: bool
    reason: str
    start: int
    end: int


def verify_quote(text: str, document: str, start: int, end: int) -> Verdict:
    """An extractive claim: the quoted text is exactly the article's text at its span."""
    ok = document[start:end] == text
    return Verdict(ok, "" if ok else "not the article's text at its span", start, end)


def numbers_in(text: str) -> set[str]:
    """The numbers written in digits, without thousands separators or a final dot."""
    return {n.replace(",", "").rstrip(".") for n in _NUMBER_RE.findall(text)}


def _name_root(word: str) -> str:
    """A name's word without a possessive and with a short ending off ("Iran's", "Iranian" -> "iran")."""
    word = normalize(possessor(word))
    return word[:max(4, len(word) - 3)]


def names_in(text: str) -> list[str]:
    """Capitalized words that are not the first of a sentence (names, places, organizations)."""
    return [m.group(0) for m in _NAME_RE.finditer(text)]


def verify_generated(sentence: str, sentence_vector: np.ndarray, passage_text: str,
                     passage_sentences: Sequence[tuple[int, int]], passage_vectors: np.ndarray) -> Verdict:
    """A generated sentence against the passage it cites: numbers, names, then closeness in meaning."""
    if len(passage_sentences) == 0:
        return Verdict(False, "the cited passage has no sentences", 0, 0)
    cosines = passage_vectors @ sentence_vector
    best = int(np.argmax(cosines))
    start, end = passage_sentences[best]
    folded = normalize(passage_text)
    missing_numbers = sorted(n for n in numbers_in(sentence) if n not in numbers_in(passage_text))
    if missing_numbers:
        return Verdict(False, f"the cited passage does not hold {', '.join(missing_numbers)}", start, end)
    missing_names = [n for n in names_in(sentence) if not any(_name_root(w) in folded for w in n.split())]
    if missing_names:
        return Verdict(False, f"the cited passage does not name {', '.join(missing_names)}", start, end)
    if float(cosines[best]) < SUPPORT_COSINE:
        return Verdict(False, f"no sentence of the cited passage says this (closest cosine {cosines[best]:.2f})",
                       start, end)
    return Verdict(True, "", start, end)
