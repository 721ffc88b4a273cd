"""Build speed against the model's own speed: full index build vs bare `model.encode` of the same texts.

Run: .venv/bin/python benchmarks/build_speed.py [--scifact ../shared/bench/scifact] [--seeds-repeats 5]
For each corpus, in one run: chunk once (untimed) to get the exact texts the build embeds (chunks with
titles, and sentences), time a bare `model.encode` of them, then time a from-scratch build (reading,
cleaning, chunking, embedding, FAISS, BM25, SQLite, fsync). Seeds repeat and report medians.
Writes benchmarks/results/build_speed.json; the SciFact index is kept for benchmarks/latency.py --beir.
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


def corpus_texts(docs, embedder, chunk_tokens: int, overlap_tokens: int, sentences: bool) -> list[str]:
    """Exactly the texts a build embeds for these documents."""
    from rag.chunking import chunk_document, embedding_text, sentence_texts

    chunk_inputs, sentence_inputs = [], []
    for doc in docs:
        chunks, spans = chunk_document(doc, chunk_tokens=chunk_tokens, overlap_tokens=overlap_tokens,
                                       fits_model=lambda piece, title=doc.title: embedder.fits(embedding_text(title, piece)))
        chunk_inputs += [embedding_text(doc.title, c.text) for c in chunks]
        if sentences:
            sentence_inputs += sentence_texts(doc.text, spans)
    return chunk_inputs + sentence_inputs


def measure(name: str, load_docs, embedder, *, chunk_tokens: int, overlap_tokens: int, repeats: int, keep: Path | None) -> dict:
    """Median bare-encode and build seconds over repeats, and their ratio."""
    from rag.build import write_index
    from rag.store import IndexSettings

    settings = IndexSettings("all-MiniLM-L6-v2 (bundled)", chunk_tokens, overlap_tokens, embed_sentences=True,
                             pooled_chunks=False)  # the two-pass build its figures (RESULTS.md) describe
    texts = corpus_texts(load_docs(), embedder, chunk_tokens, overlap_tokens, True)
    encode_s, build_s = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        embedder.encode(texts, progress=False)
        encode_s.append(time.perf_counter() - started)
        target = Path(tempfile.mkdtemp(prefix="bench-index-"))
        started = time.perf_counter()
        write_index(target, load_docs(), embedder, settings, progress=False)  # reading + cleaning inside load_docs
        build_s.append(time.perf_counter() - started)
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.move(str(target), keep)
        else:
            shutil.rmtree(target, ignore_errors=True)
    encode, build = statistics.median(encode_s), statistics.median(build_s)
    result = {"corpus": name, "texts_embedded": len(texts), "bare_encode_s": round(encode, 2), "build_s": round(build, 2),
              "ratio": round(build / encode, 3), "runs": repeats, "encode_runs_s": [round(x, 2) for x in encode_s],
              "build_runs_s": [round(x, 2) for x in build_s]}
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    """Measure seeds and SciFact."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="seeds")
    parser.add_argument("--scifact", default="../shared/bench/scifact")
    parser.add_argument("--seeds-repeats", type=int, default=5)
    parser.add_argument("--scifact-repeats", type=int, default=1)
    parser.add_argument("--scifact-docs", type=int, default=0, help="only the first N SciFact documents (0: all)")
    parser.add_argument("--skip-seeds", action="store_true")
    parser.add_argument("--keep-scifact", default=".cache/bench/scifact-index")
    parser.add_argument("--out", default="benchmarks/results/build_speed.json")
    args = parser.parse_args()

    from rag.documents import list_article_files, read_documents
    from rag.embedding import Embedder
    from rag.evaluation import beir_documents, load_beir

    embedder = Embedder.load()
    embedder.encode(["warm up the model"] * 64)
    results = []
    if not args.skip_seeds:
        results.append(measure("seeds", lambda: read_documents(list_article_files(args.seeds))[0], embedder,
                               chunk_tokens=160, overlap_tokens=32, repeats=args.seeds_repeats, keep=None))
    if args.scifact and Path(args.scifact).exists():
        limit = args.scifact_docs or None
        name = f"scifact-first-{limit}-docs" if limit else "scifact"
        results.append(measure(name, lambda: beir_documents(load_beir(args.scifact)[0][:limit]), embedder,
                               chunk_tokens=160, overlap_tokens=32, repeats=args.scifact_repeats,
                               keep=None if limit else Path(args.keep_scifact)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
