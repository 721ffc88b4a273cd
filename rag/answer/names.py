"""Who and what a sentence names: people with their titles and countries, places, organizations, and the side
that acts or speaks in it (pure text rules, for the answer types in `rag.answer.types`)."""

from __future__ import annotations

import re

from ..lexicon.gazetteer import (INSTITUTION_COUNTRIES, countries_named, country_and_capital_names,
                                 country_span, demonym_countries, lower_country_of_capital, phrase_at, place_words)
from ..text import MONTHS, light_stem, possessor, token_matches, tokens
from ..lexicon.words import (ACTOR_MODIFIERS, AFFILIATION_CONNECTORS, AFFILIATION_VERBS, AFFILIATION_PREPOSITIONS,
                             AREA_NOUNS, ARTICLES, AUX_WORDS, BACKGROUND_CONJUNCTIONS, CALENDAR_WORDS, CITY_NOUNS,
                             COMMENTATOR_ROLES, FACILITY_NOUNS, FUNCTION_WORDS, GENERIC_ROLES, IRREGULAR_ACTIONS,
                             IRREGULAR_VERBS, NAME_PARTICLES, ORGANIZATION_WORDS, PERSON_ROLES, PHRASE_WORDS,
                             PLACE_PREPOSITIONS, PRESENT_TENSE_VERBS, RESPONSE_NOUNS, ROLE_GROUPS, SPEECH_VERBS,
                             WIDE_REGIONS)

_NAME_WINDOW = 4  # a name stands close to the thing it names ("the Shahed-136 attack drones")
SETTLEMENT_NOUNS = CITY_NOUNS + AREA_NOUNS + ("location",)
PLACE_NOUNS = SETTLEMENT_NOUNS + FACILITY_NOUNS
# Words of time: a capitalized one (a month, a weekday) names no thing; a sentence holding one may say when.
TEMPORAL_RE = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekends?|today|yesterday|tomorrow|days?|weeks?|"
    r"months?|years?|decades?|soon|"
    + "|".join(m for m in MONTHS if m != "may") + "|"  # "may" is a verb first: _MAY_RE reads it
    r"ago|since|until|before|after|earlier|later|recently|"
    r"(?:19|20)\d\d)\b", re.I)
# Words read as verbs after a subject: auxiliaries, verbs of saying ("according" too) and common irregular forms.
_KNOWN_VERBS = AUX_WORDS | SPEECH_VERBS | IRREGULAR_VERBS
_TITLE_WINDOW = 4  # "Iran's foreign minister Hossein Amir-Abdollahian": the country within 4 words before a name
_APPOSITION_WINDOW = 7  # "John Kirby, a White House national security spokesman": the role within 6 words
# Attribution after a quote or a comma: "…,” said the Kremlin." / "…, according to Iranian state media."; the
# speaker is the noun phrase that follows (see _actor_phrase_end).
_ATTRIBUTION_RE = re.compile(r"(?:[”\",]\s*(?:said|says|added|wrote)|\baccording to)\s+", re.I)
_QUOTED_RE = re.compile(r"“[^“”]*”|\"[^\"]*\"")


_PLACE_STEMS = frozenset(light_stem(n) for n in PLACE_NOUNS)
_ROLE_STEMS = frozenset(light_stem(r) for r in PERSON_ROLES)
_COMMENTATOR_STEMS = frozenset(light_stem(r) for r in COMMENTATOR_ROLES)
_ROLE_GROUP_STEMS = tuple(frozenset(light_stem(r) for r in group) for group in ROLE_GROUPS)
_GENERIC_ROLE_STEMS = frozenset(light_stem(r) for r in GENERIC_ROLES)
_FACILITY_STEMS = frozenset(light_stem(n) for n in FACILITY_NOUNS)
_CITY_STEMS = frozenset(light_stem(n) for n in CITY_NOUNS)
_AREA_STEMS = frozenset(light_stem(n) for n in AREA_NOUNS)


