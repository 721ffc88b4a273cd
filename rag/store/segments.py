"""Index segments: the immutable parts a generation is made of, read together as one index.

An update writes one small segment for the articles it adds and marks the articles it removes or replaces as
deleted in the segments that hold them (tombstones in the generation's manifest); the other segments are
hard-linked into the new generation unchanged, so an update costs about what its articles cost. Searches run
over every segment and merge the results; BM25 uses statistics over every live chunk (see rag.bm25), so a
chunk's score does not depend on which segment holds it. Segments are merged by a size-tiered policy
(`plan_merge`), in the manner of Lucene.

Rows are numbered across the index: each segment owns the vector rows [vector_base, vector_base + n_chunks) and
the sentence rows [sentence_base, sentence_base + n_sentences), never reused, so a row names one stored item
whatever segment holds it.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bm25 import Postings, live_totals, load_postings

STORE_FILE = "chunks.sqlite"
FAISS_FILE = "dense.faiss"
CHUNK_VECTORS_FILE = "chunk_vectors.npy"
SENTENCE_VECTORS_FILE = "sentence_vectors.npy"
SENTENCE_TOKENS_FILE = "sentence_tokens.npy"  # float16 (n_tokens, dimension), content wordpieces of every sentence
SENTENCE_TOKEN_IDS_FILE = "sentence_token_ids.npy"  # int32 (n_tokens,), their vocabulary ids (for IDF weights)
SENTENCE_TOKEN_OFFSETS_FILE = "sentence_token_offsets.npy"  # int64 (n_sentences + 1,): sentence i is [o[i], o[i+1])
BM25_DIR = "bm25"
CHUNK_IDS_FILE = "chunk_ids.npy"  # int64 (n_chunks,): the chunk id of each vector row
SIGNATURES_FILE = "signatures.npy"  # uint64 (n_documents, num_perm): MinHash of each document, by doc_id order
MERGE_FACTOR = 10  # segments of one size tier merged together (Lucene's default mergeFactor)
SMALLEST_TIER = 1_000  # chunks; segments below it count as one tier

# The chunk store of a segment (chunks.sqlite): its documents, chunks and sentences.
TABLES = ("documents", "chunks", "sentences")
SCHEMA = """
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, author TEXT,
    published TEXT, url TEXT, path TEXT, content_hash TEXT NOT NULL, text TEXT NOT NULL, n_chunks INTEGER NOT NULL);
CREATE TABLE chunks (chunk_id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, vector_row INTEGER NOT NULL,
    first_sentence_row INTEGER NOT NULL, last_sentence_row INTEGER NOT NULL);
CREATE TABLE sentences (row INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    speaker TEXT, side TEXT, kind TEXT NOT NULL, denial INTEGER NOT NULL);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE INDEX sentences_doc ON sentences(doc_id);
"""


@dataclass(frozen=True)
class SentenceTokens:
    """Every sentence's content wordpiece vectors, stored flat: sentence row i owns [offsets[i], offsets[i + 1])."""

    vectors: np.ndarray  # float16 (n_tokens, dimension)
    ids: np.ndarray  # int32 (n_tokens,)
    offsets: np.ndarray  # int64 (n_sentences + 1,)

    @classmethod
    def empty(cls, n_sentences: int, dimension: int) -> SentenceTokens:
        """No token vectors (an index built without sentence vectors)."""
        return cls(np.zeros((0, dimension), np.float16), np.zeros(0, np.int32), np.zeros(n_sentences + 1, np.int64))

    @classmethod
    def of_sentences(cls, sentences: Sequence, dimension: int) -> SentenceTokens:
        """A store of sentences' `embedding.TokenVectors`, in order."""
        if not sentences:
            return cls.empty(0, dimension)
        return cls(np.concatenate([t.vectors for t in sentences]).astype(np.float16),
                   np.concatenate([t.ids for t in sentences]).astype(np.int32),
                   np.concatenate([[0], np.cumsum([len(t.ids) for t in sentences])]).astype(np.int64))

    @classmethod
    def join(cls, parts: Sequence[SentenceTokens], dimension: int) -> SentenceTokens:
        """One store holding the parts' sentences in order."""
        if not parts:
            return cls.empty(0, dimension)
        counts = np.concatenate([np.diff(p.offsets) for p in parts])
        return cls(np.concatenate([p.vectors for p in parts]).astype(np.float16, copy=False),
                   np.concatenate([p.ids for p in parts]).astype(np.int32, copy=False),
                   np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))

    def rows(self, first: int, last: int) -> SentenceTokens:
        """The sentences of rows [first, last) as a store of their own."""
        start, end = int(self.offsets[first]), int(self.offsets[last])
        return SentenceTokens(np.asarray(self.vectors[start:end]), np.asarray(self.ids[start:end]),
                              np.asarray(self.offsets[first:last + 1]) - start)

    def of(self, rows: Sequence[int]) -> list[np.ndarray]:
        """Each row's token vectors (float32)."""
        return [np.asarray(self.vectors[self.offsets[r]:self.offsets[r + 1]], dtype=np.float32) for r in rows]

    def document_frequencies(self, live: np.ndarray | None = None) -> np.ndarray:
        """How many (live) sentences hold each vocabulary id."""
        n = len(self.offsets) - 1
        sentence_of = np.repeat(np.arange(n), np.diff(self.offsets))
        ids = self.ids.astype(np.int64)
        if live is not None:
            keep = live[sentence_of]
            sentence_of, ids = sentence_of[keep], ids[keep]
        if not len(ids):
            return np.zeros(0, np.int64)
        pairs = np.unique(np.stack([sentence_of, ids]), axis=1)
        return np.bincount(pairs[1])


