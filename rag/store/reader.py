"""Reading an index: `Index` (one generation, all its segments, deleted articles left out) behind the `IndexView`
protocol that retrieval and the answer stage read through, and `open_index`, which checks files against the
manifest before anything is searched."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ..documents import period_bounds
from ..errors import IndexCorruptError
from ..model import Attribution
from .bm25 import average_length, bm25_tokenize, length_norms, live_document_frequency, score_segments
from .generations import check_settings, current_generation, read_manifest
from .records import SEGMENTS_DIR, ChunkRecord, DocumentRecord, IndexSettings
from .segments import RowView, Segment, SegmentTokens, open_segment

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

    def stored_rows(self, doc_id: str) -> tuple[list[tuple], list[tuple]]:
        """A document's stored chunk rows (chunk_id, ordinal, start, end, text, vector_row, first and last sentence
        row; by ordinal) and sentence rows (row, start, end, speaker, side, kind, denial; by row): what a writer
        copies into a new segment."""
        chunks = self._query('SELECT chunk_id, ordinal, start, "end", text, vector_row, first_sentence_row, '
                             'last_sentence_row FROM chunks WHERE doc_id = ? ORDER BY ordinal', (doc_id,))
        sentences = self._query('SELECT row, start, "end", speaker, side, kind, denial FROM sentences WHERE doc_id = ? '
                                'ORDER BY row', (doc_id,))
        return chunks, sentences

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


def open_index(root: str | Path, expected: IndexSettings | None = None, *, for_writing: bool = False,
               previous: Index | None = None) -> Index:
    """Open the live generation, verifying files against the manifest (`for_writing`: to copy rows, not to search).

    `previous`: a generation of the same index opened before; segments both hold are shared, not read again, so
    reopening after an update costs what the update changed."""
    root = Path(root)
    earlier = {s.name: s for s in previous.segments} if previous is not None else {}
    for attempt in range(3):
        gen = current_generation(root)
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
            if attempt < 2 and current_generation(root) != gen:
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