def _is_capitalized(word: str) -> bool:
    return (word[:1].isupper() and not word.isupper() and not word.endswith(("'s", "’s"))
            and word.lower() not in FUNCTION_WORDS)


def _name_runs(words: list[str]) -> list[tuple[int, int]]:
    """[start, end) of runs of two or more capitalized words ("David Lammy"), particles allowed inside."""
    runs, start = [], None
    for i, word in enumerate(words + [""]):
        capitalized = _is_capitalized(word)
        if capitalized or (start is not None and word.lower() in NAME_PARTICLES):
            start = i if start is None else start
            continue
        if start is not None:
            end = i
            while end > start and words[end - 1].lower() in NAME_PARTICLES:
                end -= 1
            if end - start >= 2:
                runs.append((start, end))
        start = None
    return runs


def _is_role(word: str) -> bool:
    return light_stem(word) in _ROLE_STEMS


def _person_names(words: list[str], clauses: list[int] | None = None
                  ) -> list[tuple[tuple[str, ...], frozenset[str], frozenset[str]]]:
    """Capitalized words that news style marks as a person's name, each with the stems of its titles and, when
    `clauses` (see tokens_and_clauses) are given, the countries named in its title or apposition within the name's own
    clauses ("Iran's foreign minister Hossein…", "Ned Price, the U.S. spokesman,"); without them, none."""
    names = []
    for start, end in _capitalized_spans(words):
        if all(w.lower() in CALENDAR_WORDS for w in words[start:end]):
            continue  # "the ministry said Thursday"
        roles = [i for i in range(start, end) if _is_role(words[i])]
        first = roles[-1] + 1 if roles else start  # "CIA Director William Burns" -> "William Burns"
        if first >= end or _is_organization(words[first:end]):
            continue
        before = words[start - 1].lower() if start else ""
        after = [w.lower() for w in words[end: end + _APPOSITION_WINDOW]]
        # "Ned Price, the spokesman…", "Hossein Amir-Abdollahian, Iran's foreign minister, …"
        apposed = [w for w in after[1:] if _is_role(w)] if after and (
            after[0] in ARTICLES or after[0].endswith(("'s", "’s"))) else []
        titles = {light_stem(words[i]) for i in roles} | {light_stem(w) for w in apposed[:1]} | (
            {light_stem(before)} if _is_role(before) else set())
        # "Secretary of State Antony Blinken", "Supreme Leader of Iran Ali Khamenei": a run of three or more words
        # after "<role> of" ends the title with its object, and its last two words are the name ("The director of
        # Human Rights Watch said" names a body).
        of_title = (before == "of" and start >= 2 and _is_role(words[start - 2]) and end - first >= 3
                    and not _is_organization(words[end - 1:end]))
        if of_title:
            titles.add(light_stem(words[start - 2]))
        name_start = end - 2 if of_title else first
        # "Tyler Durden of ZeroHedge observed…": an untitled name given with an outlet or institute speaks as a
        # commentator. A run after an article ("The Alabuga Zone of Tatarstan said") gets no affiliation.
        affiliation = (_affiliation(words, end, said_before=before in SPEECH_VERBS)
                       if before not in ARTICLES else [])
        if affiliation and not titles:
            titles |= _COMMENTATOR_STEMS
        titled = bool(titles) or before in SPEECH_VERBS  # "Foreign Minister Sergei…", "said Nasser Kanaani"
        attributed = (bool(after) and after[0] in SPEECH_VERBS) or bool(affiliation)  # "John Kirby said"
        # One capitalized word is a name only with a title or a verb of saying ("President Putin", "said Blinken"),
        # and never after "of", where it names a body or a place ("The Ministry of Defence said", "of Hamas said").
        single = end - first == 1
        lone = single and not roles and (before == "of" or not (before in SPEECH_VERBS or attributed))
        if lone or not (titled or attributed):
            continue
        countries = frozenset()
        if clauses is not None:
            apposition = [w for w, c in zip(words[end: end + _APPOSITION_WINDOW],
                                            clauses[end: end + _APPOSITION_WINDOW]) if c == clauses[end]] if apposed else []
            # the country may stand in the title ("Iran's foreign minister"), in the object of a title with "of"
            # ("Supreme Leader of Iran"), in an apposition or in the affiliation ("of Russia")
            title = (_title_before(words, start - 2, clauses) + words[start - 2:name_start] if of_title
                     else _title_before(words, start, clauses) + words[start:first])
            countries = countries_named(title + apposition + affiliation)
            # an institute named for its city stands there ("of Moscow State University" is Russian)
            countries |= {c for w in affiliation if (c := lower_country_of_capital().get(possessor(w)))}
        names.append((tuple(words[name_start:end]), frozenset(titles), countries))
    return names


