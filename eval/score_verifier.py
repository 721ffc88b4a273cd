"""Score LLM mode's check on hand-labelled generated sentences (eval/llm_sentence_labels.jsonl).

    python eval/score_verifier.py [--split dev|test|blind|held-out|all] [--nli T ...] [--show]

A sentence is kept when one of the passages it was shown supports it, as `rag.answer.verify.verify_generated`
judges it (numbers and names in the passage, MiniLM cosine with one of its sentences). With --nli, the reader's
NLI is scored beside it: kept when a sentence of a passage shown entails it with probability ≥ T (each T).
Meta sentences ("This is stated in passage [1].") are left out. Prints, per check: of the kept sentences the share
the labeller found supported, and of the supported sentences the share dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def passage_sentences(passage: str) -> tuple[str, list[tuple[int, int]]]:
    """The passage's text and its sentence spans ("title (source, date): text" as the labeller saw it)."""
    from rag.chunking import split_sentences

    body = passage.split("): ", 1)[-1]
    return body, [(s.start, s.end) for s in split_sentences(body)]


def report(name: str, supported: np.ndarray, kept: np.ndarray) -> None:
    print(f"{name}: kept {kept.sum()}/{len(kept)}, supported among kept {(supported & kept).sum()}/{kept.sum()} = "
          f"{(supported & kept).sum() / max(1, kept.sum()):.3f}; supported dropped {(supported & ~kept).sum()}/"
          f"{supported.sum()} = {(supported & ~kept).sum() / max(1, supported.sum()):.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument("--nli", type=float, action="append", default=[], help="also score the reader's NLI at T")
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args(argv)
    from rag.answer.verify import verify_generated
    from rag.embedding import Embedder

    wanted = {"held-out": ("test", "blind"), "all": ("dev", "test", "blind")}.get(args.split, (args.split,))
    sentences = {r["id"]: r for r in map(json.loads, open(ROOT / "eval/llm_sentences.jsonl", encoding="utf-8"))}
    labels = [r for r in map(json.loads, open(ROOT / "eval/llm_sentence_labels.jsonl", encoding="utf-8"))
              if r["split"] in wanted and r["label"] != "meta"]
    embedder = Embedder.load()
    reader = None
    if args.nli:
        from rag.answer.reader import ENTAIL, Reader

        reader = Reader.load()
    kept, entailed = [], []
    for row in labels:
        vector = embedder.encode([row["sentence"]])[0]
        ok, best = False, 0.0
        for passage in sentences[row["id"]]["passages"].values():
            body, spans = passage_sentences(passage)
            if not spans:
                continue
            texts = [body[a:b] for a, b in spans]
            ok = ok or verify_generated(row["sentence"], vector, body, spans, embedder.encode(texts)).supported
            if reader is not None:
                best = max(best, float(reader.entailment([(t, row["sentence"]) for t in texts])[:, ENTAIL].max()))
        kept.append(ok)
        entailed.append(best)
    supported = np.array([r["label"] == "supported" for r in labels])
    report(f"shipped check ({args.split})", supported, np.array(kept))
    for t in args.nli:
        report(f"reader NLI, entailment >= {t} ({args.split})", supported, np.array(entailed) >= t)
    if args.show:
        for row, k in zip(labels, kept):
            print(f"{'kept ' if k else 'DROP '} {row['label'][:5]} {row['id']}: {row['sentence'][:150]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
