"""Figures per question kind of a news_gold report: python3 eval/news_kinds.py eval/reports/news_gold-dev.json.

For each kind: answers with every key fact, refusals of unanswerable questions; for disagreement questions, how
many disputed ones (two sides in the gold) were answered with "Accounts differ" and how many undisputed ones were;
for timeline questions, how many cite both the first and the last article of the gold order.
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

GOLD = Path(__file__).with_name("news_gold.jsonl")


def main(report_path: str) -> None:
    gold = {row["id"]: row for row in map(json.loads, GOLD.read_text(encoding="utf-8").splitlines()) if row}
    questions = json.loads(Path(report_path).read_text(encoding="utf-8"))["results"][0]["questions"]
    tally: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for q in questions:
        row, counts = gold[q["id"]], tally[q["kind"]]
        if not q["answerable"]:
            counts["unanswerable refused"][0] += q["abstained"]
            counts["unanswerable refused"][1] += 1
            continue
        counts["all key facts"][0] += (not q["abstained"]) and q["key_fact_recall"] == 1.0
        counts["all key facts"][1] += 1
        if q["kind"] == "disagreement":
            disputed = len(set(row.get("sides", []))) >= 2
            shown = q["answer"].startswith("Accounts differ.")
            counts["disputed: both sides shown" if disputed else "undisputed: dispute claimed"][0] += shown
            counts["disputed: both sides shown" if disputed else "undisputed: dispute claimed"][1] += 1
        if q["kind"] == "timeline" and row.get("order"):
            # The period asked is spanned when the first and the last article of the gold order are both cited.
            counts["spans the period"][0] += {row["order"][0], row["order"][-1]} <= set(q["cited"])
            counts["spans the period"][1] += 1
    for kind, counts in sorted(tally.items()):
        print(f"{kind}: " + "; ".join(f"{name} {a}/{b}" for name, (a, b) in counts.items()))


if __name__ == "__main__":
    main(sys.argv[1])
