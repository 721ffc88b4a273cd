"""Text comparison shared by the stages: one way to ignore case, quote style, dashes and spacing."""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterator

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'",
                         "–": "-", "—": "-", "\u00a0": " "})


# The one word pattern: a run of letters and digits. `tokens` joins such runs with the marks a word keeps inside it.
_WORD = r"[^\W_]+"
_WORD_RE = re.compile(_WORD)
_COMPOUND_RE = re.compile(rf"{_WORD}(?:[-/]{_WORD})*")
_PHRASE_WORD_RE = re.compile(rf"{_WORD}(?:[-'’_]+{_WORD})*")
# Letters only: a unit or scale after a number ("20km" -> km); a to z in lower case: a cue word ("said¹" -> said).
_LETTERS_RE = re.compile(r"[^\W\d_]+")
_ASCII_WORD_RE = re.compile(r"[a-z]+")
_TOKEN_RE = re.compile(rf"[$€£%]|{_WORD}(?:[-.,'’/]{_WORD})*")
# The one month table: full names and abbreviations, AP's "Sept." too, to the month's number; SHORT_MONTHS are the
# abbreviations as a date is written for a reader ("10 Sep 2024").
SHORT_MONTHS = tuple(calendar.month_abbr)[1:]
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(SHORT_MONTHS, 1)}, sept=9)
MONTH_ABBREVIATIONS = (*(name.lower() for name in SHORT_MONTHS), "sept")
WEEKDAYS = tuple(name.lower() for name in calendar.day_name)
# The citation marker after a claim: "[2]" as answers write it; a language model may also write "[1, 2]".
CITATION_RE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")


def years_named(text: str) -> list[str]:
    """The years a text names, in order, each once ("between 2011 and 2024" -> ["2011", "2024"])."""
    return list(dict.fromkeys(YEAR_RE.findall(text)))


def cited_numbers(text: str) -> list[int]:
    """The numbers the text's citation markers cite, in order of appearance ("a [1] b [2, 3]" -> 1, 2, 3)."""
    return [int(n) for group in CITATION_RE.findall(text) for n in group.split(",")]


def words(text: str) -> list[str]:
    """The runs of letters and digits in `text`, as written ("Iran's S-300" -> Iran, s, S, 300): the one word
    pattern of the stages that compare words."""
    return _WORD_RE.findall(text)


def ascii_words(text: str) -> list[str]:
    """The runs of the letters a to z in `text` lower-cased ("He said¹" -> he, said): how a statement's cue word is
    found, whatever the marks around it (rag.attribution, read at build time: an index's speakers depend on it)."""
    return _ASCII_WORD_RE.findall(text.lower())


def compound_words(text: str) -> list[str]:
    """Words with their hyphens and slashes kept ("Fath-360", "S-300/400", "Su-35s"): how a model number is
    written."""
    return _COMPOUND_RE.findall(text)


def phrase_word_matches(text: str) -> Iterator[re.Match]:
    """Words with their hyphens and apostrophes kept ("so-called", "Iran's"), split at every other mark ("U.S" is
    two): the words of a question as the follow-up reader compares them (rag.conversation), with their offsets.
    Read as `tokens` instead, 9 of the 120 follow-up turns of eval/followups.jsonl were searched differently."""
    return _PHRASE_WORD_RE.finditer(text)


def phrase_words(text: str) -> list[str]:
    """The words `phrase_word_matches` finds."""
    return _PHRASE_WORD_RE.findall(text)


def token_matches(text: str) -> Iterator[re.Match]:
    """The tokens of `text` (see `tokens`) as matches, with their offsets."""
    return _TOKEN_RE.finditer(text)


def tokens(text: str) -> list[str]:
    """Words with the marks they keep inside ("Fath-360", "U.S", "1,000", "Iran's", "S-300/400"), and currency and
    percent signs, in order: words as the answer stage, the follow-up reader and the gazetteer read them."""
    return _TOKEN_RE.findall(text)


def possessor(word: str) -> str:
    """Lower-case word without a possessive ending ("Moscow’s" -> "moscow")."""
    return re.sub(r"['’]s?$", "", word).lower()


def light_stem(word: str) -> str:
    """The one light stemmer: lower-case, a plural or final -e off ("missiles" and "missile" -> "missil",
    "companies" -> "company"); enough to match a word with its plural, and cheaper than a full stemmer (BM25 uses
    Snowball through bm25s: rag.store.bm25)."""
    word = word.lower()
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word.removesuffix("s").removesuffix("e") if len(word) > 3 else word


def normalize(text: str) -> str:
    """Casefold, unify typographic quotes and dashes, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip().casefold()


# Numbers as news writes them: digits with separators, number words, scale words and abbreviations ("€2.1bn",
# "1.2 billion euros", "Seventeen"), and lengths and masses in one unit each (metres, kilograms), so that
# "430 feet" and "about 130 metres" compare as the same size.
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
_TEENS_AND_TENS = "seventeen eighteen nineteen", "twenty thirty forty fifty sixty seventy eighty ninety"
_SMALL_NUMBERS = {w: i for i, w in enumerate((_UNITS + _TEENS_AND_TENS[0]).split())}
_SMALL_NUMBERS.update({w: 10 * (i + 2) for i, w in enumerate(_TEENS_AND_TENS[1].split())})
_SCALES = {"hundred": 1e2, "thousand": 1e3, "k": 1e3, "million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6,
           "billion": 1e9, "bn": 1e9, "trillion": 1e12, "tn": 1e12}
_UNIT_SIZES = {"km": 1000, "kilometre": 1000, "kilometer": 1000, "mile": 1609.344, "metre": 1, "meter": 1,
               "foot": 0.3048, "feet": 0.3048, "ft": 0.3048, "kg": 1, "kilogram": 1, "tonne": 1000, "ton": 1000,
               "pound": 0.4536, "lb": 0.4536}
_DIGITS_RE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*-?\s*([^\W\d_]*)")


def number_value(text: str) -> float | None:
    """The number a phrase states, scaled and in base units ("€2.1bn" -> 2.1e9, "1,240 miles" -> 1995582.6,
    "two hundred thousand" -> 200000.0); None when it states none."""
    lower = text.lower()
    found = _DIGITS_RE.search(lower)
    if found:
        value = float(found.group(1).replace(",", ""))
        following = [found.group(2)] + _LETTERS_RE.findall(lower[found.end():])[:1]
        for word in following:
            if word in _SCALES:
                return value * _SCALES[word]
            unit = word if word in _UNIT_SIZES else word[:-1] if word.endswith("s") else word
            if unit in _UNIT_SIZES:
                return value * _UNIT_SIZES[unit]
        return value
    total, current, seen = 0.0, 0.0, False
    for word in _LETTERS_RE.findall(lower):
        if word in _SMALL_NUMBERS:
            current, seen = current + _SMALL_NUMBERS[word], True
        elif word == "hundred" and seen:
            current = max(current, 1) * 100
        elif word in _SCALES and seen:
            total, current = total + max(current, 1) * _SCALES[word], 0.0
    return total + current if seen else None
