"""Answer types: what kind of answer a question asks for, and whether a sentence holds one (pure text rules).

A question such as "How many Su-35s has Russia delivered?" can only be answered by a sentence that puts a
number on Su-35s; a sentence that merely mentions Su-35s is on topic but does not answer. Checking this
"answer slot" is how classic question-answering systems typed their answers, and it needs no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .gazetteer import country_and_capital_names, country_names, demonym_countries, place_words

KINDS = ("time", "count", "money", "measure", "person", "place", "name")


@dataclass(frozen=True)
class Slot:
    """The answer a question expects: its kind, and for counts and measures the words it must attach to."""

    kind: str
    # Stems of what the answer must attach to: count, the counted noun phrase; place, the place noun asked;
    # name, the thing whose name is asked ("drone model")
    focus: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()  # measure: stems of the units that can answer


_TOKEN_RE = re.compile(r"[$€£%]|[A-Za-z0-9]+(?:[-.,'’][A-Za-z0-9]+)*")
_YEAR_RE = re.compile(r"^(?:1[89]|20)\d\d$")
_NUMERAL_RE = re.compile(r"^\d[\d,.]*$")
NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions dozen dozens several".split())
_AUXILIARIES = ("has|have|had|did|do|does|is|are|was|were|will|would|can|could|should|might|may|must|"
                "been|be|being")
_AUX_WORDS = frozenset(_AUXILIARIES.split("|"))
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
_SHARE = ("percent", "%")
# Answers to "what percentage/share" that need no number: "half of", "two-thirds", "a quarter".
FRACTION_WORDS = frozenset({"half", "halves", "third", "thirds", "quarter", "quarters", "two-thirds",
                            "three-quarters", "one-third", "one-quarter"})
_DIMENSIONS = {
    "range": _LENGTH, "distanc": _LENGTH, "far": _LENGTH, "length": _LENGTH, "long": _LENGTH + _DURATION,
    "altitud": _LENGTH, "high": _LENGTH, "tall": _LENGTH, "deep": _LENGTH, "wide": _LENGTH,
    "weight": _MASS, "heavi": _MASS, "heavy": _MASS, "payload": _MASS,
    "speed": _SPEED, "fast": _SPEED, "durat": _DURATION, "popul": _PEOPLE,
    "percentag": _SHARE, "percent": _SHARE, "share": _SHARE, "proportion": _SHARE, "fraction": _SHARE,
}
_MEASURE_QUESTION_RE = re.compile(
    r"\bwhat (percentage|percent|share|proportion|fraction)\b|"
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
    r"who (?:is|was|are|were) (?:the\s+)?(?:[\w.'’-]+\s+){0,6}?)"
    r"(" + "|".join(PERSON_ROLES) + r")s?\b")
# Roles that answer for one another ("spy chief" / "CIA Director"); a role in no group answers only for itself,
# and a generic role ("Which U.S. officials…") is answered by anyone.
_ROLE_GROUPS = (("chief", "director", "head", "leader"),
                ("minister", "secretary", "diplomat", "ambassador", "envoy"),
                ("spokesman", "spokeswoman", "spokesperson", "spokesmen"),
                ("general", "commander", "officer"),
                ("president", "premier", "chancellor", "king", "prince", "leader", "ayatollah"))
_GENERIC_ROLES = ("official",)
# Nouns naming a place below country level: "In which French city…" asks for a place's name.
CITY_NOUNS = ("city", "cities", "town", "towns", "village", "villages", "capital")
AREA_NOUNS = ("province", "region", "oblast", "district", "island")
SETTLEMENT_NOUNS = CITY_NOUNS + AREA_NOUNS + ("location",)
# Facilities are named together with their noun ("Hmeimim air base", "port of Bandar Abbas"), never by "in X" alone.
FACILITY_NOUNS = ("base", "airbase", "airfield", "port", "shipyard")
PLACE_NOUNS = SETTLEMENT_NOUNS + FACILITY_NOUNS
_PLACE_QUESTION_RE = re.compile(
    r"^(?:(?:in|at|from|to|near|through|via|into|across|over|on)\s+)?"
    r"(?:which|what)\s+(?:(?!(?:" + _AUXILIARIES + r")\b)[\w.'’-]+\s+){0,3}?"
    r"(" + "|".join(PLACE_NOUNS) + r")\b|^where\b")
# After "in", these name a continent or a part of the world, not a city or a province.
_WIDE_REGIONS = frozenset({"europe", "asia", "africa", "america", "americas", "antarctica", "oceania", "eurasia",
                           "middle", "east", "west", "north", "south"})
_PLACE_PREPOSITIONS = frozenset({"in", "at", "near", "outside", "inside", "into", "around"})
SPEECH_VERBS = frozenset({"said", "says", "say", "told", "tells", "stated", "states", "described", "called",
                          "labeled", "labelled", "termed", "warned", "noted", "added", "argued", "claimed",
                          "dismissed", "denied", "rejected", "insisted", "declared", "announced", "responded",
                          "replied", "stressed", "emphasized", "repeated", "wrote", "explained", "elaborated",
                          "remarked", "asserted", "according"})
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
_ROLE_STEMS = frozenset(_stem(r) for r in PERSON_ROLES) | {"spokesm", "spokesmen"}
_ROLE_GROUP_STEMS = tuple(frozenset(_stem(r) for r in group) for group in _ROLE_GROUPS)
_GENERIC_ROLE_STEMS = frozenset(_stem(r) for r in _GENERIC_ROLES)
_FACILITY_STEMS = frozenset(_stem(n) for n in FACILITY_NOUNS)
_CITY_STEMS = frozenset(_stem(n) for n in CITY_NOUNS)
_AREA_STEMS = frozenset(_stem(n) for n in AREA_NOUNS)


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
        dimension = _stem(next(g for g in measure.groups() if g))
        units = next((u for key, u in _DIMENSIONS.items() if dimension.startswith(key) or key.startswith(dimension)), ())
        if dimension == "long" and re.search(r"\bhow long (?:did|does|do|has|have|had|will|would|can|could)\b", q):
            units = _DURATION  # "How long did they train?" asks for a time, "How long is the runway?" may not
        return Slot("measure", units=frozenset(units))
    names = re.search(r"\bwhat (?:is|are|was|were) the names? of\b(.*)", q)
    role = _ROLE_QUESTION_RE.search(q) or (
        names and re.search(r"\b(" + "|".join(PERSON_ROLES) + r")s?\b", names.group(1)))
    if role:
        return Slot("person", focus=frozenset({_stem(role.group(1))}))
    if names:  # "What is the name of the Iranian drone model…": a name next to the named thing
        named = re.search(r"\bnames? of\b(.*)", " ".join(question.split()), re.I)
        return Slot("name", focus=frozenset(_stem(w) for w in _named_thing(tokens(named.group(1)))))
    place = _PLACE_QUESTION_RE.search(q)
    if place:
        return Slot("place", focus=frozenset({_stem(place.group(1))} if place.group(1) else ()))
    if re.match(r"(?:who|whom|whose)\b", q):
        return Slot("name")
    return None


def _possessor(word: str) -> str:
    """Lower-case word without a possessive ending ("Moscow’s" -> "moscow")."""
    return re.sub(r"['’]s?$", "", word).lower()


def _named_thing(words: list[str]) -> list[str]:
    """The noun phrase whose name is asked: "the Iranian drone model Russia uses" -> drone, model."""
    thing: list[str] = []
    for word in words:
        lower = word.lower()
        if lower in _FOCUS_STOPWORDS and not thing:
            continue  # "the", "its" before the phrase
        if (word[:1].isupper() or lower in NUMBER_WORDS) and not thing:
            continue  # "four Russian cargo ships": leading numbers and demonyms qualify, they do not name
        if word[:1].isupper() or lower in _FOCUS_STOPWORDS or lower.endswith(("ing", "ed")) or lower in _AUX_WORDS:
            break  # the phrase ends where a name, a preposition or a verb begins
        thing.append(word)
    return thing


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
    if "%" in units and any(w.lower() in FRACTION_WORDS for w in words):
        return True
    for i, word in enumerate(words):
        number, _, unit = word.partition("-")  # "2.5-year", "500-kilogram"
        if unit and _NUMERAL_RE.match(number) and _stem(unit).startswith(tuple(units)):
            return True
        if _is_amount(word):
            if any(_stem(w).startswith(tuple(units)) for w in words[i + 1: i + 1 + _UNIT_WINDOW]):
                return True
    return False


def _name_runs(words: list[str]) -> list[tuple[int, int]]:
    """[start, end) of runs of two or more capitalized words ("David Lammy"), particles allowed inside."""
    runs, start = [], None
    for i, word in enumerate(words + [""]):
        capitalized = (word[:1].isupper() and not word.isupper() and not word.endswith(("'s", "’s"))
                       and word.lower() not in _FUNCTION_WORDS)
        if capitalized or (start is not None and word.lower() in _NAME_PARTICLES):
            start = i if start is None else start
            continue
        if start is not None:
            end = i
            while end > start and words[end - 1].lower() in _NAME_PARTICLES:
                end -= 1
            if end - start >= 2:
                runs.append((start, end))
        start = None
    return runs


def _is_role(word: str) -> bool:
    return _stem(word) in _ROLE_STEMS


def _person_names(words: list[str]) -> list[tuple[tuple[str, ...], frozenset[str]]]:
    """Capitalized runs that news style marks as a person's name, each with the stems of its titles."""
    names = []
    for start, end in _name_runs(words):
        roles = [i for i in range(start, end) if _is_role(words[i])]
        first = roles[-1] + 1 if roles else start  # "CIA Director William Burns" -> "William Burns"
        if end - first < 2:
            continue
        before = words[start - 1].lower() if start else ""
        after = [w.lower() for w in words[end: end + 3]]
        apposed = [w for w in after[1:] if _is_role(w)] if after and after[0] in ("the", "a", "an") else []
        titles = {_stem(words[i]) for i in roles} | {_stem(w) for w in apposed} | (
            {_stem(before)} if _is_role(before) else set())
        titled = bool(titles) or before in SPEECH_VERBS  # "Foreign Minister Sergei…", "said Nasser Kanaani"
        attributed = bool(after) and after[0] in SPEECH_VERBS  # "John Kirby said"
        if (titled or attributed) and " ".join(words[first:end]).lower() not in country_and_capital_names():
            names.append((tuple(words[first:end]), frozenset(titles)))
    return names


