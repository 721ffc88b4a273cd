"""How long the CLI takes for commands that need no model (`--help`, `docs`) and for a cold `ask`,
against loading the model alone; with --app, `rag ask` answered by a running app on the same index (issue 30's
"≤ 1 s, median of 10 calls"). Medians of several runs, in one run of this script.

    .venv/bin/python benchmarks/cli_speed.py [--runs 5] [--app]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"


def seconds(argv: list[str]) -> float:
    """Wall time of one command in a fresh process."""
    started = time.perf_counter()
    subprocess.run(argv, cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--index", default="index")
    parser.add_argument("--app", action="store_true", help="only `rag ask` through a running app, 10 calls")
    args = parser.parse_args()
    if args.app:
        return through_app(args.index)
    rag = [sys.executable, "-m", "rag.cli"]
    commands = {
        "rag --help": rag + ["--help"],
        "rag docs": rag + ["docs", "--index", args.index],
        "rag ask (cold)": rag + ["ask", "Which missile system were Russian personnel trained in Iran to operate?",
                                 "--index", args.index],
        "python: import torch + load the model": [sys.executable, "-c",
                                                  "from rag.embedding import Embedder; Embedder.load().encode_query('x')"],
    }
    subprocess.run(rag + ["build", "seeds", "--index", args.index], cwd=REPO, check=True, capture_output=True)
    out = {name: round(statistics.median(seconds(argv) for _ in range(args.runs)), 2) for name, argv in commands.items()}
    out["ask minus model load"] = round(out["rag ask (cold)"] - out["python: import torch + load the model"], 2)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cli_speed.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return 0


def through_app(index: str) -> int:
    """`rag ask` 10 times while the app serves the index: the first call (the app loading its reader) and the median."""
    sys.path.insert(0, str(Path(__file__).parent))
    from appserver import start_app, stop_app

    question = "Which missile system were Russian personnel trained in Iran to operate?"
    process, _, _ = start_app(REPO / "seeds", REPO / index)
    try:
        calls = [seconds([sys.executable, "-m", "rag.cli", "ask", question, "--index", index]) for _ in range(10)]
    finally:
        stop_app(process)
    out = {"first": round(calls[0], 2), "median of 10": round(statistics.median(calls), 2)}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
