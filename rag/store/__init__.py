"""The store: segments (FAISS, BM25 postings, a SQLite chunk store, vectors) in immutable generations switched atomically.

Layout of an index folder::

    index/CURRENT              name of the live generation (replaced atomically)
    index/gen-<stamp>/manifest.json          segments, the documents deleted from each, settings, file sizes
    index/gen-<stamp>/segments/seg-<stamp>/  chunks.sqlite, dense.faiss, chunk_vectors.npy, chunk_ids.npy,
                     sentence_vectors.npy, sentence_tokens.npy (+ _ids, _offsets: each sentence's content
                     wordpiece vectors, float16), bm25/ (postings, no pickle), signatures.npy (MinHash)

An update writes a new generation beside the live one: one new segment for what it adds, the unchanged
segments hard-linked (no bytes copied), deletions recorded in the manifest; then it swaps CURRENT, so a crash
at any moment leaves the previous index intact. Merges (see segments.plan_merge) are written the same way.

Modules: `records` (settings, document and chunk records, format version), `generations` (CURRENT, the writer
lock, the atomic switch, the manifest), `segments` (one segment's files), `bm25` (postings and the one BM25
tokenizer), `reader` (`Index` behind the `IndexView` protocol, `open_index`), `writer` (rows in, files out, no
model), `stories` (near-duplicate articles grouped as one report, kept in the manifest).
"""

from .bm25 import bm25_tokenize, token_stopwords
from .generations import (current_generation, read_manifest, refused_writes, remove_stale, switch_generation,
                          writer_lock)
from .reader import Index, IndexView, open_index
from .records import (CURRENT_FILE, FORMAT_VERSION, MANIFEST_FILE, SEGMENTS_DIR, BuildReport, ChunkRecord, DocumentRecord,
                      IndexSettings, package_version)
from .segments import SentenceTokens, plan_merge
from .writer import Contents, DocRows, VectorShape, kept_segments, merge_segments, record_for, reuse_rows, write_generation

__all__ = [
    "CURRENT_FILE", "FORMAT_VERSION", "MANIFEST_FILE", "SEGMENTS_DIR", "BuildReport", "ChunkRecord", "Contents", "DocRows",
    "DocumentRecord", "Index", "IndexSettings", "IndexView", "SentenceTokens", "bm25_tokenize", "current_generation",
    "kept_segments", "merge_segments", "open_index", "package_version", "plan_merge", "read_manifest", "record_for", "refused_writes",
    "remove_stale", "reuse_rows", "switch_generation", "token_stopwords", "VectorShape", "write_generation", "writer_lock",
]
