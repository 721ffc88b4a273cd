"""Metrics against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from rag import metrics


def test_normalize_unifies_quotes_case_and_space():
    assert metrics.normalize("Iran’s  “full\nfledged”  Pact") == "iran's \"full fledged\" pact"
    assert metrics.contains("He said: “It is a “troubling pattern.”", 'a "troubling pattern."')


def test_evidence_run_is_chunking_independent():
    evidence = [("a", "quote one"), ("b", "quote two")]
    passages = [("a", "nothing here"), ("b", "xx Quote  two yy"), ("a", "... quote one ..."), ("a", "quote one again")]
    run = metrics.evidence_run(passages, evidence)
    assert run == {"p0": 4.0, "ev1": 3.0, "ev0": 2.0, "p3": 1.0}  # a quote counts once, at its first passage


def test_evidence_recall_counts_quotes_found_in_passages_of_their_own_document():
    evidence = [("a", "quote one"), ("b", "quote two"), ("b", "quote three")]
    assert metrics.evidence_recall([("a", "Quote  ONE."), ("a", "quote two")], evidence) == pytest.approx(1 / 3)
    assert metrics.evidence_recall([("b", "quote two, quote three"), ("a", "quote one")], evidence) == 1.0
    assert metrics.evidence_recall([], evidence) == 0.0


@pytest.mark.parametrize("lengths, budget, fitting", [
    ([300, 300, 300], 800, 2),  # the third would overflow
    ([300, 500, 1], 800, 2),  # exactly full: not one token more
    ([900, 10], 800, 0),  # a first passage longer than the budget is not read at all
    ([], 800, 0),
])
def test_passages_within_budget(lengths, budget, fitting):
    assert metrics.passages_within_budget(lengths, budget) == fitting


def test_ir_measures_hand_computed():
    qrels = {"q": metrics.evidence_qrels([("a", "x"), ("b", "y")])}
    run = {"q": {"p0": 3.0, "ev1": 2.0, "ev0": 1.0}}
    scores = metrics.ir_measures(qrels, run, ks=(1, 3))["q"]
    assert scores["recall@1"] == 0.0 and scores["recall@3"] == 1.0
    assert scores["mrr"] == pytest.approx(0.5)
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3)
    assert scores["ndcg@10"] == pytest.approx(dcg / idcg, abs=1e-4)


def test_query_without_run_scores_zero():
    scores = metrics.ir_measures({"q": {"ev0": 1}}, {}, ks=(1,))
    assert scores["q"] == {"recall@1": 0.0, "mrr": 0.0, "ndcg@10": 0.0}


def test_key_facts_ignore_markers_and_case():
    answer = "Russians trained on the Fath-360 [1] with a range of 120 kilometers [2]"
    assert metrics.key_fact_recall(answer, ["fath-360", "120 kilometers"]) == 1.0
    assert metrics.key_fact_recall(answer, ["Fath-360", "Kursk"]) == 0.5
    assert metrics.strip_markers("range [1] of 120 [2]") == "range of 120"


def test_citation_validity():
    docs = {"d": "Alpha beta. Gamma delta."}
    good = [(1, "d", 0, 11, "Alpha beta.")]
    assert metrics.citation_validity("Alpha beta. [1]", good, docs)
    assert not metrics.citation_validity("Alpha beta. [2]", good, docs)  # [2] is not listed
    assert not metrics.citation_validity("Alpha beta.", good, docs)  # listed but never used
    assert not metrics.citation_validity("Alpha beta. [1]", [(1, "d", 0, 11, "Alpha BETA.")], docs)  # not real text


def test_citation_and_evidence_support():
    assert metrics.citation_support([("Gamma delta.", 1), ("Nope.", 2)], {1: "Alpha beta. Gamma delta.", 2: "Other."}) == 0.5
    assert metrics.evidence_support([("d", "Alpha beta. Gamma delta.")], [("d", "gamma delta")])
    assert not metrics.evidence_support([("e", "Alpha beta. Gamma delta.")], [("d", "gamma delta")])


def test_abstention_scores():
    scores = metrics.abstention_scores(abstained=[True, True, False, False, True], answerable=[False, True, True, True, False])
    assert scores["abstention_precision"] == pytest.approx(2 / 3)
    assert scores["abstention_recall"] == 1.0
    assert scores["false_abstention_rate"] == pytest.approx(1 / 3)


def test_latency_percentiles():
    p = metrics.latency_percentiles([0.010, 0.020, 0.030, 0.040, 0.100])
    assert p["latency_p50_ms"] == pytest.approx(30.0)
    assert p["latency_p95_ms"] == pytest.approx(88.0)
