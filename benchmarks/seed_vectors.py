"""Real MiniLM vectors for the scale benchmarks to mix from (scale.py, segments.py, vector_formats.py).

Encodes the abstracts (title + text, truncated by the model) and every sentence of the first N SciFact documents
in ../shared/bench and saves them as one .npy; the benchmarks' --seed-vectors default reads that file.

Run: .venv/bin/python benchmarks/seed_vectors.py [--documents 1500] [--out .cache/bench/scifact-sentence-vectors.npy]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SCIFACT = REPO.parent / "shared" / "bench" / "scifact" / "corpus.jsonl"


def main() -> None:
    """Encode and save."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1500)
    parser.add_argument("--out", default=".cache/bench/scifact-sentence-vectors.npy")
    args = parser.parse_args()
    if not SCIFACT.exists():
        sys.exit(f"{SCIFACT} is missing: these vectors are made from SciFact in ../shared/bench")
    from rag.chunking import sentence_texts, split_sentences
    from rag.embedding import Embedder, configure_runtime

    configure_runtime()
    embedder = Embedder.load()
    rows = [json.loads(line) for line, _ in zip(SCIFACT.open(encoding="utf-8"), range(args.documents))]
    texts = [f"{r.get('title', '')}\n\n{r['text']}" for r in rows]
    texts += [s for r in rows for s in sentence_texts(r["text"], split_sentences(r["text"]))]
    vectors = embedder.encode(texts, progress=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, vectors, allow_pickle=False)
    print(f"{len(vectors)} vectors from {len(rows)} documents -> {args.out}")


if __name__ == "__main__":
    main()
