"""Updates at scale (issue 19): add and remove one article, and search across many segments, on the
1M-passage setup of benchmarks/scale.py, through the real API (RAG.add / RAG.remove / RAG.merge, bundled model).

Steps: write N synthetic passages as one segment (scale.build); open it with RAG.load and the real model; add a
seed article and remove it again, three times with different articles (each timed); add 19 small articles with
automatic merging off, giving 20 segments; time dense, BM25 and hybrid search there; merge every segment into
one (timed) and time the same searches; dense recall@10 of the 20-segment index against the merged one.

Run: .venv/bin/python benchmarks/segments.py [--passages 1000000] [--queries 200]
Writes benchmarks/results/segments.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
REPO = Path(__file__).resolve().parent.parent

from scale import build, load_seed_vectors, realistic_vectors, synthetic_passages, synthetic_vectors, timed_ms  # noqa: E402


def search_times(engine, query_texts, query_vectors, passes: int = 3) -> dict:
    """Median over passes of each search kind's p50 (ms)."""
    from rag.retrieval import SearchOptions, bm25_candidates, dense_candidates, search_index

    index = engine.index
    kinds = {"dense": lambda j: dense_candidates(index, query_vectors[j], 10),
             "bm25": lambda j: bm25_candidates(index, query_texts[j], 40),
             "hybrid": lambda j: search_index(index, query_texts[j], query_vectors[j], SearchOptions(k=5))}
    out = {}
    for name, fn in kinds.items():
        p50s = [float(np.median(timed_ms(fn, range(len(query_texts))))) for _ in range(passes)]
        out[name + "_p50_ms"] = round(float(np.median(p50s)), 3)
    return out


def main() -> None:
    """Run the update benchmark once."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed-vectors", default=".cache/bench/scifact-sentence-vectors.npy")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--out", default="benchmarks/results/segments.json")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rag import RAG
    from rag.embedding import Embedder, configure_runtime
    from rag.retrieval import dense_candidates

    configure_runtime()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="rag-segments-"))
    rng = np.random.default_rng(args.passages)
    seeds = load_seed_vectors(args.seed_vectors)
    vectors = realistic_vectors(args.passages, rng, seeds) if seeds is not None else synthetic_vectors(args.passages, rng)
    passages = synthetic_passages(args.passages, rng, [f"w{i:05d}" for i in range(50_000)])
    root = workdir / "index"
    build_s = build(root, vectors, passages)
    print(f"built {args.passages} passages in {build_s:.1f} s", flush=True)
    picks = rng.choice(args.passages, args.queries, replace=False)
    query_texts = [" ".join(passages[i].split()[:6]) for i in picks]
    query_vectors = (realistic_vectors(args.queries, np.random.default_rng(1), seeds) if seeds is not None
                     else vectors[picks])
    del vectors, passages

    embedder = Embedder.load()
    engine = RAG.load(root, embedder=embedder)
    engine.auto_merge = False
    engine.search("warm up the model", k=1)
    articles = sorted((REPO / "seeds").glob("*.txt"))
    add_s, remove_s = [], []
    for article in articles[:3]:
        started = time.perf_counter()
        engine.add([article])
        add_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        engine.remove([article.stem])
        remove_s.append(time.perf_counter() - started)
        print(f"add {add_s[-1]:.2f} s, remove {remove_s[-1]:.2f} s", flush=True)
    one_segment = search_times(engine, query_texts, query_vectors)
    extra = workdir / "extra"
    extra.mkdir()
    for i in range(19):
        source = articles[i % len(articles)]
        path = extra / f"zz_{i:02d}.txt"
        path.write_text(f"Copy {i}\n\n" + source.read_text(encoding="utf-8"), encoding="utf-8")
        engine.add([path])
    n_segments = len(engine.index.segments)
    segmented = search_times(engine, query_texts, query_vectors)
    segmented_hits = [{i for i, _ in dense_candidates(engine.index, q, 10)} for q in query_vectors]
    started = time.perf_counter()
    engine.merge([s.name for s in engine.index.segments])
    merge_s = time.perf_counter() - started
    merged = search_times(engine, query_texts, query_vectors)
    merged_hits = [{i for i, _ in dense_candidates(engine.index, q, 10)} for q in query_vectors]
    recall = float(np.mean([len(a & b) / max(len(b), 1) for a, b in zip(segmented_hits, merged_hits)]))
    result = {
        "passages": args.passages, "build_s": round(build_s, 1),
        "add_one_article_s": [round(x, 2) for x in add_s], "remove_one_article_s": [round(x, 2) for x in remove_s],
        "add_median_s": round(float(np.median(add_s)), 2), "remove_median_s": round(float(np.median(remove_s)), 2),
        "search_before_updates": one_segment, "segments": n_segments, "search_with_segments": segmented,
        "merge_all_s": round(merge_s, 1), "search_merged": merged,
        "hybrid_ratio_segments_vs_merged": round(segmented["hybrid_p50_ms"] / merged["hybrid_p50_ms"], 3),
        "dense_ratio_segments_vs_merged": round(segmented["dense_p50_ms"] / merged["dense_p50_ms"], 3),
        "bm25_ratio_segments_vs_merged": round(segmented["bm25_p50_ms"] / merged["bm25_p50_ms"], 3),
        "dense_recall@10_segments_vs_merged": round(recall, 4),
    }
    print(json.dumps(result, indent=2), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