def sentence_idf(document_frequencies: np.ndarray, n_sentences: int) -> np.ndarray:
    """Inverse sentence frequency log((N + 1) / (df + 0.5)) of every vocabulary id seen."""
    return np.log((n_sentences + 1) / (document_frequencies + 0.5)).astype(np.float32)


class Segment:
    """One segment of a generation, opened: its chunk store, vectors, dense index and BM25 postings."""

    def __init__(self, folder: Path, meta: dict, dense, chunk_vectors: np.ndarray, sentence_vectors: np.ndarray,
                 tokens: SentenceTokens, postings: Postings | None, chunk_ids: np.ndarray, db: sqlite3.Connection,
                 *, dense_mapped: bool = False):
        self.folder = folder
        self.dense_mapped = dense_mapped
        self.name = meta["name"]
        self.vector_base = int(meta["vector_base"])
        self.sentence_base = int(meta["sentence_base"])
        self.nprobe = meta.get("nprobe")
        self.deleted = frozenset(meta.get("deleted", ()))
        self.dense = dense
        self.chunk_vectors = chunk_vectors
        self.sentence_vectors = sentence_vectors
        self.tokens = tokens
        self.postings = postings
        self.chunk_ids = chunk_ids
        self._db = db
        self._lock = threading.Lock()
        self.live_chunks = np.ones(len(chunk_ids), dtype=bool)
        self.live_sentences = np.ones(len(tokens.offsets) - 1, dtype=bool)
        if self.deleted:
            # Deleted documents disappear from every query through temporary views named like the tables.
            db.execute("CREATE TEMP TABLE deleted (doc_id TEXT PRIMARY KEY)")
            db.executemany("INSERT INTO temp.deleted VALUES (?)", [(d,) for d in sorted(self.deleted)])
            for table in TABLES:
                db.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM main.{table} "
                           "WHERE doc_id NOT IN (SELECT doc_id FROM temp.deleted)")
            dead_rows = [r for (r,) in db.execute(
                "SELECT vector_row FROM main.chunks WHERE doc_id IN (SELECT doc_id FROM temp.deleted)")]
            self.live_chunks[np.asarray(dead_rows, dtype=np.int64) - self.vector_base] = False
            for first, last in db.execute("SELECT min(row), max(row) FROM main.sentences "
                                          "WHERE doc_id IN (SELECT doc_id FROM temp.deleted) GROUP BY doc_id"):
                self.live_sentences[first - self.sentence_base:last + 1 - self.sentence_base] = False
        self.sorted_chunk_ids = np.sort(chunk_ids)
        self._live_selector = None
        # What BM25 reads per query, worked out once: None when every row is live (no masking needed).
        self.n_live_chunks = int(self.live_chunks.sum())
        self.live_mask = None if self.n_live_chunks == len(self.live_chunks) else self.live_chunks
        self.bm25_totals = live_totals(postings, self.live_mask) if postings is not None else (0, 0.0)

    def query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """Rows of a query on this segment's store (deleted documents left out)."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    @functools.cached_property
    def _signature_rows(self) -> dict[str, int]:
        return {doc_id: i for i, (doc_id,) in enumerate(self.query("SELECT doc_id FROM main.documents ORDER BY doc_id"))}

    def signature(self, doc_id: str) -> np.ndarray | None:
        """The stored MinHash signature of a live document of this segment (None when it holds no such one)."""
        row = self._signature_rows.get(doc_id)
        if row is None or doc_id in self.deleted:
            return None
        return np.load(self.folder / SIGNATURES_FILE, mmap_mode="r", allow_pickle=False)[row].copy()

    def holds_chunks(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunk ids this segment stores."""
        if not len(self.sorted_chunk_ids):
            return np.zeros(len(chunk_ids), dtype=bool)
        at = np.minimum(np.searchsorted(self.sorted_chunk_ids, chunk_ids), len(self.sorted_chunk_ids) - 1)
        return self.sorted_chunk_ids[at] == chunk_ids

    def dense_search(self, query: np.ndarray, depth: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        """Top live chunks of this segment by inner product (allowed: chunk ids a filter keeps, or None)."""
        import faiss

        n_live = self.n_live_chunks
        if n_live == 0 or depth <= 0:
            return []
        selector = None
        if allowed is not None:
            mine = allowed[self.holds_chunks(allowed)]
            if not len(mine):
                return []
            selector = faiss.IDSelectorBatch(mine)
        elif n_live < len(self.chunk_ids):
            if self._live_selector is None:
                dead = faiss.IDSelectorBatch(self.chunk_ids[~self.live_chunks])
                self._live_selector = (faiss.IDSelectorNot(dead), dead)  # the Not keeps a raw pointer to `dead`
            selector = self._live_selector[0]
        if self.nprobe:
            params = faiss.SearchParametersIVF(sel=selector, nprobe=int(self.nprobe)) if selector else faiss.SearchParametersIVF(nprobe=int(self.nprobe))
        else:
            params = faiss.SearchParameters(sel=selector) if selector else None
        scores, ids = self.dense.search(query, min(depth, n_live), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def close(self) -> None:
        """Release the store connection."""
        with self._lock:
            self._db.close()


class RowView:
    """Rows of per-segment arrays addressed by index-wide row numbers (vector rows or sentence rows)."""

    def __init__(self, arrays: Sequence[np.ndarray], bases: Sequence[int], width: int):
        order = np.argsort(bases, kind="stable")
        self._arrays = [arrays[i] for i in order]
        self._bases = np.asarray([bases[i] for i in order], dtype=np.int64)
        self.shape = (int(sum(len(a) for a in arrays)), int(width))

    def __len__(self) -> int:
        return self.shape[0]

    def _locate(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._bases, rows, side="right") - 1

    def __getitem__(self, rows):
        if np.isscalar(rows):
            row = int(rows)
            s = int(self._locate(np.array([row]))[0])
            return self._arrays[s][row - self._bases[s]]
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.shape[1]), dtype=self._arrays[0].dtype if self._arrays else np.float32)
        where = self._locate(rows)
        for s in np.unique(where):
            pick = where == s
            out[pick] = self._arrays[s][rows[pick] - self._bases[s]]
        return out

    def __array__(self, dtype=None, copy=None):
        whole = np.concatenate([np.asarray(a) for a in self._arrays]) if self._arrays else np.zeros(self.shape, np.float32)
        return whole.astype(dtype) if dtype is not None else whole


