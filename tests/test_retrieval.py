"""Retrieval: fusion math (pure, hand-computed), filters, modes and de-duplication."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rag import QueryError
from rag.retrieval import (SearchOptions, best_sentence_scores, blend_sentence_scores, near_duplicate_mask,
                           reciprocal_rank_fusion, relative_score_fusion)


def test_reciprocal_rank_fusion_matches_hand_computation():
    fused = dict(reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[2] == pytest.approx(1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert [i for i, _ in reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)] == [1, 3, 2]


def test_relative_score_fusion_normalizes_each_list():
    fused = dict(relative_score_fusion([[(1, 0.9), (2, 0.5), (3, 0.1)], [(3, 10.0), (4, 5.0), (1, 0.0)]]))
    assert fused[1] == pytest.approx(1.0 + 0.0)
    assert fused[2] == pytest.approx(0.5)
    assert fused[3] == pytest.approx(0.0 + 1.0)
    assert fused[4] == pytest.approx(0.5)
    weighted = dict(relative_score_fusion([[(1, 2.0), (2, 1.0)], [(2, 3.0), (1, 1.0)]], weights=[0.25, 0.75]))
    assert weighted[2] == pytest.approx(0.75) and weighted[1] == pytest.approx(0.25)


def test_near_duplicate_mask_keeps_the_first_of_a_pair():
    a = np.array([1.0, 0.0, 0.0])
    b = np.array([0.999, 0.04, 0.0]) / np.linalg.norm([0.999, 0.04, 0.0])
    c = np.array([0.0, 1.0, 0.0])
    assert near_duplicate_mask(np.stack([a, b, c])).tolist() == [False, True, False]
    assert near_duplicate_mask(np.stack([a, c])).tolist() == [False, False]


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_finds_the_ap_passage(engine, mode):
    hits = engine.search("Fath-360 close-range ballistic missile training in Iran", k=3, mode=mode)
    assert "003_0321a4552254fa38" in [h.doc_id for h in hits]
    assert all(h.text == engine.index.document_text(h.doc_id)[h.start:h.end] for h in hits)


def test_source_filter(engine):
    hits = engine.search("drones sent to Russia", k=5, sources=["Patriot News Alerts"])
    assert hits and {h.source for h in hits} == {"Patriot News Alerts"}


def test_date_filter_includes_partial_dates_by_overlap(engine):
    hits = engine.search("missile defense shield", k=10, date_from="2011-09-05", date_to="2011-09-30")
    assert hits and {h.doc_id for h in hits} == {"001_ef6f6a18ba0eff60"}
    recent = engine.search("missile", k=10, date_from="2024-01-01")
    assert {h.published[:4] for h in recent} == {"2024"}
    assert engine.search("missile", k=5, date_from="2030-01-01") == []


def test_no_passage_is_returned_twice(engine):
    hits = engine.search("Iran drones Russia partnership", k=10)
    assert len({h.chunk_id for h in hits}) == len(hits)
    vectors = np.asarray(engine.index.chunk_vectors[engine.index.chunk_vector_rows([h.chunk_id for h in hits])])
    sims = vectors @ vectors.T - np.eye(len(hits)) * 2
    assert sims.max() < 0.97


def test_bad_requests_raise_query_errors(engine):
    with pytest.raises(QueryError, match="mode"):
        engine.search("drones", mode="fuzzy")
    with pytest.raises(QueryError, match="k=0"):
        engine.search("drones", k=0)
    with pytest.raises(QueryError, match="empty"):
        engine.search("   ")
    assert engine.search("zzzzqqq xxyyzz", k=3, mode="bm25") == []


def test_maximal_marginal_relevance_prefers_a_diverse_second_pick():
    from rag.retrieval import maximal_marginal_relevance

    vectors = np.array([[1.0, 0.0], [0.99, 0.141], [0.0, 1.0]])
    relevance = np.array([1.0, 0.95, 0.6])
    assert maximal_marginal_relevance(relevance, vectors, 2, lambda_=1.0) == [0, 1]
    assert maximal_marginal_relevance(relevance, vectors, 2, lambda_=0.5) == [0, 2]
    assert maximal_marginal_relevance(np.array([]), np.zeros((0, 2)), 3) == []


def test_maximal_marginal_relevance_matches_the_textbook_definition():
    from rag.retrieval import maximal_marginal_relevance

    def textbook(rel, vectors, k, lam):  # redundancy is the max similarity to any row already chosen
        rel = (rel - rel.min()) / (rel.max() - rel.min())
        chosen = [int(np.argmax(rel))]
        while len(chosen) < k:
            gains = [-np.inf if i in chosen else lam * rel[i] - (1 - lam) * max(vectors[i] @ vectors[j] for j in chosen)
                     for i in range(len(rel))]
            chosen.append(int(np.argmax(gains)))
        return chosen

    rng = np.random.default_rng(7)
    for _ in range(20):
        vectors = rng.normal(size=(12, 4))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        relevance = rng.random(12)
        for lam in (0.3, 0.7, 0.9):
            assert maximal_marginal_relevance(relevance, vectors, 6, lambda_=lam) == textbook(relevance, vectors, 6, lam)


def test_mmr_search_spreads_over_documents(engine):
    plain = engine.search("Iran drones Russia", k=5, mmr_lambda=None)
    diverse = engine.search("Iran drones Russia", k=5, mmr_lambda=0.3)
    assert len({h.doc_id for h in diverse}) > len({h.doc_id for h in plain})


def test_mmr_lambda_one_is_plain_relevance_and_out_of_range_is_an_error(engine):
    from rag import QueryError

    plain = [h.chunk_id for h in engine.search("Iran drones Russia", k=5, mmr_lambda=None)]
    assert [h.chunk_id for h in engine.search("Iran drones Russia", k=5, mmr_lambda=1.0)] == plain
    with pytest.raises(QueryError, match="mmr_lambda=1.5"):
        engine.search("Iran drones Russia", mmr_lambda=1.5)


def test_the_first_five_of_a_deeper_search_are_the_five_an_answer_reads(engine):
    # `rag eval` scores recall@5 from a search for 10; the answer stage reads a search for 5.
    from .conftest import REPO

    for line in (REPO / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        question = json.loads(line)["question"]
        five = [h.chunk_id for h in engine.search(question, k=5)]
        assert [h.chunk_id for h in engine.search(question, k=10)][:5] == five, question


def test_partial_dates_cover_their_whole_period(engine):
    # 001 is dated "2011-09"; 003 is 2024-09-10: a partial bound includes its whole month or year
    assert {h.doc_id for h in engine.search("missile", k=10, date_from="2011-09", date_to="2011-09")} == {"001_ef6f6a18ba0eff60"}
    assert "003_0321a4552254fa38" in {h.doc_id for h in engine.search("missile", k=10, date_to="2024-09")}
    assert "003_0321a4552254fa38" not in {h.doc_id for h in engine.search("missile", k=10, date_to="2024-08")}


@pytest.mark.parametrize("bad", ["2024-13", "2024-02-30", "yesterday"])
def test_impossible_dates_are_query_errors(engine, bad):
    with pytest.raises(QueryError, match="YYYY"):
        engine.search("missile", date_from=bad)


def test_k_larger_than_the_index_returns_what_there_is(engine):
    hits = engine.search("missile", k=500)
    assert 0 < len(hits) <= engine.index.n_chunks
    with pytest.raises(QueryError, match="out of range"):
        engine.search("missile", k=100_000)


def test_unknown_source_lists_the_known_ones(engine):
    with pytest.raises(QueryError) as info:
        engine.search("missile", sources=["associated press"])
    assert "'associated press'" in str(info.value) and "'Associated Press'" in str(info.value)


def test_filters_that_match_nothing_give_an_abstention(engine):
    answer = engine.ask("What did Blinken say?", sources=["Associated Press"], date_from="2030-01-01")
    assert answer.abstained and answer.citations == []


def test_best_sentence_scores_take_the_max_of_each_range():
    scores = np.array([0.1, 0.9, 0.3, 0.5, 0.2], dtype=np.float32)
    best = best_sentence_scores(scores, [(0, 2), (2, 5), (5, 5)])
    assert best[:2].tolist() == pytest.approx([0.9, 0.5]) and best[2] == -np.inf


def test_blend_sentence_scores_lifts_a_passage_with_one_strong_sentence():
    passage = np.array([0.6, 0.5])
    sentence = np.array([0.6, 0.9])  # the second passage holds one sentence close to the query
    assert blend_sentence_scores(passage, sentence).tolist() == pytest.approx([0.6, 0.7])
    assert blend_sentence_scores(passage, sentence, weight=0.0).tolist() == pytest.approx(passage.tolist())


def test_dense_scores_blend_each_passage_with_its_best_sentence(engine):
    from rag.retrieval import sentence_aware_candidates

    index = engine.index
    vector = engine.embedder.encode_query("Which body of water do the drones cross?")
    ids = [p.chunk_id for p in engine.search("Which body of water do the drones cross?", k=5, mode="dense")]
    blended = dict(sentence_aware_candidates(index, vector, ids))
    for record in index.chunks(ids):
        rows = [row for row, _, _ in index.sentence_spans(record.first_sentence_row, record.last_sentence_row)]
        best = float((np.asarray(index.sentence_vectors[rows]) @ vector).max())
        passage = float(np.asarray(index.chunk_vectors[index.chunk_vector_rows([record.chunk_id])])[0] @ vector)
        assert blended[record.chunk_id] == pytest.approx(0.5 * passage + 0.5 * best, abs=1e-5)
    assert list(blended.values()) == sorted(blended.values(), reverse=True)


def test_hybrid_weighs_sentence_aware_dense_scores_more(engine):
    from rag.retrieval import (SENTENCE_AWARE_DENSE_WEIGHT, bm25_candidates, dense_candidates, search_index,
                               sentence_aware_candidates)

    question = "What is Moscow handing Tehran in return for the unmanned aircraft?"
    index, vector = engine.index, engine.embedder.encode_query(question)
    lexical = bm25_candidates(index, question, 40)
    dense = sentence_aware_candidates(index, vector, list(dict.fromkeys(
        [i for i, _ in dense_candidates(index, vector, 40)] + [i for i, _ in lexical])))
    hits = search_index(index, question, vector, SearchOptions(k=8, dedup=False, mmr_lambda=None))
    expected = relative_score_fusion([dense, lexical], weights=[SENTENCE_AWARE_DENSE_WEIGHT,
                                                                1.0 - SENTENCE_AWARE_DENSE_WEIGHT])[:8]
    equal = relative_score_fusion([dense, lexical])[:8]
    assert [h.chunk_id for h in hits] == [i for i, _ in expected]
    assert [h.score for h in hits] == pytest.approx([s for _, s in expected])
    assert [i for i, _ in expected] != [i for i, _ in equal]  # the weight changes this ranking
