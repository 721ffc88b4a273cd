"""Scale: build and query an index of 10k, 100k and 1M passages through the real index code.

Synthetic data (no model at run time): normalized 384-d vectors made as random mixtures of two real MiniLM
embeddings plus small noise (default; the real ones come from an index on disk), or clustered Gaussian vectors
with a wide spread (`--seed-vectors none`, a much harsher case), and passages of Zipf-distributed pseudo-words.
Passages go through rag.store's own generation writer (SQLite chunk store, FAISS, bm25s, manifest) and are
searched with rag.retrieval.search_index. Per size: build seconds and bytes per passage, resident memory
after opening, dense/bm25/hybrid search p50/p95, chunk lookup time, and dense recall@10 against exact search.

Run: .venv/bin/python benchmarks/scale.py [--sizes 10000 100000 1000000] [--queries 200]
Writes benchmarks/results/scale.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384
PASSAGES_PER_DOC = 1000


def rss_mb() -> float:
    """Resident memory of this process in MiB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def synthetic_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    """Normalized vectors around n/50 cluster centres (noise comparable to the centre spread)."""
    centres = rng.standard_normal((max(n // 50, 64), DIM)).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        labels = rng.integers(0, len(centres), stop - start)
        block = centres[labels] + 0.8 * rng.standard_normal((stop - start, DIM)).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def realistic_vectors(n: int, rng: np.random.Generator, seeds: np.ndarray) -> np.ndarray:
    """Normalized mixtures of two real embeddings plus small noise: the density and anisotropy of real text."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        a = seeds[rng.integers(0, len(seeds), stop - start)]
        b = seeds[rng.integers(0, len(seeds), stop - start)]
        w = rng.uniform(0.5, 1.0, (stop - start, 1)).astype(np.float32)
        block = w * a + (1 - w) * b + 0.02 * rng.standard_normal((stop - start, DIM)).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def load_seed_vectors(path: str) -> np.ndarray | None:
    """Real embeddings to mix from: an index folder (chunk and sentence vectors) or a .npy file."""
    folder = Path(path)
    if folder.is_dir() and (folder / "CURRENT").exists():
        gen = folder / (folder / "CURRENT").read_text().strip()
        parts = [np.load(f, mmap_mode="r") for name in ("chunk_vectors.npy", "sentence_vectors.npy")
                 for f in sorted((gen / "segments").glob(f"*/{name}"))]
        return np.concatenate([np.asarray(p, dtype=np.float32) for p in parts if p.ndim == 2 and p.shape[1] == DIM])
    if folder.suffix == ".npy" and folder.exists():
        return np.load(folder).astype(np.float32)
    return None


def synthetic_passages(n: int, rng: np.random.Generator, vocabulary: list[str]) -> list[str]:
    """Passages of 30-60 Zipf-distributed pseudo-words."""
    ranks = np.minimum(rng.zipf(1.3, size=n * 60), len(vocabulary)) - 1
    lengths = rng.integers(30, 61, n)
    out, pos = [], 0
    for length in lengths:
        out.append(" ".join(vocabulary[r] for r in ranks[pos:pos + length]) + ".")
        pos += length
    return out


def timed_ms(fn, items) -> list[float]:
    """Milliseconds of fn(item) for each item."""
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


class _StubEmbedder:
    """Only what the writer reads from an embedder."""

    dimension = DIM
    max_seq_length = 256


def build(root: Path, vectors: np.ndarray, passages: list[str]) -> float:
    """Write one generation through rag.store; returns seconds."""
    from rag.model import OUTLET
    from rag.chunking import Chunk, Span
    from rag.store.segments import SentenceTokens
    from rag.embedding import DEFAULT_MODEL
    from rag.store import Contents, DocumentRecord, IndexSettings, DocRows, switch_generation, write_generation

    # The bundled model's name, so that benchmarks/segments.py can update this index through RAG.add.
    settings = IndexSettings(DEFAULT_MODEL, 160, 32, embed_sentences=False)
    started = time.perf_counter()
    parts = []
    for d, start in enumerate(range(0, len(passages), PASSAGES_PER_DOC)):
        block = passages[start:start + PASSAGES_PER_DOC]
        text = "\n\n".join(block)
        chunks, spans, offset = [], [], 0
        for i, passage in enumerate(block):
            chunks.append(Chunk(f"syn-{d:05d}", i, offset, offset + len(passage), passage, 0, i, i + 1))
            spans.append(Span(offset, offset + len(passage)))
            offset += len(passage) + 2
        record = DocumentRecord(f"syn-{d:05d}", f"Synthetic {d}", f"source-{d % 7}", None, f"20{10 + d % 15}-01-01",
                                None, "", f"{d:064d}", len(chunks))
        parts.append(DocRows(record, text, chunks, spans, vectors[start:start + len(block)],
                              np.zeros((len(block), 0), np.float32), SentenceTokens.empty(len(block), DIM), None,
                              [OUTLET] * len(block)))
    gen = write_generation(root, Contents([], parts), _StubEmbedder(), settings, None)
    switch_generation(root, gen)
    return time.perf_counter() - started


def measure(n: int, queries: int, nprobes: list[int], workdir: Path, seeds: np.ndarray | None) -> dict:
    """Build, open and query one size."""
    import faiss

    from rag.store import open_index
    from rag.retrieval import SearchOptions, bm25_candidates, dense_candidates, search_index

    rng = np.random.default_rng(n)
    vocabulary = [f"w{i:05d}" for i in range(50_000)]
    vectors = realistic_vectors(n, rng, seeds) if seeds is not None else synthetic_vectors(n, rng)
    passages = synthetic_passages(n, rng, vocabulary)
    root = workdir / f"index-{n}"
    seconds = build(root, vectors, passages)
    disk = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    picks = rng.choice(n, queries, replace=False)
    if seeds is not None:  # new texts near the corpus: fresh mixtures that are not in the index
        query_vectors = realistic_vectors(queries, np.random.default_rng(n + 1), seeds)
    else:
        query_vectors = vectors[picks] + 0.3 * rng.standard_normal((queries, DIM)).astype(np.float32)
        query_vectors /= np.linalg.norm(query_vectors, axis=1, keepdims=True)
    query_texts = [" ".join(passages[i].split()[:6]) for i in picks]
    exact = faiss.IndexFlatIP(DIM)
    exact.add(vectors)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    _, truth = exact.search(query_vectors, 10)
    faiss.omp_set_num_threads(1)
    exact_ms = []
    for q in query_vectors[:50]:
        started = time.perf_counter()
        exact.search(q.reshape(1, -1), 10)
        exact_ms.append((time.perf_counter() - started) * 1000)
    del exact, vectors, passages
    gc.collect()

    before = rss_mb()
    index = open_index(root)
    opened = rss_mb()
    result = {"passages": n, "vectors": "mixtures of real MiniLM embeddings" if seeds is not None else "clustered Gaussian",
              "faiss_index": index.manifest["faiss_index"], "build_s": round(seconds, 1),
              "build_ms_per_1k_passages": round(1000 * seconds / n * 1000, 2), "disk_bytes_per_passage": round(disk / n),
              "rss_after_open_mb": round(opened, 1), "rss_added_by_open_mb": round(opened - before, 1),
              "exact_flat_search_p50_ms": round(float(np.median(exact_ms)), 3)}

    timed = timed_ms
    (segment,) = index.segments
    sweeps = nprobes if segment.nprobe else [None]
    result["dense"] = {}
    for nprobe in sweeps:
        if nprobe:
            segment.nprobe = nprobe
        found = [dense_candidates(index, q, 10) for q in query_vectors]
        recall = float(np.mean([len({i for i, _ in hits} & set(truth[j])) / 10 for j, hits in enumerate(found)]))
        ms = timed(lambda q: dense_candidates(index, q, 10), query_vectors)
        result["dense"][str(nprobe or "exact")] = {"recall@10": round(recall, 4), "p50_ms": round(float(np.median(ms)), 3),
                                                   "p95_ms": round(float(np.percentile(ms, 95)), 3)}
    if segment.nprobe:
        from rag.store import DEFAULT_NPROBE

        segment.nprobe = DEFAULT_NPROBE
    ms = timed(lambda t: bm25_candidates(index, t, 40), query_texts)
    result["bm25"] = {"p50_ms": round(float(np.median(ms)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3)}
    pairs = list(zip(query_texts, query_vectors))
    ms = timed(lambda p: search_index(index, p[0], p[1], SearchOptions(k=5)), pairs)
    result["hybrid_search"] = {"p50_ms": round(float(np.median(ms)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3)}
    ids = [int(i) for i in rng.choice(n, 5 * queries)]
    ms = timed(lambda j: index.chunks(ids[j:j + 5]), range(0, len(ids), 5))
    result["chunk_lookup_5_ids"] = {"p50_ms": round(float(np.median(ms)), 3)}
    result["rss_after_queries_mb"] = round(rss_mb(), 1)
    index.close()
    shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    """Run every size."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--nprobes", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--seed-vectors", default=".cache/bench/scifact-index",
                        help="index folder or .npy of real embeddings to mix from (benchmarks/build_speed.py keeps one); "
                             "'none' for clustered Gaussian vectors")
    parser.add_argument("--out", default="benchmarks/results/scale.json")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="rag-scale-"))
    seeds = None if args.seed_vectors == "none" else load_seed_vectors(args.seed_vectors)
    print(f"vectors: {'mixtures of %d real embeddings' % len(seeds) if seeds is not None else 'clustered Gaussian'}", flush=True)
    results = [measure(n, args.queries, args.nprobes, workdir, seeds) for n in args.sizes]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
