"""A fake store for unit tests of the layers above it: an in-memory `rag.store.IndexView`, one chunk per article.

Sentence vectors come from a fake embedder (each distinct lower-case word a fixed random direction, the sentence
their normalized sum), so sentences that share their words are close and others are not: enough to test the
answer stage's decisions without the model or an index on disk.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.store import ChunkRecord, DocumentRecord, IndexSettings
from rag.model import OUTLET

DIMENSION = 64


def fake_vector(text: str) -> np.ndarray:
    """The fake embedder: a normalized sum of one fixed random vector per distinct lower-case word."""
    total = np.zeros(DIMENSION, dtype=np.float32)
    for word in set(re.findall(r"[^\W_]+", text.lower())):
        seed = int.from_bytes(word.encode("utf-8")[:8].ljust(8, b"\0"), "little") ^ len(word)
        total += np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)
    norm = float(np.linalg.norm(total))
    return total / norm if norm else total


@dataclass
class FakeArticle:
    doc_id: str
    source: str
    published: str
    sentences: list[str]
    story: str | None = None


class FakeIndex:
    """The IndexView of a few articles: each article one chunk, its sentences consecutive rows."""

    def __init__(self, articles: list[FakeArticle]):
        self.settings = IndexSettings("fake-embedder", 160, 32)
        self._articles = {a.doc_id: a for a in articles}
        self._texts = {a.doc_id: " ".join(a.sentences) for a in articles}
        self._spans: list[tuple[str, int, int]] = []  # (doc_id, start, end) by sentence row
        self._chunks: list[ChunkRecord] = []
        for chunk_id, article in enumerate(articles):
            first, at = len(self._spans), 0
            for sentence in article.sentences:
                self._spans.append((article.doc_id, at, at + len(sentence)))
                at += len(sentence) + 1
            text = self._texts[article.doc_id]
            self._chunks.append(ChunkRecord(chunk_id, article.doc_id, 0, 0, len(text), text, first, len(self._spans),
                                            article.doc_id, article.source, None, article.published, None))
        self.sentence_vectors = np.stack([fake_vector(self._texts[d][s:e]) for d, s, e in self._spans])
        self.chunk_vectors = np.stack([fake_vector(c.text) for c in self._chunks])
        self.sentence_tokens = None  # no wordpiece vectors: callers fall back as for an index without them
        self.manifest = {"n_chunks": len(self._chunks),
                         "documents": {a.doc_id: {"n_chunks": 1, "story": a.story or a.doc_id} for a in articles}}

    @property
    def n_chunks(self) -> int:
        return len(self._chunks)

    @property
    def has_bm25(self) -> bool:
        return False

    @property
    def vocabulary(self):
        return frozenset(w for t in self._texts.values() for w in t.lower().split())

    @property
    def metadata_terms(self) -> frozenset[str]:
        return frozenset()

    def dense_search(self, query_vector, depth, allowed=None):
        scores = self.chunk_vectors @ query_vector
        order = [int(i) for i in np.argsort(-scores, kind="stable") if allowed is None or i in set(allowed)]
        return [(i, float(scores[i])) for i in order[:depth]]

    def bm25_search(self, terms, depth, allowed=None):
        return []

    def has_term(self, term: str) -> bool:
        return term in self.vocabulary

    def chunks(self, chunk_ids):
        return [self._chunks[i] for i in chunk_ids if 0 <= i < len(self._chunks)]

    def chunk_vector_rows(self, chunk_ids):
        return list(chunk_ids)

    def vector_and_sentence_rows(self, chunk_ids):
        return [(i, self._chunks[i].first_sentence_row, self._chunks[i].last_sentence_row) for i in chunk_ids]

    def chunk_ids_where(self, sources, date_from, date_to):
        return np.array([c.chunk_id for c in self._chunks if not sources or c.source in sources], dtype=np.int64)

    def sentence_spans(self, first_row, last_row):
        return [(row, *self._spans[row][1:]) for row in range(first_row, last_row)]

    def sentence_row_at(self, doc_id, offset):
        return next((row for row, (d, s, e) in enumerate(self._spans) if d == doc_id and s <= offset < e), None)

    def attributions(self, rows):
        return {row: OUTLET for row in rows}

    def document_text(self, doc_id):
        return self._texts.get(doc_id)

    def documents(self):
        return [DocumentRecord(a.doc_id, a.doc_id, a.source, None, a.published, None, a.doc_id, a.doc_id, 1,
                               a.story or a.doc_id) for a in self._articles.values()]

    def sources(self):
        return {a.source for a in self._articles.values()}

    def stories(self, doc_ids):
        return {d: self._articles[d].story or d for d in doc_ids if d in self._articles}

    def other_copies(self, doc_ids):
        return {}

    def undated_count(self):
        return 0

    def newest_published(self):
        return max(a.published for a in self._articles.values())
