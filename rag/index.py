"""Index: segments (FAISS, BM25 postings, a SQLite chunk store, vectors) in immutable generations switched atomically.

Layout of an index folder::

    index/CURRENT              name of the live generation (replaced atomically)
    index/gen-<stamp>/manifest.json          segments, the documents deleted from each, settings, file sizes
    index/gen-<stamp>/segments/seg-<stamp>/  chunks.sqlite, dense.faiss, chunk_vectors.npy, chunk_ids.npy,
                     sentence_vectors.npy, sentence_tokens.npy (+ _ids, _offsets: each sentence's content
                     wordpiece vectors, float16), bm25/ (postings, no pickle), signatures.npy (MinHash)

An update writes a new generation beside the live one: one new segment for what it adds, the unchanged
segments hard-linked (no bytes copied), deletions recorded in the manifest; then it swaps CURRENT, so a crash
at any moment leaves the previous index intact. Merges (see segments.plan_merge) are written the same way.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .chunking import CHUNKER_VERSION, TOKENIZER_NAME, Chunk, Span, embedding_text
from .documents import Document, period_bounds
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from .model import Attribution
from .bm25 import (average_length, length_norms, live_document_frequency, postings_from_ids, save_postings,
                   score_segments)
from .segments import (BM25_DIR, CHUNK_IDS_FILE, CHUNK_VECTORS_FILE, FAISS_FILE, SENTENCE_TOKEN_IDS_FILE,
                       SENTENCE_TOKEN_OFFSETS_FILE, SENTENCE_TOKENS_FILE, SENTENCE_VECTORS_FILE, SIGNATURES_FILE,
                       STORE_FILE, RowView, Segment, SegmentTokens, SentenceTokens, open_segment, plan_merge)
from .stories import group_stories, signature
from .versions import ATTRIBUTION_BEFORE_VERSIONS, ATTRIBUTION_VERSION

FORMAT_VERSION = 5  # 2: sentence wordpiece vectors (sentence_tokens*.npy); 3: documents grouped into stories;
# 4: each sentence's attribution (speaker, side, kind, denial); 5: segments with tombstones, BM25 postings
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
SEGMENTS_DIR = "segments"
EXACT_SEARCH_LIMIT = 50_000  # below this many chunks exact search takes ~1 ms (benchmarks/scale.py)
DEFAULT_NPROBE = 64  # IVF lists searched per query (benchmarks/scale.py: recall@10 vs exact search)


def package_version() -> str:
    """Installed version of this package (or 0 when running from a plain checkout)."""
    try:
        return importlib_metadata.version("rag-news")
    except importlib_metadata.PackageNotFoundError:
        return "0+local"


@dataclass(frozen=True)
class IndexSettings:
    """What an index was built with; opening it with other settings is refused."""

    model: str
    chunk_tokens: int
    overlap_tokens: int
    tokenizer: str = TOKENIZER_NAME
    embed_sentences: bool = True
    chunker: str = CHUNKER_VERSION
    pooled_chunks: bool = True  # chunk vectors pooled from the sentences' pass (one pass; see _embed)
    attribution: str = ATTRIBUTION_VERSION  # who-says-it reading stored per sentence (rag.attribution)

    @classmethod
    def from_manifest(cls, manifest: dict) -> IndexSettings:
        """The settings a manifest records (an older one, naming no attribution version, had the first)."""
        return cls(**{"attribution": ATTRIBUTION_BEFORE_VERSIONS, **manifest["settings"]})


@dataclass(frozen=True)
class DocumentRecord:
    """A document as the index stores it (no body text in memory beyond what is asked for)."""

    doc_id: str
    title: str
    source: str | None
    author: str | None
    published: str | None
    url: str | None
    path: str
    content_hash: str
    n_chunks: int
    story: str | None = None  # the earliest article carrying the same report (its own id when none; see stories)


@dataclass(frozen=True)
class ChunkRecord:
    """A stored chunk with its document's citation metadata."""

    chunk_id: int
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    first_sentence_row: int
    last_sentence_row: int
    title: str
    source: str | None
    author: str | None
    published: str | None
    url: str | None


@dataclass(frozen=True)
class BuildReport:
    """What a build did: documents embedded afresh, reused, removed, and files that failed."""

    embedded: list[str]
    reused: list[str]
    removed: list[str]
    errors: list[str]  # "path: reason" for each file that failed, as the CLI prints them
    n_chunks: int
    n_sentences: int
    seconds: float
    failures: dict[str, str] = dataclasses.field(default_factory=dict)  # path -> reason, for callers that match files


# ---------------------------------------------------------------- locations


