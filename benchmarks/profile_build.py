"""Where a build's time goes beyond the model: a pyinstrument profile of write_index on SciFact documents.

Run: .venv/bin/python benchmarks/profile_build.py [--docs 300]   (needs `pip install pyinstrument`)
Prints the call tree (functions over 1% of the time) and writes benchmarks/results/profile_build.txt.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path


def main() -> None:
    """Profile one from-scratch build."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scifact", default="../shared/bench/scifact")
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--encode-chunks", action="store_true", help="profile the two-pass build (rag build --encode-chunks)")
    parser.add_argument("--out", default="benchmarks/results/profile_build.txt")
    args = parser.parse_args()

    from pyinstrument import Profiler

    from rag.embedding import Embedder
    from rag.evaluation import beir_documents, load_beir
    from rag.build import write_index
    from rag.store import IndexSettings

    embedder = Embedder.load()
    embedder.encode(["warm up"] * 32)
    docs = beir_documents(load_beir(args.scifact)[0][: args.docs])
    settings = IndexSettings("all-MiniLM-L6-v2 (bundled)", 160, 32, pooled_chunks=not args.encode_chunks)
    profiler = Profiler(interval=0.005)
    with profiler:
        write_index(Path(tempfile.mkdtemp()), docs, embedder, settings, progress=False)
    text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
