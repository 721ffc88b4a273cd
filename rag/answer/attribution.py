"""Attribution: who says a sentence, read from the structure news writing gives it.

- A verb of saying with its subject before it ("Blinken said", "the Iranian foreign ministry has denied"),
  or after it when a quote comes first ("…,” said Nasser Kanaani, a spokesman for the ministry").
- "according to X".
- A bare quote takes the speaker of the next sentence, or of the previous one when that one introduces it.
- A pronoun subject ("He believes…") is the person the sentence before is about.
A sentence with none of these is the outlet's own statement. The side is the country the speaker's words name
("Iran's foreign minister", "U.S. Secretary of State", "British Foreign Secretary").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..gazetteer import countries_named
from .words import AUX_WORDS, ORGANIZATION_WORDS, PERSON_ROLES, SPEECH_VERBS

KINDS = ("quote", "reported", "outlet")
_WORD_RE = re.compile(r"[“”\"]|[,;:()—–]|[^\s“”\",;:()—–]+")
_QUOTE_MARKS = {"“", "”", '"'}
_BREAKS = {",", ";", ":", "(", ")", "—", "–"} | _QUOTE_MARKS
_PRONOUNS = {"he", "she", "they", "it"}
_DETERMINERS = {"the", "a", "an", "some", "several", "many", "two", "three", "other", "senior", "both"}
_SKIPPED = AUX_WORDS | {"also", "later", "then", "recently", "previously", "further", "publicly", "repeatedly", "not"}
_ROLE_WORDS = frozenset(PERSON_ROLES) | {"spokesman", "spokeswoman", "officials", "experts", "analysts", "diplomats"}
_MAX_SPEAKER_WORDS = 8


@dataclass(frozen=True)
class Attribution:
    """Who says a sentence: `speaker` as the article names them, their `side`, and the `kind` of statement."""

    speaker: str | None
    side: str | None
    kind: str  # "quote" (their own words in quotation marks), "reported" (said, according to), "outlet"


def words_of(sentence: str) -> list[str]:
    """Words, quotation marks and clause punctuation, in order (a final full stop stays on its word)."""
    return _WORD_RE.findall(sentence)


def _bare(word: str) -> str:
    return word.rstrip(".").lower()


def _is_capitalized(word: str) -> bool:
    return word[:1].isupper()


def _has_quote(words: Sequence[str]) -> bool:
    """A quotation of three words or more."""
    marks = [i for i, w in enumerate(words) if w in _QUOTE_MARKS]
    return any(b - a > 3 for a, b in zip(marks, marks[1:]))


def _phrase_before(words: Sequence[str], end: int) -> tuple[int, int] | None:
    """The noun phrase ending just before `end` (skipping auxiliaries and adverbs): its (start, end), or None."""
    i = end - 1
    while i >= 0 and (_bare(words[i]) in _SKIPPED or words[i].endswith("ly")):
        i -= 1
    if i > 0 and words[i] == ",":  # an apposition before the verb: "X, a spokesman for Y, said"
        opening = max((j for j in range(i) if words[j] == ","), default=-1)
        i = opening - 1 if opening > 0 else -1
    if i < 0 or words[i] in _BREAKS:
        return None
    stop = i + 1
    while i > 0 and words[i - 1] not in _BREAKS and stop - i < _MAX_SPEAKER_WORDS:
        previous = words[i - 1]
        if not (_is_capitalized(previous) or _bare(previous) in _DETERMINERS or _bare(previous) in {"of", "for", "'s"}
                or previous.lower().endswith(("'s", "’s")) or not _is_verbish(previous)):
            break
        i -= 1
    # A list of subjects: "Britain, France, and Germany announced"
    while i >= 2 and words[i - 1] in {",", "and"} and (_is_capitalized(words[i - 2]) or words[i - 2] in {",", "and"}):
        i -= 1
    while words[i] in {",", "and"}:
        i += 1
    return i, stop


def _is_verbish(word: str) -> bool:
    lower = _bare(word)
    return lower in SPEECH_VERBS or lower in AUX_WORDS or lower in {"that", "which", "who", "and", "but", "as", "while"}


def _phrase_after(words: Sequence[str], start: int) -> tuple[int, int] | None:
    """The noun phrase starting at `start`, up to a clause break: its (start, end), or None."""
    end = start
    while end < len(words) and words[end] not in _BREAKS and end - start < _MAX_SPEAKER_WORDS:
        end += 1
    return (start, end) if end > start else None


def _name_of(phrase: Sequence[str]) -> str:
    """A person's name from a phrase with titles ("U.S. Secretary of State Antony Blinken" -> "Antony Blinken"):
    the capitalized words at its end after its last title word, where a word after "of" belongs to the title."""
    cleaned = [w if re.fullmatch(r"(?:[A-Z]\.)+", w) else w.rstrip(".,") for w in phrase]
    start = len(cleaned)
    while start > 0 and _is_capitalized(cleaned[start - 1]) and _bare(cleaned[start - 1]) not in _ROLE_WORDS \
            and _bare(cleaned[start - 1]) not in ORGANIZATION_WORDS and (start < 2 or cleaned[start - 2] != "of"):
        start -= 1
    titled = 0 < start < len(cleaned) and (_bare(cleaned[start - 1]) in _ROLE_WORDS or cleaned[start - 1] == "of"
                                           or _bare(cleaned[start - 1]) in ORGANIZATION_WORDS)
    return " ".join(cleaned[start:] if titled else cleaned).strip()


def _side(words: Sequence[str]) -> str | None:
    """The countries a speaker's words name ("Iran's foreign ministry" -> "Iran"), or None."""
    named = sorted(countries_named(list(words)))
    return ", ".join(n.title() if n.islower() else n for n in named) or None


