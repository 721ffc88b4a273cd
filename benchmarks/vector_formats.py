"""Memory, disk and recall per passage for the FAISS index kinds a large archive would choose between.

Run: .venv/bin/python benchmarks/vector_formats.py [--n 200000] [--seed-vectors PATH.npy]
Vectors are embedding-like (random mixtures of two real MiniLM vectors plus small noise, as benchmarks/scale.py
makes them; the real vectors come from --seed-vectors, or are encoded from SciFact sentences when it is absent).
Per kind: bytes per passage of the serialized index, training and adding seconds, single-query search p50 on one
thread, and recall@10 against exact search, for fresh queries near the corpus. Writes benchmarks/results/vector_formats.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def real_vectors(path: str | None, scifact: str, n: int = 6000) -> np.ndarray:
    """Real MiniLM vectors: from a .npy file, else SciFact sentences encoded now (and saved beside the results)."""
    if path and Path(path).exists():
        return np.load(path).astype(np.float32)
    from rag.chunking import split_sentences
    from rag.embedding import Embedder
    from rag.evaluation import load_beir

    corpus = load_beir(scifact)[0]
    sentences = []
    for _, title, text in corpus:
        sentences += [title] + [text[s.start:s.end] for s in split_sentences(text)]
        if len(sentences) >= n:
            break
    vectors = Embedder.load().encode(sentences[:n])
    if path:
        np.save(path, vectors, allow_pickle=False)
    return vectors


def measure(factory: str, vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, nprobe: int) -> dict:
    """Build one index kind and measure it."""
    import faiss

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    index = faiss.index_factory(vectors.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    if not index.is_trained:
        sample = vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), 100_000), replace=False)]
        index.train(sample)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    index.add(vectors)
    add_s = time.perf_counter() - started
    if "IVF" in factory:
        faiss.extract_index_ivf(index).nprobe = nprobe
    if factory.endswith("RFlat"):
        faiss.downcast_index(index).k_factor = 4  # re-rank 4x the asked-for hits with the exact vectors
    size = len(faiss.serialize_index(index))
    faiss.omp_set_num_threads(1)
    _, found = index.search(queries, 10)
    recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]))
    times = []
    for q in queries[:200]:
        started = time.perf_counter()
        index.search(q.reshape(1, -1), 10)
        times.append((time.perf_counter() - started) * 1000)
    return {"index": factory, "nprobe": nprobe if "IVF" in factory else None, "bytes_per_passage": round(size / len(vectors), 1),
            "train_s": round(train_s, 2), "add_s": round(add_s, 2), "search_p50_ms": round(statistics.median(times), 3),
            "recall@10": round(recall, 4)}


def main() -> None:
    """Measure flat, IVF and IVF-PQ at one size."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed-vectors", default=".cache/bench/scifact-sentence-vectors.npy")
    parser.add_argument("--scifact", default="../shared/bench/scifact")
    parser.add_argument("--out", default="benchmarks/results/vector_formats.json")
    args = parser.parse_args()

    import faiss

    from scale import realistic_vectors  # benchmarks/scale.py, beside this script

    Path(args.seed_vectors).parent.mkdir(parents=True, exist_ok=True)
    seeds = real_vectors(args.seed_vectors, args.scifact)
    vectors = realistic_vectors(args.n, np.random.default_rng(1), seeds)
    queries = realistic_vectors(args.queries, np.random.default_rng(2), seeds)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    _, truth = exact.search(queries, 10)
    nlist = 2 ** int(round(np.log2(4 * np.sqrt(args.n))))
    rows = [measure("Flat", vectors, queries, truth, 0)]
    for factory in (f"IVF{nlist},Flat", f"IVF{nlist},SQ8", f"IVF{nlist},PQ48", f"IVF{nlist},PQ96"):
        for nprobe in (16, 64):
            rows.append(measure(factory, vectors, queries, truth, nprobe))
            print(json.dumps(rows[-1]), flush=True)
    rows.append(measure(f"IVF{nlist},PQ48,RFlat", vectors, queries, truth, 64))  # PQ shortlist re-ranked exactly
    result = {"passages": args.n, "dimension": int(vectors.shape[1]), "queries": args.queries, "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
