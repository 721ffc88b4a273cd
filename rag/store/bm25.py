"""BM25 over index segments: each segment stores term frequencies, scores use the statistics of every live chunk.

bm25s precomputes each posting's score from its own corpus, so a small segment written for one new article
would score with that article's IDF and average length, and a chunk's score would depend on which segment holds
it. Here a segment stores raw postings (term -> rows, frequencies) and chunk lengths; a query reads the document
frequency and average length over all live rows of all segments, then scores with bm25s's default ("lucene"
variant, k1 1.5, b 0.75), so one segment gives bm25s's scores and any split into segments gives the same ones.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

K1 = 1.5
B = 0.75
TERMS_FILE = "terms.json"
INDPTR_FILE = "indptr.npy"
ROWS_FILE = "rows.npy"
FREQUENCIES_FILE = "frequencies.npy"
LENGTHS_FILE = "lengths.npy"


@dataclass(frozen=True)
class Postings:
    """One segment's inverted file: term t's postings are rows[indptr[c]:indptr[c + 1]] for c = terms[t]."""

    terms: dict[str, int]
    indptr: np.ndarray  # int64 (n_terms + 1,)
    rows: np.ndarray  # int32: the segment-local chunk row of each posting
    frequencies: np.ndarray  # float32: the term's count in that chunk
    lengths: np.ndarray  # float32 (n_rows,): tokens per chunk

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, frequencies) of a term (empty when the segment lacks it)."""
        column = self.terms.get(term)
        if column is None:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        start, end = int(self.indptr[column]), int(self.indptr[column + 1])
        return np.asarray(self.rows[start:end]), np.asarray(self.frequencies[start:end])


def build_postings(token_lists: Sequence[Sequence[str]]) -> Postings:
    """Postings of tokenized chunks (row i = token_lists[i])."""
    vocabulary: dict[str, int] = {}
    ids = [[vocabulary.setdefault(t, len(vocabulary)) for t in tokens] for tokens in token_lists]
    return postings_from_ids(ids, vocabulary)


def postings_from_ids(ids: Sequence[Sequence[int]], vocabulary: dict[str, int]) -> Postings:
    """Postings of chunks given as token ids into `vocabulary` (bm25s.tokenize's output), counted with numpy."""
    n_rows = len(ids)
    lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=n_rows)
    flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
    rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
    # One sort of (term, row) keys gives every term's postings in row order, with each term's count in the row.
    keys, counts = np.unique(flat * max(n_rows, 1) + rows, return_counts=True)
    term_of, row_of = np.divmod(keys, max(n_rows, 1))
    names = sorted(vocabulary, key=vocabulary.__getitem__)
    present, columns = np.unique(term_of, return_inverse=True)  # keys are sorted: postings already by column, row
    indptr = np.zeros(len(present) + 1, np.int64)
    np.cumsum(np.bincount(columns, minlength=len(present)), out=indptr[1:])
    return Postings({names[t]: c for c, t in enumerate(present.tolist())}, indptr,
                    row_of.astype(np.int32), counts.astype(np.float32), lengths.astype(np.float32))


def save_postings(folder: Path, postings: Postings) -> None:
    """Write postings as JSON and .npy files (no pickle)."""
    folder.mkdir(parents=True, exist_ok=True)
    ordered = sorted(postings.terms, key=postings.terms.__getitem__)
    (folder / TERMS_FILE).write_text(json.dumps(ordered, ensure_ascii=False), encoding="utf-8")
    for name, array in ((INDPTR_FILE, postings.indptr), (ROWS_FILE, postings.rows),
                        (FREQUENCIES_FILE, postings.frequencies), (LENGTHS_FILE, postings.lengths)):
        np.save(folder / name, np.ascontiguousarray(array), allow_pickle=False)


def load_postings(folder: Path) -> Postings:
    """Read postings written by save_postings (the big arrays memory-mapped)."""
    ordered = json.loads((folder / TERMS_FILE).read_text(encoding="utf-8"))
    return Postings({term: column for column, term in enumerate(ordered)},
                    np.load(folder / INDPTR_FILE, allow_pickle=False),
                    np.load(folder / ROWS_FILE, mmap_mode="r", allow_pickle=False),
                    np.load(folder / FREQUENCIES_FILE, mmap_mode="r", allow_pickle=False),
                    np.load(folder / LENGTHS_FILE, allow_pickle=False))


