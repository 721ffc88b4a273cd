"""Answers: sentences quoted verbatim from retrieved passages, each cited [n], or an abstention."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .retrieval import Passage

ABSTAIN_TEXT = "The indexed articles do not answer this question."
# Calibrated on the development half of eval/gold.jsonl (see README, "Evaluation"); not on the held-out half.
DEFAULT_ABSTAIN_THRESHOLD = 0.5
LEXICAL_WEIGHT = 0.3
MAX_SENTENCES = 3
SELECTION_MARGIN = 0.1
REDUNDANT_COSINE = 0.85


@dataclass(frozen=True)
class Claim:
    """One quoted sentence of an answer and the passage it cites."""

    text: str
    n: int
    doc_id: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Answer:
    """An answer: `text` with [n] markers, the cited passages (numbered by first use), or an abstention."""

    question: str
    text: str
    citations: list[Passage]
    abstained: bool
    claims: list[Claim] = dataclasses.field(default_factory=list)
    confidence: float = 0.0
    passages: list[Passage] = dataclasses.field(default_factory=list)  # everything retrieved, cited or not


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, as the selector sees it."""

    passage_index: int
    row: int
    start: int
    end: int
    text: str


# ---------------------------------------------------------------- scoring math (pure)


def lexical_coverage(question_terms: set[str], sentence_terms: Sequence[set[str]]) -> np.ndarray:
    """Fraction of the question's content terms that each sentence contains."""
    if not question_terms:
        return np.zeros(len(sentence_terms), dtype=np.float32)
    return np.array([len(question_terms & terms) / len(question_terms) for terms in sentence_terms], dtype=np.float32)


def sentence_scores(question_vector: np.ndarray, sentence_vectors: np.ndarray, coverage: np.ndarray,
                    *, lexical_weight: float = LEXICAL_WEIGHT) -> np.ndarray:
    """Relevance of each sentence: cosine with the question plus weighted term coverage."""
    if len(sentence_vectors) == 0:
        return np.zeros(0, dtype=np.float32)
    return sentence_vectors @ question_vector + lexical_weight * coverage


def select_sentences(scores: np.ndarray, sentence_vectors: np.ndarray, *, max_sentences: int = MAX_SENTENCES,
                     margin: float = SELECTION_MARGIN, redundant_cosine: float = REDUNDANT_COSINE) -> list[int]:
    """Indices of the best sentence plus near-best ones that are not redundant with those already chosen."""
    if len(scores) == 0:
        return []
    order = np.argsort(-scores, kind="stable")
    best = float(scores[order[0]])
    chosen: list[int] = []
    for i in order:
        if len(chosen) >= max_sentences or scores[i] < best - margin:
            break
        if chosen and float((sentence_vectors[chosen] @ sentence_vectors[i]).max()) >= redundant_cosine:
            continue
        chosen.append(int(i))
    return chosen


def number_citations(passage_indices: Sequence[int]) -> dict[int, int]:
    """Citation number per passage index, in order of first use."""
    numbers: dict[int, int] = {}
    for index in passage_indices:
        numbers.setdefault(index, len(numbers) + 1)
    return numbers


def format_answer(texts: Sequence[str], numbers: Sequence[int]) -> str:
    """Join quoted sentences, each followed by its [n] marker."""
    return " ".join(f"{text} [{n}]" for text, n in zip(texts, numbers))


# ---------------------------------------------------------------- the answer stage


def candidate_sentences(index, passages: Sequence[Passage]) -> list[Candidate]:
    """Sentences inside the retrieved passages, each credited to the best-ranked passage holding it."""
    records = {r.chunk_id: r for r in index.chunks([p.chunk_id for p in passages])}
    seen: set[int] = set()
    texts: dict[str, str] = {}
    out: list[Candidate] = []
    for pi, passage in enumerate(passages):
        record = records.get(passage.chunk_id)
        if record is None:
            continue
        if passage.doc_id not in texts:
            texts[passage.doc_id] = index.document_text(passage.doc_id) or ""
        doc_text = texts[passage.doc_id]
        for row, start, end in index.sentence_spans(record.first_sentence_row, record.last_sentence_row):
            if row in seen:
                continue
            seen.add(row)
            text = doc_text[start:end]
            if start == 0 and text == passage.title:
                continue  # the headline is a label, not a claim to quote
            out.append(Candidate(pi, row, start, end, text))
    return out


def answer_question(
    index,
    question: str,
    question_vector: np.ndarray,
    passages: list[Passage],
    *,
    abstain_threshold: float = DEFAULT_ABSTAIN_THRESHOLD,
    max_sentences: int = MAX_SENTENCES,
) -> Answer:
    """Quote the sentences of `passages` that best answer the question, or abstain when none does."""
    from .index import bm25_tokenize

    candidates = candidate_sentences(index, passages)
    if not candidates or index.sentence_vectors.shape[1] == 0:
        return Answer(question, ABSTAIN_TEXT, [], True, passages=passages)
    vectors = np.asarray(index.sentence_vectors[[c.row for c in candidates]], dtype=np.float32)
    tokenized = bm25_tokenize([question] + [c.text for c in candidates], ids=False)
    coverage = lexical_coverage(set(tokenized[0]), [set(t) for t in tokenized[1:]])
    scores = sentence_scores(question_vector, vectors, coverage)
    chosen = select_sentences(scores, vectors, max_sentences=max_sentences)
    confidence = float(scores[chosen[0]])
    if confidence < abstain_threshold:
        return Answer(question, ABSTAIN_TEXT, [], True, confidence=confidence, passages=passages)
    numbers = number_citations([candidates[i].passage_index for i in chosen])
    claims = [
        Claim(candidates[i].text, numbers[candidates[i].passage_index], passages[candidates[i].passage_index].doc_id,
              candidates[i].start, candidates[i].end, float(scores[i]))
        for i in chosen
    ]
    citations = [dataclasses.replace(passages[pi], n=n) for pi, n in sorted(numbers.items(), key=lambda kv: kv[1])]
    text = format_answer([c.text for c in claims], [c.n for c in claims])
    return Answer(question, text, citations, False, claims=claims, confidence=confidence, passages=passages)
