"""Probe: a local language model rewrites follow-ups as standalone questions (issue 30, part 1).

    python eval/llm_rewrite_probe.py --url http://127.0.0.1:PORT/v1 [--split dev|heldout|all] [--gate] [--show]

Each later turn of the frozen conversation set (eval/followups.jsonl) is rewritten by the model serving --url,
shown the conversation's earlier questions and the lead sentence each was answered with; the rewrite is then
answered as a standalone question and scored as eval/score_followups.py scores the shipped rewrite (same lead as
the turn's own standalone rewrite; hint in the answer; standalone questions left alone). With --gate the model
is asked only where rag.conversation reads the question as a follow-up (else the question is searched as typed).
Rewrites are cached in .cache/rewrites.json (one call is 2-16 s on this machine's CPU, one thread).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from score_followups import count_followup, print_tally  # noqa: E402

RULES = ("You rewrite the last question of a conversation about news articles so that it can be understood on "
         "its own. Replace pronouns and vague references (it, he, they, that, the meeting, in response) with "
         "the names and things they refer to, taken from the earlier questions and answers. Keep what the "
         "question asks; do not answer it. ")
# Ungated, the model also decides whether the question is a follow-up; gated, it is told that it is one.
SYSTEM = {False: RULES + "If the last question already stands on its own, repeat it exactly. Reply with the "
                         "rewritten question only.",
          True: RULES + "The last question always depends on the conversation: the rewrite must name what it "
                        "refers to. Reply with the rewritten question only."}

# Worked examples about invented events (none from the articles or the conversation set).
EXAMPLES = [
    ([("Which company did the ministry fine in March?", "The ministry fined Baltic Freight 2 million euros on "
       "March 4 for breaching the export ban.")], "Why did it do that?",
     "Why did the ministry fine Baltic Freight in March?"),
    ([("Who leads the new coastal patrol?", "Admiral Lena Hart, who took command in June, said the patrol "
       "would double its ships.")], "What did she say about its ships?",
     "What did Admiral Lena Hart say about the coastal patrol's ships?"),
    ([("When did the two navies hold their first joint drill?", "The first joint drill took place in the Gulf "
       "of Aden in 2019.")], "Who reported that?",
     "Who reported that the two navies held their first joint drill in the Gulf of Aden in 2019?"),
]


def turn_text(history: list[tuple[str, str]], question: str) -> str:
    lines = []
    for q, a in history:
        lines.append(f"Question: {q}")
        lines.append(f"Answer: {a or '(no answer found)'}")
    lines.append(f"Last question: {question}")
    lines.append("Rewritten last question:")
    return "\n".join(lines)


# Ungated, the third example is a standalone question left as it is.
STANDALONE_EXAMPLE = ([EXAMPLES[2][0][0]], "Which countries signed the grain deal in Ankara?",
                      "Which countries signed the grain deal in Ankara?")


def messages(history: list[tuple[str, str]], question: str, gated: bool) -> list[dict]:
    out = [{"role": "system", "content": SYSTEM[gated]}]
    for h, q, r in (EXAMPLES if gated else [*EXAMPLES[:2], STANDALONE_EXAMPLE]):
        out.append({"role": "user", "content": turn_text(h, q)})
        out.append({"role": "assistant", "content": r})
    out.append({"role": "user", "content": turn_text(history, question)})
    return out


def complete(url: str, msgs: list[dict]) -> str:
    import httpx

    body = {"model": "default", "messages": msgs, "temperature": 0, "max_tokens": 64}
    response = httpx.post(f"{url}/chat/completions", json=body, timeout=120)
    response.raise_for_status()
    text = response.json()["choices"][0]["message"]["content"].strip()
    return text.splitlines()[0].strip().strip('"') if text else ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--index", default=str(ROOT / "index"))
    parser.add_argument("--set", default=str(ROOT / "eval" / "followups.jsonl"))
    parser.add_argument("--split", choices=("dev", "heldout", "all"), default="dev")
    parser.add_argument("--gate", action="store_true")
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args(argv)
    from rag import RAG
    from rag.attribution import tag_words
    from rag.conversation import is_elliptical

    cache_path = ROOT / ".cache" / "rewrites.json"
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    conversations = [json.loads(line) for line in Path(args.set).read_text(encoding="utf-8").splitlines() if line.strip()]
    engine = RAG.load(args.index)
    tally: dict[str, Counter] = {}
    seconds = []
    for conv in conversations:
        if args.split != "all" and conv["split"] != args.split:
            continue
        count = tally.setdefault(conv["split"], Counter())
        history: list[tuple[str, str]] = []
        for i, turn in enumerate(conv["turns"]):
            question = turn["question"]
            if i == 0:
                first = engine.ask(question)
                history.append((question, "" if first.abstained or not first.claims else first.claims[0].text))
                continue
            if args.gate and not is_elliptical(question, tag_words(question)):
                query = question
            else:
                key = json.dumps([SYSTEM[args.gate], history, question])
                if key not in cache:
                    start = time.perf_counter()
                    cache[key] = complete(args.url, messages(history, question, args.gate))
                    seconds.append(time.perf_counter() - start)
                query = cache[key] or question
            got = engine.ask(query)
            history.append((question, "" if got.abstained or not got.claims else got.claims[0].text))
            if not turn["followup"]:
                count["standalone"] += 1
                count["left alone"] += query.strip() == question.strip()
                if args.show and query.strip() != question.strip():
                    print(f"{conv['id']}.{i} CHANGED {question!r} -> {query!r}")
                continue
            _, same = count_followup(count, engine, turn, got)
            if args.show and not same:
                print(f"{conv['id']}.{i} DIFFERS {question!r} -> {query!r}\n    standalone {turn['standalone']!r}")
    cache_path.parent.mkdir(exist_ok=True)
    cache_path.write_text(json.dumps(cache, indent=0))
    print_tally(tally)
    if seconds:
        seconds.sort()
        print(f"model calls: {len(seconds)}, median {seconds[len(seconds) // 2]:.1f} s, max {seconds[-1]:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