def lucene_idf(document_frequency: float, n_documents: int) -> np.float32:
    """bm25s's "lucene" IDF: log(1 + (N - df + 0.5) / (df + 0.5))."""
    return np.float32(np.log(1 + (n_documents - document_frequency + 0.5) / (document_frequency + 0.5)))


def length_norms(lengths: np.ndarray, average_length: float) -> np.ndarray:
    """Each row's k1 * (1 - b + b * length / average length): the length part of BM25's term-frequency component."""
    return (np.float32(K1) * (np.float32(1 - B) + np.float32(B) * np.asarray(lengths, np.float32)
                              / np.float32(average_length))).astype(np.float32)


def live_totals(postings: Postings, live: np.ndarray | None) -> tuple[int, float]:
    """(live rows, their total length) of one segment: its share of the corpus statistics."""
    lengths = np.asarray(postings.lengths, dtype=np.float64)
    return (len(lengths), float(lengths.sum())) if live is None else (int(live.sum()), float(lengths[live].sum()))


def _live_postings(segment: Postings, live: np.ndarray | None, term: str) -> tuple[np.ndarray, np.ndarray]:
    rows, freqs = segment.postings(term)
    if live is None or not len(rows):
        return rows, freqs
    keep = live[rows]
    return rows[keep], freqs[keep]


def average_length(totals: Sequence[tuple[int, float]]) -> float:
    """The live rows' mean length over all segments (1.0 when there are none)."""
    n_live = sum(n for n, _ in totals)
    return sum(length for _, length in totals) / n_live if n_live else 1.0


def score_segments(segments: Sequence[Postings], live: Sequence[np.ndarray | None], query_terms: Sequence[str],
                   totals: Sequence[tuple[int, float]] | None = None,
                   norms: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """Each segment's BM25 score of every row for the query, statistics over live rows of all segments (dead rows 0).

    `live[i]` is a bool mask over segment i's rows (False for deleted chunks), or None when all are live. A caller
    that keeps them passes the segments' `live_totals` and `length_norms` (at `average_length(totals)`). A term
    given twice counts twice, as in bm25s. float32 throughout: the head terms of a big index have a posting in most
    rows, and this loop is most of a query's time (benchmarks/segments.py).
    """
    totals = totals if totals is not None else [live_totals(p, mask) for p, mask in zip(segments, live, strict=True)]
    n_live = sum(n for n, _ in totals)
    scores = [np.zeros(len(p.lengths), np.float32) for p in segments]
    if n_live == 0:
        return scores
    if norms is None:
        mean = average_length(totals)
        norms = [length_norms(p.lengths, mean) for p in segments]
    for term, repeats in Counter(query_terms).items():
        kept = [_live_postings(p, mask, term) for p, mask in zip(segments, live, strict=True)]
        df = sum(len(rows) for rows, _ in kept)
        if df == 0:
            continue
        weight = lucene_idf(df, n_live) * np.float32(repeats)
        for s, (norm, (rows, freqs)) in enumerate(zip(norms, kept, strict=True)):
            if len(rows):
                scores[s][rows] += weight * (freqs / (norm[rows] + freqs))
    return scores


def live_document_frequency(segments: Sequence[Postings], live: Sequence[np.ndarray | None], term: str) -> int:
    """How many live chunks hold the term."""
    return sum(len(_live_postings(p, mask, term)[0]) for p, mask in zip(segments, live, strict=True))


def bm25_tokenize(texts: list[str], *, ids: bool):
    """Lowercased, stop-worded, Snowball-stemmed tokens (the same for corpus and queries)."""
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(Stemmer), show_progress=False, return_ids=ids)


_STEMMERS = threading.local()


def _stemmer(module):
    # Building a stemmer per query costs more than the query, and one instance must not be shared by threads.
    if not hasattr(_STEMMERS, "english"):
        _STEMMERS.english = module.Stemmer("english")
    return _STEMMERS.english.stemWords



def token_stopwords() -> frozenset[str]:
    """Wordpieces kept out of the stored sentence tokens: bm25s's English stopwords (what BM25 drops too)."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)
