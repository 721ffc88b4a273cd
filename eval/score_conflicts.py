"""Score the answer's "Accounts differ." / "Sources differ." on the conflict set: each pair of passages becomes two articles of a small
index, its question is asked, and the answer should open with one of them (quoting both articles) exactly for
the pairs labelled "conflict".

    python eval/score_conflicts.py [--split dev|test|all] [--pairs eval/conflicts.jsonl] [--show]

Prints, per split: conflicts shown / conflicting pairs, and conflicts invented / agreeing pairs, by kind.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_pair(folder: Path, pair: dict) -> None:
    for key in ("a", "b"):
        side = pair[key]
        (folder / f"{pair['id']}_{key}.txt").write_text(side["title"] + "\n\n" + side["text"] + "\n", encoding="utf-8")
        meta = {"title": side["title"], "source": side["source"], "published": side["published"]}
        (folder / f"{pair['id']}_{key}.meta.json").write_text(json.dumps(meta), encoding="utf-8")


def shows_conflict(answer) -> bool:
    """The answer says accounts or sources differ and cites both articles."""
    from rag.answer.render import ACCOUNTS_DIFFER, SOURCES_DIFFER

    opened = answer.text.startswith((ACCOUNTS_DIFFER, SOURCES_DIFFER))
    return opened and len({c.doc_id for c in answer.claims}) >= 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default=str(ROOT / "eval" / "conflicts.jsonl"))
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--show", action="store_true", help="print each answer")
    args = parser.parse_args(argv)
    from rag import RAG
    from rag.embedding import Embedder

    pairs = [json.loads(line) for line in Path(args.pairs).read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = [p for p in pairs if args.split == "all" or p["split"] == args.split]
    embedder = Embedder.load()
    tally = Counter()
    reader = None
    with tempfile.TemporaryDirectory() as tmp:
        for pair in pairs:
            corpus = Path(tmp) / pair["id"]
            corpus.mkdir()
            write_pair(corpus, pair)
            engine = RAG.build(corpus, Path(tmp) / f"{pair['id']}-index", embedder=embedder, progress=False)
            if reader is None:
                reader = engine.reader
            engine._reader = reader  # loaded once for all the pairs
            answer = engine.ask(pair["question"])
            shown = shows_conflict(answer)
            label = pair["label"]
            tally[(label, "all")] += 1
            tally[(label, pair["kind"])] += 1
            tally[(label, "shown")] += shown
            tally[(label, pair["kind"], "shown")] += shown
            tally[(label, "abstained")] += answer.abstained
            # "confirmed by" the other article: right for pairs that agree, wrong for pairs that conflict
            tally[(label, "confirmed")] += any(c.confirmed_by for c in answer.claims)
            if args.show:
                mark = "OK " if shown == (label == "conflict") else "BAD"
                print(f"{mark} {pair['id']} {label}/{pair['kind']}: {answer.text[:300]}")
    conflicts, agree = tally[("conflict", "all")], tally[("agree", "all")]
    print(f"{args.split}: conflicts shown {tally[('conflict', 'shown')]}/{conflicts} = "
          f"{tally[('conflict', 'shown')] / max(1, conflicts):.3f}; invented on agreeing "
          f"{tally[('agree', 'shown')]}/{agree} = {tally[('agree', 'shown')] / max(1, agree):.3f}; abstained "
          f"{tally[('conflict', 'abstained')] + tally[('agree', 'abstained')]}")
    print(f"  confirmed by the other article: agreeing {tally[('agree', 'confirmed')]}/{agree}, "
          f"conflicting {tally[('conflict', 'confirmed')]}/{conflicts}")
    kinds = sorted({k[1] for k in tally if len(k) == 2 and k[1] not in ("all", "shown", "abstained", "confirmed")})
    print("  by kind: " + ", ".join(
        f"{kind} {sum(tally[(lab, kind, 'shown')] for lab in ('conflict', 'agree'))}/"
        f"{sum(tally[(lab, kind)] for lab in ('conflict', 'agree'))}" for kind in kinds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
