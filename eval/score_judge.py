"""Score a language model as the judge of LLM mode's sentences, on the hand-labelled ones.

    python eval/score_judge.py --url http://127.0.0.1:PORT/v1 [--split dev|held-out|all] [--threshold T ...]

Every labelled generated sentence (eval/llm_sentence_labels.jsonl, meta sentences left out) is checked as LLM mode
checks it, passage by passage (the cited ones first, then the others shown): the numbers and names it states must
be in the passage (`verify_generated`'s hard checks), and the model serving --url is asked whether the passage
states it (`support_probability` below, one token). Two checks are scored at each threshold T:

- "and": the shipped check keeps the sentence and the judge says yes (>= T) of the passage that kept it;
- "judge": the judge replaces the cosine: the first of at most JUDGE_PASSAGES passages that hold its numbers and
  names and come within JUDGE_COSINE of it, the judge says yes of.

The judge's answers are cached in .cache/judge-<model>.json (one call is 2-4 s on this machine's CPU).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from score_verifier import passage_sentences, report  # noqa: E402

from rag.errors import LLMError  # noqa: E402

JUDGE_COSINE = 0.3
JUDGE_PASSAGES = 2


JUDGE_SYSTEM = "You check whether a passage states a claim. Answer yes or no."


def judge_messages(passage: str, claim: str) -> list[dict]:
    """The yes-or-no question put to the model about one generated sentence and one passage."""
    return [{"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": f"Passage: {passage}\n\nClaim: {claim}\n\n"
                                        "Does the passage state the claim? Answer yes or no."}]


def yes_probability(top_logprobs: Sequence[dict]) -> float:
    """P(yes) against P(no) from the first token's top log-probabilities (any case, spaces around); 0.5 when the
    model put neither among them."""
    mass = {"yes": 0.0, "no": 0.0}
    for entry in top_logprobs:
        word = str(entry.get("token", "")).strip().lower()
        if word in mass:
            mass[word] += math.exp(float(entry.get("logprob", -1e9)))
    total = mass["yes"] + mass["no"]
    return mass["yes"] / total if total > 0 else 0.5


def support_probability(settings, passage: str, claim: str) -> float:
    """How sure the model is that the passage states the claim: one token, its log-probabilities. Raises LLMError."""
    import httpx

    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    body = {"model": settings.model, "messages": judge_messages(passage, claim), "max_tokens": 1,
            "temperature": 0.0, "logprobs": True, "top_logprobs": 10}
    try:
        response = httpx.post(f"{settings.base_url}/chat/completions", json=body, headers=headers,
                              timeout=httpx.Timeout(settings.timeout, connect=10.0))
    except httpx.HTTPError as exc:
        raise LLMError(f"the LLM endpoint {settings.base_url} failed ({type(exc).__name__}: {exc}); "
                       "check that it is running and reachable") from exc
    if response.status_code != 200:
        raise LLMError(f"the LLM endpoint {settings.base_url} answered HTTP {response.status_code}: "
                       f"{response.text[:200]}; check the URL, the model name and the API key")
    try:
        content = response.json()["choices"][0]["logprobs"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"the LLM endpoint {settings.base_url} gave no log-probabilities; a checked answer needs an "
                       "endpoint that returns them (llama.cpp's server does)") from exc
    return yes_probability(content[0].get("top_logprobs") or [content[0]]) if content else 0.5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--threshold", type=float, action="append", default=[])
    args = parser.parse_args(argv)
    from tqdm import tqdm

    from rag.answer.llm import LLMSettings
    from rag.answer.verify import verify_generated
    from rag.embedding import Embedder

    settings = LLMSettings.resolve(base_url=args.url)
    cache_path = ROOT / ".cache" / "judge-qwen.json"
    cache = json.loads(cache_path.read_text(encoding="utf-8")) if cache_path.exists() else {}
    wanted = {"held-out": ("test", "blind"), "all": ("dev", "test", "blind")}.get(args.split, (args.split,))
    sentences = {r["id"]: r for r in map(json.loads, open(ROOT / "eval/llm_sentences.jsonl", encoding="utf-8"))}
    labels = [r for r in map(json.loads, open(ROOT / "eval/llm_sentence_labels.jsonl", encoding="utf-8"))
              if r["split"] in wanted and r["label"] != "meta"]
    embedder = Embedder.load()
    shipped, both, judged = [], {t: [] for t in args.threshold}, {t: [] for t in args.threshold}
    for row in tqdm(labels, desc="judge", unit="sentence"):
        item = sentences[row["id"]]
        vector = embedder.encode([row["sentence"]])[0]
        cited = [str(n) for n in item.get("cited", []) if str(n) in item["passages"]]
        order = cited + [n for n in item["passages"] if n not in cited]
        kept_by, eligible = None, []
        for n in order:
            body, spans = passage_sentences(item["passages"][n])
            if not spans:
                continue
            vectors = embedder.encode([body[a:b] for a, b in spans])
            verdict = verify_generated(row["sentence"], vector, body, spans, vectors)
            if verdict.supported and kept_by is None:
                kept_by = n
            hard_ok = verdict.supported or verdict.reason.startswith("no sentence")
            if hard_ok and float((vectors @ vector).max()) >= JUDGE_COSINE:
                eligible.append(n)

        def judge(n: str) -> float:
            key = f"{row['id']}|{n}"
            if key not in cache:
                body = item["passages"][n].split("): ", 1)[-1]
                cache[key] = support_probability(settings, body, row["sentence"])
            return cache[key]

        shipped.append(kept_by is not None)
        for t in args.threshold:
            both[t].append(kept_by is not None and judge(kept_by) >= t)
            judged[t].append(any(judge(n) >= t for n in eligible[:JUDGE_PASSAGES]))
        cache_path.write_text(json.dumps(cache), encoding="utf-8")
    supported = np.array([r["label"] == "supported" for r in labels])
    report(f"shipped check ({args.split})", supported, np.array(shipped))
    for t in args.threshold:
        report(f"shipped and judge >= {t}", supported, np.array(both[t]))
        report(f"judge >= {t} instead of the cosine", supported, np.array(judged[t]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
