"""Probe a reader on the sentences the answer stage chooses from, without the rest of the answer stage.

    python eval/reader_probe.py collect [--out .cache/probe.json]        # retrieval + candidates, once
    python eval/reader_probe.py score --weights rag/reader_model [...]   # one row per reader folder

`collect` asks the engine for each question's passages (hybrid, k=5, as `ask`) and keeps the candidate sentences
the answer stage ranks, with the word match's lead (what the answer leads with today). `score` reads every
candidate with each reader and prints, per set: lead accuracy (the top sentence holds every key fact) of the word
match, of the reader alone and of the two added (reader log-odds + w x the word match's rank score), the ceiling
(some candidate holds them), and the AUC of the best candidate's probability for answerable against not. Choose
on the dev rows; the held-out and blind rows are printed to report, not to choose by.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))
from reader import auc  # noqa: E402 - the reader's training script scores its held-out AUCs the same way

from rag.metrics import lead_holds_key_facts  # noqa: E402

SETS = {"gold:dev": ("eval/gold.jsonl", "dev"), "gold:test": ("eval/gold.jsonl", "test"),
        "gold:blind": ("eval/blind.jsonl", "all"), "ans:dev": ("eval/answerability.jsonl", "dev"),
        "ans:test": ("eval/answerability.jsonl", "test")}


TOPS = (2, 3, 5, 8)  # the reader choosing among the word match's k best


def collect(out: Path) -> None:
    from rag.answer.extractive import Question, question_token_weights, rank_sentences, token_match_scores, word_matches
    from rag.store import token_stopwords
    from rag.embedding import Embedder
    from rag.evaluation import EvalConfig, engine_for, load_gold

    engine = engine_for(EvalConfig(), ROOT / "seeds", ROOT / ".cache/eval", Embedder.load())
    rows = []
    for name, (path, split) in SETS.items():
        for q in load_gold(ROOT / path, split):
            passages = next(engine.ask_stream(q.question)).passages
            vectors, tokens = engine.embedder.encode_tokens([q.question], stopwords=token_stopwords())
            ranked = rank_sentences(engine.index, Question(q.question, vectors[0], tokens[0]), passages)
            match = []
            if ranked.candidates:
                words, weights = question_token_weights(engine.index, tokens[0])
                rows_of = engine.index.sentence_tokens.of([c.row for c in ranked.candidates])
                match = token_match_scores(word_matches(words, rows_of), weights).tolist()
            rows.append({"set": name, "id": q.id, "question": q.question, "answerable": q.answerable,
                         "key_facts": q.key_facts, "candidates": [c.text for c in ranked.candidates],
                         "lead": ranked.lead if ranked.candidates else -1,
                         "scores": [float(s) for s in ranked.scores], "match": match})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows), encoding="utf-8")
    print(f"{len(rows)} questions -> {out}")


def holds(text: str, facts) -> bool:
    """The lead-accuracy test of the gold evaluation: the sentence alone holds every key fact."""
    return bool(facts) and lead_holds_key_facts([text], facts)


def score(rows: list[dict], weights: list[str], mix: list[float]) -> None:
    from rag.answer.reader import Reader

    for folder in weights:
        reader = Reader.load(folder, quantized=False)
        print(f"\n{folder}")
        print("| set | n | word match | reader | " + " | ".join(f"+{w}" for w in mix)
              + " | " + " | ".join(f"top {k}" for k in TOPS) + " | ceiling | AUC max p | AUC max p (word-match lead) |")
        print("|---|---|---|---|" + "---|" * (len(mix) + len(TOPS)) + "---|---|---|")
        for name in SETS:
            got = [r for r in rows if r["set"] == name]
            counts = {"wm": 0, "reader": 0, "ceiling": 0, **{w: 0 for w in mix}, **{f"top{k}": 0 for k in TOPS}}
            best_p = {}
            lead_p = {}
            for r in got:
                if not r["candidates"]:
                    best_p[r["id"]] = lead_p[r["id"]] = 0.0
                    continue
                logit = reader.logits([(r["question"], c) for c in r["candidates"]])[:, 0]
                p = 1 / (1 + np.exp(-logit))
                best_p[r["id"]] = float(p.max())
                lead_p[r["id"]] = float(p[r["lead"]])
                if not r["answerable"]:
                    continue
                cands, facts = r["candidates"], r["key_facts"]
                counts["wm"] += holds(cands[r["lead"]], facts)
                counts["reader"] += holds(cands[int(np.argmax(logit))], facts)
                counts["ceiling"] += any(holds(c, facts) for c in cands)
                word = np.asarray(r["match"])
                for w in mix:
                    counts[w] += holds(cands[int(np.argmax(logit + w * word))], facts)
                order = np.argsort(-word, kind="stable")
                for k in TOPS:
                    top = order[:k]
                    counts[f"top{k}"] += holds(cands[int(top[np.argmax(logit[top])])], facts)
            n = max(1, len([r for r in got if r["answerable"]]))
            pos = [best_p[r["id"]] for r in got if r["answerable"]]
            neg = [best_p[r["id"]] for r in got if not r["answerable"]]
            lpos = [lead_p[r["id"]] for r in got if r["answerable"]]
            lneg = [lead_p[r["id"]] for r in got if not r["answerable"]]
            print(f"| {name} | {len(got)} | {counts['wm'] / n:.3f} | {counts['reader'] / n:.3f} | "
                  + " | ".join(f"{counts[w] / n:.3f}" for w in mix) + " | "
                  + " | ".join(f"{counts[f'top{k}'] / n:.3f}" for k in TOPS)
                  + f" | {counts['ceiling'] / n:.3f} | {auc(pos, neg) if neg else float('nan'):.3f} | "
                  f"{auc(lpos, lneg) if lneg else float('nan'):.3f} |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("collect", "score"))
    parser.add_argument("--out", type=Path, default=ROOT / ".cache/probe.json")
    parser.add_argument("--weights", action="append", default=[])
    parser.add_argument("--mix", default="2,5,10", help="word-match weights added to the reader's log-odds")
    args = parser.parse_args(argv)
    if args.command == "collect":
        collect(args.out)
    else:
        rows = json.loads(args.out.read_text(encoding="utf-8"))
        score(rows, args.weights or [str(ROOT / "rag/reader_model")], [float(w) for w in args.mix.split(",")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