def _current_generation(root: Path) -> Path:
    pointer = root / CURRENT_FILE
    if not pointer.exists():
        raise IndexMissingError(f"no index at {root}; build one with `rag build SEEDS_DIR --index {root}` or RAG.build()")
    name = pointer.read_text(encoding="utf-8").strip()
    gen = root / name
    if not name or "/" in name or not gen.is_dir():
        raise IndexCorruptError(f"index at {root} points to a missing generation {name!r}; run `rag build --rebuild` to recover")
    return gen


@contextlib.contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """One writer at a time per index folder (other processes wait)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_generation(root: Path, gen: Path) -> None:
    tmp = root / f"{CURRENT_FILE}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(gen.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / CURRENT_FILE)
    _fsync_dir(root)


def remove_stale(root: Path, keep: str) -> None:
    """Delete generations and temp files other than the live one (leftovers of crashes or old builds)."""
    for entry in root.iterdir():
        if entry.name in (keep, CURRENT_FILE, ".lock"):
            continue
        if entry.name.startswith(("gen-", ".tmp-")) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f"{CURRENT_FILE}.tmp-"):
            entry.unlink(missing_ok=True)


# ---------------------------------------------------------------- reading


_SCHEMA = """
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

_CHUNK_SELECT = """SELECT c.chunk_id, c.doc_id, c.ordinal, c.start, c."end", c.text, c.first_sentence_row,
    c.last_sentence_row, d.title, d.source, d.author, d.published, d.url
    FROM chunks c JOIN documents d ON d.doc_id = c.doc_id"""
_DOCUMENT_COLUMNS = "doc_id, title, source, author, published, url, path, content_hash, n_chunks"


class _LiveTerms:
    """The stemmed terms some live chunk holds (membership only)."""

    def __init__(self, index: Index):
        self._index = index

    def __contains__(self, term: str) -> bool:
        return self._index.has_term(term)


@runtime_checkable
class IndexView(Protocol):
    """What retrieval and the answer stage read of an index: `Index` is the one in use; a test may pass any object
    with these members. Rows are global across segments; chunk ids are stable across generations."""

    manifest: dict
    settings: IndexSettings
    chunk_vectors: RowView  # (chunk row, dimension), rows by `chunk_vector_rows`
    sentence_vectors: RowView  # (sentence row, dimension); dimension 0 when sentences are not embedded
    sentence_tokens: SegmentTokens  # each sentence's content wordpiece vectors

    @property
    def n_chunks(self) -> int: ...
    @property
    def has_bm25(self) -> bool: ...
    @property
    def vocabulary(self) -> _LiveTerms: ...
    @property
    def metadata_terms(self) -> frozenset[str]: ...

    def dense_search(self, query_vector: np.ndarray, depth: int,
                     allowed: np.ndarray | None = None) -> list[tuple[int, float]]: ...
    def bm25_search(self, terms: Sequence[str], depth: int,
                    allowed: np.ndarray | None = None) -> list[tuple[int, float]]: ...
    def has_term(self, term: str) -> bool: ...
    def chunks(self, chunk_ids: list[int]) -> list[ChunkRecord]: ...
    def chunk_vector_rows(self, chunk_ids: list[int]) -> list[int]: ...
    def vector_and_sentence_rows(self, chunk_ids: list[int]) -> list[tuple[int, int, int]]: ...
    def chunk_ids_where(self, sources: list[str] | None, date_from: str | None, date_to: str | None) -> np.ndarray: ...
    def sentence_spans(self, first_row: int, last_row: int) -> list[tuple[int, int, int]]: ...
    def sentence_row_at(self, doc_id: str, offset: int) -> int | None: ...
    def attributions(self, rows: Sequence[int]) -> dict[int, Attribution]: ...
    def document_text(self, doc_id: str) -> str | None: ...
    def documents(self) -> list[DocumentRecord]: ...
    def sources(self) -> set[str]: ...
    def stories(self, doc_ids: Sequence[str]) -> dict[str, str]: ...
    def other_copies(self, doc_ids: Sequence[str]) -> dict[str, list[DocumentRecord]]: ...
    def undated_count(self) -> int: ...
    def newest_published(self) -> str | None: ...


