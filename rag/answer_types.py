"""Answer types: what kind of answer a question asks for, and whether a sentence holds one (pure text rules).

A question such as "How many Su-35s has Russia delivered?" can only be answered by a sentence that puts a
number on Su-35s; a sentence that merely mentions Su-35s is on topic but does not answer. Checking this
"answer slot" is how classic question-answering systems typed their answers, and it needs no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("time", "count", "money", "measure", "person", "place", "name")


@dataclass(frozen=True)
class Slot:
    """The answer a question expects: its kind, and for counts and measures the words it must attach to."""

    kind: str
    focus: frozenset[str] = frozenset()  # count: stems of the counted noun phrase; place: the place noun asked
    units: frozenset[str] = frozenset()  # measure: stems of the units that can answer


_TOKEN_RE = re.compile(r"[$€£]|[A-Za-z0-9]+(?:[-.,'’][A-Za-z0-9]+)*")
_YEAR_RE = re.compile(r"^(?:1[89]|20)\d\d$")
_NUMERAL_RE = re.compile(r"^\d[\d,.]*$")
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions dozen dozens several".split())
_AUXILIARIES = ("has|have|had|did|do|does|is|are|was|were|will|would|can|could|should|might|may|must|"
                "been|be|being")
_FOCUS_STOPWORDS = frozenset({"of", "the", "a", "an", "per", "in", "on", "at", "for", "to", "from", "by", "with",
                              "and", "or", "that", "which", "its", "their", "his", "her"})
_COUNT_WINDOW = 4  # a number counts a noun it precedes by at most this many words ("four Russian cargo ships")
_UNIT_WINDOW = 2  # a measure's unit follows its number closely ("75 miles", "120 kilometers")

CURRENCY = frozenset({"$", "€", "£", "dollar", "dollars", "usd", "euro", "euros", "ruble", "rubles", "rouble",
                      "roubles", "rial", "rials", "pound", "pounds", "yuan"})
_MONEY_QUESTION_RE = re.compile(
    r"\bhow much\b.*\b(?:pay|paid|pays|cost|costs|price|spend|spent|worth|fund|funded|sell|sold|buy|bought|money|"
    r"charge|charged|dollars?)\b|\bwhat (?:is|was|were|are) the (?:price|cost|value)\b|\bhow much money\b")
# Unit stems by dimension; a measure question names its dimension with one of the keys.
_LENGTH = ("mile", "kilomet", "km", "meter", "metr", "feet", "foot", "ft", "yard", "nautic")
_MASS = ("kg", "kilogram", "pound", "lb", "lbs", "ton", "tonn", "gram")
_SPEED = ("mph", "kph", "km/h", "knot", "mach")
_DURATION = ("second", "minut", "hour", "day", "week", "month", "year")
_PEOPLE = ("peopl", "resid", "inhabit", "citizen", "million", "billion", "thousand")
_DIMENSIONS = {
    "range": _LENGTH, "distanc": _LENGTH, "far": _LENGTH, "length": _LENGTH, "long": _LENGTH + _DURATION,
    "altitud": _LENGTH, "high": _LENGTH, "tall": _LENGTH, "deep": _LENGTH, "wide": _LENGTH,
    "weight": _MASS, "heavi": _MASS, "heavy": _MASS, "payload": _MASS,
    "speed": _SPEED, "fast": _SPEED, "durat": _DURATION, "popul": _PEOPLE,
}
_MEASURE_QUESTION_RE = re.compile(
    r"\bhow (far|long|heavy|high|tall|deep|wide|fast)\b|"
    r"\bwhat (?:is|was|are|were) the (?:[\w-]+ ){0,3}?(range|distance|length|altitude|weight|payload|speed|duration|"
    r"population)\b")
_TEMPORAL_RE = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekends?|today|yesterday|tomorrow|days?|weeks?|"
    r"months?|years?|decades?|soon|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|ago|since|until|before|after|earlier|later|recently|"
    r"(?:19|20)\d\d)\b", re.I)
# Nouns naming a person's role: "Which French foreign minister…" asks for a person's name.
PERSON_ROLES = ("president", "minister", "secretary", "spokesman", "spokeswoman", "spokesperson", "spokesmen",
                "general", "commander", "officer", "official", "director", "chief", "leader", "writer", "author",
                "reporter", "journalist", "analyst", "diplomat", "ambassador", "envoy", "senator", "adviser", "advisor",
                "premier", "chancellor", "king", "prince", "ayatollah", "governor", "mayor", "commentator")
_ROLE_QUESTION_RE = re.compile(
    r"^(?:(?:which|what)\s+(?:(?!(?:" + _AUXILIARIES + r")\b)[\w.'’-]+\s+){0,4}?|"
    r"who (?:is|was|are|were) (?:the\s+)?(?:[\w.'’-]+\s+){0,4}?)"
    r"(?:" + "|".join(PERSON_ROLES) + r")s?\b")
# Nouns naming a place below country level: "In which French city…" asks for a place's name.
SETTLEMENT_NOUNS = ("city", "cities", "town", "village", "province", "region", "oblast", "district", "capital",
                    "island", "location")
# Facilities are named together with their noun ("Hmeimim air base", "port of Bandar Abbas"), never by "in X" alone.
FACILITY_NOUNS = ("base", "airbase", "airfield", "port", "shipyard")
PLACE_NOUNS = SETTLEMENT_NOUNS + FACILITY_NOUNS
_PLACE_QUESTION_RE = re.compile(
    r"^(?:(?:in|at|from|to|near)\s+)?(?:which|what)\s+(?:(?!(?:" + _AUXILIARIES + r")\b)[\w.'’-]+\s+){0,3}?"
    r"(" + "|".join(PLACE_NOUNS) + r")\b|^where\b")
# After "in", these name a continent or a part of the world, not a city or a province.
_WIDE_REGIONS = frozenset({"europe", "asia", "africa", "america", "americas", "antarctica", "oceania", "eurasia",
                           "middle", "east", "west", "north", "south"})
_PLACE_PREPOSITIONS = frozenset({"in", "at", "near", "outside", "inside", "into", "around"})
# Demonyms that share no four-letter prefix with their country ("French" names France, "Turkish" Turkey does).
_DEMONYMS = {"french": "france", "dutch": "netherlands", "swiss": "switzerland", "welsh": "wales",
             "spanish": "spain", "greek": "greece", "danish": "denmark", "swedish": "sweden", "polish": "poland"}
_NAME_PARTICLES = frozenset({"al", "bin", "ibn", "de", "van", "von", "der", "la", "el"})
# Capitalized only because they open a sentence: "The British Foreign Secretary" is not a name.
_FUNCTION_WORDS = frozenset({"the", "a", "an", "in", "on", "at", "of", "for", "this", "that", "these", "those", "and",
                             "but", "as", "by", "with", "from", "to", "after", "before", "during", "when", "while",
                             "it", "its", "he", "she", "they", "we", "i", "his", "her", "their", "our"})


def _stem(word: str) -> str:
    # A light suffix stripper is enough to match "missiles" with "missile" or "companies" with "company".
    word = word.lower()
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word.removesuffix("s").removesuffix("e") if len(word) > 3 else word


_PLACE_STEMS = frozenset(_stem(n) for n in PLACE_NOUNS)
_FACILITY_STEMS = frozenset(_stem(n) for n in FACILITY_NOUNS)


def tokens(text: str) -> list[str]:
    """Words, numbers and currency signs of a text, in order."""
    return _TOKEN_RE.findall(text)


def expected_slot(question: str) -> Slot | None:
    """The kind of answer a question asks for, or None when any relevant sentence could answer it."""
    q = " ".join(question.strip().lower().split())
    if q.startswith("when") or re.search(r"\b(?:what|which) (?:date|day|year|month)\b|\bhow long ago\b", q):
        return Slot("time")
    if _MONEY_QUESTION_RE.search(q):
        return Slot("money")
    count = re.search(r"\bhow many\s+(.+?)(?:\s+(?:" + _AUXILIARIES + r")\b|[?,;]|$)", q)
    if count:
        focus = [_stem(w) for w in tokens(count.group(1))[:5] if w.lower() not in _FOCUS_STOPWORDS]
        return Slot("count", focus=frozenset(focus))
    measure = _MEASURE_QUESTION_RE.search(q)
    if measure:
        dimension = _stem(measure.group(1) or measure.group(2))
        units = next((u for key, u in _DIMENSIONS.items() if dimension.startswith(key) or key.startswith(dimension)), ())
        return Slot("measure", units=frozenset(units))
    names = re.search(r"\bwhat (?:is|are|was|were) the names? of\b(.*)", q)
    if _ROLE_QUESTION_RE.search(q) or (names and re.search(r"\b(?:" + "|".join(PERSON_ROLES) + r")s?\b", names.group(1))):
        return Slot("person")
    if names:
        return Slot("name")
    place = _PLACE_QUESTION_RE.search(q)
    if place:
        return Slot("place", focus=frozenset({_stem(place.group(1))} if place.group(1) else ()))
    if re.match(r"(?:who|whom|whose)\b", q):
        return Slot("name")
    return None


def _is_number(token: str) -> bool:
    return (bool(_NUMERAL_RE.match(token)) and not _YEAR_RE.match(token)) or token.lower() in NUMBER_WORDS


def _is_amount(token: str) -> bool:
    """A number word or anything starting with a digit ("1.5", "2024", "500-kilogram"): amounts may be years."""
    return _is_number(token) or token[:1].isdigit()


def _has_count(words: list[str], focus: frozenset[str]) -> bool:
    if _stem("times") in focus and any(w.lower() in ("once", "twice", "thrice") for w in words):
        return True  # "How many times…" is answered by "twice"
    for i, word in enumerate(words):
        if _is_number(word):
            following = {_stem(w) for w in words[i + 1: i + 1 + _COUNT_WINDOW]}
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


def _has_measure(words: list[str], units: frozenset[str]) -> bool:
    for i, word in enumerate(words):
        number, _, unit = word.partition("-")  # "2.5-year", "500-kilogram"
        if unit and _NUMERAL_RE.match(number) and _stem(unit).startswith(tuple(units)):
            return True
        if _is_amount(word):
            if any(_stem(w).startswith(tuple(units)) for w in words[i + 1: i + 1 + _UNIT_WINDOW]):
                return True
    return False


def _names(words: list[str]) -> list[tuple[str, ...]]:
    """Runs of two or more capitalized words ("David Lammy", "Hossein Amir-Abdollahian"), particles allowed inside."""
    runs, current = [], []
    for word in words + [""]:
        if (word[:1].isupper() and not word.isupper() and not word.endswith(("'s", "’s"))
                and word.lower() not in _FUNCTION_WORDS):
            current.append(word)
        elif current and word.lower() in _NAME_PARTICLES:
            current.append(word)
        else:
            while current and current[-1].lower() in _NAME_PARTICLES:
                current.pop()
            if len(current) >= 2:
                runs.append(tuple(current))
            current = []
    return runs


def _has_new_name(words: list[str], question_words: set[str]) -> bool:
    return any(not all(w.lower() in question_words for w in run) for run in _names(words))


def _named_in_question(word: str, question_words: set[str]) -> bool:
    """True when the question already names `word`, itself or as a demonym ("French" names France)."""
    word = word.lower()
    return any(word == q or _DEMONYMS.get(q) == word or (len(q) >= 4 and word[:4] == q[:4]) for q in question_words)


def _has_new_place(words: list[str], question_words: set[str], asked: frozenset[str]) -> bool:
    facility = bool(asked & _FACILITY_STEMS)
    nouns = _FACILITY_STEMS if facility else _PLACE_STEMS
    for i, word in enumerate(words):
        if not word[:1].isupper() or word.lower() in _FUNCTION_WORDS or _named_in_question(word, question_words):
            continue
        before = [w.lower() for w in words[max(0, i - 3): i] if w.lower() != "the"]
        after = {_stem(w) for w in words[i + 1: i + 4]}
        before_place_noun = bool(after & nouns)  # "Kursk region", "Hmeimim air base"
        of_place_noun = len(before) >= 2 and before[-1] == "of" and _stem(before[-2]) in nouns  # "city of Isfahan"
        after_preposition = (not facility and bool(before) and before[-1] in _PLACE_PREPOSITIONS
                             and word.lower() not in _WIDE_REGIONS)  # "in Copenhagen", not "in Europe"
        if before_place_noun or of_place_noun or after_preposition:
            return True
    return False


def fills_slot(slot: Slot | None, sentence: str, question: str) -> bool:
    """True when `sentence` holds the kind of answer `slot` asks for (always True without a slot)."""
    if slot is None:
        return True
    words = tokens(sentence)
    if slot.kind == "time":
        return bool(_TEMPORAL_RE.search(sentence))
    if slot.kind == "count":
        return _has_count(words, slot.focus)
    if slot.kind == "money":
        return _has_money(words)
    if slot.kind == "measure":
        return _has_measure(words, slot.units) if slot.units else any(_is_number(w) for w in words)
    question_words = {w.lower() for w in tokens(question)}
    if slot.kind == "person":
        return _has_new_name(words, question_words)
    if slot.kind == "place":
        return _has_new_place(words, question_words, slot.focus)
    if slot.kind == "name":  # "Who supplied…?" may be answered by a country or an agency as well as a person
        return any(w[:1].isupper() and w.lower() not in question_words for w in words[1:])
    raise ValueError(f"unknown answer kind {slot.kind!r}; expected one of {', '.join(KINDS)}")
