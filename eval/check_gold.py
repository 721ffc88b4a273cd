#!/usr/bin/env python3
"""Validate eval/gold.jsonl against the raw seed articles (stdlib only).

Usage:
    python3 eval/check_gold.py [SEEDS_DIR] [--gold PATH] [--side-set]

--side-set checks a set kept beside the gold set (eval/answerability.jsonl): ids of any one letter and
digits, and none of the gold set's minimum counts.

SEEDS_DIR defaults to <repo>/seeds (i.e. Path(__file__).parent.parent / "seeds"),
falling back to /work/shared/seeds if that folder does not exist.
Exits 1 if any error is found, 0 otherwise.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

KINDS = ("factoid", "paraphrase", "temporal", "multi_doc", "unanswerable")
SPLITS = ("dev", "test")
FIELDS = {"id", "question", "kind", "split", "answerable", "evidence", "key_facts"}
ID_RE = re.compile(r"^q\d{3,}$")
SIDE_SET_ID_RE = re.compile(r"^[a-z]\d{3,}$")
MAX_KEY_FACT_WORDS = 4

# Minimum counts required of the gold set.
MIN_TOTAL = 64
MIN_PER_KIND = {"unanswerable": 14, "paraphrase": 10, "temporal": 8, "multi_doc": 6}

# Lines that start site chrome at the end of an article (footers, teasers,
# "Latest News", editor's notes). Quotes must not come from at or after them.
FOOTER_MARKERS = ("Note to our Readers", "Latest News", "Source: Associated Press", "Share:")

# A sentence boundary inside a quote: end punctuation (optionally followed by a
# closing quote), whitespace, then an upper-case start. A single capital before
# the period ("U.S. Treasury") is treated as an abbreviation, not a boundary.
SENT_BOUNDARY = re.compile(r"(?<![A-Z])[.!?][\"”’]?\s+[\"“]?[A-Z]")


def default_seeds() -> Path:
    repo_seeds = Path(__file__).resolve().parent.parent / "seeds"
    if repo_seeds.is_dir():
        return repo_seeds
    return Path("/work/shared/seeds")


def body_limit(text: str) -> int:
    """Character offset where footer chrome begins (len(text) if none)."""
    pos = 0
    for line in text.splitlines(keepends=True):
        if line.strip() in FOOTER_MARKERS:
            return pos
        pos += len(line)
    return len(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("seeds", nargs="?", type=Path, default=None, help="folder with the raw <doc_id>.txt articles")
    ap.add_argument("--gold", type=Path, default=Path(__file__).resolve().parent / "gold.jsonl")
    ap.add_argument("--side-set", action="store_true", help="a set beside the gold set: no minimum counts")
    args = ap.parse_args()
    id_re = SIDE_SET_ID_RE if args.side_set else ID_RE
    seeds: Path = args.seeds or default_seeds()

    errors: list[str] = []

    def err(where: str, msg: str) -> None:
        errors.append(f"{where}: {msg}")

    if not seeds.is_dir():
        print(f"seeds folder not found: {seeds}", file=sys.stderr)
        return 1
    docs = {p.stem: p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))}
    limits = {d: body_limit(t) for d, t in docs.items()}

    items = []
    with args.gold.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                err(f"line {lineno}", "blank line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                err(f"line {lineno}", f"invalid JSON: {e}")
                continue
            if not isinstance(obj, dict):
                err(f"line {lineno}", "not a JSON object")
                continue
            items.append((lineno, obj))

    seen_ids: set[str] = set()
    seen_questions: set[str] = set()
    counts: Counter = Counter()
    doc_cover: Counter = Counter()

    for lineno, o in items:
        where = f"line {lineno} ({o.get('id', '?')})"
        missing, extra = FIELDS - o.keys(), o.keys() - FIELDS
        if missing:
            err(where, f"missing fields {sorted(missing)}")
            continue
        if extra:
            err(where, f"unexpected fields {sorted(extra)}")

        qid, question, kind, split = o["id"], o["question"], o["kind"], o["split"]
        answerable, evidence, key_facts = o["answerable"], o["evidence"], o["key_facts"]

        if not isinstance(qid, str) or not id_re.match(qid):
            err(where, f"bad id {qid!r}")
        elif qid in seen_ids:
            err(where, f"duplicate id {qid}")
        seen_ids.add(qid)
        if not isinstance(question, str) or not question.strip():
            err(where, "empty question")
        elif question.strip().lower() in seen_questions:
            err(where, "duplicate question")
        else:
            seen_questions.add(question.strip().lower())
        if kind not in KINDS:
            err(where, f"bad kind {kind!r}")
        if split not in SPLITS:
            err(where, f"bad split {split!r}")
        if not isinstance(answerable, bool):
            err(where, "answerable must be a bool")
        if not isinstance(evidence, list) or not isinstance(key_facts, list):
            err(where, "evidence and key_facts must be lists")
            continue
        counts[(kind, split)] += 1

        if kind == "temporal" and isinstance(question, str) and not question.startswith("When"):
            err(where, "temporal questions should start with 'When'")

        if kind == "unanswerable" or answerable is False:
            if kind != "unanswerable" or answerable is not False:
                err(where, "kind 'unanswerable' iff answerable == false")
            if evidence or key_facts:
                err(where, "unanswerable items must have empty evidence and key_facts")
            continue

        if not evidence:
            err(where, "answerable item without evidence")
        if not key_facts:
            err(where, "answerable item without key_facts")

        quotes: list[str] = []
        ev_docs: set[str] = set()
        for k, ev in enumerate(evidence):
            ew = f"{where} evidence[{k}]"
            if not isinstance(ev, dict) or set(ev.keys()) != {"doc_id", "quote"}:
                err(ew, "must be an object with exactly doc_id and quote")
                continue
            doc_id, quote = ev["doc_id"], ev["quote"]
            if doc_id not in docs:
                err(ew, f"unknown doc_id {doc_id!r}")
                continue
            if not isinstance(quote, str) or not quote.strip():
                err(ew, "empty quote")
                continue
            if quote != quote.strip():
                err(ew, "quote has leading/trailing whitespace")
            if "\n" in quote or "\r" in quote:
                err(ew, "quote spans a line break")
            pos = docs[doc_id].find(quote)
            if pos < 0:
                err(ew, f"quote not found verbatim in {doc_id}: {quote[:70]!r}")
                continue
            if pos >= limits[doc_id]:
                err(ew, "quote lies in footer chrome")
            if SENT_BOUNDARY.search(quote):
                err(ew, f"quote seems to span more than one sentence: {quote[:70]!r}")
            quotes.append(quote)
            ev_docs.add(doc_id)
            doc_cover[doc_id] += 1

        if kind == "multi_doc" and len(ev_docs) < 2:
            err(where, "multi_doc needs evidence from at least two different documents")

        lowered = [q.lower() for q in quotes]
        for kf in key_facts:
            if not isinstance(kf, str) or not kf.strip():
                err(where, f"bad key fact {kf!r}")
                continue
            if len(kf.split()) > MAX_KEY_FACT_WORDS:
                err(where, f"key fact longer than {MAX_KEY_FACT_WORDS} words: {kf!r}")
            if not any(kf.lower() in q for q in lowered):
                err(where, f"key fact {kf!r} not found in any evidence quote")

    # ---- aggregate requirements ----
    total = sum(counts.values())
    per_kind = Counter()
    for (kind, _), n in counts.items():
        per_kind[kind] += n
    if not args.side_set:
        if total < MIN_TOTAL:
            err("gold", f"only {total} questions (< {MIN_TOTAL})")
        for kind, n in MIN_PER_KIND.items():
            if per_kind[kind] < n:
                err("gold", f"only {per_kind[kind]} {kind} questions (< {n})")
        for kind in KINDS:
            for split in SPLITS:
                if counts[(kind, split)] == 0:
                    err("gold", f"kind {kind} missing from split {split}")
    for doc_id in docs:
        if doc_cover[doc_id] == 0:
            err("gold", f"no evidence from {doc_id}")

    # ---- report ----
    print(f"gold:  {args.gold}")
    print(f"seeds: {seeds} ({len(docs)} articles)")
    print(f"\n{'kind':<14}{'dev':>6}{'test':>6}{'total':>7}")
    for kind in KINDS:
        d, t = counts[(kind, 'dev')], counts[(kind, 'test')]
        print(f"{kind:<14}{d:>6}{t:>6}{d + t:>7}")
    dt = sum(counts[(k, 'dev')] for k in KINDS)
    tt = sum(counts[(k, 'test')] for k in KINDS)
    print(f"{'total':<14}{dt:>6}{tt:>6}{total:>7}")
    print("\nevidence quotes per article:")
    for doc_id in docs:
        print(f"  {doc_id}: {doc_cover[doc_id]}")

    if errors:
        print(f"\n{len(errors)} error(s):", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
