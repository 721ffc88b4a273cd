"""Writing an index: rows in, files out, no model. One immutable segment for what an update adds
(`_write_segment`), a generation of the kept segments plus that one (`write_generation`), merges of segments
(`merge_segments`). Each step is looked up through this module when it runs, so the reliability tests'
failpoints (tests/crash_worker.py) can stop a write at any of them."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..chunking import Chunk, Span, embedding_text
from ..documents import Document
from ..model import Attribution
from .bm25 import bm25_tokenize, postings_from_ids, save_postings
from .generations import fsync_dir, remove_stale, switch_generation, writer_lock
from .reader import Index, open_index
from .records import (DEFAULT_NPROBE, EXACT_SEARCH_LIMIT, FORMAT_VERSION, MANIFEST_FILE, SEGMENTS_DIR, DocumentRecord,
                      IndexSettings, package_version)
from .segments import (BM25_DIR, CHUNK_IDS_FILE, CHUNK_VECTORS_FILE, FAISS_FILE, SCHEMA, SENTENCE_TOKEN_IDS_FILE,
                       SENTENCE_TOKEN_OFFSETS_FILE, SENTENCE_TOKENS_FILE, SENTENCE_VECTORS_FILE, SIGNATURES_FILE,
                       STORE_FILE, SentenceTokens, plan_merge)
from .stories import group_stories, signature


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
    rows, sent_rows = old.stored_rows(record.doc_id)
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
            shape = VectorShape(int(old.manifest["dimension"]), int(old.manifest["max_seq_length"]))
            contents = Contents(kept, parts, frozenset(old.manifest.get("removed_by_user", [])))
            gen = write_generation(root, contents, shape, old.settings, old)
            switch_generation(root, gen)
            remove_stale(root, gen.name)
            return chosen
        finally:
            old.close()


@dataclass(frozen=True)
class VectorShape:
    """What the writer reads of an embedder (an Embedder has both): the vectors' dimension and the model's longest
    input, recorded in the manifest. A write that embeds nothing (a merge, a removal) needs no model, only this."""

    dimension: int
    max_seq_length: int


@dataclass(frozen=True)
class Contents:
    """What a new generation holds: the live generation's segments kept as they are (`kept`, their manifest entries
    with deletions as given; linked, not copied), one new segment of `new_parts`, and the ids a user removed."""

    kept: list[dict]
    new_parts: list[DocRows]
    removals: frozenset[str] = frozenset()


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link every file of an immutable segment folder into a new generation (no bytes copied)."""
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, destination)


def _store_rows(db: sqlite3.Connection, parts: list[DocRows], vector_base: int, sentence_base: int,
                next_chunk_id: int) -> tuple[list[int], list[str], list[np.ndarray], list[np.ndarray], int, int]:
    """Insert the parts' documents, sentences and chunks; returns the chunk ids, their BM25 texts, the vector
    blocks of chunks and of sentences, the next free sentence row and the next free chunk id."""
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
    return chunk_ids, bm25_texts, vector_blocks, sentence_blocks, sentence_row, next_chunk_id


def _write_segment(folder: Path, parts: list[DocRows], dim: int, settings: IndexSettings, *, name: str,
                   vector_base: int, sentence_base: int, next_chunk_id: int) -> tuple[dict, int]:
    """Write one immutable segment holding `parts`; returns its manifest entry and the next free chunk id."""
    import faiss

    folder.mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(folder / STORE_FILE)) as db:  # closed also when the disk is full
        db.executescript(SCHEMA)
        rows = _store_rows(db, parts, vector_base, sentence_base, next_chunk_id)
        db.commit()
    chunk_ids, bm25_texts, vector_blocks, sentence_blocks, sentence_row, next_chunk_id = rows

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


def write_generation(root: Path, contents: Contents, shape: VectorShape, settings: IndexSettings,
                     old: Index | None) -> Path:
    """Write a generation of `contents`: the kept segments (linked from `old`) plus one new segment."""
    kept, new_parts, removals = contents.kept, contents.new_parts, contents.removals
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
            meta, next_chunk_id = _write_segment(tmp / SEGMENTS_DIR / name, new_parts, shape.dimension, settings, name=name,
                                                 vector_base=counters["vector_row"], sentence_base=counters["sentence_row"],
                                                 next_chunk_id=counters["chunk_id"])
            counters = {"chunk_id": next_chunk_id, "vector_row": counters["vector_row"] + meta["n_chunks"],
                        "sentence_row": counters["sentence_row"] + meta["n_sentences"]}
            segments.append(meta)
        documents = _documents_and_stories(old, kept, new_parts, segments[-1]["name"] if new_parts else None)
        manifest = {
            "format_version": FORMAT_VERSION,
            "package_version": package_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "settings": asdict(settings),
            "dimension": shape.dimension,
            "max_seq_length": shape.max_seq_length,
            "faiss_index": max(segments, key=lambda m: m["n_chunks"])["faiss_index"] if segments else "IDMap2,Flat",
            "n_documents": len(documents),
            "n_chunks": sum(d["n_chunks"] for d in documents.values()),
            "n_sentences": sum(d["n_sentences"] for d in documents.values()),
            "documents": dict(sorted(documents.items())),
            "removed_by_user": sorted(removals),
            "segments": segments,
            "next": counters,
            "files": {str(path.relative_to(tmp)): path.stat().st_size for path in sorted(tmp.rglob("*")) if path.is_file()},
        }
        _write_durably(tmp, manifest, tmp / SEGMENTS_DIR / segments[-1]["name"] if new_parts else None)
        gen = root / f"gen-{tmp.name.removeprefix('.tmp-gen-')}"
        os.replace(tmp, gen)
        fsync_dir(root)
        return gen
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _documents_and_stories(old: Index | None, kept: list[dict], new_parts: list[DocRows],
                           new_segment: str | None) -> dict[str, dict]:
    """The manifest entries of a generation's live documents (the kept ones from the old manifest, the new
    segment's from its parts), each with the story it belongs to, grouped over the whole generation."""
    documents: dict[str, dict] = {}
    grouping: list[tuple[str, str | None, np.ndarray]] = []
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
    for part in new_parts:
        rec = part.record
        documents[rec.doc_id] = {"content_hash": rec.content_hash, "n_chunks": len(part.chunks), "path": rec.path,
                                 "published": rec.published, "n_sentences": len(part.sentences),
                                 "segment": new_segment}
        grouping.append((rec.doc_id, rec.published, part.signature))
    for doc_id, story in group_stories(grouping).items():
        documents[doc_id]["story"] = story
    return documents


def _write_durably(tmp: Path, manifest: dict, fresh: Path | None) -> None:
    """Write the manifest and make the generation folder durable: the manifest, the new segment's files (`fresh`;
    linked files were made durable when their segment was first written) and every folder's entries."""
    with open(tmp / MANIFEST_FILE, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    if fresh is not None:
        for path in fresh.rglob("*"):
            if path.is_file():
                with open(path, "rb") as handle:
                    os.fsync(handle.fileno())
    for folder in [tmp, *sorted(p for p in tmp.rglob("*") if p.is_dir())]:
        fsync_dir(folder)
