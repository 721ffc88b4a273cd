"""Text comparison shared by the stages: one way to ignore case, quote style, dashes and spacing."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'",
                         "–": "-", "—": "-", "\u00a0": " "})


def possessor(word: str) -> str:
    """Lower-case word without a possessive ending ("Moscow’s" -> "moscow")."""
    return re.sub(r"['’]s?$", "", word).lower()


def normalize(text: str) -> str:
    """Casefold, unify typographic quotes and dashes, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip().casefold()
