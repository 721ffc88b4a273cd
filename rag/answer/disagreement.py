"""Where accounts differ: when one side's claim in an answer is denied by another side in the evidence, show both.

A dispute is read from the statements themselves, as the index attributes them (rag.attribution): two sentences
about the same event (close sentence vectors), from sides that share no country or organization, one denying
and the other not. Both answerers' answers pass through `show_both_sides`, so neither can give one side only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence

import numpy as np

from ..lexicon.gazetteer import INSTITUTION_COUNTRIES, countries_named, country_of_capital
from ..text import number_value, possessor, tokens, words
from .model import UNKNOWN_SOURCE, Answer, quote_claim, renumbered
from ..lexicon.words import AUX_WORDS, DENIAL_LEMMAS, FUNCTION_WORDS
from ..attribution import load_parser
from .extractive import candidate_sentences
from .reader import CONTRADICT
from ..store import IndexView

# Two statements are about the same event when their sentence vectors are at least this close (cosine), and a
# denial belongs to the question when it is at least this close to it. Chosen on the dev half of
# eval/news_gold.jsonl (eval/EXPERIMENTS.md, issue 18 part 2).
SAME_EVENT = 0.55
ON_TOPIC = 0.45
UNQUOTED_ON_TOPIC = 0.5


def sides(side: str | None) -> frozenset[str]:
    """The countries or organizations a side names ("United States and United Kingdom" -> both)."""
    return frozenset(part.strip().lower() for part in (side or "").split(" and ") if part.strip())


def named_sides(text: str) -> frozenset[str]:
    """The countries a statement is about: named, by demonym, by capital or by an institution ("the Kremlin")."""
    words = tokens(text)
    capitals = country_of_capital()
    lower = text.lower()
    return (countries_named(words) | {capitals[possessor(w)] for w in words if possessor(w) in capitals}
            | {country for institution, country in INSTITUTION_COUNTRIES.items() if institution in lower})


def conflicting(first, names_first: frozenset[str], second, names_second: frozenset[str], similarity: float) -> bool:
    """Whether two statements conflict: different sides, one denying what the other states, about one event
    (`similarity` of SAME_EVENT or more), and one of them about the other's side. `first` and `second` are their
    Attributions (side, denial); `names_*` the countries each statement names, lower case."""
    a, b = sides(first.side), sides(second.side)
    return (bool(a) and bool(b) and not (a & b) and first.denial != second.denial and similarity >= SAME_EVENT
            and bool((names_first & b) or (names_second & a)))


def asks_yes_or_no(question: str) -> bool:
    """A question that opens with an auxiliary ("Did Iran send…?", "Is it true…?") asks whether something is so."""
    first = question.strip().split(maxsplit=1)[:1]
    return bool(first) and first[0].lower() in AUX_WORDS


def show_both_sides(index: IndexView, answer: Answer, question_vector: np.ndarray, *,
                    candidates: list | None = None) -> Answer:
    """The answer with both sides' statements when the evidence shows a claim it quotes disputed, or, for a
    yes-or-no question, when the evidence closest to the question is disputed."""
    if answer.abstained or not answer.claims or index.sentence_vectors.shape[1] == 0:
        return answer

    if candidates is None:  # the sentences of the answer's passages (news_aware passes them, read once)
        candidates = candidate_sentences(index, answer.passages)
    if not candidates:
        return answer
    rows = [c.row for c in candidates]
    vectors = np.asarray(index.sentence_vectors[rows], dtype=np.float32)
    relevance = vectors @ np.asarray(question_vector, dtype=np.float32)
    who = index.attributions(rows)
    claim_rows = [index.sentence_row_at(c.doc_id, c.start) for c in answer.claims]
    pair = best_dispute([who[r] for r in rows], [c.text for c in candidates], vectors, relevance,
                        [r in claim_rows for r in rows], yes_or_no=asks_yes_or_no(answer.question))
    if pair is None:
        return answer
    claims, citations = list(answer.claims), list(answer.citations)
    shown = []
    for j in pair:
        if rows[j] in claim_rows:
            shown.append(claims[claim_rows.index(rows[j])])
            continue
        found = candidates[j]
        new = quote_claim(citations, answer.passages[found.passage_index], found, float(relevance[j]),
                          who[found.row])
        # After the other side's claim when the answer quotes it, else at the end.
        partner = next((claim_rows.index(rows[k]) for k in pair if k != j and rows[k] in claim_rows), None)
        claims.insert(partner + 1 if partner is not None else len(claims), new)
        claim_rows.insert(partner + 1 if partner is not None else len(claim_rows), found.row)
        shown.append(new)
    denier, claimant = (shown[0], shown[1]) if shown[0].denial else (shown[1], shown[0])
    claims, citations = renumbered(claims, citations)  # an inserted claim can cite a new passage mid-answer
    return dataclasses.replace(answer, claims=claims, citations=citations, dispute=(claimant.side, denier.side))


def best_dispute(attributions: Sequence, texts: Sequence[str], vectors: np.ndarray, relevance: np.ndarray,
                 quoted: Sequence[bool], *, yes_or_no: bool) -> tuple[int, int] | None:
    """The two statements of the closest on-topic dispute (positions in the lists), or None.

    Each must be on topic (ON_TOPIC); when the answer quotes neither, both must be closer to the question
    (UNQUOTED_ON_TOPIC), and only for a `yes_or_no` question: else a dispute the answer does not quote is not
    shown."""
    unquoted_floor = UNQUOTED_ON_TOPIC if yes_or_no else np.inf
    sided = [i for i, a in enumerate(attributions) if a.side and relevance[i] >= ON_TOPIC]
    denials = [i for i in sided if attributions[i].denial]
    claims = [i for i in sided if not attributions[i].denial]
    if not denials or not claims:
        return None
    closeness = vectors[denials] @ vectors[claims].T
    names: dict[int, frozenset[str]] = {}
    best, best_score = None, -1.0
    for di, i in enumerate(denials):
        for ci, j in enumerate(claims):
            floor = ON_TOPIC if quoted[i] or quoted[j] else unquoted_floor
            if min(relevance[i], relevance[j]) < floor or closeness[di, ci] < SAME_EVENT:
                continue
            score = float(closeness[di, ci] + relevance[i] + relevance[j])
            if score <= best_score:
                continue
            a, b = attributions[i], attributions[j]
            for k in (i, j):
                if k not in names:
                    names[k] = named_sides(texts[k])
            if conflicting(a, names[i], b, names[j], float(closeness[di, ci])):
                best, best_score = (j, i), score
    return best


# ---------------------------------------------------------------- sources that state different facts

# A sentence answers the question when the reader gives it at least this probability: low for a question asking
# for a figure, date or place (the sentence must also state one), higher for a yes-or-no question. A yes-or-no
# answer contradicts another when one is negated and the other not, or the reader's NLI finds contradiction.
# Two answers are about one fact when their sentence vectors are at least SAME_FACT close. Chosen on the dev
# halves of eval/conflicts.jsonl and the seed question sets (eval/EXPERIMENTS.md, issue 29 session 3): any
# SAME_FACT in (0.515, 0.629] gives the same dev figures; this is the middle.
ANSWERS_WITH_VALUE = 0.1
ANSWERS_YES_OR_NO = 0.25
CONTRADICTS = 0.5
SAME_FACT = 0.57
SAME_FIGURE = 0.05  # figures within 5% are one figure rounded ("nearly 75,000" and "74,812")
_NOT_ENTITIES = ["tagger", "parser", "attribute_ruler", "lemmatizer"]
# The entity labels (spaCy's) that can answer each kind of question. Who/which questions are left out: on the
# seed questions two outlets naming different people were answering a question with several answers ("Which
# U.S. officials…"), not disagreeing, on every dev question where it happened.
VALUE_LABELS = {"figure": frozenset({"CARDINAL", "MONEY", "QUANTITY", "PERCENT"}), "date": frozenset({"DATE", "TIME"}),
                "place": frozenset({"GPE", "LOC", "FAC"})}
_FIGURE_QUESTION_RE = re.compile(r"^how (?:much|many|long|far|wide|big|large|high|tall|deep|heavy|fast|old)\b")
_DATE_QUESTION_RE = re.compile(r"^(?:when\b|(?:on |in )?(?:which|what) (?:day|date|month|year|time)\b)")


def value_kind(question: str) -> str | None:
    """What kind of answer two sources could state differently: "figure", "date", "place", "yes-no", or None
    (an open question: who, which, what someone said, why, how)."""
    lower = " ".join(question.lower().split())
    if _FIGURE_QUESTION_RE.match(lower):
        return "figure"
    if _DATE_QUESTION_RE.match(lower):
        return "date"
    first = lower.split(maxsplit=1)[0] if lower else ""
    if first == "where":
        return "place"
    if first in AUX_WORDS:
        return "yes-no"
    return None


def stated_values(parsed, kind: str, question: str) -> list:
    """The answers of `kind` a parsed sentence states that the question does not: figures as numbers, dates and
    places as lower-case text."""
    asked = set(words(question.lower()))
    out = []
    for entity in parsed.ents:
        if entity.label_ not in VALUE_LABELS[kind] or set(words(entity.text.lower())) <= asked:
            continue
        if kind != "figure":
            out.append(entity.text.lower())
        elif (value := number_value(entity.text)) is not None:
            out.append(value)
    return out


def same_value(a, b, kind: str) -> bool:
    """Two stated answers are one: figures within SAME_FIGURE, places sharing a word ("Geneva", "Geneva,
    Switzerland")."""
    if kind == "figure":
        return abs(a - b) <= SAME_FIGURE * max(abs(a), abs(b))
    if kind == "date":
        return a == b
    return bool((set(words(a)) - FUNCTION_WORDS) & (set(words(b)) - FUNCTION_WORDS))


def values_differ(a: Sequence, b: Sequence, kind: str) -> bool:
    """Each side states an answer the other does not (one stating more than the other is not a conflict)."""
    only_a = [x for x in a if not any(same_value(x, y, kind) for y in b)]
    only_b = [y for y in b if not any(same_value(x, y, kind) for x in a)]
    return bool(only_a) and bool(only_b)


def negated(parsed) -> bool:
    """The sentence says no: a negation ("not", "no plans", "never") or a denying verb."""
    return any(t.dep_ == "neg" or (t.lower_ == "no" and t.dep_ == "det")
               or (t.pos_ == "VERB" and t.lemma_ in DENIAL_LEMMAS) for t in parsed)


def show_differing_sources(index: IndexView, answer: Answer, candidates: list, load_reader: Callable) -> Answer:
    """The answer opening "Sources differ." with both sentences, when two outlets' articles answer the question
    with different figures, dates or places, or one says yes and the other no. `load_reader()` gives the trained
    reader (rag.answer.reader.Reader), loaded only for a question such sources could answer differently;
    `candidates` are the sentences of the answer's passages."""
    question = answer.question
    kind = value_kind(question)
    if kind is None or answer.abstained or not answer.claims or answer.dispute or len(candidates) < 2:
        return answer
    sources = {p.doc_id: p.source for p in answer.passages}
    if len(set(sources)) < 2:
        return answer

    candidates = _worth_reading(answer, candidates, sources)
    if not candidates:
        return answer
    reader = load_reader()
    scores = reader.answer_scores(question, [c.text for c in candidates])
    doc_of = [answer.passages[c.passage_index].doc_id for c in candidates]
    best: dict[str, tuple[int, list]] = {}  # per article: its best-answering sentence and what it states
    if kind == "yes-no":
        for i in np.argsort(-scores):
            if scores[i] >= ANSWERS_YES_OR_NO and doc_of[i] not in best:
                best[doc_of[i]] = (int(i), [])
    else:
        nlp = load_parser()
        for i in np.argsort(-scores):
            if scores[i] < ANSWERS_WITH_VALUE:
                break
            if doc_of[i] in best:
                continue
            parsed = nlp(candidates[i].text, disable=_NOT_ENTITIES)  # entities only: the parser is not needed
            values = stated_values(parsed, kind, question)
            if values:
                best[doc_of[i]] = (int(i), values)
    ranked = list(best.items())
    vectors = np.asarray(index.sentence_vectors[[candidates[i].row for _, (i, _) in ranked]], dtype=np.float32)
    closeness = vectors @ vectors.T
    pair = None
    for at, (doc_a, (i, values_a)) in enumerate(ranked):
        for other, (doc_b, (j, values_b)) in enumerate(ranked[at + 1:], start=at + 1):
            if not _other_outlet(sources, doc_a, doc_b) or closeness[at, other] < SAME_FACT:
                continue  # different facts, not one fact stated differently
            if kind == "yes-no":
                if _yes_and_no(candidates[i].text, candidates[j].text, reader):
                    pair = (i, j)
            elif values_differ(values_a, values_b, kind):
                pair = (i, j)
            if pair:
                break
        if pair:
            break
    return _with_both(index, answer, candidates, pair, kind) if pair else answer


def _worth_reading(answer: Answer, candidates: list, sources: dict) -> list:
    """The candidates, when two outlets' articles are among them (else nothing to compare: no reading).
    (Reading only each article's three sentences closest to the question, or only sentences holding a digit or
    calendar word, was cheaper but chose other sentences and showed "Sources differ." falsely on a dev question.)"""
    docs = {answer.passages[c.passage_index].doc_id for c in candidates}
    return candidates if any(_other_outlet(sources, a, b) for a in docs for b in docs) else []


def _other_outlet(sources: dict, doc_a: str, doc_b: str) -> bool:
    """Two articles by different outlets (one outlet's two articles are an update, not sources disagreeing)."""
    return doc_a != doc_b and not (sources.get(doc_a) and sources.get(doc_a) == sources.get(doc_b))


def _yes_and_no(a: str, b: str, reader) -> bool:

    nlp = load_parser()
    if negated(nlp(a)) != negated(nlp(b)):
        return True
    return float(reader.entailment([(a, b), (b, a)])[:, CONTRADICT].max()) >= CONTRADICTS


_WHAT_DIFFERS = {"figure": "figures", "date": "dates", "place": "places", "yes-no": "accounts"}


def _with_both(index: IndexView, answer: Answer, candidates: list, pair: tuple[int, int], kind: str) -> Answer:
    """The answer with the two differing sentences first (quoted if the answer does not yet quote them)."""

    claims, citations = list(answer.claims), list(answer.citations)
    who = index.attributions([candidates[k].row for k in pair])
    first = []
    for k in pair:
        found = candidates[k]
        quoted = next((c for c in claims if c.doc_id == answer.passages[found.passage_index].doc_id
                       and c.start <= found.start < c.end), None)
        if quoted is not None:
            claims.remove(quoted)
            first.append(quoted)
        else:
            first.append(quote_claim(citations, answer.passages[found.passage_index], found, 0.0,
                                     who.get(found.row)))
    claims, citations = renumbered(first + claims, citations)
    outlets = tuple(answer.passages[candidates[k].passage_index].source or UNKNOWN_SOURCE for k in pair)
    return dataclasses.replace(answer, claims=claims, citations=citations, differing=(*outlets, _WHAT_DIFFERS[kind]))
