"""Score answer settings over the question sets in one process, the reader's scores cached between settings.

    python eval/reader_sweep.py --set further=0.2,0.4 --set unmentioned=0,1 [--sets gold:dev,gold:test]
        [--weights rag/reader_model]

Each setting is a module constant of `rag.answer.extractive` (or `rag.answer.reader`'s MODEL_DIR via --weights);
every combination is scored on every set and printed as one table row. Decide on the dev sets; the held-out and
blind rows are printed so nobody has to run again to report them, not to choose by.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETS = {"gold:dev": ("eval/gold.jsonl", "dev"), "gold:test": ("eval/gold.jsonl", "test"),
        "gold:blind": ("eval/blind.jsonl", "all"), "ans:dev": ("eval/answerability.jsonl", "dev"),
        "ans:test": ("eval/answerability.jsonl", "test"), "news:dev": ("eval/news_gold.jsonl", "dev"),
        "news:test": ("eval/news_gold.jsonl", "test")}
CONSTANTS = {"abstain": "DEFAULT_ABSTAIN_THRESHOLD",
             "further": "FURTHER_PROBABILITY", "max_sentences": "MAX_SENTENCES",
             "unmentioned": "REFUSE_UNMENTIONED"}
COLUMNS = ("key_fact_accuracy", "claim_precision", "lead_accuracy", "sentences_per_factoid_answer",
           "abstention_recall", "false_abstention_rate")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], help="name=v1,v2 (names: " + ", ".join(CONSTANTS) + ")")
    parser.add_argument("--sets", default="gold:dev,ans:dev", help="comma-separated: " + ", ".join(SETS))
    parser.add_argument("--weights", default=None, help="a reader folder other than the shipped one")
    parser.add_argument("--dump", default=None, help="write each question's answer and abstention here (JSON)")
    args = parser.parse_args(argv)

    import json

    from rag.answer import extractive, reader
    from rag.embedding import Embedder
    from rag.evaluation import EvalConfig, engine_for, evaluate_gold, load_gold

    if args.weights:
        reader.MODEL_DIR = Path(args.weights)
    grid = []
    for item in args.set:
        name, values = item.split("=", 1)
        grid.append([(CONSTANTS[name], float(v) if "." in v else int(v)) for v in values.split(",")])
    engine = engine_for(EvalConfig(), ROOT / "seeds", ROOT / ".cache/eval", Embedder.load())
    cache: dict[tuple[str, str], float] = {}
    loaded = engine.reader

    def cached_scores(question, sentences):
        missing = [s for s in sentences if (question, s) not in cache]
        if missing:
            for s, p in zip(missing, loaded.answer_scores(question, missing)):
                cache[(question, s)] = float(p)
        import numpy as np

        return np.array([cache[(question, s)] for s in sentences], dtype=np.float32)

    engine._reader = type("Cached", (), {"answer_scores": staticmethod(cached_scores),
                                         "entailment": loaded.entailment, "logits": loaded.logits})()
    defaults = {name: getattr(extractive, name) for name in CONSTANTS.values()}
    dump = {}
    print("| setting | set | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for combo in itertools.product(*grid) if grid else [()]:
        for name, value in [*defaults.items(), *combo]:
            setattr(extractive, name, value)
        label = ", ".join(f"{n}={v}" for n, v in combo) or "defaults"
        for key in args.sets.split(","):
            path, split = SETS[key]
            # the engine's ask() reads the threshold default at call time through the constant
            result = evaluate_gold(_Asking(engine, extractive), load_gold(ROOT / path, split), EvalConfig(),
                                   progress=False)
            summary = result["summary"]
            print(f"| {label} | {key} | " + " | ".join(f"{summary[c]:.3f}" for c in COLUMNS) + " |", flush=True)
            dump[f"{label} {key}"] = [{k: r[k] for k in ("id", "question", "answer", "abstained", "abstain_reason",
                                                        "answerable", "lead_correct", "key_fact_recall")}
                                      for r in result["questions"]]
    if args.dump:
        Path(args.dump).write_text(json.dumps(dump, indent=1), encoding="utf-8")
    return 0


class _Asking:
    """The engine with ask() given the threshold constant as it is now (the default argument was bound at import)."""

    def __init__(self, engine, extractive):
        self._engine, self._extractive = engine, extractive

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def ask(self, question, **options):
        return self._engine.ask(question, abstain_threshold=self._extractive.DEFAULT_ABSTAIN_THRESHOLD, **options)


if __name__ == "__main__":
    raise SystemExit(main())
