"""The evaluation runner on small slices, so it cannot rot (full runs: see README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.cli import main
from rag.evaluation import BUDGET_KEY, EvalConfig, evaluate_gold, load_gold

from .conftest import REPO

SCIFACT = REPO.parent / "shared" / "bench" / "scifact"


def test_gold_set_format_and_evidence_exist_in_cleaned_texts(engine):
    questions = load_gold(REPO / "eval" / "gold.jsonl")
    assert len(questions) >= 60
    assert sum(not q.answerable for q in questions) >= 12
    assert {q.split for q in questions} == {"dev", "test"}
    from rag.metrics import contains

    for q in questions:
        for doc_id, quote in q.evidence:
            assert contains(engine.index.document_text(doc_id), quote), (q.id, quote)


def test_blind_set_is_a_frozen_third_split_of_real_evidence(engine):
    questions = load_gold(REPO / "eval" / "gold.jsonl", "blind")
    assert len(questions) >= 60 and sum(not q.answerable for q in questions) >= 20
    assert {q.split for q in questions} == {"blind"} and len({q.id for q in questions}) == len(questions)
    from rag.metrics import contains

    for q in questions:
        assert q.answerable == bool(q.evidence)
        for doc_id, quote in q.evidence:
            assert contains(engine.index.document_text(doc_id), quote), (q.id, quote)
        assert all(any(contains(quote, fact) for _, quote in q.evidence) for fact in q.key_facts), q.id


def test_claim_precision_and_lead_accuracy_in_the_summary(engine):
    questions = [q for q in load_gold(REPO / "eval" / "gold.jsonl", "test") if q.kind == "factoid"][:6]
    summary = evaluate_gold(engine, questions, EvalConfig(), progress=False)["summary"]
    assert 0.0 < summary["claim_precision"] <= 1.0 and 0.0 < summary["lead_accuracy"] <= 1.0
    assert summary["sentences_per_factoid_answer"] >= 1.0


def test_gold_slice_scores(engine):
    questions = [q for q in load_gold(REPO / "eval" / "gold.jsonl", "dev")][:8]
    result = evaluate_gold(engine, questions, EvalConfig(), progress=False)
    summary = result["summary"]
    assert summary["questions"] == 8
    assert summary["citation_validity"] == 1.0
    assert 0.0 <= summary["recall@5"] <= 1.0 and summary["latency_p50_ms"] > 0
    assert all("answer" in row and "recall@5" in row for row in result["questions"] if row["answerable"])
    budget = [row[BUDGET_KEY] for row in result["questions"] if row["answerable"]]
    assert all(0.0 <= value <= 1.0 for value in budget)
    assert summary[BUDGET_KEY] == pytest.approx(sum(budget) / len(budget), abs=1e-4)


@pytest.mark.integration  # loads the model (or builds the wheel) itself
def test_eval_command_writes_reports(tmp_path, capsys):
    code = main(["eval", "--split", "dev", "--limit", "4", "--out", str(tmp_path / "reports"),
                 "--cache", str(tmp_path / "cache"), "--quiet", "--corpus", str(REPO / "seeds"), "--gold", str(REPO / "eval" / "gold.jsonl")])
    assert code == 0
    payload = json.loads((tmp_path / "reports" / "gold-dev.json").read_text())
    assert payload["results"][0]["summary"]["questions"] == 4
    assert "| config |" in (tmp_path / "reports" / "gold-dev.md").read_text()
    assert "recall@5" in capsys.readouterr().out


@pytest.mark.integration  # loads the model (or builds the wheel) itself
def test_beir_slice(tmp_path, capsys):
    if not (SCIFACT / "corpus.jsonl").exists():
        pytest.skip(f"needs SciFact in BEIR format at {SCIFACT} (the team's ../shared/bench); CI has it")
    code = main(["eval", "--beir", str(SCIFACT), "--limit", "5", "--out", str(tmp_path / "reports"),
                 "--cache", str(tmp_path / "cache"), "--quiet"])
    assert code == 0
    payload = json.loads((tmp_path / "reports" / "beir-scifact-limit5.json").read_text())
    assert payload["queries"] == 5 and set(payload["results"]) == {"dense", "bm25", "hybrid"}
    assert all(0.0 <= r["ndcg@10"] <= 1.0 for r in payload["results"].values())
    assert Path(tmp_path / "reports" / "beir-scifact-limit5.md").exists()
