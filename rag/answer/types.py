"""Answer types: what kind of answer a question asks for, and whether a sentence holds one (pure text rules).

A question such as "How many Su-35s has Russia delivered?" can only be answered by a sentence that puts a
number on Su-35s; a sentence that merely mentions Su-35s is on topic but does not answer. Checking this
"answer slot" is how classic question-answering systems typed their answers, and it needs no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..lexicon.gazetteer import countries_named, country_names
from ..text import light_stem, tokens
from .names import (PLACE_NOUNS, SHORT_QUOTE_RE, TEMPORAL_RE, actor_refs, actor_responds, has_new_name,
                    has_new_name_near, has_new_place, tokens_and_clauses)
from ..lexicon.words import (AUX_WORDS, AUXILIARIES, MULTIPLICATIVES, CURRENCY, DURATION, FOCUS_STOPWORDS,
                             FRACTION_WORDS, LENGTH, MASS, NUMBER_WORDS, PAST_ONLY_WORDS, PEOPLE, PERSON_ROLES,
                             SHARE, SPEED)

KINDS = ("time", "count", "money", "measure", "person", "place", "name", "response")


@dataclass(frozen=True)
class Slot:
    """The answer a question expects: its kind, and for counts and measures the words it must attach to."""

    kind: str
    # Stems of what the answer must attach to: count, the counted noun phrase; person, the role asked
    # ("minister"); place, the place noun asked; name, the thing whose name is asked ("drone model");
    focus: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()  # measure: stems of the units that can answer
    rate: bool = False  # count, money: asked per unit of time ("How many drones a year…")
    future: bool = False  # time: the question looks ahead ("When will…", "When is the next…scheduled?")
    nation: frozenset[str] = frozenset()  # person: the country whose official is asked ("Which Iranian official…")
    # response: who is asked to have responded ("How did the Kremlin respond…" -> russia), as actor_refs gives them
    actor: frozenset[str] = frozenset()


_YEAR_RE = re.compile(r"^(?:1[89]|20)\d\d$")
_NUMERAL_RE = re.compile(r"^\d[\d,.]*$")
_AUXILIARIES = "|".join(AUXILIARIES)
_COUNT_WINDOW = 4  # a number counts a noun it precedes by at most this many words ("four Russian cargo ships")
_UNIT_WINDOW = 2  # a measure's unit follows its number closely ("75 miles", "120 kilometers")

_MONEY_QUESTION_RE = re.compile(
    # "How much did Russia pay…" asks for money; "How much oil does Iran sell…" asks for an amount of oil.
    r"\bhow much (?:money|cash|funding)\b|\bhow much\s+(?:" + _AUXILIARIES + r")\b.*\b(?:pay|paid|pays|cost|costs|"
    r"price|spend|spent|worth|fund|funded|sell|sold|buy|bought|money|charge|charged|dollars?)\b|\bwhat (?:is|was|were|are) the (?:price|cost|value)\b")
_DIMENSIONS = {
    "range": LENGTH, "distanc": LENGTH, "far": LENGTH, "length": LENGTH, "long": LENGTH + DURATION,
    "altitud": LENGTH, "high": LENGTH, "tall": LENGTH, "deep": LENGTH, "wide": LENGTH,
    "weight": MASS, "heavi": MASS, "heavy": MASS, "payload": MASS,
    "speed": SPEED, "fast": SPEED, "durat": DURATION, "popul": PEOPLE,
    "percentag": SHARE, "percent": SHARE, "share": SHARE, "proportion": SHARE, "fraction": SHARE,
}
_MEASURE_QUESTION_RE = re.compile(
    r"\bwhat (percentage|percent|share|proportion|fraction)\b|"
    r"\bhow (far|long|heavy|high|tall|deep|wide|fast)\b|"
    # Modifiers, not a prepositional phrase: "the impact on the population" asks for no population figure.
    r"\bwhat (?:is|was|are|were) the (?:(?!(?:on|of|in|for|to|at|by|with|about|over)\b)[\w-]+ ){0,3}?"
    r"(range|distance|length|altitude|weight|payload|speed|duration|population)\b")
# An amount per unit of time: "per year", "a month", "each day", "annually", "per annum". Not a rate: "a year
# ago", "a month later", "a day after the strike", "within an hour".
_UNIT_OF_TIME = r"(?:year|month|week|day|hour|minute)"
_RATE_RE = re.compile(r"(?<!\bwithin )(?<!\bin )(?<!\bfor )(?<!\bover )(?<!\bafter )"
                      r"\b(?:per|a|an|each|every)\s+" + _UNIT_OF_TIME + r"\b(?!\s+(?:ago|later|earlier|after|before)\b)|"
                      r"\b(?:annually|yearly|per annum|a-year|a-month|a-day)\b", re.I)
# In an answer, an adjective says it too ("annual output of 6,000 drones"); in a question it may only qualify
# the noun ("How many people attended the annual summit?").
_RATE_ADJECTIVE_RE = re.compile(r"\b(?:annual|monthly|weekly|daily|hourly)\b", re.I)
# "When is the next round scheduled?" looks ahead, so "recently" or "two years ago" cannot answer it; "When did
# Iran announce plans to…" or "When was the next round held?" do not. Only these five past-only words are
# filtered: "last week" or "in 2019" still pass.
_FUTURE_QUESTION_RE = re.compile(r"\b(?:will|next|scheduled|upcoming|expected to|plans? to|going to|set to|due to)\b")
_PAST_AUXILIARY_RE = re.compile(r"\b(?:did|was|were|had|has|have)\b")
_MAY_RE = re.compile(r"\b(?:in|on|since|until|by|early|late|mid-?)\s+May\b|\bMay\s+\d")  # the month, not "may"
_ROLE_QUESTION_RE = re.compile(
    r"^(?:(?:which|what)\s+(?:(?!(?:" + _AUXILIARIES + r")\b)[\w.'’-]+\s+){0,4}?|"
    r"who (?:is|was|are|were) (?:the\s+)?(?:(?!(?:that|which|who|whom|whose)\b)[\w.'’-]+\s+){0,6}?)"
    r"(" + "|".join(PERSON_ROLES) + r")s?\b")
_PLACE_QUESTION_RE = re.compile(
    r"^(?:(?:in|at|from|to|near|through|via|into|across|over|on)\s+)?"
    r"(?:which|what)\s+(?:(?!(?:" + _AUXILIARIES + r")\b)[\w.'’-]+\s+){0,3}?"
    r"(" + "|".join(PLACE_NOUNS) + r")(?:s|es)?\b|^where\b(?!.*\bstands?\b)")


# "How did the Kremlin respond to the accusation?" asks what the Kremlin said or did: a sentence that only
# names the accusation ("Britain accused Iran of supplying missiles to Russia") does not answer it.
_RESPONSE_QUESTION_RES = (
    # "What did Iran say about…": what that side said, not what others said about it.
    re.compile(r"^what (?:did|does|do|has|have) (.+?) (?:say|said|tell|told|claim|claimed|state|stated)\b", re.I),
    re.compile(r"^how (?:did|does|do|has|have|had|will|would|could|might) (.+?) (?:respond|react|repl[iy]|answer|"
               r"retaliat|counter)\w*\b", re.I),
    re.compile(r"^what (?:was|is|were|are|has been|have been) (.+?)['’]s? (?:response|reaction|reply|answer)\b", re.I),
    re.compile(r"^what (?:was|is|were|are|has been|have been) the (?:response|reaction|reply|answer) (?:of|from) "
               r"(.+?)(?: to\b|[?,;]|$)", re.I),
)


def expected_slot(question: str) -> Slot | None:
    """The kind of answer a question asks for, or None when any relevant sentence could answer it."""
    q = re.sub(r"^what['’]s\b", "what is", " ".join(question.strip().lower().split()))
    if q.startswith("when") or re.search(r"\b(?:what|which) (?:date|day|year|month)\b|\bhow long ago\b", q):
        return Slot("time", future=bool(_FUTURE_QUESTION_RE.search(q)) and not _PAST_AUXILIARY_RE.search(q))
    response = next((m for m in (r.search(" ".join(question.split())) for r in _RESPONSE_QUESTION_RES) if m), None)
    if response:
        actor = actor_refs(tokens(response.group(1)))
        person = any(w.lower().rstrip("s") in PERSON_ROLES for w in tokens(response.group(1)))
        if response.re is _RESPONSE_QUESTION_RES[0] and (person or not actor <= country_names()):
            return None  # "What did Ned Price / the US secretary of state say?": a person's words, found by name
        return Slot("response", actor=actor) if actor else None  # "How did they respond?": anything may answer
    rate = bool(_RATE_RE.search(q))
    if _MONEY_QUESTION_RE.search(q):
        return Slot("money", rate=rate)
    count = re.search(r"\bhow many\s+(.+?)(?:\s+(?:" + _AUXILIARIES + r")\b|[?,;]|$)", q)
    if count:
        counted = _RATE_RE.sub(" ", count.group(1))  # "drones per year" counts drones, not years
        focus = [light_stem(w) for w in tokens(counted)[:5] if w.lower() not in FOCUS_STOPWORDS]
        return Slot("count", focus=frozenset(focus), rate=rate)
    measure = _MEASURE_QUESTION_RE.search(q)
    if measure:
        dimension = light_stem(next(g for g in measure.groups() if g))
        units = next((u for key, u in _DIMENSIONS.items() if dimension.startswith(key) or key.startswith(dimension)),
                     ())
        if dimension == "long" and re.search(r"\bhow long (?:did|does|do|has|have|had|will|would|can|could)\b", q):
            units = DURATION  # "How long did they train?" asks for a time, "How long is the runway?" may not
        return Slot("measure", units=frozenset(units))
    names = re.search(r"\bwhat (?:is|are|was|were) the names? of\b(.*)", q)
    role = _ROLE_QUESTION_RE.search(q)
    role = role or (names and re.search(r"\b(" + "|".join(PERSON_ROLES) + r")s?\b", names.group(1)))
    if role:
        # "Which Iranian defense ministry official…", "Who is Iran's foreign minister?": the words before the role
        qualifiers = tokens(role.string[role.start() if role.re is _ROLE_QUESTION_RE else 0: role.start(1)])
        return Slot("person", focus=frozenset({light_stem(role.group(1))}),
                    nation=countries_named(qualifiers, capitalized_only=False))
    if names:  # "What is the name of the Iranian drone model…": a name next to the named thing
        named = re.search(r"\bnames? of\b(.*)", " ".join(question.split()), re.I)
        return Slot("name", focus=frozenset(light_stem(w) for w in _named_thing(tokens(named.group(1)))))
    place = _PLACE_QUESTION_RE.search(q)
    if place:
        return Slot("place", focus=frozenset({light_stem(place.group(1))} if place.group(1) else ()))
    if re.match(r"(?:who|whom|whose)\b", q):
        return Slot("name")
    return None


def _named_thing(words: list[str]) -> list[str]:
    """The noun phrase whose name is asked: "the Iranian drone model Russia uses" -> drone, model."""
    thing: list[str] = []
    for word in words:
        lower = word.lower()
        if lower in FOCUS_STOPWORDS and not thing:
            continue  # "the", "its" before the phrase
        if (word[:1].isupper() or lower in NUMBER_WORDS) and not thing:
            continue  # "four Russian cargo ships": leading numbers and demonyms qualify, they do not name
        if word[:1].isupper() or lower in FOCUS_STOPWORDS or lower.endswith(("ing", "ed")) or lower in AUX_WORDS:
            break  # the phrase ends where a name, a preposition or a verb begins
        thing.append(word)
    return thing


def _is_number(token: str) -> bool:
    return (bool(_NUMERAL_RE.match(token)) and not _YEAR_RE.match(token)) or token.lower() in NUMBER_WORDS


def _is_amount(token: str) -> bool:
    """A number word or anything starting with a digit ("1.5", "2024", "500-kilogram"): amounts may be years."""
    return _is_number(token) or token[:1].isdigit()


def _has_count(words: list[str], focus: frozenset[str]) -> bool:
    if light_stem("times") in focus and any(w.lower() in MULTIPLICATIVES for w in words):
        return True  # "How many times…" is answered by "twice"
    for i, word in enumerate(words):
        if _is_number(word):
            following = {light_stem(w) for w in words[i + 1: i + 1 + _COUNT_WINDOW]}
            if not focus or following & focus:
                return True
    return False


def _has_money(words: list[str]) -> bool:
    for i, word in enumerate(words):
        if word.lower() in CURRENCY:
            near = words[max(0, i - 3): i + 3]
            if any(_is_amount(w) for w in near):
                return True
    return False


def _unit_form(word: str) -> str:
    # Units compare by prefix, so only a plural "s" comes off ("miles" -> "mile"; _stem would give "mil").
    word = word.lower()
    return word[:-1] if len(word) > 2 and word.endswith("s") and word not in ("mps", "kts") else word


_ATTACHED_UNIT_RE = re.compile(r"^\d[\d,.]*-?([^\W\d_][\w/]*)$")  # "120km", "40kg", "2.5-year", "500-kilogram"


def _has_measure(words: list[str], units: frozenset[str]) -> bool:
    prefixes = tuple(units)
    lower = [w.lower() for w in words]
    if "%" in units and (any(w in FRACTION_WORDS for w in lower) or "most of" in " ".join(lower)):
        return True
    if "day" in units and any(w == "since" and (_is_amount(n) or n[:1].isupper()) for w, n in zip(words, words[1:])):
        return True  # "How long has Iran supplied drones?" - "since August 2022"
    for i, word in enumerate(words):
        attached = _ATTACHED_UNIT_RE.match(word)
        if attached and _unit_form(attached.group(1)).startswith(prefixes):
            return True
        if _is_amount(word) and any(_unit_form(w).startswith(prefixes) for w in words[i + 1: i + 1 + _UNIT_WINDOW]):
            return True
    return False


@lru_cache(maxsize=64)
def _question_words(question: str) -> frozenset[str]:
    # fills_slot is called once per candidate sentence with the same question
    return frozenset(w.lower() for w in tokens(question))


def fills_slot(slot: Slot | None, sentence: str, question: str) -> bool:
    """True when `sentence` holds the kind of answer `slot` asks for (always True without a slot)."""
    if slot is None:
        return True
    if slot.rate and not (_RATE_RE.search(sentence) or _RATE_ADJECTIVE_RE.search(sentence)):
        return False  # "hundreds of drones" does not say how many a year
    if slot.kind == "time":
        if not slot.future:
            return bool(TEMPORAL_RE.search(sentence) or _MAY_RE.search(sentence))
        return bool(any(m.group(0).lower() not in PAST_ONLY_WORDS and not re.match(r"\s+ago\b", sentence[m.end():])
                        for m in TEMPORAL_RE.finditer(sentence)) or _MAY_RE.search(sentence))
    if slot.kind == "response":
        return actor_responds(sentence, slot.actor)  # reads the sentence without its quotes
    # Only a person asked with a country needs each name's clause, to find the country in its title.
    words, clauses = tokens_and_clauses(sentence) if slot.kind == "person" and slot.nation else (tokens(sentence), None)
    if slot.kind == "count":
        return _has_count(words, slot.focus)
    if slot.kind == "money":
        return _has_money(words)
    if slot.kind == "measure":
        return _has_measure(words, slot.units) if slot.units else any(_is_number(w) for w in words)
    question_words = _question_words(question)
    if slot.kind == "person":
        return has_new_name(words, question_words, slot.focus, slot.nation, clauses)
    if slot.kind == "place":
        return has_new_place(words, question_words, slot.focus)
    if slot.kind == "name" and slot.focus:  # a name near the thing, or a short quoted one ("phased adaptive approach")
        return has_new_name_near(words, question_words, slot.focus) or bool(SHORT_QUOTE_RE.search(sentence))
    if slot.kind == "name":  # "Who supplied…?" may be answered by a country or an agency as well as a person
        return any(w[:1].isupper() and w.lower() not in question_words for w in words[1:])
    raise ValueError(f"unknown answer kind {slot.kind!r}; expected one of {', '.join(KINDS)}")