def _speaker_in(words: Sequence[str]) -> tuple[str | None, str | None, bool]:
    """(speaker, side, found) from a sentence's own structure."""
    lower = [_bare(w) for w in words]
    for i, word in enumerate(lower):
        if word == "according" and i + 1 < len(lower) and lower[i + 1] == "to":
            span = _phrase_after(words, i + 2)
            if span:
                phrase = words[span[0]:span[1]]
                return _name_of(phrase), _side(phrase), True
    for i, word in enumerate(lower):
        # A verb of saying is lowercase ("the United States" is no "states") and active ("was announced" has no speaker).
        if word not in SPEECH_VERBS or word == "according" or _is_capitalized(words[i]) or (
                i > 0 and lower[i - 1] in {"was", "were", "been", "being", "be", "is", "are"}):
            continue
        quote_before = any(w in _QUOTE_MARKS for w in words[max(0, i - 2):i]) or (i >= 1 and words[i - 1] == ",")
        if quote_before and i + 1 < len(words) and _is_capitalized(words[i + 1]):  # “…,” said Nasser Kanaani, a …
            span = _phrase_after(words, i + 1)
            appositive = _phrase_after(words, span[1] + 1) if span and span[1] < len(words) else None
            phrase = words[span[0]:span[1]]
            extra = words[appositive[0]:appositive[1]] if appositive else []
            return _name_of(phrase), _side([*phrase, *extra]), True
        span = _phrase_before(words, i)
        if span is None:
            continue
        phrase = words[span[0]:span[1]]
        if len(phrase) == 1 and _bare(phrase[0]) in _PRONOUNS:
            return None, None, True  # a pronoun: the speaker is named before
        return _name_of(phrase), _side(phrase), True
    return None, None, False


def attribute(sentences: Sequence[str], i: int, *, outlet: str | None = None) -> Attribution:
    """Who says sentence `i` of an article (its neighbours are read too); `outlet` speaks when no one else does."""
    words = words_of(sentences[i])
    quoted = _has_quote(words)
    speaker, side, found = _speaker_in(words)
    if found and speaker is None:  # a pronoun subject: whom the sentences before name
        for j in range(i - 1, max(-1, i - 3), -1):
            speaker, side, _ = _speaker_in(words_of(sentences[j]))
            if speaker:
                break
    if not found and quoted:  # a bare quote: the next sentence's speaker, else the one before that introduces it
        for j in (i + 1, i - 1):
            if 0 <= j < len(sentences):
                speaker, side, found = _speaker_in(words_of(sentences[j]))
                if speaker:
                    break
    if speaker:
        return Attribution(speaker, side, "quote" if quoted else "reported")
    return Attribution(outlet, None, "outlet")
