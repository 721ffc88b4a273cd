"""One encoder pass per chunk (issue 19): build cost against encoding the chunks alone, where the rest goes, and
retrieval with pooled chunk vectors against chunk vectors encoded on their own.

Run: .venv/bin/python benchmarks/one_pass.py [--scifact ../shared/bench/scifact] [--queries 100] [--seeds-repeats 3]
     [--scifact-repeats 1]
(the profile needs `pip install pyinstrument`; without it the breakdown is left out).

Per corpus, in one run: chunk once (untimed) to get the chunk texts a build gives the model, then, interleaved per
repeat, time encoding exactly those texts two ways (sentence-transformers' own `encode` at its default batch size,
as LlamaIndex, Haystack and txtai call it, and `Embedder.encode`, the faster batching a build uses) and a full
build. Each stage of a build is then timed alone, one after another (chunking, the model's pass over titles and
sentences, speakers, MinHash signatures): a build overlaps chunking and speakers with the model, so these say what
each costs, not what it adds. One more build runs under pyinstrument (main thread: the model, waits for the helper
thread, writing).
On SciFact (the judged documents of the first --queries test queries plus 20 others per query), the two-pass
build (--encode-chunks) is timed too, and the built index is searched as built (chunk vectors pooled from the
sentences' vectors) and again with each chunk vector replaced by the bare encode of its chunk text (what a two-pass
build gives), in dense and hybrid modes: nDCG@10 and recall@100.
Writes benchmarks/results/one_pass.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PHASES = [  # (function, a piece of its file path, phase); the outermost match on a call path takes the time
    ("result", "concurrent/futures", "waiting for the helper thread (chunking, speakers)"),
    ("encode_tokens", "rag/embedding", "model (sentences and titles)"),
    ("encode", "rag/embedding", "model (chunks, two-pass build only)"),
    ("split_sentences", "rag/chunking", "sentence splitting (pysbd)"),
    ("chunk_document", "rag/chunking", "chunk windows (tiktoken, model limit check)"),
    ("attribute_documents", "rag/attribution", "attribution (spaCy)"),
    ("pool_vectors", "rag/embedding", "pooling chunk vectors"),
    ("story_ids", "rag/stories", "story grouping (MinHash)"),
    ("bm25_tokenize", "rag/index", "BM25"),
    ("index", "bm25s", "BM25"),
    ("save", "bm25s", "BM25"),
    ("build_dense_index", "rag/index", "FAISS"),
    ("write_index", "faiss", "FAISS"),
    ("executemany", "", "SQLite"),
    ("execute", "", "SQLite"),
    ("commit", "", "SQLite"),
    ("fsync", "", "writing (fsync)"),
    ("save", "numpy", "writing (numpy)"),
]


def chunk_texts(docs, embedder, settings) -> list[str]:
    """The chunk texts (title included) that a build of docs has; encoding them alone is the yardstick."""
    from rag.chunking import embedding_text
    from rag.enrich import chunk_documents

    return [embedding_text(doc.title, c.text) for doc, chunks, _ in chunk_documents(docs, embedder, settings)
            for c in chunks]


def phases(session) -> dict[str, float]:
    """Seconds per phase of a pyinstrument session (nested matches count once, under the outer one)."""
    totals: dict[str, float] = {}

    def walk(frame, inside: bool) -> None:
        phase = None if inside else next((p for f, path, p in PHASES
                                          if frame.function == f and path in (frame.file_path or "")), None)
        if phase:
            totals[phase] = totals.get(phase, 0.0) + frame.time
        for child in frame.children:
            walk(child, inside or phase is not None)

    root = session.root_frame()
    walk(root, False)
    totals["other"] = root.time - sum(totals.values())
    return {k: round(v, 2) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def measure_build(name: str, docs, embedder, settings, repeats: int, keep: Path | None, profile: bool = True) -> dict:
    """Bare chunk encode vs full build (median of repeats), plus one profiled build."""
    from rag.build import write_index

    docs = sorted(docs, key=lambda d: d.doc_id)  # the order a build stores chunks in
    texts = chunk_texts(docs, embedder, settings)
    st_s, encode_s, build_s = [], [], []
    for _ in range(repeats):
        started = time.perf_counter()
        embedder.model.encode(texts)
        st_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        vectors = embedder.encode(texts)
        encode_s.append(time.perf_counter() - started)
        target = Path(tempfile.mkdtemp(prefix="one-pass-"))
        started = time.perf_counter()
        write_index(target, docs, embedder, settings, progress=False)
        build_s.append(time.perf_counter() - started)
        shutil.rmtree(target, ignore_errors=True)
    result = {"corpus": name, "documents": len(docs), "chunks": len(texts),
              "st_chunk_encode_s": round(statistics.median(st_s), 2),
              "bare_chunk_encode_s": round(statistics.median(encode_s), 2), "build_s": round(statistics.median(build_s), 2),
              "st_encode_runs_s": [round(x, 2) for x in st_s],
              "encode_runs_s": [round(x, 2) for x in encode_s], "build_runs_s": [round(x, 2) for x in build_s]}
    result["ratio"] = round(result["build_s"] / result["bare_chunk_encode_s"], 3)
    result["ratio_to_st_encode"] = round(result["build_s"] / result["st_chunk_encode_s"], 3)
    if not profile:
        print(json.dumps(result), flush=True)
        return result, vectors
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    result["stages_s"] = stages(docs, embedder, settings)
    target = keep or Path(tempfile.mkdtemp(prefix="one-pass-"))
    shutil.rmtree(target, ignore_errors=True)
    if Profiler is not None:
        profiler = Profiler(interval=0.005)
        profiler.start()
    started = time.perf_counter()
    write_index(target, docs, embedder, settings, progress=False)
    result["profiled_build_s"] = round(time.perf_counter() - started, 2)
    if Profiler is not None:
        profiler.stop()
        result["phases_s"] = phases(profiler.last_session)
    if keep is None:
        shutil.rmtree(target, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return result, vectors


def stages(docs, embedder, settings) -> dict[str, float]:
    """Seconds each stage of a build takes alone (no overlap): what it costs in CPU, not what it adds to a build."""
    from rag.attribution import attribute_documents, load_parser
    from rag.chunking import sentence_texts
    from rag.enrich import chunk_documents
    from rag.store import token_stopwords
    from rag.store.stories import signature

    load_parser()  # loaded once per process, as in a build
    out = {}
    started = time.perf_counter()
    fresh = chunk_documents(docs, embedder, settings)
    out["chunking (pysbd, tiktoken windows, model limit)"] = time.perf_counter() - started
    sentences = [sentence_texts(doc.text, spans) for doc, _, spans in fresh]
    started = time.perf_counter()
    embedder.encode_tokens([doc.title for doc in docs] + [t for s in sentences for t in s], stopwords=token_stopwords())
    out["model (titles and sentences, token outputs)"] = time.perf_counter() - started
    started = time.perf_counter()
    attribute_documents(sentences)
    out["speakers (spaCy)"] = time.perf_counter() - started
    started = time.perf_counter()
    for doc in docs:
        signature(doc.text)
    out["story signatures (MinHash)"] = time.perf_counter() - started
    return {k: round(v, 2) for k, v in out.items()}


def with_chunk_vectors(index_dir: Path, vectors, out_dir: Path) -> None:
    """A copy of a one-segment index whose chunk vectors are replaced (same chunk order), manifest sizes updated."""
    import faiss
    import numpy as np

    from rag.store import CURRENT_FILE, MANIFEST_FILE, build_dense_index
    from rag.store.segments import CHUNK_IDS_FILE, CHUNK_VECTORS_FILE, FAISS_FILE

    shutil.rmtree(out_dir, ignore_errors=True)
    shutil.copytree(index_dir, out_dir)
    gen = out_dir / (out_dir / CURRENT_FILE).read_text().strip()
    manifest = json.loads((gen / MANIFEST_FILE).read_text())
    (segment,) = manifest["segments"]  # a fresh build writes one
    folder = Path("segments") / segment["name"]
    ids = np.load(gen / folder / CHUNK_IDS_FILE)  # chunk ids in vector-row order
    (gen / folder / CHUNK_VECTORS_FILE).unlink()  # hard-linked to the source index's file: write a new one
    (gen / folder / FAISS_FILE).unlink()
    np.save(gen / folder / CHUNK_VECTORS_FILE, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    faiss.write_index(build_dense_index(vectors, ids, segment["faiss_index"]), str(gen / folder / FAISS_FILE))
    for name in (CHUNK_VECTORS_FILE, FAISS_FILE):
        manifest["files"][str(folder / name)] = (gen / folder / name).stat().st_size
    (gen / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))


def retrieval(index_dir: Path, embedder, queries, qrels, depth: int = 100) -> dict:
    """nDCG@10 and recall@100 of dense and hybrid search, documents ranked by their best passage."""
    from rag import metrics
    from rag.engine import RAG

    engine = RAG.load(index_dir, embedder=embedder)
    out = {}
    for mode in ("dense", "hybrid"):
        run = {}
        for qid, text in queries.items():
            best: dict[str, float] = {}
            for rank, hit in enumerate(engine.search(text, k=depth, mode=mode)):
                best.setdefault(hit.doc_id, float(depth - rank))
            run[qid] = best
        means = metrics.mean_measures(metrics.ir_measures(qrels, run, (10, 100)))
        out[mode] = {k: round(v, 4) for k, v in means.items() if k in ("ndcg@10", "recall@100")}
    return out


def main() -> None:
    """Measure the seeds and a SciFact slice."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="seeds")
    parser.add_argument("--scifact", default="../shared/bench/scifact")
    parser.add_argument("--queries", type=int, default=100, help="SciFact test queries (their judged documents are kept)")
    parser.add_argument("--seeds-repeats", type=int, default=3)
    parser.add_argument("--scifact-repeats", type=int, default=1, help="interleaved repeats on SciFact (medians)")
    parser.add_argument("--out", default="benchmarks/results/one_pass.json")
    args = parser.parse_args()

    from rag.documents import list_article_files, read_documents
    from rag.embedding import Embedder
    from rag.engine import canonical_model
    from rag.evaluation import beir_documents, load_beir
    from rag.store import IndexSettings

    embedder = Embedder.load()
    embedder.encode(["warm up"] * 32)
    settings = IndexSettings(canonical_model(embedder.name), 160, 32, embed_sentences=True, pooled_chunks=True)
    two_pass = IndexSettings(canonical_model(embedder.name), 160, 32, embed_sentences=True, pooled_chunks=False)
    results = {}
    seeds = read_documents(list_article_files(args.seeds))[0]
    results["seeds"], _ = measure_build("seeds", seeds, embedder, settings, args.seeds_repeats, None)
    if Path(args.scifact).exists():
        corpus, queries, qrels = load_beir(args.scifact, limit=args.queries)
        docs = beir_documents(corpus)
        work = Path(tempfile.mkdtemp(prefix="one-pass-scifact-"))
        results["scifact"], bare = measure_build(f"scifact ({len(docs)} documents)", docs, embedder, settings,
                                                 args.scifact_repeats, work / "pooled")
        results["scifact_two_pass"], _ = measure_build(f"scifact ({len(docs)} documents), --encode-chunks", docs,
                                                       embedder, two_pass, 1, None, profile=False)
        with_chunk_vectors(work / "pooled", bare, work / "encoded")
        results["scifact_retrieval"] = {"queries": len(queries),
                                        "pooled (one pass)": retrieval(work / "pooled", embedder, queries, qrels),
                                        "chunks encoded again": retrieval(work / "encoded", embedder, queries, qrels)}
        print(json.dumps(results["scifact_retrieval"]), flush=True)
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
