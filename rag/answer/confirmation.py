"""Confirmed by several outlets: a claim whose fact another outlet's article also states, in its own words.

Copies of one report are one story (rag.store.stories) and are listed as "also reported by"; a confirmation comes
from a different story by a different source: a sentence close in meaning (sentence vectors) that shares most of
the claim's content words. Candidates are the sentences of the passages closest to the claim's own sentence.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..text import words
from .model import Answer, reader_date
from ..store import IndexView, token_stopwords
from ..retrieval import lookup_chunks

# A sentence confirms a claim when its vector is at least this close and it holds at least this share of the
# smaller sentence's content words, both being sentences, not headings (read off the seed articles' 24 closest
# cross-outlet pairs, with no labelled held-out set; eval/EXPERIMENTS.md).
SAME_FACT = 0.75
SHARED_WORDS = 0.4
MIN_WORDS = 6
SEARCH_DEPTH = 8  # passages of other articles searched for each claim


def content_words(text: str, stopwords: frozenset[str]) -> frozenset[str]:
    """Lower-case words of a sentence that carry content (no stopwords, no one- or two-letter words), stemmed lightly."""
    lowered = (w.lower() for w in words(text))
    return frozenset(w[:6] for w in lowered if len(w) > 2 and w not in stopwords)


def shares_words(a: frozenset[str], b: frozenset[str], share: float = SHARED_WORDS) -> bool:
    """Whether two sentences share at least `share` of the smaller one's content words."""
    return min(len(a), len(b)) >= MIN_WORDS and len(a & b) / min(len(a), len(b)) >= share


def with_confirmations(index: IndexView, answer: Answer) -> Answer:
    """The answer with each claim's confirmations: other outlets' stories that state the same fact, found by
    searching the index with the claim's sentence vector."""
    if answer.abstained or not answer.claims or index.sentence_vectors.shape[1] == 0:
        return answer

    stopwords = token_stopwords()
    texts: dict[str, str] = {}
    # Two articles the answer shows stating different facts do not confirm each other.
    apart = {c.doc_id for c in answer.claims[:2]} if answer.differing else set()
    claims = []
    for claim in answer.claims:
        row = index.sentence_row_at(claim.doc_id, claim.start)
        own = next((p for p in answer.citations if p.n == claim.n), None)
        if row is None or own is None:
            claims.append(claim)
            continue
        vector = np.asarray(index.sentence_vectors[row], dtype=np.float32)
        # The claim's own article holds its closest passages: search past them.
        depth = SEARCH_DEPTH + index.manifest["documents"].get(claim.doc_id, {}).get("n_chunks", 0)
        records = lookup_chunks(index, depth, vector=vector)
        stories = index.stories(sorted({r.doc_id for r in records} | {claim.doc_id}))
        others = [r for r in records if r.source and r.source != own.source
                  and stories.get(r.doc_id) != stories.get(claim.doc_id)
                  and not (claim.doc_id in apart and r.doc_id in apart)]
        mine = content_words(claim.text, stopwords)
        confirmed: dict[str, None] = {}
        for record in others:
            spans = index.sentence_spans(record.first_sentence_row, record.last_sentence_row)
            if not spans:
                continue
            closeness = np.asarray(index.sentence_vectors[[r for r, _, _ in spans]], dtype=np.float32) @ vector
            text = texts.setdefault(record.doc_id, index.document_text(record.doc_id) or "")
            if any(closeness[i] >= SAME_FACT and shares_words(mine, content_words(text[start:end], stopwords))
                   for i, (_, start, end) in enumerate(spans)):
                confirmed[f"{record.source} ({reader_date(record.published)})"] = None
        claims.append(dataclasses.replace(claim, confirmed_by=tuple(confirmed)) if confirmed else claim)
    return dataclasses.replace(answer, claims=claims)
