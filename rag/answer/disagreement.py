"""Where accounts differ: when one side's claim in an answer is denied by another side in the evidence, show both.

A dispute is read from the statements themselves, as the index attributes them (rag.attribution): two sentences
about the same event (close sentence vectors), from sides that share no country or organization, one denying
and the other not. Both answerers' answers pass through `show_both_sides`, so neither can give one side only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..gazetteer import INSTITUTION_COUNTRIES, countries_named, country_of_capital, name_words
from ..text import possessor
from .model import Answer, quote_claim, renumbered
from .words import AUX_WORDS

# Two statements are about the same event when their sentence vectors are at least this close (cosine), and a
# denial belongs to the question when it is at least this close to it. Chosen on the dev half of
# eval/news_gold.jsonl (eval/EXPERIMENTS.md, issue 18 part 2).
SAME_EVENT = 0.55
ON_TOPIC = 0.45
UNQUOTED_ON_TOPIC = 0.5
ACCOUNTS_DIFFER = "Accounts differ."  # what a disputed answer opens with


def sides(side: str | None) -> frozenset[str]:
    """The countries or organizations a side names ("United States and United Kingdom" -> both)."""
    return frozenset(part.strip().lower() for part in (side or "").split(" and ") if part.strip())


def named_sides(text: str) -> frozenset[str]:
    """The countries a statement is about: named, by demonym, by capital or by an institution ("the Kremlin")."""
    words = name_words(text)
    capitals = country_of_capital()
    lower = text.lower()
    return (countries_named(words) | {capitals[possessor(w)] for w in words if possessor(w) in capitals}
            | {country for institution, country in INSTITUTION_COUNTRIES.items() if institution in lower})


def conflicting(side_a: str | None, denial_a: bool, names_a: frozenset[str], side_b: str | None, denial_b: bool,
                names_b: frozenset[str], similarity: float, *, same_event: float = SAME_EVENT) -> bool:
    """Whether two statements conflict: different sides, one denying what the other states, about one event, and
    one of them about the other's side (`names_*`: the countries each statement names, lower case)."""
    a, b = sides(side_a), sides(side_b)
    return (bool(a) and bool(b) and not (a & b) and denial_a != denial_b and similarity >= same_event
            and bool((names_a & b) or (names_b & a)))


def asks_yes_or_no(question: str) -> bool:
    """A question that opens with an auxiliary ("Did Iran send…?", "Is it true…?") asks whether something is so."""
    first = question.strip().split(maxsplit=1)[:1]
    return bool(first) and first[0].lower() in AUX_WORDS


def show_both_sides(index, answer: Answer, question_vector: np.ndarray, *, same_event: float = SAME_EVENT,
                    on_topic: float = ON_TOPIC, unquoted_on_topic: float = UNQUOTED_ON_TOPIC,
                    candidates: list | None = None) -> Answer:
    """The answer with both sides' statements when the evidence shows a claim it quotes disputed, or, for a
    yes-or-no question, when the evidence closest to the question is disputed."""
    if answer.abstained or not answer.claims or index.sentence_vectors.shape[1] == 0:
        return answer
    from .extractive import candidate_sentences, format_answer

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
                        [r in claim_rows for r in rows],
                        unquoted_on_topic=unquoted_on_topic if asks_yes_or_no(answer.question) else np.inf,
                        same_event=same_event, on_topic=on_topic)
    if pair is None:
        return answer
    claims, citations = list(answer.claims), list(answer.citations)
    shown = []
    for j in pair:
        if rows[j] in claim_rows:
            shown.append(claims[claim_rows.index(rows[j])])
            continue
        found = candidates[j]
        new = quote_claim(citations, answer.passages[found.passage_index], found.start, found.end, found.text,
                          float(relevance[j]), who[found.row])
        # After the other side's claim when the answer quotes it, else at the end.
        partner = next((claim_rows.index(rows[k]) for k in pair if k != j and rows[k] in claim_rows), None)
        claims.insert(partner + 1 if partner is not None else len(claims), new)
        claim_rows.insert(partner + 1 if partner is not None else len(claim_rows), found.row)
        shown.append(new)
    denier, claimant = (shown[0], shown[1]) if shown[0].denial else (shown[1], shown[0])
    claims, citations = renumbered(claims, citations)  # an inserted claim can cite a new passage mid-answer
    text = ACCOUNTS_DIFFER + " " + format_answer([c.text for c in claims], [c.n for c in claims])
    return dataclasses.replace(answer, text=text, claims=claims, citations=citations,
                               dispute=(claimant.side, denier.side))


def best_dispute(attributions: Sequence, texts: Sequence[str], vectors: np.ndarray, relevance: np.ndarray,
                 quoted: Sequence[bool], *, same_event: float = SAME_EVENT, on_topic: float = ON_TOPIC,
                 unquoted_on_topic: float = UNQUOTED_ON_TOPIC) -> tuple[int, int] | None:
    """The two statements of the closest on-topic dispute (positions in the lists), or None.

    Each must be on topic; when the answer quotes neither, both must be closer to the question."""
    sided = [i for i, a in enumerate(attributions) if a.side and relevance[i] >= on_topic]
    denials = [i for i in sided if attributions[i].denial]
    claims = [i for i in sided if not attributions[i].denial]
    if not denials or not claims:
        return None
    closeness = vectors[denials] @ vectors[claims].T
    names: dict[int, frozenset[str]] = {}
    best, best_score = None, -1.0
    for di, i in enumerate(denials):
        for ci, j in enumerate(claims):
            floor = on_topic if quoted[i] or quoted[j] else unquoted_on_topic
            if min(relevance[i], relevance[j]) < floor or closeness[di, ci] < same_event:
                continue
            score = float(closeness[di, ci] + relevance[i] + relevance[j])
            if score <= best_score:
                continue
            a, b = attributions[i], attributions[j]
            for k in (i, j):
                if k not in names:
                    names[k] = named_sides(texts[k])
            if conflicting(a.side, a.denial, names[i], b.side, b.denial, names[j], float(closeness[di, ci]),
                           same_event=same_event):
                best, best_score = (j, i), score
    return best