class SegmentTokens:
    """Sentence wordpieces of every segment, addressed by index-wide sentence rows; IDF over live sentences."""

    def __init__(self, segments: Sequence[Segment]):
        self._segments = sorted(segments, key=lambda s: s.sentence_base)
        self._bases = np.asarray([s.sentence_base for s in self._segments], dtype=np.int64)

    @property
    def has_tokens(self) -> bool:
        """Whether any sentence has stored wordpieces (an index built with sentence vectors)."""
        return any(len(s.tokens.ids) for s in self._segments)

    def _segment_of(self, row: int) -> Segment:
        return self._segments[int(np.searchsorted(self._bases, row, side="right")) - 1]

    def of(self, rows: Sequence[int]) -> list[np.ndarray]:
        """Each row's token vectors (float32)."""
        out = []
        for row in rows:
            segment = self._segment_of(int(row))
            out.extend(segment.tokens.of([int(row) - segment.sentence_base]))
        return out

    def rows(self, first: int, last: int) -> SentenceTokens:
        """The sentences of rows [first, last) (one document's: always within one segment)."""
        segment = self._segment_of(first)
        return segment.tokens.rows(first - segment.sentence_base, last - segment.sentence_base)

    @functools.cached_property
    def _df_and_n(self) -> tuple[np.ndarray, int]:
        parts = [s.tokens.document_frequencies(s.live_sentences) for s in self._segments]
        width = max((len(p) for p in parts), default=0)
        df = np.zeros(width, np.int64)
        for p in parts:
            df[:len(p)] += p
        return df, int(sum(int(s.live_sentences.sum()) for s in self._segments))

    @property
    def idf(self) -> np.ndarray:
        """Inverse sentence frequency of every vocabulary id seen, log((N + 1) / (df + 0.5)), over live sentences."""
        df, n = self._df_and_n
        return sentence_idf(df, n)

    def idf_of(self, ids: np.ndarray) -> np.ndarray:
        """IDF weights of vocabulary ids (an id no sentence holds gets the highest weight)."""
        df, n = self._df_and_n
        table = sentence_idf(df, n)
        rare = np.float32(np.log((n + 1) / 0.5))
        return np.array([table[i] if i < len(table) else rare for i in ids], dtype=np.float32)


