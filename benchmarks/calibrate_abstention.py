"""Calibrate the abstention rule on the DEV half of the gold set only, then report it on both halves.

Grid over the out-of-corpus-term penalty and the threshold; pick the setting that abstains on the most
unanswerable dev questions while abstaining on at most 5% of answerable dev questions.
Run: .venv/bin/python benchmarks/calibrate_abstention.py [--index .cache/eval/index-160-32]
"""

from __future__ import annotations

import argparse

import numpy as np

from rag import RAG
from rag.answer.extractive import Question, rank_sentences
from rag.evaluation import load_gold


def signals(engine, questions, k: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(best sentence score, out-of-corpus term rate, answerable, answer slot filled) per question."""
    best, unknown, answerable, filled = [], [], [], []
    for q in questions:
        vector = engine.embedder.encode_query(q.question)
        passages = engine.search(q.question, k=k)
        ranked = rank_sentences(engine.index, Question(q.question, vector), passages)
        best.append(ranked.best_score)
        unknown.append(ranked.unknown_rate)
        answerable.append(q.answerable)
        filled.append(ranked.slot_filled)
    return np.array(best), np.array(unknown), np.array(answerable, dtype=bool), np.array(filled, dtype=bool)


def rates(conf: np.ndarray, answerable: np.ndarray, threshold: float, filled: np.ndarray | None = None) -> tuple[float, float]:
    """(abstention recall on unanswerable, false-abstention rate on answerable); an unfilled answer slot abstains too."""
    abstain = conf < threshold
    if filled is not None:
        abstain = abstain | ~filled
    return float(abstain[~answerable].mean()), float(abstain[answerable].mean())


def main() -> None:
    """Grid-search on dev, report dev and test."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", default=".cache/eval/index-160-32")
    parser.add_argument("--gold", default="eval/gold.jsonl")
    parser.add_argument("--max-false", type=float, default=0.05)
    args = parser.parse_args()
    engine = RAG.load(args.index)
    dev = signals(engine, load_gold(args.gold, "dev"))
    test = signals(engine, load_gold(args.gold, "test"))
    best = None
    for weight in np.arange(0.0, 1.01, 0.05):
        conf = dev[0] - weight * dev[1]
        for threshold in np.unique(np.round(conf, 4)):
            recall, false = rates(conf, dev[2], threshold, dev[3])
            if false <= args.max_false and (best is None or recall > best[0] or (recall == best[0] and false < best[1])):
                best = (recall, false, float(weight), float(threshold))
    recall, false, weight, threshold = best
    print(f"chosen on dev: unknown_weight={weight:.2f} threshold={threshold:.4f}")
    for name, (b, u, a, filled) in (("dev", dev), ("test", test)):
        r, f = rates(b - weight * u, a, threshold, filled)
        print(f"{name}: abstention recall {r:.3f}, false abstentions {f:.3f} ({int(a.sum())} answerable, {int((~a).sum())} unanswerable)")


if __name__ == "__main__":
    main()