def _role_fits(titles: frozenset[str], asked: frozenset[str]) -> bool:
    """True when a name's titles answer for the role asked (untitled names and generic roles always do)."""
    if not titles or not asked or asked & _GENERIC_ROLE_STEMS:
        return True
    return any(titles & group for group in _ROLE_GROUP_STEMS if asked & group) or bool(titles & asked)


def _has_new_name(words: list[str], question_words: set[str], asked: frozenset[str] = frozenset()) -> bool:
    # A person is named the way news names people: after a title or role ("Foreign Minister Sergei Lavrov"),
    # next to a verb of saying ("said Nasser Kanaani") or with an apposition ("Ned Price, the spokesman").
    # "Islamic Revolutionary Guard Corps" or "United States" are capitalized runs but not people, and a foreign
    # minister does not answer "Which officers…".
    return any(not all(w.lower() in question_words for w in name) and _role_fits(titles, asked)
               for name, titles in _person_names(words))


# A name in quotes is short and unpunctuated; a quoted remark ("a direct threat to European security.") is not.
_SHORT_QUOTE_RE = re.compile(r"[\"“](?:[^\"“”\s.,;:!?]+\s){0,4}[^\"“”\s.,;:!?]+[\"”]")


def _has_new_name_near(words: list[str], question_words: set[str], thing: frozenset[str]) -> bool:
    """A proper name or model number ("Shahed-136", "Ursa Major") within a few words of the thing it names.

    Countries, capitals and demonyms ("Russian drones") say where a thing is from, not what it is called.
    """
    places = place_words()
    for i, word in enumerate(words):
        proper = (word[:1].isupper() or (any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)))
        if (not proper or word.lower() in _FUNCTION_WORDS or _possessor(word) in places
                or _named_in_question(word, question_words)):
            continue
        if {_stem(w) for w in words[max(0, i - _COUNT_WINDOW): i + 1 + _COUNT_WINDOW]} & thing:
            return True
    return False


