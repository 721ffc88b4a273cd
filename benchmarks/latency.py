"""Query latency: encode-only vs search() vs ask(), p50/p95 over the gold questions, in one run.

Run: .venv/bin/python benchmarks/latency.py [--index index] [--corpus seeds] [--repeats 5] [--beir ../shared/bench/scifact]
Builds the index from --corpus first when it is missing (incremental otherwise). Prints a Markdown table
and writes benchmarks/results/latency.json. Timings are medians over repeats; compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def percentile_ms(samples: list[float], q: float) -> float:
    """The q-th percentile of samples (seconds) in milliseconds."""
    return float(np.percentile(np.asarray(samples) * 1000, q))


def time_calls(fn, queries: list[str], repeats: int) -> list[float]:
    """Per-call seconds over all queries, repeated; the first pass warms caches and is discarded."""
    for q in queries[:5]:
        fn(q)
    samples = []
    for _ in range(repeats):
        for q in queries:
            started = time.perf_counter()
            fn(q)
            samples.append(time.perf_counter() - started)
    return samples


def machine() -> dict:
    """What the numbers were measured on."""
    import torch

    return {"python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "platform": platform.platform()}


def measure(name: str, engine, queries: list[str], repeats: int) -> dict:
    """encode / search / ask percentiles for one corpus, and the ask/encode ratio."""
    results = {}
    for call, fn in (("encode question", engine.embedder.encode_query),
                     ("search() hybrid", lambda q: engine.search(q, k=5)),
                     ("ask() hybrid", lambda q: engine.ask(q, k=5))):
        samples = time_calls(fn, queries, repeats)
        results[call] = {"p50_ms": round(percentile_ms(samples, 50), 2), "p95_ms": round(percentile_ms(samples, 95), 2),
                         "mean_ms": round(statistics.fmean(samples) * 1000, 2), "calls": len(samples)}
    ratio = results["ask() hybrid"]["p50_ms"] / results["encode question"]["p50_ms"]
    # The reader's share of ask(): its forward passes timed inside the same asks.
    reader, spent = engine.reader, []
    logits = reader.logits

    def timed(pairs):
        started = time.perf_counter()
        try:
            return logits(pairs)
        finally:
            spent[-1] += time.perf_counter() - started
    reader.logits = timed
    asked = []
    for q in queries:
        spent.append(0.0)
        started = time.perf_counter()
        engine.ask(q, k=5)
        asked.append(time.perf_counter() - started)
    reader.logits = logits
    share = sum(spent) / sum(asked)
    results["reader within ask()"] = {"p50_ms": round(percentile_ms(spent, 50), 2),
                                      "p95_ms": round(percentile_ms(spent, 95), 2),
                                      "mean_ms": round(statistics.fmean(spent) * 1000, 2), "calls": len(spent)}
    print(f"\n{name}: {len(queries)} questions x {repeats} repeats on {engine.index.n_chunks} chunks")
    print("| call | p50 ms | p95 ms |\n|---|---|---|")
    for call, r in results.items():
        print(f"| {call} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} |")
    print(f"ask() p50 / encode p50 = {ratio:.2f}; the reader's share of ask() time = {share:.2f}", flush=True)
    return {"corpus": name, "queries": len(queries), "repeats": repeats, "chunks": engine.index.n_chunks,
            "results": results, "ask_p50_over_encode_p50": round(ratio, 2), "reader_share_of_ask": round(share, 3)}


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", default="index")
    parser.add_argument("--corpus", default="seeds")
    parser.add_argument("--gold", default="eval/gold.jsonl")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--beir", default=None, help="also measure on this BEIR dataset's queries ...")
    parser.add_argument("--beir-index", default=".cache/bench/scifact-index", help="... with this index of it (benchmarks/build_speed.py keeps one)")
    parser.add_argument("--beir-queries", type=int, default=100)
    parser.add_argument("--out", default="benchmarks/results/latency.json")
    args = parser.parse_args()

    from rag import RAG
    from rag.evaluation import load_beir, load_gold

    engine = RAG.build(args.corpus, args.index, progress=False)
    runs = [measure("seeds", engine, [q.question for q in load_gold(args.gold)], args.repeats)]
    if args.beir:
        beir_engine = RAG.load(args.beir_index, embedder=engine.embedder)
        queries = list(load_beir(args.beir)[1].values())[: args.beir_queries]
        runs.append(measure(Path(args.beir).name, beir_engine, queries, max(1, args.repeats // 2)))
    payload = {"machine": machine(), "runs": runs}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
