"""Countries, their capitals and demonyms (data from the countryinfo package), read on first use.

News writes "Moscow" and "Tehran" for Russia and Iran, and questions paraphrase them either way; lexical
matching treats a capital and its country as the same place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from ..text import possessor


@dataclass(frozen=True)
class Country:
    """A country's common name, its capital and its demonym, as written in English."""

    name: str  # "North Korea"
    capital: str  # "Pyongyang"
    demonym: str  # "North Korean"


@cache
def countries() -> tuple[Country, ...]:
    """Every country countryinfo knows that has a capital."""
    from countryinfo import CountryInfo

    out = []
    for entry in CountryInfo.all().values():
        capital = entry.get("capital")
        capital = capital[0] if isinstance(capital, list) and capital else capital
        if not isinstance(capital, str) or not capital or not entry.get("name"):
            continue
        capital = capital.removesuffix(" D.C.")  # "Washington D.C." is written "Washington"
        out.append(Country(entry["name"], capital, entry.get("demonym") or ""))
    return tuple(out)


@cache
def demonym_countries() -> dict[str, frozenset[str]]:
    """Lower-case demonym -> lower-case names of the countries it names ("french" -> france, french guiana…)."""
    out: dict[str, set[str]] = {}
    for c in countries():
        if c.demonym:
            out.setdefault(c.demonym.lower(), set()).add(c.name.lower())
    for demonym, names in EXTRA_DEMONYMS.items():
        out.setdefault(demonym, set()).update(names)
    return {demonym: frozenset(names) for demonym, names in out.items()}


@cache
def country_and_capital_names() -> frozenset[str]:
    """Lower-case names of every country and capital, and the country aliases ("united states", "moscow")."""
    return country_names() | frozenset(c.capital.lower() for c in countries())


@cache
def country_names() -> frozenset[str]:
    """Lower-case country names and their common aliases ("united states", "britain", "u.s." and "u.s"): the
    phrases `country_span` reads as a country, so a test of a whole phrase agrees with the reader of running text."""
    return frozenset(canonical_countries())


@cache
def place_words() -> frozenset[str]:
    """Lower-case country and capital names and demonyms: words that say where something is from."""
    return country_and_capital_names() | frozenset(demonym_countries())


@cache
def canonical_countries() -> dict[str, str]:
    """Lower-case country name or alias -> the country's lower-case name ("u.s." -> "united states")."""
    out = {c.name.lower(): c.name.lower() for c in countries()}
    out.update({alias.lower(): country.lower() for alias, country in COUNTRY_ALIASES.items()})
    # Tokenizers drop a final dot ("U.S." -> "U.S"), so the alias is known both ways.
    out.update({alias.lower().rstrip("."): country.lower() for alias, country in COUNTRY_ALIASES.items()})
    return out


def phrase_at(lower: Sequence[str], i: int, table: dict[str, str]) -> tuple[str | None, int]:
    """The value of the longest phrase of up to three lower-case words from i on that `table` holds, and how many
    words it takes; (None, 0) when it holds none."""
    for n in (3, 2, 1):
        if i + n <= len(lower) and (value := table.get(" ".join(lower[i: i + n]))):
            return value, n
    return None, 0


def country_span(lower: Sequence[str], i: int) -> tuple[str | None, int]:
    """The country that lower-case words from i on name by name or alias ("united states", "u.s"), and how many
    words that takes; (None, 0) when they name none."""
    return phrase_at(lower, i, canonical_countries())


def countries_named(words: Sequence[str], *, capitalized_only: bool = True) -> frozenset[str]:
    """Lower-case names of the countries that words name outright, by possessive or by demonym ("Iran's",
    "U.S.", "British"); with `capitalized_only`, lower-case words ("us", "turkey") name nothing."""
    demonyms, found = demonym_countries(), set()
    lower = [possessor(w) for w in words]
    for i, word in enumerate(words):
        if capitalized_only and not word[:1].isupper():
            continue
        country, _ = country_span(lower, i)
        if country:
            found.add(country)
        found.update(demonyms.get(lower[i], ()))
    return frozenset(found)


# Names news writes that countryinfo does not list.
COUNTRY_ALIASES = {"Britain": "United Kingdom", "Great Britain": "United Kingdom", "U.K.": "United Kingdom",
                   "UK": "United Kingdom", "U.S.": "United States", "US": "United States", "USA": "United States",
                   "America": "United States", "Türkiye": "Turkey", "Turkiye": "Turkey",
                   "UAE": "United Arab Emirates", "U.A.E.": "United Arab Emirates"}