_AFFILIATION_WINDOW = 8  # "of the Institute for the Study of War" is about as long as they get


def _affiliation(words: list[str], end: int, *, said_before: bool = False) -> list[str]:
    """The capitalized words of an affiliation after a name, when a verb of saying comes before the name or
    after the affiliation ("Tyler Durden of ZeroHedge observed", "Jane Doe at the Brookings Institution has
    said", "…,” said Jack Watling of RUSI"); empty when there is none."""
    if end >= len(words) or words[end].lower() not in AFFILIATION_PREPOSITIONS:
        return []
    first = end + 1 + (end + 1 < len(words) and words[end + 1].lower() == "the")
    last = first
    while last < min(len(words), first + _AFFILIATION_WINDOW):
        word = words[last].lower()
        capitalized = words[last][:1].isupper() and word not in CALENDAR_WORDS  # "of RUSI on Tuesday said"
        connector = last > first and (word in AFFILIATION_CONNECTORS or (
            word == "the" and words[last - 1].lower() in AFFILIATION_CONNECTORS))  # "Institute for the Study of War"
        if not (capitalized or connector):
            break
        last += 1
    while last > first and not words[last - 1][:1].isupper():
        last -= 1  # an affiliation ends on a name word, not on "for"
    rest = [w.lower() for w in words[last:]]
    verb = 0
    if verb < len(rest) and rest[verb] in ARTICLES:
        # "Michael Kofman of CNA, a research group in Virginia, said": an apposition that describes the affiliation,
        # with no verb of its own, stands before the verb (known verbs only, not _is_verb_like: "Virginia-based")
        said_at = next((j for j in range(verb + 1, min(len(rest), verb + _APPOSITION_WINDOW + 1))
                        if rest[j] in AFFILIATION_VERBS), None)
        if said_at is not None and not any(w in _KNOWN_VERBS or w in PRESENT_TENSE_VERBS for w in rest[verb: said_at]):
            verb = said_at
    while verb < len(rest) and rest[verb] in AUX_WORDS:
        verb += 1  # "of RUSI has argued"
    said = said_before or (verb < len(rest) and rest[verb] in AFFILIATION_VERBS)
    return words[first:last] if last > first and said else []


def _title_before(words: list[str], start: int, clauses: list[int]) -> list[str]:
    """The words of a title just before a name ("Iran's foreign minister"), back to a verb of saying, a
    function word or a comma ("On a visit to Turkey, spokesman Nasser Kanaani" has no country)."""
    first = start
    while (first > max(0, start - _TITLE_WINDOW) and clauses[first - 1] == clauses[start]
           and words[first - 1].lower() not in SPEECH_VERBS and words[first - 1].lower() not in FUNCTION_WORDS):
        first -= 1
    return words[first:start]


_CLAUSE_BREAK_RE = re.compile(r"[,;:()\[\]\"“”—–]")