def plan_merge(sizes: dict[str, int], factor: int = MERGE_FACTOR, smallest_tier: int = SMALLEST_TIER) -> list[str]:
    """Size-tiered merge policy: the segments to merge now (none when no tier holds `factor` segments).

    Segments are grouped in tiers by size (log base `factor` of their live chunks, everything below
    `smallest_tier` in one); when a tier holds `factor` segments, its `factor` smallest are merged, so every
    chunk is rewritten about log(N) times over the index's life."""
    tiers: dict[int, list[str]] = {}
    for name, size in sizes.items():
        tier = int(np.floor(np.log(max(size, smallest_tier) / smallest_tier) / np.log(factor)))
        tiers.setdefault(tier, []).append(name)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= factor:
            return sorted(tiers[tier], key=lambda n: (sizes[n], n))[:factor]
    return []


def open_segment(folder: Path, meta: dict, *, map_dense: bool = False, opened: Segment | None = None) -> Segment:
    """Open one segment's files (vectors memory-mapped; the FAISS index too with `map_dense`).

    `opened`: the same segment as an earlier generation opened it; its files are immutable (the new generation
    hard-links them), so its loaded parts are shared and only the store and the deletions are read again."""
    import faiss

    if opened is not None and opened.name == meta["name"] and not opened.dense_mapped and not map_dense:
        dense, chunk_vectors, sentence_vectors = opened.dense, opened.chunk_vectors, opened.sentence_vectors
        tokens, postings, chunk_ids = opened.tokens, opened.postings, opened.chunk_ids
    else:
        # A writer only reads the old index's rows, so it maps the FAISS file instead of reading it whole; searching
        # a mapped IVF index was 3x slower here (4.7 ms vs 1.25 ms at 400k vectors), so readers load it.
        dense = faiss.read_index(str(folder / FAISS_FILE), faiss.IO_FLAG_MMAP) if map_dense else faiss.read_index(str(folder / FAISS_FILE))
        chunk_vectors = np.load(folder / CHUNK_VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        sentence_vectors = np.load(folder / SENTENCE_VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        tokens = SentenceTokens(np.load(folder / SENTENCE_TOKENS_FILE, mmap_mode="r", allow_pickle=False),
                                np.load(folder / SENTENCE_TOKEN_IDS_FILE, allow_pickle=False),
                                np.load(folder / SENTENCE_TOKEN_OFFSETS_FILE, allow_pickle=False))
        postings = load_postings(folder / BM25_DIR) if meta["n_chunks"] else None
        chunk_ids = np.load(folder / CHUNK_IDS_FILE, allow_pickle=False)
    db = sqlite3.connect(f"file:{folder / STORE_FILE}?mode=ro", uri=True, check_same_thread=False)
    db.execute("SELECT count(*) FROM main.chunks").fetchone()
    if dense.ntotal != meta["n_chunks"] or len(chunk_vectors) != meta["n_chunks"] or len(chunk_ids) != meta["n_chunks"]:
        raise ValueError(f"segment {meta['name']} holds {dense.ntotal} vectors for {meta['n_chunks']} chunks")
    if len(tokens.offsets) != meta["n_sentences"] + 1:
        raise ValueError(f"segment {meta['name']} holds token offsets for {len(tokens.offsets) - 1} sentences, "
                         f"its manifest entry says {meta['n_sentences']}")
    return Segment(folder, meta, dense, chunk_vectors, sentence_vectors, tokens, postings, chunk_ids, db,
                   dense_mapped=map_dense)
