"""Load: 8 concurrent gradio_client clients call the running app's /ask endpoint on loopback for 60 s.

Run: .venv/bin/python benchmarks/load.py [--clients 8] [--seconds 60]   (bounded in time and count; loopback only)
Starts app.py on a free 127.0.0.1 port (index built first), reports errors, p50/p95 latency and throughput,
and writes benchmarks/results/load.json. Exit code 1 if any call failed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

from appserver import REPO, start_app, stop_app

QUESTIONS = [
    "Which missile system were Russian personnel trained in Iran to operate?",
    "What did Ned Price say about Iran and Russia?",
    "How do Iranian drones reach Russia?",
    "What is the population of Tehran?",
    "Which news agency reported Iran's denial?",
    "What does Iran get from Russia in return for drones?",
    "When did the US and Britain accuse Iran of supplying missiles?",
    "What did France's foreign minister say about NATO guarantees?",
]
MAX_CALLS = 100_000  # a hard bound besides the time limit


def run_load(url: str, clients: int, seconds: float) -> dict:
    """Drive the endpoint from `clients` threads until the deadline; collect latencies and errors."""
    from gradio_client import Client

    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    counter = itertools.count()
    lock = threading.Lock()

    def worker(offset: int) -> None:
        client = Client(url, verbose=False)
        i = offset
        while time.perf_counter() < deadline and next(counter) < MAX_CALLS:
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            started = time.perf_counter()
            try:
                result = client.predict(question, api_name="/ask")
                if not isinstance(result, dict) or "answer" not in result:
                    raise ValueError(f"unexpected result {str(result)[:120]}")
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    ms = np.asarray(latencies) * 1000
    return {"clients": clients, "seconds": round(elapsed, 1), "calls": len(latencies), "errors": len(errors),
            "error_samples": errors[:5], "throughput_per_s": round(len(latencies) / elapsed, 2),
            "p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
            "p95_ms": round(float(np.percentile(ms, 95)), 1) if len(ms) else None,
            "mean_ms": round(statistics.fmean(ms), 1) if len(ms) else None}


def main() -> int:
    """Start the app, load it, stop it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default=str(REPO / "seeds"))
    parser.add_argument("--index", default=str(REPO / "index"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--out", default="benchmarks/results/load.json")
    args = parser.parse_args()

    from rag import RAG

    RAG.build(args.corpus, args.index, progress=False)
    process, url, _ = start_app(args.corpus, args.index)
    try:
        result = run_load(url, args.clients, args.seconds)
    finally:
        stop_app(process)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 1 if result["errors"] or not result["calls"] else 0


if __name__ == "__main__":
    sys.exit(main())
