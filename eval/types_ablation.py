"""Ablate the answer-type recogniser (rag/answer/types.py) one kind at a time: for each kind of slot ("count",
"person", ...), questions that expect it are treated as untyped (no type match in the lead choice, no
"wrong-kind" refusal), and every question set is scored as `eval/reader_sweep.py` scores it.

    python eval/types_ablation.py [--sets gold:dev,gold:test,gold:blind,ans:dev,ans:test] [--kinds count,person]

Prints one table row per (ablation, set). A kind whose removal changes no held-out or blind figure is a rule to
delete (the guide: a rule that changes no held-out or blind figure is deleted).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reader_sweep import COLUMNS, SETS  # noqa: E402  (the same sets and figures as the sweep)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="gold:dev,gold:test,gold:blind,ans:dev,ans:test")
    parser.add_argument("--kinds", default=None, help="comma-separated kinds to ablate (default: each, then all)")
    args = parser.parse_args(argv)
    from rag.answer import extractive, types
    from rag.embedding import Embedder
    from rag.evaluation import EvalConfig, engine_for, evaluate_gold, load_gold

    engine = engine_for(EvalConfig(), ROOT / "seeds", ROOT / ".cache/eval", Embedder.load())
    original = types.expected_slot
    kinds = args.kinds.split(",") if args.kinds else list(types.KINDS)
    ablations = [("none", frozenset()), *((k, frozenset([k])) for k in kinds), ("all", frozenset(types.KINDS))]
    print("| without | set | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for label, off in ablations:
        def expected(question, off=off):
            slot = original(question)
            return None if slot is not None and slot.kind in off else slot
        extractive.expected_slot = expected
        for key in args.sets.split(","):
            path, split = SETS[key]
            summary = evaluate_gold(engine, load_gold(ROOT / path, split), EvalConfig(), progress=False)["summary"]
            print(f"| {label} | {key} | " + " | ".join(f"{summary[c]:.3f}" for c in COLUMNS) + " |", flush=True)
    extractive.expected_slot = original
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
