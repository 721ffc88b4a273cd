"""Enrich: what a build computes for each new or changed document, before the store writes it.

Chunks (tiktoken windows of whole sentences), vectors (one model pass over titles and sentences; a chunk's vector
pooled from them), each sentence's content wordpieces, who says each sentence (a spaCy parse) and the text's
MinHash signature, as the store's `DocRows`. A helper thread chunks and parses while the model encodes. A Ray
worker runs `embed_documents` too (rag.distributed), so a cluster build gives the same rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from .attribution import attribute_documents
from .chunking import Chunk, Span, chunk_document, embedding_text, sentence_texts
from .documents import Document
from .embedding import pool_vectors
from .store import DocRows, IndexSettings, SentenceTokens, record_for, token_stopwords
from .model import OUTLET, Attribution
from .store.stories import signature


def _embed(fresh: list[tuple[Document, list[Chunk], list[Span]]], embedder, settings: IndexSettings,
           progress: bool) -> tuple[np.ndarray, np.ndarray, list]:
    """Chunk vectors, sentence vectors and sentence wordpieces of freshly chunked documents.

    By default (`pooled_chunks`) only each title and sentence goes through the model, and a chunk's vector is the
    mean of its title's and sentences' vectors (`pool_vectors`): one pass over the words. Answers on the question
    sets were as with each chunk encoded too (two passes), within one question on dev; SciFact dense nDCG@10 with
    the best-sentence blend fell 0.0025 (eval/EXPERIMENTS.md). An index without sentences encodes its chunks."""
    chunk_inputs = [embedding_text(doc.title, c.text) for doc, chunks, _ in fresh for c in chunks]
    if not settings.embed_sentences:
        return embedder.encode(chunk_inputs, progress=progress), np.zeros((0, 0), np.float32), []
    sentences = [t for doc, _, spans in fresh for t in sentence_texts(doc.text, spans)]
    if not settings.pooled_chunks:
        sentence_vectors, tokens = embedder.encode_tokens(sentences, stopwords=token_stopwords(), progress=progress,
                                                          dtype=np.float16)
        return embedder.encode(chunk_inputs, progress=progress), sentence_vectors, tokens
    titles = [doc.title for doc, _, _ in fresh]
    vectors, tokens = embedder.encode_tokens(titles + sentences, stopwords=token_stopwords(), progress=progress,
                                             dtype=np.float16)
    groups, first_row = [], len(titles)
    for d, (doc, chunks, spans) in enumerate(fresh):
        for chunk in chunks:
            own = list(range(first_row + chunk.first_sentence, first_row + chunk.last_sentence))
            # The same words `embedding_text` gives the chunk: its title unless the text opens with it.
            groups.append(own if embedding_text(doc.title, chunk.text) == chunk.text else [d, *own])
        first_row += len(spans)
    return pool_vectors(vectors, groups), vectors[len(titles):], tokens[len(titles):]


def chunk_documents(docs: Sequence[Document], embedder, settings: IndexSettings) -> list[tuple[Document, list[Chunk], list[Span]]]:
    """Each document with its chunks and sentence spans, as a build cuts them (within the model's own limit)."""
    return [(doc, *chunk_document(doc, chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.overlap_tokens,
                                  fits_model=lambda piece, title=doc.title: embedder.fits(embedding_text(title, piece))))
            for doc in docs]


DOCUMENTS_PER_BLOCK = 128  # documents chunked, encoded and parsed together in a build
FIRST_BLOCK_DOCUMENTS = 8  # a small first block: the model starts after chunking 8 documents, not 128


def embed_documents(docs: Sequence[Document], embedder, settings: IndexSettings, progress: bool = False) -> list[DocRows]:
    """Chunk, embed and attribute documents: everything a build computes per document (a Ray worker runs this too).

    A helper thread chunks the next block of documents, then parses the speakers, while the model encodes. On 2
    cores the model leaves little idle (SciFact slice: 90.8 s against 93.4 s for the stages one after another,
    eval/EXPERIMENTS.md); with cores to spare the chunking and parsing leave the build's critical path. Each
    block's results are exactly what a single pass over all documents gives."""
    from concurrent.futures import ThreadPoolExecutor

    from tqdm.auto import tqdm

    def read_speakers(fresh) -> tuple[list[list[Attribution]], list[np.ndarray]]:
        # Who says each sentence, read once here: parsing at question time would cost more than the search.
        if not settings.embed_sentences:
            speakers = [[OUTLET] * len(spans) for _, _, spans in fresh]
        else:
            speakers = attribute_documents([sentence_texts(doc.text, spans) for doc, _, spans in fresh])
        return speakers, [signature(doc.text) for doc, _, _ in fresh]

    cuts = [0, *range(min(FIRST_BLOCK_DOCUMENTS, len(docs)), len(docs), DOCUMENTS_PER_BLOCK), len(docs)]
    blocks = [docs[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
    helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-build")
    parts: list[DocRows] = []
    try:
        # One worker runs its tasks in order: every block is chunked before any speakers are parsed.
        chunked = [helper.submit(chunk_documents, block, embedder, settings) for block in blocks]
        embedded = []
        with tqdm(total=len(docs), desc="Embedding", unit="doc", disable=not progress) as bar:
            for future in chunked:
                fresh = future.result()
                speakers = helper.submit(read_speakers, fresh)
                embedded.append((fresh, _embed(fresh, embedder, settings, False), speakers))
                bar.update(len(fresh))
        for fresh, (chunk_vecs, sent_vecs, sent_tokens), speakers in embedded:
            parts += _doc_rows(fresh, chunk_vecs, sent_vecs, sent_tokens, *speakers.result(), embedder, settings)
    finally:
        helper.shutdown(wait=True, cancel_futures=True)  # an error or interrupt drops the blocks not yet started
    return parts


def _doc_rows(fresh, chunk_vecs, sent_vecs, sent_tokens, attributions, signatures,
              embedder, settings: IndexSettings) -> list[DocRows]:
    """The rows of each freshly embedded document, cut from its block's arrays."""
    parts, ci, si = [], 0, 0
    for (doc, chunks, spans), attributed, text_signature in zip(fresh, attributions, signatures, strict=True):
        n_sent = len(spans) if settings.embed_sentences else 0
        store = (SentenceTokens.of_sentences(sent_tokens[si:si + n_sent], embedder.dimension) if n_sent
                 else SentenceTokens.empty(len(spans), embedder.dimension))
        parts.append(DocRows(record_for(doc, len(chunks)), doc.text, chunks, spans, chunk_vecs[ci:ci + len(chunks)],
                              sent_vecs[si:si + n_sent] if n_sent else np.zeros((len(spans), 0), np.float32),
                              store, None, attributed, text_signature))
        ci += len(chunks)
        si += n_sent
    return parts


def read_speakers_again(parts: list[DocRows], *, progress: bool = False) -> list[DocRows]:
    """Rows kept from an index read with another attribution version, their speakers read again."""
    speakers = attribute_documents([sentence_texts(p.text, p.sentences) for p in parts], progress=progress)
    return [dataclasses.replace(p, attributions=a) for p, a in zip(parts, speakers, strict=True)]
