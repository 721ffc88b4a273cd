"""Index: FAISS + bm25s + a SQLite chunk store, written as immutable generations switched atomically.

Layout of an index folder::

    index/CURRENT              name of the live generation (replaced atomically)
    index/gen-<stamp>/manifest.json, chunks.sqlite, dense.faiss, chunk_vectors.npy,
                     sentence_vectors.npy, sentence_tokens.npy (+ _ids, _offsets: each sentence's
                     content wordpiece vectors, float16), bm25/ (bm25s files, no pickle)

A build writes a new generation beside the live one and then swaps CURRENT, so a crash at any
moment leaves the previous index intact.
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

import numpy as np

from .attribution import OUTLET, Attribution, attribute_documents
from .chunking import CHUNKER_VERSION, TOKENIZER_NAME, Chunk, Span, chunk_document, embedding_text, sentence_texts
from .documents import Document, period_bounds
from .embedding import pool_groups
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError, IngestError
from .stories import StoryArticle, story_ids

FORMAT_VERSION = 4  # 2: sentence wordpiece vectors (sentence_tokens*.npy); 3: documents grouped into stories;
# 4: each sentence's attribution (speaker, side, kind, denial)
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
STORE_FILE = "chunks.sqlite"
FAISS_FILE = "dense.faiss"
CHUNK_VECTORS_FILE = "chunk_vectors.npy"
SENTENCE_VECTORS_FILE = "sentence_vectors.npy"
SENTENCE_TOKENS_FILE = "sentence_tokens.npy"  # float16 (n_tokens, dimension), content wordpieces of every sentence
SENTENCE_TOKEN_IDS_FILE = "sentence_token_ids.npy"  # int32 (n_tokens,), their vocabulary ids (for IDF weights)
SENTENCE_TOKEN_OFFSETS_FILE = "sentence_token_offsets.npy"  # int64 (n_sentences + 1,): sentence i is [o[i], o[i+1])
BM25_DIR = "bm25"
EXACT_SEARCH_LIMIT = 50_000  # below this many chunks exact search takes ~1 ms (benchmarks/scale.py)
DEFAULT_NPROBE = 64  # IVF lists searched per query (benchmarks/scale.py: recall@10 vs exact search)


def package_version() -> str:
    """Installed version of this package (or 0 when running from a plain checkout)."""
    try:
        return importlib_metadata.version("rag-news")
    except importlib_metadata.PackageNotFoundError:
        return "0+local"


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
        return cls(np.concatenate([p.vectors for p in parts]).astype(np.float16),
                   np.concatenate([p.ids for p in parts]).astype(np.int32),
                   np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))

    def rows(self, first: int, last: int) -> SentenceTokens:
        """The sentences of rows [first, last) as a store of their own."""
        start, end = int(self.offsets[first]), int(self.offsets[last])
        return SentenceTokens(np.asarray(self.vectors[start:end]), np.asarray(self.ids[start:end]),
                              np.asarray(self.offsets[first:last + 1]) - start)

    def of(self, rows: Sequence[int]) -> list[np.ndarray]:
        """Each row's token vectors (float32)."""
        return [np.asarray(self.vectors[self.offsets[r]:self.offsets[r + 1]], dtype=np.float32) for r in rows]

    @functools.cached_property
    def idf(self) -> np.ndarray:
        """Inverse sentence frequency of every vocabulary id seen, log((N + 1) / (df + 0.5)); unseen ids read as df 0."""
        n = len(self.offsets) - 1
        sentence_of = np.repeat(np.arange(n), np.diff(self.offsets))
        pairs = np.unique(np.stack([sentence_of, self.ids.astype(np.int64)]), axis=1) if len(self.ids) else np.zeros((2, 0), np.int64)
        df = np.bincount(pairs[1], minlength=int(self.ids.max()) + 1 if len(self.ids) else 0)
        return np.log((n + 1) / (df + 0.5)).astype(np.float32)

    def idf_of(self, ids: np.ndarray) -> np.ndarray:
        """IDF weights of vocabulary ids (an id no sentence holds gets the highest weight)."""
        n = len(self.offsets) - 1
        table = self.idf
        rare = np.float32(np.log((n + 1) / 0.5))
        return np.array([table[i] if i < len(table) else rare for i in ids], dtype=np.float32)