def tokens_and_clauses(sentence: str) -> tuple[list[str], list[int]]:
    """The tokens of `sentence` (see tokens) and, for each, how many commas, brackets, quotes or dashes precede it."""
    words, ids, clause, last = [], [], 0, 0
    for match in token_matches(sentence):
        clause += len(_CLAUSE_BREAK_RE.findall(sentence, last, match.start()))
        words.append(match.group(0))
        ids.append(clause)
        last = match.end()
    return words, ids


def _capitalized_spans(words: list[str]) -> list[tuple[int, int]]:
    """Runs of capitalized words (see _name_runs) and single capitalized words outside them."""
    runs = _name_runs(words)
    inside = {i for start, end in runs for i in range(start, end)}
    singles = [(i, i + 1) for i, word in enumerate(words)
               if i not in inside and i > 0 and _is_capitalized(word)]
    return sorted(runs + singles)


def _is_organization(name: list[str]) -> bool:
    """A run that names an organization or a place, not a person ("State Department", "White House", "Iran")."""
    joined = " ".join(possessor(w) for w in name)
    return (possessor(name[-1]) in ORGANIZATION_WORDS or joined in country_and_capital_names()
            or joined in demonym_countries() or possessor(name[-1]) in WIDE_REGIONS)


def _role_fits(titles: frozenset[str], asked: frozenset[str]) -> bool:
    """True when a name's titles answer for the role asked; an untitled name ("Blinken said") answers only a
    generic role ("Which officials…") or none, since nothing shows it is the minister asked about."""
    if not asked:
        return True
    if asked & _GENERIC_ROLE_STEMS:  # "Which official…": anyone, but an analyst of a think tank holds no office
        return not titles or not titles <= _COMMENTATOR_STEMS
    if not titles:
        return False
    return any(titles & group for group in _ROLE_GROUP_STEMS if asked & group) or bool(titles & asked)


def has_new_name(words: list[str], question_words: frozenset[str], asked: frozenset[str] = frozenset(),
                  nation: frozenset[str] = frozenset(), clauses: list[int] | None = None) -> bool:
    # A person is named the way news names people: after a title or role ("Foreign Minister Sergei Lavrov"),
    # next to a verb of saying ("said Nasser Kanaani") or with an apposition ("Ned Price, the spokesman").
    # "Islamic Revolutionary Guard Corps" or "United States" are capitalized runs but not people, and a foreign
    # minister does not answer "Which officers…"; nor does a US spokesman answer "Which Iranian official…".
    return any(not all(w.lower() in question_words for w in name) and _role_fits(titles, asked)
               and not (nation and countries and not nation & countries)
               for name, titles, countries in _person_names(words, clauses))


# A name in quotes is two to five unpunctuated words ("phased adaptive approach"); a quoted remark ("a direct
# threat to European security.") or a scare-quoted word ("baseless") is not.
SHORT_QUOTE_RE = re.compile(r"[\"“](?:[^\"“”\s.,;:!?]+\s){1,4}[^\"“”\s.,;:!?]+[\"”]")


def has_new_name_near(words: list[str], question_words: frozenset[str], thing: frozenset[str]) -> bool:
    """A proper name or model number ("Shahed-136", "Ursa Major") within a few words of the thing it names.

    Countries, capitals and demonyms ("Russian drones") say where a thing is from, not what it is called.
    """
    places = place_words()
    stems = [light_stem(w) for w in words]
    for i, word in enumerate(words):
        model_number = any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)  # "Shahed-136"
        # A sentence's first word is capitalized anyway; months and weekdays are capitalized but name no thing.
        proper = model_number or (word[:1].isupper() and i > 0 and not TEMPORAL_RE.fullmatch(word))
        if (not proper or word.lower() in FUNCTION_WORDS or possessor(word) in places
                or _named_in_question(word, question_words)):
            continue
        if thing.intersection(stems[max(0, i - _NAME_WINDOW): i + 1 + _NAME_WINDOW]):
            return True
    return False


