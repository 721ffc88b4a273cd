"""Score follow-up questions on the frozen conversation set (eval/followups.jsonl, written before tuning by a
helper that had not read the code): each later turn is asked with the conversation's earlier questions, as the
CLI and the /ask endpoint pass them, and compared with the answer to its standalone rewrite.

    python eval/score_followups.py [--index INDEX] [--split dev|heldout|all] [--show]

Prints, per split:
- follow-ups answered as their standalone rewrite: the same lead sentence quoted (or both refused);
- follow-ups whose answer holds the turn's answer hint (beside the standalone rewrite's own rate);
- standalone questions left alone: searched for as typed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def lead(answer) -> tuple | None:
    """The quoted lead sentence (document, offset), or None for a refusal."""
    if answer.abstained or not answer.claims:
        return None
    return answer.claims[0].doc_id, answer.claims[0].start


def holds(answer, hint: str) -> bool:
    return not answer.abstained and hint.casefold() in answer.text.casefold()


def count_followup(count: Counter, engine, turn: dict, got) -> tuple:
    """Count a follow-up answered `got` against its standalone rewrite's answer: (that answer, same lead?)."""
    want = engine.ask(turn["standalone"])
    same = lead(got) == lead(want)
    hint = turn.get("answer_hint", "")
    count["follow-ups"] += 1
    count["as rewrite"] += same
    count["hint"] += holds(got, hint)
    count["rewrite hint"] += holds(want, hint)
    return want, same


def print_tally(tally: dict[str, Counter]) -> None:
    """One line a split: follow-ups answered as their rewrite, the hint, standalone questions left alone."""
    for split, count in sorted(tally.items()):
        f, s = count["follow-ups"], count["standalone"]
        print(f"{split}: follow-ups answered as their rewrite {count['as rewrite']}/{f} = {count['as rewrite'] / max(f, 1):.3f}; "
              f"hint in answer {count['hint']}/{f} (rewrite itself {count['rewrite hint']}/{f}); "
              f"standalone left alone {count['left alone']}/{s} = {count['left alone'] / max(s, 1):.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default=str(ROOT / "index"))
    parser.add_argument("--set", default=str(ROOT / "eval" / "followups.jsonl"))
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="dev")
    parser.add_argument("--show", action="store_true", help="print each turn that is not answered as its rewrite")
    args = parser.parse_args(argv)
    from rag import RAG

    conversations = [json.loads(line) for line in Path(args.set).read_text(encoding="utf-8").splitlines() if line.strip()]
    engine = RAG.load(args.index)
    tally: dict[str, Counter] = {}
    for conv in conversations:
        if args.split != "all" and conv["split"] != args.split:
            continue
        count = tally.setdefault(conv["split"], Counter())
        asked: list[str] = []
        for i, turn in enumerate(conv["turns"]):
            if i == 0:
                asked.append(turn["question"])
                continue
            got = engine.ask(turn["question"], history=asked)
            asked.append(turn["question"])
            if not turn["followup"]:
                count["standalone"] += 1
                alone = got.query == turn["question"].strip()
                count["left alone"] += alone
                if args.show and not alone:
                    print(f"{conv['id']}.{i} MERGED  {turn['question']!r} -> {got.query!r}")
                continue
            want, same = count_followup(count, engine, turn, got)
            if args.show and not same:
                print(f"{conv['id']}.{i} DIFFERS {turn['question']!r} -> {got.query!r}\n"
                      f"    standalone {turn['standalone']!r}\n"
                      f"    got:  {'(refused)' if got.abstained else got.claims[0].text[:150]}\n"
                      f"    want: {'(refused)' if want.abstained else want.claims[0].text[:150]}")
    print_tally(tally)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