class Index:
    """A read-only view of one index generation (all its segments, deleted articles left out); thread-safe."""

    def __init__(self, root: Path, gen: Path, manifest: dict, segments: list[Segment]):
        self.root = root
        self.generation = gen
        self.manifest = manifest
        self.settings = IndexSettings.from_manifest(manifest)
        self.segments = segments
        dim = int(manifest["dimension"])
        sent_dim = dim if self.settings.embed_sentences else 0
        self.chunk_vectors = RowView([s.chunk_vectors for s in segments], [s.vector_base for s in segments], dim)
        self.sentence_vectors = RowView([s.sentence_vectors for s in segments], [s.sentence_base for s in segments], sent_dim)
        self.sentence_tokens = SegmentTokens(segments)

    @property
    def n_chunks(self) -> int:
        """Number of indexed (live) chunks."""
        return int(self.manifest["n_chunks"])

    def _query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """A query's rows from every segment, concatenated (ORDER BY holds within a segment only)."""
        return [row for segment in self.segments for row in segment.query(sql, params)]

    def _query_chunks(self, sql_before_marks: str, chunk_ids: Sequence[int]) -> list[tuple]:
        """`... IN (ids)` asked only of the segments that hold some of the ids."""
        ids = np.asarray([int(i) for i in chunk_ids], dtype=np.int64)
        out = []
        for segment in self.segments:
            mine = ids[segment.holds_chunks(ids)]
            if len(mine):
                out += segment.query(f"{sql_before_marks} ({','.join('?' * len(mine))})", [int(i) for i in mine])
        return out

    def _segment_of_sentence(self, row: int) -> Segment:
        """The segment owning a sentence row (the one with the highest base not above it)."""
        return max((s for s in self.segments if s.sentence_base <= row), key=lambda s: s.sentence_base, default=self.segments[0])

    # ----- search

    def dense_search(self, query_vector: np.ndarray, depth: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top (chunk id, inner product) over every segment, best first."""
        import faiss

        if self.n_chunks == 0 or depth <= 0:
            return []
        # One query is faster on one thread: waking OpenMP workers cost ~2 ms per search here (benchmarks/scale.py).
        faiss.omp_set_num_threads(1)
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        hits = [hit for segment in self.segments for hit in segment.dense_search(query, depth, allowed)]
        hits.sort(key=lambda hit: -hit[1])
        return hits[:depth]

    def bm25_search(self, terms: Sequence[str], depth: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top (chunk id, BM25 score) over every segment for stemmed query terms, best first (score > 0 only)."""
        segments = [s for s in self.segments if s.postings is not None]
        if not segments or depth <= 0 or not terms:
            return []
        scores = score_segments([s.postings for s in segments], [s.live_mask for s in segments], terms,
                                [s.bm25_totals for s in segments], self._bm25_norms)
        hits: list[tuple[int, float]] = []
        for segment, score in zip(segments, scores, strict=True):
            if allowed is not None:  # a filter changes which chunks may be found, not the statistics
                score = np.where(np.isin(segment.chunk_ids, allowed), score, 0)
            top = np.flatnonzero(score > 0)
            if len(top) > depth:
                top = top[np.argpartition(-score[top], depth - 1)[:depth]]
            hits += [(int(segment.chunk_ids[r]), float(score[r])) for r in top]
        hits.sort(key=lambda hit: -hit[1])
        return hits[:depth]

    @functools.cached_property
    def _bm25_norms(self) -> list[np.ndarray]:
        """Every BM25 segment's length norms at this generation's average chunk length (worked out once)."""
        segments = [s for s in self.segments if s.postings is not None]
        mean = average_length([s.bm25_totals for s in segments])
        return [length_norms(s.postings.lengths, mean) for s in segments]

    def has_term(self, term: str) -> bool:
        """Whether any live chunk holds the stemmed term (BM25's vocabulary)."""
        segments = [s for s in self.segments if s.postings is not None]
        return live_document_frequency([s.postings for s in segments], [s.live_mask for s in segments], term) > 0

    @property
    def vocabulary(self) -> _LiveTerms:
        """BM25's vocabulary as a container: `term in index.vocabulary`."""
        return _LiveTerms(self)

    @property
    def has_bm25(self) -> bool:
        """Whether the index holds any chunk to search by keyword."""
        return self.n_chunks > 0

    # ----- rows

    def chunks(self, chunk_ids: list[int]) -> list[ChunkRecord]:
        """Chunk records for ids, in the order given."""
        if not chunk_ids:
            return []
        by_id = {row[0]: ChunkRecord(*row) for row in self._query_chunks(f"{_CHUNK_SELECT} WHERE c.chunk_id IN", chunk_ids)}
        return [by_id[int(i)] for i in chunk_ids if int(i) in by_id]

    def chunk_vector_rows(self, chunk_ids: list[int]) -> list[int]:
        """Row of each chunk's vector in chunk_vectors."""
        rows = dict(self._query_chunks("SELECT chunk_id, vector_row FROM chunks WHERE chunk_id IN", chunk_ids))
        return [rows[int(i)] for i in chunk_ids]

    def vector_and_sentence_rows(self, chunk_ids: list[int]) -> list[tuple[int, int, int]]:
        """(vector row, first sentence row, last sentence row exclusive) of each chunk, in the order given."""
        rows = {row[0]: tuple(row[1:]) for row in self._query_chunks(
            "SELECT chunk_id, vector_row, first_sentence_row, last_sentence_row FROM chunks WHERE chunk_id IN", chunk_ids)}
        return [rows[int(i)] for i in chunk_ids]

    def sentence_spans(self, first_row: int, last_row: int) -> list[tuple[int, int, int]]:
        """(row, start, end) of the sentences in a row range (one chunk's or one document's)."""
        return self._segment_of_sentence(first_row).query(
            'SELECT row, start, "end" FROM sentences WHERE row >= ? AND row < ? ORDER BY row', (first_row, last_row))

    def attributions(self, rows: Sequence[int]) -> dict[int, Attribution]:
        """The attribution of each sentence row (who says it)."""
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        found = self._query(f"SELECT row, speaker, side, kind, denial FROM sentences WHERE row IN ({marks})",
                            [int(r) for r in rows])
        return {row: Attribution(speaker, side, kind, bool(denial)) for row, speaker, side, kind, denial in found}

    def document_sentences(self, doc_id: str) -> list[tuple[int, int, int]]:
        """(row, start, end) of every sentence of a document, in order."""
        return self._query('SELECT row, start, "end" FROM sentences WHERE doc_id = ? ORDER BY row', (doc_id,))

    def chunk_table(self) -> list[tuple]:
        """Every live chunk as stored, by chunk id: (chunk_id, doc_id, ordinal, start, end, text, first_sentence_row,
        last_sentence_row). For checks that two builds stored the same rows (tests, benchmarks)."""
        return sorted(self._query('SELECT chunk_id, doc_id, ordinal, start, "end", text, first_sentence_row, '
                                  "last_sentence_row FROM chunks"))

    def sentence_table(self) -> list[tuple]:
        """Every live sentence as stored, by row: (row, doc_id, start, end, speaker, side, kind, denial)."""
        return sorted(self._query('SELECT row, doc_id, start, "end", speaker, side, kind, denial FROM sentences'),
                      key=lambda r: r[0])

    def sentence_row_at(self, doc_id: str, offset: int) -> int | None:
        """The row of the document's sentence holding a character offset."""
        found = self._query('SELECT row FROM sentences WHERE doc_id = ? AND start <= ? AND "end" > ? ORDER BY row LIMIT 1',
                            (doc_id, offset, offset))
        return found[0][0] if found else None

    def undated_count(self) -> int:
        """How many indexed articles have no publication date."""
        return sum(int(n) for (n,) in self._query("SELECT count(*) FROM documents WHERE published IS NULL"))

    def newest_published(self) -> str | None:
        """The newest article's publication date (what "last year" in a question is read against)."""
        dates = [d for (d,) in self._query("SELECT max(published) FROM documents") if d is not None]
        return max(dates) if dates else None

    def sources(self) -> set[str]:
        """The distinct sources of the indexed documents."""
        return {row[0] for row in self._query("SELECT DISTINCT source FROM documents WHERE source IS NOT NULL")}

    def _story_of(self, doc_id: str) -> str | None:
        entry = self.manifest["documents"].get(doc_id)
        return entry.get("story") if entry else None

    def documents(self) -> list[DocumentRecord]:
        """Every indexed document, ordered by id."""
        rows = sorted(self._query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents"))
        return [DocumentRecord(*row, self._story_of(row[0])) for row in rows]

    def stories(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Each document's story id (see stories)."""
        return {doc_id: story for doc_id in doc_ids if (story := self._story_of(doc_id)) is not None}

    def other_copies(self, doc_ids: Sequence[str]) -> dict[str, list[DocumentRecord]]:
        """For each document, the other articles of its story (same report elsewhere), earliest first."""
        out: dict[str, list[DocumentRecord]] = {doc_id: [] for doc_id in doc_ids}
        wanted = {self._story_of(doc_id) for doc_id in doc_ids} - {None}
        members = [doc_id for doc_id, entry in self.manifest["documents"].items() if entry.get("story") in wanted]
        if not members:
            return out
        marks = ",".join("?" * len(members))
        records = [DocumentRecord(*row, self._story_of(row[0]))
                   for row in self._query(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE doc_id IN ({marks})", members)]
        records.sort(key=lambda r: (r.published or "9999", r.doc_id))
        for doc_id in doc_ids:
            story = self._story_of(doc_id)
            out[doc_id] = [r for r in records if r.story == story and r.doc_id != doc_id]
        return out

    @functools.cached_property
    def metadata_terms(self) -> frozenset[str]:
        """Stemmed words of the articles' titles, sources and authors (a question may name the outlet)."""
        texts = [" ".join(filter(None, (d.title, d.source, d.author))) for d in self.documents()]
        return frozenset(term for terms in bm25_tokenize(texts, ids=False) for term in terms) if texts else frozenset()

    def document_text(self, doc_id: str) -> str | None:
        """The cleaned text a document's spans index into."""
        rows = self._query("SELECT text FROM documents WHERE doc_id = ?", (doc_id,))
        return rows[0][0] if rows else None

    def signature(self, doc_id: str) -> np.ndarray | None:
        """The stored MinHash signature of a live document (see stories)."""
        return next((found for segment in self.segments if (found := segment.signature(doc_id)) is not None), None)

    def chunk_ids_where(self, sources: list[str] | None, date_from: str | None, date_to: str | None) -> np.ndarray:
        """Chunk ids whose document matches the source list and overlaps the date range."""
        sql = "SELECT c.chunk_id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE 1=1"
        params: list = []
        if sources:
            sql += f" AND d.source IN ({','.join('?' * len(sources))})"
            params += list(sources)
        # Partial dates ("2011-09") cover a period, on both sides: keep documents whose period overlaps the range.
        if date_from:
            sql += " AND d.published IS NOT NULL AND substr(d.published || substr('-12-31', length(d.published) - 3), 1, 10) >= ?"
            params.append(period_bounds(date_from)[0])
        if date_to:
            sql += " AND d.published IS NOT NULL AND substr(d.published || substr('-01-01', length(d.published) - 3), 1, 10) <= ?"
            params.append(period_bounds(date_to)[1])
        return np.array(sorted(row[0] for row in self._query(sql, params)), dtype=np.int64)

    def close(self) -> None:
        """Release the chunk store connections."""
        for segment in self.segments:
            segment.close()


def read_manifest(root: str | Path) -> dict:
    """The live generation's manifest."""
    gen = _current_generation(Path(root))
    try:
        return json.loads((gen / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"index at {root} has no {MANIFEST_FILE}; run `rag build --rebuild` to recover") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"index at {root} has an unreadable {MANIFEST_FILE} ({exc}); run `rag build --rebuild` to recover") from exc


def check_settings(manifest: dict, expected: IndexSettings | None, root: Path) -> None:
    """Refuse an index built with another format, model or chunking than expected."""
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {root} has format version {manifest.get('format_version')!r}, this version reads {FORMAT_VERSION}; "
            f"rebuild it with `rag build --rebuild --index {root}`"
        )
    if expected is None:
        return
    built = IndexSettings.from_manifest(manifest)
    diffs = [f"{k}: index has {v!r}, asked for {asdict(expected)[k]!r}" for k, v in asdict(built).items() if asdict(expected)[k] != v]
    if diffs:
        raise IndexMismatchError(
            f"index at {root} was built with other settings ({'; '.join(diffs)}); rebuild it with "
            f"`rag build SEEDS_DIR --rebuild --index {root}` (plus your model/chunk options) or open it without overriding them"
        )


def open_index(root: str | Path, expected: IndexSettings | None = None, *, for_writing: bool = False,
               previous: Index | None = None) -> Index:
    """Open the live generation, verifying files against the manifest (`for_writing`: to copy rows, not to search).

    `previous`: a generation of the same index opened before; segments both hold are shared, not read again, so
    reopening after an update costs what the update changed."""
    root = Path(root)
    earlier = {s.name: s for s in previous.segments} if previous is not None else {}
    for attempt in range(3):
        gen = _current_generation(root)
        segments: list[Segment] = []
        try:
            manifest = read_manifest(root)
            check_settings(manifest, expected, root)
            for name, size in manifest["files"].items():
                actual = (gen / name).stat().st_size
                if actual != size:
                    raise IndexCorruptError(
                        f"index file {gen / name} is {actual} bytes, the manifest says {size}; "
                        f"run `rag build SEEDS_DIR --rebuild --index {root}` to recover"
                    )
            for meta in manifest["segments"]:
                segments.append(open_segment(gen / SEGMENTS_DIR / meta["name"], meta, map_dense=for_writing,
                                             opened=earlier.get(meta["name"])))
        except FileNotFoundError as exc:
            for segment in segments:
                segment.close()
            if attempt < 2 and _current_generation(root) != gen:
                continue  # a writer swapped generations while we opened: read the new one
            raise IndexCorruptError(f"index at {root} is missing {exc.filename}; run `rag build SEEDS_DIR --rebuild --index {root}` to recover") from exc
        except (RuntimeError, ValueError, KeyError, TypeError, sqlite3.DatabaseError) as exc:
            for segment in segments:
                segment.close()
            raise IndexCorruptError(f"index at {root} is damaged ({type(exc).__name__}: {exc}); run `rag build SEEDS_DIR --rebuild --index {root}` to recover") from exc
        live = sum(s.n_live_chunks for s in segments)
        if live != manifest["n_chunks"]:
            for segment in segments:
                segment.close()
            raise IndexCorruptError(f"index at {root} holds {live} live chunks, the manifest says {manifest['n_chunks']}; "
                                    "run `rag build --rebuild` to recover")
        return Index(root, gen, manifest, segments)
    raise IndexCorruptError(f"index at {root} kept changing while it was opened; try again")


# ---------------------------------------------------------------- writing


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


def choose_faiss_factory(n_vectors: int, exact_limit: int = EXACT_SEARCH_LIMIT) -> str:
    """Exact inner-product search for small corpora; an inverted-file index above `exact_limit` vectors."""
    if n_vectors < exact_limit:
        return "IDMap2,Flat"
    nlist = 2 ** int(round(np.log2(4 * np.sqrt(n_vectors))))  # ~4*sqrt(N) lists, a power of two
    return f"IVF{nlist},Flat"


def build_dense_index(vectors: np.ndarray, ids: np.ndarray, factory: str, *, seed: int = 0):
    """A FAISS inner-product index over vectors with external ids (IVF indexes are trained on a sample)."""
    import faiss

    dim = vectors.shape[1]
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # bulk work uses every core (queries use one: see retrieval)
    dense = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    if not dense.is_trained:
        ivf = faiss.extract_index_ivf(dense)
        sample_size = min(len(vectors), 64 * ivf.nlist)
        sample = vectors[np.random.default_rng(seed).choice(len(vectors), sample_size, replace=False)]
        dense.train(np.ascontiguousarray(sample, dtype=np.float32))
    if len(ids):
        dense.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
    return dense


@dataclass
class DocRows:
    record: DocumentRecord
    text: str
    chunks: list[Chunk]
    sentences: list[Span]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_tokens: SentenceTokens
    old_chunk_ids: list[int] | None  # kept for unchanged documents so ids stay stable
    attributions: list[Attribution]  # one per sentence (all the outlet's when sentences are not embedded)
    signature: np.ndarray | None = None  # MinHash of the text (stored; computed once at write time when None)


def reuse_rows(old: Index, record: DocumentRecord) -> DocRows:
    rows = old._query('SELECT chunk_id, ordinal, start, "end", text, vector_row, first_sentence_row, last_sentence_row FROM chunks WHERE doc_id = ? ORDER BY ordinal', (record.doc_id,))
    sent_rows = old._query('SELECT row, start, "end", speaker, side, kind, denial FROM sentences WHERE doc_id = ? '
                           'ORDER BY row', (record.doc_id,))
    base = sent_rows[0][0] if sent_rows else 0
    chunks = [Chunk(record.doc_id, r[1], r[2], r[3], r[4], 0, r[6] - base, r[7] - base) for r in rows]
    sentences = [Span(r[1], r[2]) for r in sent_rows]
    chunk_vectors = np.asarray(old.chunk_vectors[[r[5] for r in rows]], dtype=np.float32)
    sentence_vectors = np.asarray(old.sentence_vectors[[r[0] for r in sent_rows]], dtype=np.float32) if old.settings.embed_sentences else np.zeros((len(sent_rows), 0), np.float32)
    # A document's sentences hold consecutive rows, so its token vectors are one slice.
    tokens = old.sentence_tokens.rows(base, base + len(sent_rows))
    return DocRows(record, old.document_text(record.doc_id) or "", chunks, sentences, chunk_vectors, sentence_vectors,
                    tokens, [r[0] for r in rows], [Attribution(r[3], r[4], r[5], bool(r[6])) for r in sent_rows],
                    old.signature(record.doc_id))


def token_stopwords() -> frozenset[str]:
    """Wordpieces kept out of the stored sentence tokens: bm25s's English stopwords (what BM25 drops too)."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def record_for(doc: Document, n_chunks: int) -> DocumentRecord:
    return DocumentRecord(doc.doc_id, doc.title, doc.source, doc.author, doc.published, doc.url, doc.path, doc.content_hash, n_chunks)


def kept_segments(old: Index, in_place: set[str]) -> list[dict]:
    """The live index's segment entries with every document not in `in_place` marked deleted (empty ones dropped)."""
    kept = []
    for meta, segment in zip(old.manifest["segments"], old.segments, strict=True):
        stored = {d for (d,) in segment.query("SELECT doc_id FROM main.documents")}
        deleted = set(meta["deleted"]) | (stored - in_place)  # once deleted here, always: a newer copy may live elsewhere
        if deleted != stored:
            kept.append({**meta, "deleted": sorted(deleted)})
    return kept


def merge_segments(root: str | Path, names: Sequence[str] | None = None) -> list[str]:
    """Merge segments of the live index into one (those `plan_merge` picks, or `names`): returns the merged names.

    The merged segment drops deleted documents and keeps every chunk id; the switch to the generation holding it
    is atomic like any update, so a reader or a crash sees the segments before the merge or after it."""
    root = Path(root)
    with writer_lock(root):
        old = open_index(root, for_writing=True)
        try:
            sizes = {s.name: s.n_live_chunks for s in old.segments}
            chosen = list(names) if names is not None else plan_merge(sizes)
            chosen = [n for n in chosen if n in sizes]
            if len(chosen) < 2:
                return []
            picked = [s for s in old.segments if s.name in chosen]
            doc_ids = sorted(d for s in picked for (d,) in s.query("SELECT doc_id FROM documents"))
            records = {r.doc_id: r for r in old.documents()}
            parts = [reuse_rows(old, records[d]) for d in doc_ids]
            kept = [m for m in old.manifest["segments"] if m["name"] not in chosen]
            shape = _Shape(int(old.manifest["dimension"]), int(old.manifest["max_seq_length"]))
            gen = write_generation(root, kept, parts, shape, old.settings, old, set(old.manifest.get("removed_by_user", [])))
            switch_generation(root, gen)
            remove_stale(root, gen.name)
            return chosen
        finally:
            old.close()


@dataclass(frozen=True)
class _Shape:
    """What the writer reads of an embedder when it writes no new vectors (a merge)."""

    dimension: int
    max_seq_length: int


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link every file of an immutable segment folder into a new generation (no bytes copied)."""
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, destination)


def _write_segment(folder: Path, parts: list[DocRows], dim: int, settings: IndexSettings, *, name: str,
                   vector_base: int, sentence_base: int, next_chunk_id: int) -> tuple[dict, int]:
    """Write one immutable segment holding `parts`; returns its manifest entry and the next free chunk id."""
    import faiss

    folder.mkdir(parents=True)
    db = sqlite3.connect(folder / STORE_FILE)
    db.executescript(_SCHEMA)
    chunk_ids: list[int] = []
    bm25_texts: list[str] = []
    vector_blocks, sentence_blocks = [], []
    vector_row, sentence_row = vector_base, sentence_base
    for part in parts:
        rec = part.record
        db.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (rec.doc_id, rec.title, rec.source, rec.author, rec.published, rec.url, rec.path, rec.content_hash,
                    part.text, len(part.chunks)))
        db.executemany('INSERT INTO sentences VALUES (?,?,?,?,?,?,?,?)',
                       [(sentence_row + i, rec.doc_id, s.start, s.end, a.speaker, a.side, a.kind, int(a.denial))
                        for i, (s, a) in enumerate(zip(part.sentences, part.attributions, strict=True))])
        for i, chunk in enumerate(part.chunks):
            if part.old_chunk_ids is not None:
                cid = part.old_chunk_ids[i]
            else:
                cid, next_chunk_id = next_chunk_id, next_chunk_id + 1
            db.execute("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?)",
                       (cid, rec.doc_id, chunk.ordinal, chunk.start, chunk.end, chunk.text, vector_row + i,
                        sentence_row + chunk.first_sentence, sentence_row + chunk.last_sentence))
            chunk_ids.append(cid)
            bm25_texts.append(embedding_text(rec.title, chunk.text))
        vector_blocks.append(part.chunk_vectors)
        sentence_blocks.append(part.sentence_vectors)
        vector_row += len(part.chunks)
        sentence_row += len(part.sentences)
    db.commit()
    db.close()

    chunk_vectors = np.concatenate(vector_blocks) if vector_blocks else np.zeros((0, dim), np.float32)
    sent_dim = dim if settings.embed_sentences else 0
    sentence_vectors = np.concatenate(sentence_blocks) if sentence_blocks else np.zeros((0, sent_dim), np.float32)
    np.save(folder / CHUNK_VECTORS_FILE, np.ascontiguousarray(chunk_vectors, dtype=np.float32), allow_pickle=False)
    np.save(folder / SENTENCE_VECTORS_FILE, np.ascontiguousarray(sentence_vectors, dtype=np.float32), allow_pickle=False)
    tokens = SentenceTokens.join([p.sentence_tokens for p in parts], dim)
    np.save(folder / SENTENCE_TOKENS_FILE, np.ascontiguousarray(tokens.vectors), allow_pickle=False)
    np.save(folder / SENTENCE_TOKEN_IDS_FILE, np.ascontiguousarray(tokens.ids), allow_pickle=False)
    np.save(folder / SENTENCE_TOKEN_OFFSETS_FILE, np.ascontiguousarray(tokens.offsets), allow_pickle=False)
    np.save(folder / CHUNK_IDS_FILE, np.asarray(chunk_ids, dtype=np.int64), allow_pickle=False)
    by_id = sorted(parts, key=lambda p: p.record.doc_id)
    signatures = np.stack([p.signature for p in by_id]) if by_id \
        else np.zeros((0, 0), np.uint64)
    np.save(folder / SIGNATURES_FILE, signatures.astype(np.uint64), allow_pickle=False)

    factory = choose_faiss_factory(len(chunk_ids))
    dense = build_dense_index(chunk_vectors, np.asarray(chunk_ids, dtype=np.int64), factory)
    faiss.write_index(dense, str(folder / FAISS_FILE))
    if bm25_texts:
        tokenized = bm25_tokenize(bm25_texts, ids=True)
        save_postings(folder / BM25_DIR, postings_from_ids(tokenized.ids, tokenized.vocab))
    meta = {"name": name, "n_documents": len(parts), "n_chunks": len(chunk_ids), "n_sentences": int(sentence_row - sentence_base),
            "vector_base": vector_base, "sentence_base": sentence_base, "faiss_index": factory,
            "nprobe": DEFAULT_NPROBE if factory.startswith("IVF") else None, "deleted": []}
    return meta, next_chunk_id


def write_generation(root: Path, kept: list[dict], new_parts: list[DocRows], embedder, settings: IndexSettings,
                      old: Index | None, removals: set[str] = frozenset()) -> Path:
    """Write a generation of the kept segments (linked from `old`, deletions as given) plus one new segment."""
    tmp = root / f".tmp-gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    (tmp / SEGMENTS_DIR).mkdir(parents=True)
    try:
        counters = old.manifest["next"] if old is not None else {"chunk_id": 0, "vector_row": 0, "sentence_row": 0}
        for meta in kept:
            _link_tree(old.generation / SEGMENTS_DIR / meta["name"], tmp / SEGMENTS_DIR / meta["name"])
        segments = list(kept)
        # A part without its signature (rows of an index that stored none) gets it once, for the segment and stories.
        new_parts = sorted((p if p.signature is not None else dataclasses.replace(p, signature=signature(p.text))
                            for p in new_parts), key=lambda p: p.record.doc_id)
        if new_parts:
            name = f"seg-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
            meta, next_chunk_id = _write_segment(tmp / SEGMENTS_DIR / name, new_parts, embedder.dimension, settings, name=name,
                                                 vector_base=counters["vector_row"], sentence_base=counters["sentence_row"],
                                                 next_chunk_id=counters["chunk_id"])
            counters = {"chunk_id": next_chunk_id, "vector_row": counters["vector_row"] + meta["n_chunks"],
                        "sentence_row": counters["sentence_row"] + meta["n_sentences"]}
            segments.append(meta)

        # Documents and stories of the whole generation: kept entries from the old manifest, plus the new segment's.
        documents: dict[str, dict] = {}
        grouping: list[tuple[str, str | None, np.ndarray]] = []
        n_chunks = n_sentences = 0
        by_name = {s.name: s for s in old.segments} if old is not None else {}
        for meta in kept:
            segment = by_name[meta["name"]]
            stored = [d for (d,) in segment.query("SELECT doc_id FROM main.documents ORDER BY doc_id")]
            signatures = np.load(segment.folder / SIGNATURES_FILE, allow_pickle=False)
            deleted = set(meta["deleted"])
            for doc_id, values in zip(stored, signatures, strict=True):
                if doc_id not in deleted:
                    entry = old.manifest["documents"][doc_id]
                    documents[doc_id] = dict(entry)
                    grouping.append((doc_id, entry.get("published"), values))
                    n_chunks += entry["n_chunks"]
                    n_sentences += entry["n_sentences"]
        if new_parts:
            for part in new_parts:
                rec = part.record
                documents[rec.doc_id] = {"content_hash": rec.content_hash, "n_chunks": len(part.chunks), "path": rec.path,
                                         "published": rec.published, "n_sentences": len(part.sentences),
                                         "segment": segments[-1]["name"]}
                grouping.append((rec.doc_id, rec.published, part.signature))
                n_chunks += len(part.chunks)
                n_sentences += len(part.sentences)
        for doc_id, story in group_stories(grouping).items():
            documents[doc_id]["story"] = story

        files = {}
        for path in sorted(tmp.rglob("*")):
            if path.is_file():
                files[str(path.relative_to(tmp))] = path.stat().st_size
        manifest = {
            "format_version": FORMAT_VERSION,
            "package_version": package_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "settings": asdict(settings),
            "dimension": embedder.dimension,
            "max_seq_length": embedder.max_seq_length,
            "faiss_index": max(segments, key=lambda m: m["n_chunks"])["faiss_index"] if segments else "IDMap2,Flat",
            "n_documents": len(documents),
            "n_chunks": n_chunks,
            "n_sentences": n_sentences,
            "documents": dict(sorted(documents.items())),
            "removed_by_user": sorted(removals),
            "segments": segments,
            "next": counters,
            "files": files,
        }
        with open(tmp / MANIFEST_FILE, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        # Linked files were made durable when their segment was first written; only the new ones need syncing.
        fresh = tmp / SEGMENTS_DIR / segments[-1]["name"] if new_parts else None
        if fresh is not None:
            for path in fresh.rglob("*"):
                if path.is_file():
                    with open(path, "rb") as handle:
                        os.fsync(handle.fileno())
        for folder in [tmp, *sorted(p for p in tmp.rglob("*") if p.is_dir())]:
            _fsync_dir(folder)
        gen = root / f"gen-{tmp.name.removeprefix('.tmp-gen-')}"
        os.replace(tmp, gen)
        _fsync_dir(root)
        return gen
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