def _named_in_question(word: str, question_words: frozenset[str]) -> bool:
    """True when the question already names `word`, itself or as a demonym ("French" names France)."""
    word, demonyms = word.lower(), demonym_countries()
    return any(word == q or word in demonyms.get(q, ()) or (len(q) >= 4 and word[:4] == q[:4]) for q in question_words)


def has_new_place(words: list[str], question_words: frozenset[str], asked: frozenset[str]) -> bool:
    # The place must be of the kind asked: "Kursk region" does not answer "Which cities…", nor "in Iran".
    kind, nouns = next(((kind, group) for kind, group in
                        (("facility", _FACILITY_STEMS), ("city", _CITY_STEMS), ("area", _AREA_STEMS)) if asked & group),
                       ("any", _PLACE_STEMS))
    facility, below_country = kind == "facility", kind != "any"
    lower = [possessor(w) for w in words]
    for i, word in enumerate(words):
        if (not word[:1].isupper() or lower[i] in FUNCTION_WORDS or lower[i] in demonym_countries()
                or lower[i] in CALENDAR_WORDS or _named_in_question(word, question_words)):
            continue
        if not asked and _MADE_IN_RE.match(word):
            return True  # "Where are the drones made?" - "Iranian-made drones"
        if below_country and country_span(lower, i)[0]:  # a country does not answer "Which city…"
            continue
        before = [w for w in lower[max(0, i - 3): i] if w != "the"]
        # The place noun follows the name directly, maybe after "air" or "naval" ("Hmeimim air base").
        after = [light_stem(w) for w in lower[i + 1: i + 3]]
        before_place_noun = bool(after) and (after[0] in nouns or (after[0] in ("air", "naval") and after[1:2]
                                                                    and after[1] in nouns))
        of_place_noun = len(before) >= 2 and before[-1] == "of" and light_stem(before[-2]) in nouns  # "city of Isfahan"
        after_preposition = (not facility and i > 0 and bool(before) and before[-1] in PLACE_PREPOSITIONS
                             and lower[i] not in WIDE_REGIONS)  # "in Copenhagen", not "in Europe"
        if before_place_noun or of_place_noun or after_preposition:
            return True
    return False


_MADE_IN_RE = re.compile(r"^[A-Z]\w+-(?:made|built|manufactured|produced|designed|supplied)$")


def _actor_at(words: list[str], lower: list[str], i: int) -> tuple[frozenset[str], int]:
    """The actors that the capitalized words from i on name, and how many words they take: a country by name,
    capital, demonym or institution ("Kremlin" -> russia), or any other capitalized word itself ("NATO")."""
    if not words[i][:1].isupper() or lower[i] in FUNCTION_WORDS or lower[i] in CALENDAR_WORDS:
        return frozenset(), 0
    country, taken = country_span(lower, i)
    if not country:
        country, taken = phrase_at(lower, i, INSTITUTION_COUNTRIES)
    if country:
        return frozenset({country}), taken
    country = lower_country_of_capital().get(lower[i])
    return frozenset({country}) if country else (demonym_countries().get(lower[i]) or frozenset({lower[i]})), 1


def actor_refs(words: list[str]) -> frozenset[str]:
    """Every actor that `words` name (see _actor_at): "the Kremlin" -> {russia}, "Iranian officials" -> {iran}."""
    lower = [possessor(w) for w in words]
    found: set[str] = set()
    i = 0
    while i < len(words):
        refs, taken = _actor_at(words, lower, i)
        found |= refs
        i += max(taken, 1)  # "White House" is the United States, not also a "house"
    return frozenset(found)


def _is_verb_like(word: str) -> bool:
    return (word in _KNOWN_VERBS or word in PRESENT_TENSE_VERBS or word in IRREGULAR_ACTIONS
            or (len(word) > 4 and word.endswith("ed")))


