"""Chunking invariants: exact spans, whole sentences, overlap, and the model's own length limit."""

from __future__ import annotations

import pytest

from rag.chunking import chunk_document, count_tokens, embedding_text, split_sentences
from rag.documents import Document, list_article_files, read_documents
from rag.errors import RagError

from .conftest import SEEDS


@pytest.fixture(scope="module")
def seed_docs():
    return read_documents(list_article_files(SEEDS))[0]


def test_abbreviations_do_not_split_sentences():
    text = "The U.S. said on Sept. 7 that Gen. Smith left Washington. Iran denied it."
    spans = split_sentences(text)
    assert [text[s.start:s.end] for s in spans] == ["The U.S. said on Sept. 7 that Gen. Smith left Washington.", "Iran denied it."]


def test_sentence_spans_cover_the_seed_texts(seed_docs):
    for doc in seed_docs:
        spans = split_sentences(doc.text)
        assert all(doc.text[s.start:s.end].strip() == doc.text[s.start:s.end] for s in spans)
        covered = "".join(doc.text[s.start:s.end] for s in spans)
        assert covered.replace(" ", "").replace("\n", "") == doc.text.replace(" ", "").replace("\n", "")


@pytest.mark.parametrize(("size", "overlap"), [(160, 32), (64, 16), (300, 0)])
def test_chunks_reproduce_document_text_and_respect_size(seed_docs, embedder, size, overlap):
    for doc in seed_docs:
        chunks, _ = chunk_document(doc, chunk_tokens=size, overlap_tokens=overlap,
                                   fits_model=lambda t, d=doc: embedder.fits(embedding_text(d.title, t)))
        assert chunks
        for chunk in chunks:
            assert doc.text[chunk.start:chunk.end] == chunk.text
            assert chunk.doc_id == doc.doc_id
            assert count_tokens(chunk.text) <= size
        assert chunks[0].start == 0 and chunks[-1].end == len(doc.text.rstrip())
        for before, after in zip(chunks, chunks[1:]):
            assert after.start > before.start  # always moving forward
            assert after.start <= before.end + 2  # contiguous or overlapping: no text skipped
            if overlap:
                assert after.start < before.end or after.first_sentence == before.last_sentence


def test_no_chunk_exceeds_the_model_limit(embedder):
    # Long "words" tokenize to many wordpieces: tiktoken alone would let this chunk overflow the model.
    sentence = " ".join(["Xq7zvw-Ukr9-Ptl3"] * 40) + "."
    doc = Document("long", "Title", "Title\n\n" + " ".join([sentence] * 6))
    chunks, _ = chunk_document(doc, chunk_tokens=400, overlap_tokens=0,
                               fits_model=lambda t: embedder.fits(embedding_text(doc.title, t)))
    assert len(chunks) > 1
    for chunk in chunks:
        assert embedder.count_tokens([embedding_text(doc.title, chunk.text)])[0] <= embedder.max_seq_length
        assert doc.text[chunk.start:chunk.end] == chunk.text


def test_seed_chunks_fit_the_model(seed_docs, embedder):
    for doc in seed_docs:
        chunks, _ = chunk_document(doc, fits_model=lambda t, d=doc: embedder.fits(embedding_text(d.title, t)))
        lengths = embedder.count_tokens([embedding_text(doc.title, c.text) for c in chunks])
        assert max(lengths) <= embedder.max_seq_length


def test_invalid_settings_are_refused():
    doc = Document("d", "T", "T\n\nSome text here.")
    with pytest.raises(RagError, match="overlap_tokens"):
        chunk_document(doc, chunk_tokens=50, overlap_tokens=50)
    with pytest.raises(RagError, match="chunk_tokens"):
        chunk_document(doc, chunk_tokens=4)


def test_bracket_runs_do_not_hang_the_splitter():
    # pysbd alone takes seconds at 8 groups and doubles per group (pySBD issue 79)
    text = "Intro.. [" + " ".join(["111"] * 40) + "] and then more text. Next sentence."
    spans = split_sentences(text)
    assert "".join(text[s.start:s.end] for s in spans).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("body", ["-" * 600, "x" * 3000, "https://example.com/" + "a/" * 700, "東京" * 500])
def test_runs_without_spaces_are_cut_to_fit_the_model(embedder, body):
    doc = Document("odd", "Odd", "Odd\n\nBefore it. " + body + " After it.")
    # embedder.fits is the checker the build uses; it skips counting only for texts too short to overflow
    chunks, _ = chunk_document(doc, chunk_tokens=160, overlap_tokens=0,
                               fits_model=lambda t: embedder.fits(embedding_text(doc.title, t)))
    for chunk in chunks:
        assert embedder.count_tokens([embedding_text(doc.title, chunk.text)])[0] <= embedder.max_seq_length
        assert count_tokens(chunk.text) <= 160
        assert doc.text[chunk.start:chunk.end] == chunk.text
    assert "".join(c.text for c in chunks).replace(" ", "").endswith("Afterit.")