@dataclass(frozen=True)
class IndexSettings:
    """What an index was built with; opening it with other settings is refused."""

    model: str
    chunk_tokens: int
    overlap_tokens: int
    tokenizer: str = TOKENIZER_NAME
    embed_sentences: bool = True
    chunker: str = CHUNKER_VERSION
    pooled_chunks: bool = False  # chunk vectors pooled from the sentences' pass (one pass; see _embed)


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


def _switch_generation(root: Path, gen: Path) -> None:
    tmp = root / f"{CURRENT_FILE}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(gen.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / CURRENT_FILE)
    _fsync_dir(root)


def _remove_stale(root: Path, keep: str) -> None:
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
    published TEXT, url TEXT, path TEXT, content_hash TEXT NOT NULL, text TEXT NOT NULL, n_chunks INTEGER NOT NULL,
    story TEXT NOT NULL);
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


class Index:
    """A read-only view of one index generation; safe to share between threads."""

    def __init__(self, root: Path, gen: Path, manifest: dict, dense, chunk_vectors: np.ndarray,
                 sentence_vectors: np.ndarray, bm25, bm25_chunk_ids: np.ndarray, db: sqlite3.Connection,
                 sentence_tokens: SentenceTokens):
        self.root = root
        self.generation = gen
        self.manifest = manifest
        self.settings = IndexSettings(**manifest["settings"])
        self.dense = dense
        self.chunk_vectors = chunk_vectors
        self.sentence_vectors = sentence_vectors
        self.sentence_tokens = sentence_tokens
        self.bm25 = bm25
        self.bm25_chunk_ids = bm25_chunk_ids
        self._db = db
        self._db_lock = threading.Lock()

    @property
    def n_chunks(self) -> int:
        """Number of indexed chunks."""
        return int(self.manifest["n_chunks"])

    def _query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self._db_lock:
            return self._db.execute(sql, params).fetchall()

    def chunks(self, chunk_ids: list[int]) -> list[ChunkRecord]:
        """Chunk records for ids, in the order given."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        rows = self._query(f"{_CHUNK_SELECT} WHERE c.chunk_id IN ({marks})", [int(i) for i in chunk_ids])
        by_id = {row[0]: ChunkRecord(*row) for row in rows}
        return [by_id[int(i)] for i in chunk_ids if int(i) in by_id]

    def chunk_vector_rows(self, chunk_ids: list[int]) -> list[int]:
        """Row of each chunk's vector in chunk_vectors."""
        marks = ",".join("?" * len(chunk_ids))
        rows = dict(self._query(f"SELECT chunk_id, vector_row FROM chunks WHERE chunk_id IN ({marks})", [int(i) for i in chunk_ids]))
        return [rows[int(i)] for i in chunk_ids]

    def vector_and_sentence_rows(self, chunk_ids: list[int]) -> list[tuple[int, int, int]]:
        """(vector row, first sentence row, last sentence row exclusive) of each chunk, in the order given."""
        marks = ",".join("?" * len(chunk_ids))
        rows = {row[0]: tuple(row[1:]) for row in self._query(
            f"SELECT chunk_id, vector_row, first_sentence_row, last_sentence_row FROM chunks WHERE chunk_id IN ({marks})",
            [int(i) for i in chunk_ids])}
        return [rows[int(i)] for i in chunk_ids]

    def sentence_spans(self, first_row: int, last_row: int) -> list[tuple[int, int, int]]:
        """(row, start, end) of the sentences in a row range."""
        return self._query('SELECT row, start, "end" FROM sentences WHERE row >= ? AND row < ? ORDER BY row', (first_row, last_row))

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

    def sentence_row_at(self, doc_id: str, offset: int) -> int | None:
        """The row of the document's sentence holding a character offset."""
        found = self._query('SELECT row FROM sentences WHERE doc_id = ? AND start <= ? AND "end" > ? ORDER BY row LIMIT 1',
                            (doc_id, offset, offset))
        return found[0][0] if found else None

    def undated_count(self) -> int:
        """How many indexed articles have no publication date."""
        return int(self._query("SELECT count(*) FROM documents WHERE published IS NULL")[0][0])

    def newest_published(self) -> str | None:
        """The newest article's publication date (what "last year" in a question is read against)."""
        return self._query("SELECT max(published) FROM documents")[0][0]

    def sources(self) -> set[str]:
        """The distinct sources of the indexed documents."""
        return {row[0] for row in self._query("SELECT DISTINCT source FROM documents WHERE source IS NOT NULL")}

    def documents(self) -> list[DocumentRecord]:
        """Every indexed document, ordered by id."""
        rows = self._query("SELECT doc_id, title, source, author, published, url, path, content_hash, n_chunks, story "
                           "FROM documents ORDER BY doc_id")
        return [DocumentRecord(*row) for row in rows]

    def stories(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Each document's story id (see stories)."""
        marks = ",".join("?" * len(doc_ids))
        return dict(self._query(f"SELECT doc_id, story FROM documents WHERE doc_id IN ({marks})", list(doc_ids)))

    def other_copies(self, doc_ids: Sequence[str]) -> dict[str, list[DocumentRecord]]:
        """For each document, the other articles of its story (same report elsewhere), earliest first."""
        if not doc_ids:
            return {}
        marks = ",".join("?" * len(doc_ids))
        rows = self._query(
            "SELECT d.doc_id, o.doc_id, o.title, o.source, o.author, o.published, o.url, o.path, o.content_hash, "
            f"o.n_chunks, o.story FROM documents d JOIN documents o ON o.story = d.story AND o.doc_id != d.doc_id "
            f"WHERE d.doc_id IN ({marks}) ORDER BY coalesce(o.published, '9999'), o.doc_id", list(doc_ids))
        out: dict[str, list[DocumentRecord]] = {doc_id: [] for doc_id in doc_ids}
        for row in rows:
            out[row[0]].append(DocumentRecord(*row[1:]))
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
        return np.array([row[0] for row in self._query(sql, params)], dtype=np.int64)

    def close(self) -> None:
        """Release the chunk store connection."""
        with self._db_lock:
            self._db.close()


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
    built = IndexSettings(**manifest["settings"])
    diffs = [f"{k}: index has {v!r}, asked for {asdict(expected)[k]!r}" for k, v in asdict(built).items() if asdict(expected)[k] != v]
    if diffs:
        raise IndexMismatchError(
            f"index at {root} was built with other settings ({'; '.join(diffs)}); rebuild it with "
            f"`rag build SEEDS_DIR --rebuild --index {root}` (plus your model/chunk options) or open it without overriding them"
        )


def open_index(root: str | Path, expected: IndexSettings | None = None) -> Index:
    """Open the live generation, verifying files against the manifest."""
    import bm25s
    import faiss

    root = Path(root)
    for attempt in range(3):
        gen = _current_generation(root)
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
            dense = faiss.read_index(str(gen / FAISS_FILE))
            chunk_vectors = np.load(gen / CHUNK_VECTORS_FILE, mmap_mode="r", allow_pickle=False)
            sentence_vectors = np.load(gen / SENTENCE_VECTORS_FILE, mmap_mode="r", allow_pickle=False)
            sentence_tokens = SentenceTokens(np.load(gen / SENTENCE_TOKENS_FILE, mmap_mode="r", allow_pickle=False),
                                             np.load(gen / SENTENCE_TOKEN_IDS_FILE, allow_pickle=False),
                                             np.load(gen / SENTENCE_TOKEN_OFFSETS_FILE, allow_pickle=False))
            bm25 = bm25s.BM25.load(str(gen / BM25_DIR), mmap=True, show_progress=False) if manifest["n_chunks"] else None
            bm25_ids = np.load(gen / BM25_DIR / "chunk_ids.npy", allow_pickle=False)
            db = sqlite3.connect(f"file:{gen / STORE_FILE}?mode=ro", uri=True, check_same_thread=False)
            db.execute("SELECT count(*) FROM chunks").fetchone()
        except FileNotFoundError as exc:
            if attempt < 2 and _current_generation(root) != gen:
                continue  # a writer swapped generations while we opened: read the new one
            raise IndexCorruptError(f"index at {root} is missing {exc.filename}; run `rag build SEEDS_DIR --rebuild --index {root}` to recover") from exc
        except (RuntimeError, ValueError, KeyError, TypeError, sqlite3.DatabaseError) as exc:
            raise IndexCorruptError(f"index at {root} is damaged ({type(exc).__name__}: {exc}); run `rag build SEEDS_DIR --rebuild --index {root}` to recover") from exc
        if dense.ntotal != manifest["n_chunks"] or len(chunk_vectors) != manifest["n_chunks"]:
            raise IndexCorruptError(f"index at {root} holds {dense.ntotal} vectors for {manifest['n_chunks']} chunks; run `rag build --rebuild` to recover")
        if len(sentence_tokens.offsets) != manifest["n_sentences"] + 1:
            raise IndexCorruptError(f"index at {root} holds token offsets for {len(sentence_tokens.offsets) - 1} sentences, "
                                    f"the manifest says {manifest['n_sentences']}; run `rag build --rebuild` to recover")
        return Index(root, gen, manifest, dense, chunk_vectors, sentence_vectors, bm25, bm25_ids, db, sentence_tokens)
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
class _DocRows:
    record: DocumentRecord
    text: str
    chunks: list[Chunk]
    sentences: list[Span]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_tokens: SentenceTokens
    old_chunk_ids: list[int] | None  # kept for unchanged documents so ids stay stable
    attributions: list[Attribution]  # one per sentence (all the outlet's when sentences are not embedded)


def _reuse_rows(old: Index, record: DocumentRecord) -> _DocRows:
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
    return _DocRows(record, old.document_text(record.doc_id) or "", chunks, sentences, chunk_vectors, sentence_vectors,
                    tokens, [r[0] for r in rows], [Attribution(r[3], r[4], r[5], bool(r[6])) for r in sent_rows])


def token_stopwords() -> frozenset[str]:
    """Wordpieces kept out of the stored sentence tokens: bm25s's English stopwords (what BM25 drops too)."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def _embed(fresh: list[tuple[Document, list[Chunk], list[Span]]], embedder, settings: IndexSettings,
           progress: bool) -> tuple[np.ndarray, np.ndarray, list]:
    """Chunk vectors, sentence vectors and sentence wordpieces of freshly chunked documents.

    By default each chunk and each sentence is encoded (two passes over most words). With `pooled_chunks` only
    each title and sentence goes through the model and a chunk's vector is the mean of its title's and its
    sentences' wordpiece vectors (`pool_groups`): an estimated 0.6x the build time, but dense retrieval on SciFact lost
    0.053 nDCG@10 (hybrid 0.013), so it is a choice for big archives, not the default (eval/EXPERIMENTS.md)."""
    chunk_inputs = [embedding_text(doc.title, c.text) for doc, chunks, _ in fresh for c in chunks]
    if not settings.embed_sentences:
        return embedder.encode(chunk_inputs, progress=progress), np.zeros((0, 0), np.float32), []
    sentences = [t for doc, _, spans in fresh for t in sentence_texts(doc.text, spans)]
    if not settings.pooled_chunks:
        sentence_vectors, tokens = embedder.encode_tokens(sentences, stopwords=token_stopwords(), progress=progress,
                                                          dtype=np.float16)
        return embedder.encode(chunk_inputs, progress=progress), sentence_vectors, tokens
    titles = [doc.title for doc, _, _ in fresh]
    encoded = embedder.encode_sentences(titles + sentences, stopwords=token_stopwords(), progress=progress,
                                        dtype=np.float16)
    groups, first_row = [], len(titles)
    for d, (doc, chunks, spans) in enumerate(fresh):
        for chunk in chunks:
            own = list(range(first_row + chunk.first_sentence, first_row + chunk.last_sentence))
            # The same words `embedding_text` gives the chunk: its title unless the text opens with it.
            groups.append(own if embedding_text(doc.title, chunk.text) == chunk.text else [d, *own])
        first_row += len(spans)
    chunk_vectors = pool_groups(encoded.token_sums, encoded.token_counts, groups)
    return chunk_vectors, encoded.vectors[len(titles):], encoded.tokens[len(titles):]


def embed_documents(docs: Sequence[Document], embedder, settings: IndexSettings, progress: bool = False) -> list[_DocRows]:
    """Chunk, embed and attribute documents: everything a build computes per document (a Ray worker runs this too)."""
    fresh: list[tuple[Document, list[Chunk], list[Span]]] = []
    for doc in docs:
        chunks, spans = chunk_document(doc, chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.overlap_tokens,
                                       fits_model=lambda piece, title=doc.title: embedder.fits(embedding_text(title, piece)))
        fresh.append((doc, chunks, spans))
    chunk_vecs, sent_vecs, sent_tokens = _embed(fresh, embedder, settings, progress)
    # Who says each sentence, read once here: parsing at question time would cost more than the search.
    attributions = (attribute_documents([sentence_texts(doc.text, spans) for doc, _, spans in fresh], progress=progress)
                    if settings.embed_sentences else [[OUTLET] * len(spans) for _, _, spans in fresh])
    parts, ci, si = [], 0, 0
    for (doc, chunks, spans), attributed in zip(fresh, attributions, strict=True):
        n_sent = len(spans) if settings.embed_sentences else 0
        store = (SentenceTokens.of_sentences(sent_tokens[si:si + n_sent], embedder.dimension) if n_sent
                 else SentenceTokens.empty(len(spans), embedder.dimension))
        parts.append(_DocRows(_record_for(doc, len(chunks)), doc.text, chunks, spans, chunk_vecs[ci:ci + len(chunks)],
                              sent_vecs[si:si + n_sent] if n_sent else np.zeros((len(spans), 0), np.float32),
                              store, None, attributed))
        ci += len(chunks)
        si += n_sent
    return parts


def _record_for(doc: Document, n_chunks: int) -> DocumentRecord:
    return DocumentRecord(doc.doc_id, doc.title, doc.source, doc.author, doc.published, doc.url, doc.path, doc.content_hash, n_chunks)


def write_index(
    root: str | Path,
    docs: list[Document],
    embedder,
    settings: IndexSettings,
    *,
    keep_existing: bool = False,
    drop_doc_ids: set[str] | None = None,
    reuse: bool = True,
    progress: bool = True,
    errors: Sequence[IngestError] = (),
    embed=None,
) -> BuildReport:
    """Write a new generation holding `docs` plus kept documents of the current index, then swap it in.

    Documents whose content hash and settings are unchanged reuse their stored vectors; the others are
    chunked and embedded. A full corpus build keeps nothing else; `keep_existing=True` keeps every document
    of the live index except `drop_doc_ids` (incremental add/remove; refused if the live index cannot be
    read or was built with other settings). `reuse=False` re-embeds everything. `embed` replaces
    `embed_documents` for the documents that need embedding (`rag.distributed` runs it on a Ray cluster).

    The manifest remembers the ids a user removed (`drop_doc_ids`), so a later build from the corpus folder
    does not bring them back; indexing a document again (in `docs`) forgets its removal.
    """
    started = time.perf_counter()
    root = Path(root)
    with writer_lock(root):
        old: Index | None = None
        if keep_existing:
            old = open_index(root, settings)  # an unreadable or different index must not be silently replaced
        elif (root / CURRENT_FILE).exists():
            with contextlib.suppress(IndexMissingError, IndexCorruptError, IndexMismatchError):
                old = open_index(root)
        same_settings = reuse and old is not None and old.settings == settings
        old_records = {r.doc_id: r for r in old.documents()} if same_settings else {}

        parts: list[_DocRows] = []
        to_embed: list[Document] = []
        reused: list[str] = []
        for doc in docs:
            prior = old_records.get(doc.doc_id)
            if prior is not None and prior.content_hash == doc.content_hash:
                parts.append(_reuse_rows(old, _record_for(doc, prior.n_chunks)))
                reused.append(doc.doc_id)
            else:
                to_embed.append(doc)
        given = {d.doc_id for d in docs}
        if keep_existing:
            for doc_id in sorted(set(old_records) - given - (drop_doc_ids or set())):
                parts.append(_reuse_rows(old, old_records[doc_id]))

        if to_embed:
            parts.extend((embed or embed_documents)(to_embed, embedder, settings, progress))
        parts.sort(key=lambda p: p.record.doc_id)
        removed = sorted({r.doc_id for r in old.documents()} - {p.record.doc_id for p in parts}) if old is not None else []
        moved = any(old_records[p.record.doc_id].path != p.record.path for p in parts if p.record.doc_id in old_records)
        old_removals = set(old.manifest.get("removed_by_user", [])) if old is not None else set()
        removals = (old_removals | (drop_doc_ids or set())) - given
        if (same_settings and not to_embed and not removed and not moved and len(parts) == len(old_records)
                and removals == old_removals):
            pass  # nothing changed: keep the live generation as it is
        else:
            gen = _write_generation(root, parts, embedder, settings, old, removals)
            _switch_generation(root, gen)
            _remove_stale(root, gen.name)
        if old is not None:
            old.close()
    return BuildReport(
        embedded=[d.doc_id for d in to_embed], reused=reused, removed=removed, errors=[str(e) for e in errors],
        n_chunks=sum(len(p.chunks) for p in parts), n_sentences=sum(len(p.sentences) for p in parts),
        seconds=time.perf_counter() - started, failures={e.path: e.reason for e in errors},
    )


def _write_generation(root: Path, parts: list[_DocRows], embedder, settings: IndexSettings, old: Index | None,
                      removals: set[str] = frozenset()) -> Path:
    import bm25s
    import faiss

    tmp = root / f".tmp-gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        next_id = 0
        if old is not None:
            used = old._query("SELECT max(chunk_id) FROM chunks")[0][0]
            next_id = (used + 1) if used is not None else 0
        db = sqlite3.connect(tmp / STORE_FILE)
        db.executescript(_SCHEMA)
        stories = story_ids([StoryArticle(p.record.doc_id, p.record.published, p.text) for p in parts])
        chunk_ids: list[int] = []
        bm25_texts: list[str] = []
        vector_blocks, sentence_blocks = [], []
        vector_row = sentence_row = 0
        for part in parts:
            rec = part.record
            db.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (rec.doc_id, rec.title, rec.source, rec.author, rec.published, rec.url, rec.path, rec.content_hash,
                        part.text, len(part.chunks), stories[rec.doc_id]))
            db.executemany('INSERT INTO sentences VALUES (?,?,?,?,?,?,?,?)',
                           [(sentence_row + i, rec.doc_id, s.start, s.end, a.speaker, a.side, a.kind, int(a.denial))
                            for i, (s, a) in enumerate(zip(part.sentences, part.attributions, strict=True))])
            for i, chunk in enumerate(part.chunks):
                if part.old_chunk_ids is not None:
                    cid = part.old_chunk_ids[i]
                else:
                    cid, next_id = next_id, next_id + 1
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

        dim = embedder.dimension
        chunk_vectors = np.concatenate(vector_blocks) if vector_blocks else np.zeros((0, dim), np.float32)
        sent_dim = dim if settings.embed_sentences else 0
        sentence_vectors = np.concatenate(sentence_blocks) if sentence_blocks else np.zeros((0, sent_dim), np.float32)
        np.save(tmp / CHUNK_VECTORS_FILE, np.ascontiguousarray(chunk_vectors, dtype=np.float32), allow_pickle=False)
        np.save(tmp / SENTENCE_VECTORS_FILE, np.ascontiguousarray(sentence_vectors, dtype=np.float32), allow_pickle=False)
        tokens = SentenceTokens.join([p.sentence_tokens for p in parts], dim)
        np.save(tmp / SENTENCE_TOKENS_FILE, np.ascontiguousarray(tokens.vectors), allow_pickle=False)
        np.save(tmp / SENTENCE_TOKEN_IDS_FILE, np.ascontiguousarray(tokens.ids), allow_pickle=False)
        np.save(tmp / SENTENCE_TOKEN_OFFSETS_FILE, np.ascontiguousarray(tokens.offsets), allow_pickle=False)

        factory = choose_faiss_factory(len(chunk_ids))
        dense = build_dense_index(chunk_vectors, np.asarray(chunk_ids, dtype=np.int64), factory)
        faiss.write_index(dense, str(tmp / FAISS_FILE))

        (tmp / BM25_DIR).mkdir()
        if bm25_texts:
            bm25 = bm25s.BM25()
            bm25.index(bm25_tokenize(bm25_texts, ids=True), show_progress=False)
            bm25.save(str(tmp / BM25_DIR), show_progress=False)
        np.save(tmp / BM25_DIR / "chunk_ids.npy", np.asarray(chunk_ids, dtype=np.int64), allow_pickle=False)

        files = {}
        for path in sorted(tmp.rglob("*")):
            if path.is_file():
                files[str(path.relative_to(tmp))] = path.stat().st_size
        manifest = {
            "format_version": FORMAT_VERSION,
            "package_version": package_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "settings": asdict(settings),
            "dimension": dim,
            "max_seq_length": embedder.max_seq_length,
            "faiss_index": factory,
            "nprobe": DEFAULT_NPROBE if factory.startswith("IVF") else None,
            "n_documents": len(parts),
            "n_chunks": len(chunk_ids),
            "n_sentences": int(sentence_row),
            "documents": {p.record.doc_id: {"content_hash": p.record.content_hash, "n_chunks": len(p.chunks), "path": p.record.path,
                                            "story": stories[p.record.doc_id]} for p in parts},
            "removed_by_user": sorted(removals),
            "files": files,
        }
        with open(tmp / MANIFEST_FILE, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        for path in tmp.rglob("*"):
            if path.is_file():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
        gen = root / f"gen-{tmp.name.removeprefix('.tmp-gen-')}"
        os.replace(tmp, gen)
        _fsync_dir(root)
        return gen
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