def _actor_phrase_end(words: list[str], lower: list[str], i: int) -> int:
    """Where the noun phrase of a speaker or actor that goes on at i ends: names, roles, organizations and their
    modifiers ("…foreign ministry spokesman Nasser Kanaani", "…commerce ministry", "…and Britain"). Any other
    word ends it: "Ukraine's allies", "a Russian oil tanker"."""
    def fits(j: int) -> bool:
        return (_is_role(words[j]) or lower[j] in ORGANIZATION_WORDS or lower[j] in ACTOR_MODIFIERS
                or _is_capitalized(words[j]) or words[j].isupper()
                or (lower[j] == "and" and j + 1 < len(words) and _is_capitalized(words[j + 1])))

    while i < len(words):
        if not fits(i):
            # Up to two plain words may qualify an organization or role that follows ("commerce ministry").
            head = next((j for j in range(i, min(i + 3, len(words)))
                         if _is_verb_like(lower[j]) or lower[j] in ORGANIZATION_WORDS or _is_role(words[j])), None)
            if head is None or _is_verb_like(lower[head]):
                break
            i = head
        i += 1
    return i


def _speaks_after(lower: list[str], i: int, *, possessive: bool, proper_noun: bool) -> bool:
    """True when the word at i is a verb, or a response noun ("reaction"); after a country's or institution's
    name, any present-tense verb ("Ukraine continues…")."""
    if i >= len(lower):
        return False
    word = lower[i]
    # After a possessive comes a noun ("Russia's supposed deal…"), unless it is the response itself.
    if word in RESPONSE_NOUNS:
        return True
    if possessive:
        return False
    # After a demonym, a word in -s is a noun ("Iranian nationals"); after a name, a verb ("China slams").
    return _is_verb_like(word) or (proper_noun and len(word) > 3 and word.endswith("s") and not word.endswith("ss")
                                   and word not in FUNCTION_WORDS and word not in ORGANIZATION_WORDS)


def actor_responds(sentence: str, actors: frozenset[str]) -> bool:
    """True when one of `actors` speaks or acts in the sentence: credited with a quote ("…,” said the Kremlin",
    "according to Iranian officials"), the subject of a verb ("Moscow has not commented", "Iran's foreign ministry
    spokesman Nasser Kanaani called…") or named with its response ("Moscow's reaction"). Not when it is an object
    ("…missiles to Russia"), inside a quote, or in someone else's reported speech in the same clause ("Blinken
    said Russia…")."""
    for match in _ATTRIBUTION_RE.finditer(sentence):
        after = tokens(sentence[match.end():])
        low = [possessor(w) for w in after]
        first = 1 if low[:1] == ["the"] else 0
        if actor_refs(after[first:_actor_phrase_end(after, low, first)]) & actors:
            return True
    text = _QUOTED_RE.sub(" , ", sentence)
    words, clauses = tokens_and_clauses(text)
    lower = [possessor(w) for w in words]
    for i in range(len(words)):
        refs, taken = _actor_at(words, lower, i)
        if not refs & actors:
            continue
        before = next((j for j in range(i - 1, -1, -1) if lower[j] not in ARTICLES), None)
        if before is not None and (lower[before] in PHRASE_WORDS or _is_verb_like(lower[before])):
            continue  # an object: "…missiles to Russia", "accused Iran of…"
        if before is not None and lower[before] in BACKGROUND_CONJUNCTIONS:
            continue  # background, not the response: "…occurs as the Kremlin aims to counter…"
        if any(lower[j] in SPEECH_VERBS and clauses[j] == clauses[i] for j in range(i)):
            continue  # reported: "Blinken said Russia has received…"
        end = _actor_phrase_end(words, lower, i + taken)
        possessive = possessor(words[end - 1]) != words[end - 1].lower()
        named = end == i + taken and not demonym_countries().get(lower[i])  # "Ukraine", not "Ukrainian"
        if _speaks_after(lower, end, possessive=possessive, proper_noun=named):
            return True
    return False


