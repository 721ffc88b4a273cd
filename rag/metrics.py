"""Evaluation metrics: pure functions of lists and dicts (IR measures computed by pytrec_eval)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from .text import CITATION_RE, cited_numbers, normalize

_MARKER_RE = re.compile(r"\s*" + CITATION_RE.pattern)


def contains(haystack: str, needle: str) -> bool:
    """Whether needle occurs in haystack after normalization."""
    return normalize(needle) in normalize(haystack)


def strip_markers(answer_text: str) -> str:
    """Answer text without its [n] citation markers."""
    return _MARKER_RE.sub("", answer_text)


# ---------------------------------------------------------------- retrieval, independent of chunking


def evidence_run(passages: Sequence[tuple[str, str]], evidence: Sequence[tuple[str, str]]) -> dict[str, float]:
    """A pytrec_eval run for one query in which relevant items are evidence quotes, not chunk ids.

    `passages` are (doc_id, text) in rank order; `evidence` are (doc_id, quote). A passage is relevant
    when it holds a not-yet-found quote of its document; each quote counts once, at its first passage.
    Non-relevant passages get ids of their own, so rank positions are kept.
    """
    run: dict[str, float] = {}
    found: set[int] = set()
    n = len(passages)
    for rank, (doc_id, text) in enumerate(passages):
        score = float(n - rank)
        hits = [j for j, (ev_doc, quote) in enumerate(evidence) if j not in found and ev_doc == doc_id and contains(text, quote)]
        if not hits:
            run[f"p{rank}"] = score
        for offset, j in enumerate(hits):
            found.add(j)
            run[f"ev{j}"] = score - offset * 1e-3  # several quotes in one passage share its rank
    return run


def evidence_recall(passages: Sequence[tuple[str, str]], evidence: Sequence[tuple[str, str]]) -> float:
    """Fraction of evidence quotes (doc_id, quote) held by a passage (doc_id, text) of the same document."""
    if not evidence:
        return 1.0
    found = evidence_run(passages, evidence).keys() & evidence_qrels(evidence).keys()  # the same matching as recall@k
    return len(found) / len(evidence)


def passages_within_budget(lengths: Sequence[int], budget: int) -> int:
    """How many passages, taken in rank order, fit in `budget` tokens together."""
    used = 0
    for n, length in enumerate(lengths):
        used += length
        if used > budget:
            return n
    return len(lengths)


def evidence_qrels(evidence: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Relevance judgments matching evidence_run: every evidence quote is one relevant item."""
    return {f"ev{j}": 1 for j in range(len(evidence))}


def ir_measures(qrels: Mapping[str, Mapping[str, int]], run: Mapping[str, Mapping[str, float]],
                ks: Sequence[int] = (1, 3, 5, 10)) -> dict[str, dict[str, float]]:
    """Per-query recall@k, MRR (reciprocal rank) and nDCG@10 from pytrec_eval."""
    import pytrec_eval

    measures = {f"recall.{','.join(map(str, ks))}", "recip_rank", "ndcg_cut.10"}
    evaluator = pytrec_eval.RelevanceEvaluator({q: dict(r) for q, r in qrels.items()}, measures)
    raw = evaluator.evaluate({q: dict(r) for q, r in run.items() if q in qrels})
    out: dict[str, dict[str, float]] = {}
    for query, values in raw.items():
        row = {f"recall@{k}": values[f"recall_{k}"] for k in ks}
        row["mrr"] = values["recip_rank"]
        row["ndcg@10"] = values["ndcg_cut_10"]
        out[query] = row
    for query in qrels:  # a query with no run at all scores zero, not missing
        out.setdefault(query, {**{f"recall@{k}": 0.0 for k in ks}, "mrr": 0.0, "ndcg@10": 0.0})
    return out


def mean_measures(per_query: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Mean of each measure over queries."""
    if not per_query:
        return {}
    keys = next(iter(per_query.values())).keys()
    return {key: float(np.mean([row[key] for row in per_query.values()])) for key in keys}


# ---------------------------------------------------------------- answers


def key_fact_recall(answer_text: str, key_facts: Sequence[str]) -> float:
    """Fraction of key facts present in the answer text (markers removed)."""
    if not key_facts:
        return 1.0
    text = strip_markers(answer_text)
    return sum(contains(text, fact) for fact in key_facts) / len(key_facts)


def citation_validity(answer_text: str, citations: Sequence[tuple[int, str, int, int, str]],
                      documents: Mapping[str, str]) -> bool:
    """Every [n] names a listed citation, every listed one is used, and each is real article text.

    `citations` are (n, doc_id, start, end, text); `documents` maps doc_id to its cleaned text.
    """
    listed = {n for n, *_ in citations}
    used = set(cited_numbers(answer_text))
    if used != listed:
        return False
    return all(documents.get(doc_id, "")[start:end] == text and text for _, doc_id, start, end, text in citations)


def citation_support(claims: Sequence[tuple[str, int]], citations: Mapping[int, str]) -> float:
    """Fraction of claims (sentence, n) whose cited passage text contains the sentence itself."""
    if not claims:
        return 1.0
    return sum(bool(citations.get(n)) and contains(citations[n], sentence) for sentence, n in claims) / len(claims)


def evidence_support(cited_passages: Sequence[tuple[str, str]], evidence: Sequence[tuple[str, str]]) -> bool:
    """Whether some cited passage (doc_id, text) holds one of the gold evidence quotes."""
    return any(doc == ev_doc and contains(text, quote) for doc, text in cited_passages for ev_doc, quote in evidence)


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float]:
    """Precision and recall of abstaining on unanswerable questions, and false abstentions on answerable ones."""
    abstained = np.asarray(abstained, dtype=bool)
    answerable = np.asarray(answerable, dtype=bool)
    unanswerable = ~answerable
    n_abstained = int(abstained.sum())
    correct = int((abstained & unanswerable).sum())
    return {
        "abstention_precision": correct / n_abstained if n_abstained else 1.0,
        "abstention_recall": correct / int(unanswerable.sum()) if unanswerable.any() else 1.0,
        "false_abstention_rate": int((abstained & answerable).sum()) / int(answerable.sum()) if answerable.any() else 0.0,
    }


def latency_percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p95 latency in milliseconds."""
    if not len(seconds):
        return {"latency_p50_ms": 0.0, "latency_p95_ms": 0.0}
    values = np.asarray(seconds, dtype=np.float64) * 1000
    return {"latency_p50_ms": float(np.percentile(values, 50)), "latency_p95_ms": float(np.percentile(values, 95))}


# ---------------------------------------------------------------- claims


def claim_is_precise(quoted: str, generated: str, doc_id: str, evidence: Sequence[tuple[str, str]],
                     key_facts: Sequence[str]) -> bool:
    """Whether a claim holds gold evidence or a key fact.

    `quoted` is the article text the claim stands on (the claim itself when extractive, the passage sentence
    that supports it when generated); `generated` is the claim as the reader sees it.
    """
    holds_evidence = any(ev_doc == doc_id and (contains(quoted, quote) or contains(quote, quoted))
                         for ev_doc, quote in evidence)
    return holds_evidence or any(contains(generated, fact) or contains(quoted, fact) for fact in key_facts)


def lead_holds_key_facts(claim_texts: Sequence[str], key_facts: Sequence[str]) -> bool:
    """Whether the answer's first claim alone holds every key fact (what a reader who stops there gets)."""
    return bool(claim_texts) and key_fact_recall(claim_texts[0], key_facts) == 1.0
