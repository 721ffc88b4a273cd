"""Retrieval: dense (FAISS) and lexical (bm25s) candidates, fused, filtered and de-duplicated."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .documents import normalize_date
from .errors import QueryError
from .lexicon.gazetteer import capitals_as_countries
from .model import Passage
from .store import ChunkRecord, IndexView, bm25_tokenize
from .text import years_named

MODES = ("dense", "bm25", "hybrid")
FUSIONS = ("rrf", "relative")
RRF_K = 60
NEAR_DUPLICATE_COSINE = 0.97
# A passage's dense score averages its own cosine with that of its best sentence: a one-sentence answer inside
# a long passage is diluted in the passage vector. Chosen on the development half of eval/gold.jsonl.
SENTENCE_WEIGHT = 0.5
# Sentence-aware dense scores are the stronger list, so they weigh more in relative-score fusion (chosen on the
# development half: MRR 0.798 -> 0.826, key-fact accuracy 0.692 -> 0.754). Indexes without sentence vectors
# (the BEIR evaluation) fuse plain dense and BM25 scores with equal weights, where a heavier dense side lost
# SciFact nDCG@10 (0.732 at 0.5, 0.724 at 0.6, 0.718 at 0.7).
SENTENCE_AWARE_DENSE_WEIGHT = 0.7
EQUAL_WEIGHT = 0.5
# Maximal marginal relevance on by default, mildly: a passage much like one already chosen gives way to the next
# one, so the second article of a multi-article question gets a place. Chosen on the development half (recall@5
# rose at 0.88-0.92 on both its older and its newer, multi-article questions, MRR and key facts unchanged).
DEFAULT_MMR_LAMBDA = 0.9
# Passages are chosen from a pool of at least this many fused candidates, so the first 5 of a search for 10 (what
# `rag eval` scores) are the very passages a search for 5 (what an answer quotes) returns.
MIN_POOL = 20
MAX_K = 1000  # more passages than anyone reads; also keeps SQLite's IN (...) lists small


# ---------------------------------------------------------------- fusion math (pure)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], *, k: int = RRF_K,
                           weights: Sequence[float] | None = None) -> list[tuple[int, float]]:
    """Fuse ranked id lists by sum of weight / (k + rank); best first, ties by first appearance."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def relative_score_fusion(scored: Sequence[Sequence[tuple[int, float]]], *,
                          weights: Sequence[float] | None = None) -> list[tuple[int, float]]:
    """Fuse (id, score) lists by min-max normalizing each list, then a weighted sum (absent = 0)."""
    weights = weights or [1.0] * len(scored)
    fused: dict[int, float] = {}
    for results, weight in zip(scored, weights):
        if not results:
            continue
        values = np.array([s for _, s in results], dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        span = high - low
        for (item, score) in results:
            norm = (score - low) / span if span > 0 else 1.0
            fused[item] = fused.get(item, 0.0) + weight * norm
    return sorted(fused.items(), key=lambda kv: -kv[1])


def near_duplicate_mask(vectors: np.ndarray, threshold: float = NEAR_DUPLICATE_COSINE) -> np.ndarray:
    """For rows in rank order, True where a row is a near-duplicate (cosine >= threshold) of a kept earlier row."""
    n = len(vectors)
    dropped = np.zeros(n, dtype=bool)
    if n < 2:
        return dropped
    sims = vectors @ vectors.T
    kept: list[int] = []
    for i in range(n):
        if kept and float(sims[i, kept].max()) >= threshold:
            dropped[i] = True
        else:
            kept.append(i)
    return dropped


def maximal_marginal_relevance(relevance: np.ndarray, vectors: np.ndarray, k: int, *, lambda_: float = 0.7) -> list[int]:
    """Pick k rows balancing relevance (scaled to [0, 1]) against similarity to rows already picked."""
    n = len(relevance)
    if n == 0:
        return []
    span = float(relevance.max() - relevance.min())
    rel = (relevance - relevance.min()) / span if span > 0 else np.ones(n)
    chosen: list[int] = [int(np.argmax(rel))]
    taken = np.zeros(n, dtype=bool)
    taken[chosen[0]] = True
    # Each row's similarity to its closest chosen row, updated one column at a time: O(n k), not O(n k^2).
    redundancy = vectors @ vectors[chosen[0]]
    while len(chosen) < min(k, n):
        gain = np.where(taken, -np.inf, lambda_ * rel - (1 - lambda_) * redundancy)
        chosen.append(int(np.argmax(gain)))
        taken[chosen[-1]] = True
        np.maximum(redundancy, vectors @ vectors[chosen[-1]], out=redundancy)
    return chosen


def blend_sentence_scores(passage_scores: np.ndarray, best_sentence_scores: np.ndarray, *,
                          weight: float = SENTENCE_WEIGHT) -> np.ndarray:
    """Mix each passage's cosine with its best sentence's cosine (weight 0 = passage only)."""
    return (1.0 - weight) * passage_scores + weight * best_sentence_scores


def best_sentence_scores(sentence_scores: np.ndarray, row_ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Max of `sentence_scores` over each [first, last) range (-inf for an empty range)."""
    return np.array([sentence_scores[a:b].max() if b > a else -np.inf for a, b in row_ranges], dtype=np.float32)


# ---------------------------------------------------------------- search over an index


def dense_candidates(index: IndexView, query_vector: np.ndarray, depth: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Top chunk ids by inner product with the query vector."""
    if allowed is not None and len(allowed) == 0:
        return []
    return index.dense_search(query_vector, depth, allowed)


def sentence_aware_candidates(index: IndexView, query_vector: np.ndarray, candidate_ids: Sequence[int]) -> list[tuple[int, float]]:
    """Dense scores for candidate chunks, each blended with its best sentence; best first.

    Only the candidates' sentences are scored, so the cost does not grow with the corpus.
    """
    if not candidate_ids:
        return []
    ids = list(candidate_ids)
    chunk_rows = index.vector_and_sentence_rows(ids)
    chunk_scores = np.asarray(index.chunk_vectors[[r[0] for r in chunk_rows]], dtype=np.float32) @ query_vector
    ranges = [(first, last) for _, first, last in chunk_rows]
    sentence_rows = np.concatenate([np.arange(a, b) for a, b in ranges]) if ranges else np.zeros(0, dtype=np.int64)
    if len(sentence_rows) == 0:
        return sorted(zip(ids, map(float, chunk_scores)), key=lambda kv: -kv[1])
    sentence_scores = np.asarray(index.sentence_vectors[sentence_rows], dtype=np.float32) @ query_vector
    offsets = np.cumsum([0] + [b - a for a, b in ranges])
    local = [(int(offsets[i]), int(offsets[i + 1])) for i in range(len(ranges))]
    best = best_sentence_scores(sentence_scores, local)
    blended = np.where(np.isfinite(best), blend_sentence_scores(chunk_scores, best), chunk_scores)
    return sorted(zip(ids, map(float, blended)), key=lambda kv: -kv[1])


def bm25_candidates(index: IndexView, query: str, depth: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Top chunk ids by BM25 score (only chunks sharing at least one query term)."""
    if not index.has_bm25 or depth <= 0:
        return []
    tokens = bm25_tokenize([capitals_as_countries(query)], ids=False)[0]
    if allowed is not None and len(allowed) == 0:
        return []
    return index.bm25_search(tokens, min(depth, index.n_chunks), allowed)


def lookup_chunks(index: IndexView, depth: int, *, terms: str | None = None,
                  vector: np.ndarray | None = None) -> list[ChunkRecord]:
    """The one search the answer stage makes of its own, best first: the chunks BM25 finds for `terms` (does any
    article mention a name or model number the question names?) or the chunks nearest `vector` (other outlets'
    sentences close to a claim, for "confirmed by"). No fusion, filter or time window: the passages an answer
    quotes come from `search_index`; this only checks them against the rest of the index."""
    if (terms is None) == (vector is None):
        raise ValueError("lookup_chunks takes terms or a vector, not both")
    found = bm25_candidates(index, terms, depth) if terms is not None else dense_candidates(index, vector, depth)
    return index.chunks([chunk_id for chunk_id, _ in found])


@dataclass(frozen=True)
class SearchOptions:
    """How to search, checked once when made (a bad value raises QueryError naming it and the fix).

    `k` passages; `mode` dense, bm25 or hybrid; `fusion` of the two lists in hybrid mode; `sources` and a
    publication window (`date_from`, `date_to`: YYYY, YYYY-MM or YYYY-MM-DD) filter the articles; `mmr_lambda`
    below 1 trades relevance for diversity (None or 1: off); `dedup` collapses near-duplicate passages; `depth`
    candidates are read from each list (default: max(4k, 40))."""

    k: int = 5
    mode: str = "hybrid"
    fusion: str = "relative"
    sources: tuple[str, ...] | None = None
    date_from: str | None = None
    date_to: str | None = None
    mmr_lambda: float | None = DEFAULT_MMR_LAMBDA
    dedup: bool = True
    depth: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise QueryError(f"retrieval mode {self.mode!r} is not one of {', '.join(MODES)}; pick one of them")
        if self.fusion not in FUSIONS:
            raise QueryError(f"fusion {self.fusion!r} is not one of {', '.join(FUSIONS)}")
        if not 1 <= self.k <= MAX_K:
            raise QueryError(f"k={self.k} is out of range; ask for 1 to {MAX_K} passages")
        lam = self.mmr_lambda
        if lam is not None and (isinstance(lam, bool) or not isinstance(lam, (int, float)) or not 0.0 <= lam <= 1.0):
            raise QueryError(f"mmr_lambda={lam} is out of range; give 0 to 1 (1 or None turns diversity off)")
        if lam == 1.0:
            object.__setattr__(self, "mmr_lambda", None)  # pure relevance: the fused order as it is
        for label in ("date_from", "date_to"):
            try:
                normalize_date(getattr(self, label), where=label)
            except ValueError as exc:
                raise QueryError(f"{exc}; write it as YYYY, YYYY-MM or YYYY-MM-DD") from exc
        if self.sources is not None:
            object.__setattr__(self, "sources", tuple(self.sources) or None)

    def but(self, **changes) -> SearchOptions:
        """These options with some changed (checked again)."""
        return dataclasses.replace(self, **changes)


def search_index(index: IndexView, query: str, query_vector: np.ndarray | None,
                 options: SearchOptions = SearchOptions()) -> list[Passage]:
    """The `options.k` best passages for a query; `query_vector` may be None in bm25 mode."""
    o = options
    if o.sources:
        known = index.sources()
        unknown = sorted(set(o.sources) - known)
        if unknown:
            raise QueryError(f"no indexed article has source {', '.join(map(repr, unknown))}; "
                             f"known sources: {', '.join(sorted(repr(s) for s in known if s))}")
    ranked = fused_candidates(index, query, query_vector, o)
    if not ranked:
        return []
    ranked = diversified(index, ranked, o)[: o.k]
    records = {r.chunk_id: r for r in index.chunks([i for i, _ in ranked])}
    copies = index.other_copies(sorted({r.doc_id for r in records.values()}))
    return [
        Passage(doc_id=r.doc_id, title=r.title, source=r.source, published=r.published, url=r.url, text=r.text,
                start=r.start, end=r.end, score=float(score), chunk_id=r.chunk_id, author=r.author,
                also_reported_by=tuple(f"{d.source or d.title} ({d.published or 'undated'})" for d in copies[r.doc_id]))
        for cid, score in ranked if (r := records.get(cid)) is not None
    ]


def fused_candidates(index: IndexView, query: str, query_vector: np.ndarray | None,
                     o: SearchOptions) -> list[tuple[int, float]]:
    """Dense and BM25 candidates within the filters, fused as `o` says: the pool passages are chosen from."""
    filtered = o.sources or o.date_from or o.date_to
    allowed = index.chunk_ids_where(list(o.sources) if o.sources else None, o.date_from, o.date_to) if filtered else None
    depth = o.depth or max(4 * o.k, 40)
    dense = dense_candidates(index, query_vector, depth, allowed) if o.mode in ("dense", "hybrid") else []
    lexical = bm25_candidates(index, query, depth, allowed) if o.mode in ("bm25", "hybrid") else []
    dense_weight = EQUAL_WEIGHT
    if dense and index.sentence_vectors.shape[0] > 0 and index.sentence_vectors.shape[1] > 0:
        dense = sentence_aware_candidates(index, query_vector, list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in lexical])))
        dense_weight = SENTENCE_AWARE_DENSE_WEIGHT
    if o.mode == "dense":
        ranked = dense
    elif o.mode == "bm25":
        ranked = lexical
    elif o.fusion == "rrf":
        ranked = reciprocal_rank_fusion([[i for i, _ in dense], [i for i, _ in lexical]])
    else:
        ranked = relative_score_fusion([dense, lexical], weights=[dense_weight, 1.0 - dense_weight])
    return ranked[: max(2 * o.k, MIN_POOL)]


def diversified(index: IndexView, ranked: list[tuple[int, float]], o: SearchOptions) -> list[tuple[int, float]]:
    """The pool with near-duplicates collapsed onto their story's first report, then reordered by MMR."""
    ids = [i for i, _ in ranked]
    if not (o.dedup or o.mmr_lambda is not None) or len(ids) < 2:
        return ranked
    vectors = np.asarray(index.chunk_vectors[index.chunk_vector_rows(ids)], dtype=np.float32)
    keep = ~near_duplicate_mask(vectors) if o.dedup else np.ones(len(ids), dtype=bool)
    if not keep.all():
        docs = {r.chunk_id: r.doc_id for r in index.chunks(ids)}
        stories = index.stories(sorted(set(docs.values())))
        ranked = earliest_copies(ranked, [stories.get(docs.get(i)) == docs.get(i) for i in ids],
                                 [stories.get(docs.get(i)) for i in ids], vectors @ vectors.T, keep)
    ranked = [r for r, kept in zip(ranked, keep) if kept]
    if o.mmr_lambda is not None:
        order = maximal_marginal_relevance(np.array([s for _, s in ranked]), vectors[keep], o.k, lambda_=o.mmr_lambda)
        ranked = [ranked[i] for i in order]
    return ranked


def earliest_copies(ranked: Sequence[tuple[int, float]], first_copy: Sequence[bool], story: Sequence[str | None],
                    sims: np.ndarray, keep: np.ndarray, threshold: float = NEAR_DUPLICATE_COSINE) -> list[tuple[int, float]]:
    """Of a passage and its near-duplicates (`keep` False, in rank order) from articles of one story, the story's
    first article's (`first_copy`) takes the place and score of the best-ranked one: an answer cites the first
    report and lists the copies beside it."""
    out = list(ranked)
    first, stories = list(first_copy), list(story)
    for i in np.flatnonzero(~keep):
        j = next(j for j in range(i) if keep[j] and sims[i, j] >= threshold)
        if first[i] and not first[j] and stories[i] is not None and stories[i] == stories[j]:
            out[j], out[i] = (out[i][0], out[j][1]), (out[j][0], out[i][1])
            first[j], first[i] = True, False
    return out




def cover_named_years(index: IndexView, query: str, query_vector: np.ndarray | None, passages: list[Passage],
                      options: SearchOptions) -> list[Passage]:
    """The passages, plus the best passage of each year the query names that no passage is published in.

    "How has it changed between 2011 and 2024?" needs the 2011 article even when the newer ones outrank it.
    Years no indexed article is published in add nothing.
    """
    published = {p.published[:4] for p in passages if p.published}
    out = list(passages)
    for year in years_named(query):
        if year in published:
            continue
        extra = search_index(index, query, query_vector, options.but(k=1, date_from=year, date_to=year))
        out += [p for p in extra if all(p.chunk_id != q.chunk_id for q in out)]
    return out


def names_period(text: str, date_from: str | None, date_to: str | None, phrase: str = "") -> bool:
    """Whether a passage names a year inside the window, or the words that set it ("the war in Ukraine")."""
    low, high = int((date_from or "1900")[:4]), int((date_to or "2100")[:4])
    if any(low <= int(year) <= high for year in years_named(text)):
        return True
    words = re.sub(r"^(?:before|prior to|until|up to|through|by|since|after|from)\s+(?:the\s+)?", "", phrase.lower())
    return bool(words) and not words[:1].isdigit() and words in text.lower()


def in_window_first(inside: Sequence[Passage], found: Sequence[Passage], date_from: str | None, date_to: str | None,
                    phrase: str = "", *, keep_all: bool = False) -> list[Passage]:
    """Passages published in a question's window, then those found outside it that name the period (an article
    can report earlier events; all of them with `keep_all`), then undated ones: never dropped, ranked after the
    dated ones."""
    seen = {p.chunk_id for p in inside}
    named = [p for p in found if p.chunk_id not in seen and p.published
             and (keep_all or names_period(p.text, date_from, date_to, phrase))]
    undated = [p for p in found if p.chunk_id not in seen and not p.published]
    return [*inside, *named, *undated]


def by_date(passages: Sequence[Passage], *, newest_first: bool) -> list[Passage]:
    """Passages in publication order (stable within a date); undated ones last."""
    dated = sorted((p for p in passages if p.published), key=lambda p: p.published, reverse=newest_first)
    return [*dated, *(p for p in passages if not p.published)]


TIMELINE_READS = 2  # a timeline question reads this many times the passages asked for (eval/EXPERIMENTS.md)


def search_in_time(index: IndexView, question: str, question_vector: np.ndarray | None, timeframe,
                   options: SearchOptions) -> list[Passage]:
    """The passages for a question read with its time frame (rag.timeframe): in its window first, every year it
    names covered otherwise, in date order when it asks for one; a timeline reads more passages, so that more of
    the articles (and dates) have a say."""
    depth = min(MAX_K, options.k * TIMELINE_READS) if timeframe.order == "chronological" else options.k
    passages = search_index(index, question, question_vector, options.but(k=depth))
    if timeframe.has_window:
        inside = search_index(index, question, question_vector,
                              options.but(k=depth, date_from=timeframe.date_from, date_to=timeframe.date_to))
        passages = in_window_first(inside, passages, timeframe.date_from, timeframe.date_to, timeframe.phrase,
                                   keep_all=timeframe.event)
    # A timeline's window is the span between the years it names: each of them is covered, as without a window.
    if not (options.date_from or options.date_to) and (timeframe.order == "chronological" or not timeframe.has_window):
        passages = cover_named_years(index, question, question_vector, passages, options)
    if timeframe.order:
        passages = by_date(passages, newest_first=timeframe.order == "recent")
    return passages