# Demonyms news writes that countryinfo does not list.
EXTRA_DEMONYMS = {"saudi": {"saudi arabia"}, "emirati": {"united arab emirates"}}
# Institutions news writes for their country ("the Kremlin denied…"), lower case.
INSTITUTION_COUNTRIES = {"kremlin": "russia", "white house": "united states", "pentagon": "united states",
                         "state department": "united states", "secretary of state": "united states",
                         "capitol hill": "united states",
                         "foggy bottom": "united states", "downing street": "united kingdom",
                         "number 10": "united kingdom", "whitehall": "united kingdom",
                         "foreign office": "united kingdom", "elysee": "france", "élysée": "france",
                         "quai d'orsay": "france", "zhongnanhai": "china", "knesset": "israel",
                         "bundestag": "germany", "majlis": "iran", "verkhovna rada": "ukraine"}
# A capitalized word before a place name makes it part of another name ("Lewis Hamilton", "Victoria Nuland");
# these words do not ("In Moscow", "The Kremlin and Moscow").
_RUN_BREAKERS = frozenset({"the", "in", "at", "on", "of", "and", "to", "from", "for", "by", "with", "as", "but",
                           "while", "after", "before", "when", "near", "between", "both", "said", "says"})


@cache
def country_of_capital() -> dict[str, str]:
    """Capital -> country, for capitals of exactly one listed country (shared ones like Jerusalem are left out)."""
    owners: dict[str, set[str]] = {}
    for c in countries():
        owners.setdefault(c.capital, set()).add(c.name)
    return {capital: next(iter(names)) for capital, names in owners.items() if len(names) == 1}


@cache
def lower_country_of_capital() -> dict[str, str]:
    """country_of_capital in lower case ("kyiv" -> "ukraine")."""
    return {capital.lower(): country.lower() for capital, country in country_of_capital().items()}


@cache
def _place_pattern() -> tuple[re.Pattern, dict[str, str]]:
    # Capitals and country names are matched as written (capitalized), so "Male" or "Victoria" in running
    # text is the place only when capitalized; the longest alternative wins ("North Korea" before "Korea").
    capital_of = {country: capital for capital, country in country_of_capital().items()}
    partner = {**country_of_capital(), **capital_of}
    partner.update({alias: capital_of[country] for alias, country in COUNTRY_ALIASES.items() if country in capital_of})
    names = sorted(partner, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(map(re.escape, names)) + r")(?![\w])"), partner


def _standalone(text: str, start: int, end: int) -> bool:
    """False when the match is part of a longer capitalized name ("Washington Post", "Douglas Barrie")."""
    following = re.match(r"\s+([A-Z])", text[end:])
    preceding = re.search(r"(\S+)\s+$", text[:start])
    if following:
        return False
    if preceding:
        word = preceding.group(1)
        return not (word[:1].isupper() and word[-1] not in ".!?:;,\"”’" and word.lower() not in _RUN_BREAKERS)
    return True


def _places_in(text: str):
    pattern, _ = _place_pattern()
    return (m for m in pattern.finditer(text) if _standalone(text, m.start(), m.end()))


def place_partners(question: str) -> list[tuple[re.Pattern, str]]:
    """For each capital or country the question names: a pattern for its partner place, and the name itself."""
    _, partner = _place_pattern()
    named = dict.fromkeys(m.group(0) for m in _places_in(question))
    return [(re.compile(r"(?<![\w.])" + re.escape(partner[name]) + r"(?![\w])"), name) for name in named]


def with_question_places(text: str, partners: list[tuple[re.Pattern, str]]) -> str:
    """`text` followed by each question place whose partner it names ("…Russia…" gains "Moscow")."""
    added = [name for partner, name in partners if partner.search(text)]
    return f"{text} {' '.join(added)}" if added else text


def capitals_as_countries(text: str) -> str:
    """`text` with each capital replaced by its country ("Moscow handing Tehran" -> "Russia handing Iran")."""
    country_of = country_of_capital()
    out, last = [], 0
    for m in _places_in(text):
        if m.group(0) in country_of:
            out += [text[last:m.start()], country_of[m.group(0)]]
            last = m.end()
    return "".join(out) + text[last:]