def _named_in_question(word: str, question_words: set[str]) -> bool:
    """True when the question already names `word`, itself or as a demonym ("French" names France)."""
    word, demonyms = word.lower(), demonym_countries()
    return any(word == q or word in demonyms.get(q, ()) or (len(q) >= 4 and word[:4] == q[:4]) for q in question_words)


def _has_new_place(words: list[str], question_words: set[str], asked: frozenset[str]) -> bool:
    # The place must be of the kind asked: "Kursk region" does not answer "Which cities…", nor "in Iran".
    nouns = next((group for group in (_FACILITY_STEMS, _CITY_STEMS, _AREA_STEMS) if asked & group), _PLACE_STEMS)
    facility, below_country = nouns is _FACILITY_STEMS, nouns is not _PLACE_STEMS
    for i, word in enumerate(words):
        if not word[:1].isupper() or word.lower() in _FUNCTION_WORDS or _named_in_question(word, question_words):
            continue
        if below_country and _possessor(word) in country_names():
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
        return _has_new_name(words, question_words, slot.focus)
    if slot.kind == "place":
        return _has_new_place(words, question_words, slot.focus)
    if slot.kind == "name" and slot.focus:  # a name near the thing, or a short quoted one ("phased adaptive approach")
        return _has_new_name_near(words, question_words, slot.focus) or bool(_SHORT_QUOTE_RE.search(sentence))
    if slot.kind == "name":  # "Who supplied…?" may be answered by a country or an agency as well as a person
        return any(w[:1].isupper() and w.lower() not in question_words for w in words[1:])
    raise ValueError(f"unknown answer kind {slot.kind!r}; expected one of {', '.join(KINDS)}")
