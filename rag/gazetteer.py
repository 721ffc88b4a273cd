"""Countries, their capitals and demonyms (data from the countryinfo package), read on first use.

News writes "Moscow" and "Tehran" for Russia and Iran, and questions paraphrase them either way; lexical
matching treats a capital and its country as the same place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


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
    return {demonym: frozenset(names) for demonym, names in out.items()}


@cache
def country_and_capital_names() -> frozenset[str]:
    """Lower-case names of every country and capital ("united states", "moscow")."""
    return frozenset(n.lower() for c in countries() for n in (c.name, c.capital))


@cache
def country_names() -> frozenset[str]:
    """Lower-case country names ("united states")."""
    return frozenset(c.name.lower() for c in countries())


@cache
def place_words() -> frozenset[str]:
    """Lower-case country and capital names and demonyms: words that say where something is from."""
    return country_and_capital_names() | frozenset(demonym_countries())


@cache
def _place_pattern() -> tuple[re.Pattern, dict[str, str]]:
    # Capitals and country names are matched as written (capitalized), so "Male" or "Victoria" in running
    # text is the place only when capitalized; the longest alternative wins ("North Korea" before "Korea").
    partner = {}
    for c in countries():
        partner.setdefault(c.capital, c.name)
        partner.setdefault(c.name, c.capital)
    names = sorted(partner, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b"), partner


def place_partners(question: str) -> list[tuple[re.Pattern, str]]:
    """For each capital or country the question names: a pattern for its partner place, and the name itself."""
    pattern, partner = _place_pattern()
    named = dict.fromkeys(m.group(0) for m in pattern.finditer(question))
    return [(re.compile(r"\b" + re.escape(partner[name]) + r"\b"), name) for name in named]


def with_question_places(text: str, partners: list[tuple[re.Pattern, str]]) -> str:
    """`text` followed by each question place whose partner it names ("…Russia…" + "Moscow" for a Moscow question)."""
    added = [name for partner, name in partners if partner.search(text)]
    return f"{text} {' '.join(added)}" if added else text


def capitals_as_countries(text: str) -> str:
    """`text` with each capital replaced by its country ("Moscow handing Tehran" -> "Russia handing Iran")."""
    pattern, _ = _place_pattern()
    country_of = _country_of_capital()
    return pattern.sub(lambda m: country_of.get(m.group(0), m.group(0)), text)


@cache
def _country_of_capital() -> dict[str, str]:
    return {c.capital: c.name for c in countries()}
