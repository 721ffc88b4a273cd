"""Build throughput on this machine: a local build against `rag build --ray` with 1 and 2 workers.

Run: .venv/bin/python benchmarks/ray_build.py [--docs 400] [--scifact ../shared/bench/scifact]
SciFact abstracts (the first --docs) are built from scratch three ways in one run: locally (torch on every core),
and on a local Ray cluster (started here, 2 CPUs) with 1 and with 2 actors of one thread each. Each Ray figure
includes starting the actors and loading one model per actor; Ray's own start is timed apart. Reports documents
and sentences per second and the overhead against the local build. Writes benchmarks/results/ray_build.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> None:
    """Time the three builds."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--scifact", default="../shared/bench/scifact")
    parser.add_argument("--out", default="benchmarks/results/ray_build.json")
    args = parser.parse_args()

    import ray

    from rag.distributed import connect, ray_embedder
    from rag.embedding import Embedder
    from rag.engine import canonical_model
    from rag.evaluation import beir_documents, load_beir
    from rag.build import WritePlan, write_index
    from rag.store import IndexSettings

    docs = beir_documents(load_beir(args.scifact)[0][: args.docs])
    embedder = Embedder.load()
    embedder.encode(["warm up"] * 32)
    settings = IndexSettings(canonical_model(embedder.name), 160, 32, embed_sentences=True,
                             pooled_chunks=False)  # the two-pass build docs/SCALE.md reports
    work = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    runs = {}

    def timed(name: str, embed=None) -> None:
        started = time.perf_counter()
        report = write_index(work / name, docs, embedder, settings, WritePlan(embed=embed), progress=False)
        seconds = time.perf_counter() - started
        runs[name] = {"seconds": round(seconds, 1), "documents_per_s": round(len(docs) / seconds, 2),
                      "sentences_per_s": round(report.n_sentences / seconds, 1), "chunks": report.n_chunks,
                      "sentences": report.n_sentences}
        print(name, json.dumps(runs[name]), flush=True)

    timed("local")
    started = time.perf_counter()
    connect(None, 2)
    ray_start_s = time.perf_counter() - started
    timed("ray, 1 worker", ray_embedder(workers=1))
    timed("ray, 2 workers", ray_embedder(workers=2))
    ray.shutdown()
    for name in ("ray, 1 worker", "ray, 2 workers"):
        runs[name]["vs_local"] = round(runs[name]["seconds"] / runs["local"]["seconds"], 3)
    result = {"documents": len(docs), "cpus": os.cpu_count(), "ray_start_s": round(ray_start_s, 1), "runs": runs}
    shutil.rmtree(work, ignore_errors=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
