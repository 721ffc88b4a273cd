"""The LLM answerer: any OpenAI-compatible chat endpoint writes the answer from numbered passages.

The prompt holds the passages, numbered as citations, within a token budget (tiktoken). The reply streams
token by token; then every sentence is verified against the passage it cites (`verify.verify_generated`).
A sentence its cited passage does not support, or that cites nothing, is checked against the other passages
shown: where one supports it, it is kept citing that one and `Claim.reason` says the citation was corrected;
otherwise it is dropped and listed in `Answer.dropped`. A "[7]" with no passage 7 is removed, and a refusal
becomes an abstention. Nothing is sent
anywhere unless an endpoint is configured (options or RAG_LLM_BASE_URL / RAG_LLM_MODEL / RAG_LLM_API_KEY).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import LLMError, QueryError
from ..model import Passage
from ..text import CITATION_RE, cited_numbers, normalize
from .extractive import attributed
from .model import ABSTAIN_TEXT, Answer, Claim
from .verify import verify_generated
from ..lexicon.words import REFUSAL_PHRASES
from ..store import IndexView

PROMPT_PASSAGE_TOKENS = 1500  # passages beyond this budget are left out of the prompt
REFUSAL = "NOT IN THE ARTICLES"
SYSTEM_PROMPT = (
    "You answer questions about news articles using only the numbered passages you are given. "
    "Answer in one or two short sentences written in your own words, and end each sentence with the number "
    "of the passage it comes from in square brackets, for example: The drones were shipped across the "
    "Caspian Sea [2]. Use no knowledge from outside the passages. If the passages do not answer the "
    f"question, reply only: {REFUSAL}")


@dataclass(frozen=True)
class LLMSettings:
    """Where and how to reach an OpenAI-compatible chat endpoint."""

    base_url: str
    model: str = "default"
    api_key: str | None = None
    timeout: float = 120.0
    max_tokens: int = 256
    temperature: float = 0.0

    @classmethod
    def resolve(cls, base_url: str | None = None, model: str | None = None, api_key: str | None = None,
                **options) -> LLMSettings:
        """Settings from the arguments, else RAG_LLM_BASE_URL / RAG_LLM_MODEL / RAG_LLM_API_KEY."""
        base_url = base_url or os.environ.get("RAG_LLM_BASE_URL")
        if not base_url:
            raise QueryError("no LLM endpoint is configured; pass llm_base_url (--llm-url) or set RAG_LLM_BASE_URL "
                             "to an OpenAI-compatible base URL such as http://127.0.0.1:8080/v1")
        if not base_url.startswith(("http://", "https://")):
            raise QueryError(f"LLM base URL {base_url!r} is not an http(s) URL; give one like http://127.0.0.1:8080/v1")
        return cls(base_url.rstrip("/"), model or os.environ.get("RAG_LLM_MODEL") or "default",
                   api_key or os.environ.get("RAG_LLM_API_KEY"), **options)


# ---------------------------------------------------------------- prompt and reply (pure)


def build_messages(question: str, passages: Sequence[Passage], count_tokens: Callable[[str], int], *,
                   budget: int = PROMPT_PASSAGE_TOKENS) -> list[dict]:
    """Chat messages: the instructions, then the numbered passages (within `budget` tokens) and the question."""
    blocks, used = [], 0
    for n, p in enumerate(passages, start=1):
        label = ", ".join(x for x in (p.title, p.source, p.published) if x)
        block = f"[{n}] ({label})\n{' '.join(p.text.split())}"
        cost = count_tokens(block)
        if blocks and used + cost > budget:
            break
        blocks.append(block)
        used += cost
    user = "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def split_sentences(reply: str) -> list[str]:
    """The reply's sentences, each keeping the citation markers that follow it."""
    import pysbd

    pieces = [s.strip() for s in pysbd.Segmenter(language="en", clean=False).segment(reply) if s.strip()]
    out: list[str] = []
    for piece in pieces:
        lead = re.match(rf"^((?:\s*{CITATION_RE.pattern})+)[.\s]*", piece)
        if lead and out:  # "[1]" split off the sentence it ends
            out[-1] += " " + lead.group(1).strip()
            piece = piece[lead.end():].strip()
        if piece:
            out.append(piece)
    return out


def citations_of(sentence: str) -> tuple[str, list[int]]:
    """(the sentence without markers, the cited numbers in order)."""
    numbers = cited_numbers(sentence)
    text = CITATION_RE.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", text)).strip()
    return text, list(dict.fromkeys(numbers))


def is_refusal(reply: str) -> bool:
    """Whether the reply declines to answer from the passages."""
    folded = normalize(reply)
    return normalize(REFUSAL) in folded or (not CITATION_RE.search(reply) and any(p in folded for p in REFUSAL_PHRASES))


# ---------------------------------------------------------------- the endpoint


def stream_chat(settings: LLMSettings, messages: list[dict]) -> Iterator[str]:
    """The reply's text pieces as the endpoint streams them (server-sent events)."""
    import httpx

    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    body = {"model": settings.model, "messages": messages, "stream": True, "max_tokens": settings.max_tokens,
            "temperature": settings.temperature}
    try:
        with httpx.stream("POST", f"{settings.base_url}/chat/completions", json=body, headers=headers,
                          timeout=httpx.Timeout(settings.timeout, connect=10.0)) as response:
            if response.status_code != 200:
                response.read()
                raise LLMError(f"the LLM endpoint {settings.base_url} answered HTTP {response.status_code}: "
                               f"{response.text[:200]}; check the URL, the model name and the API key")
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                try:
                    choice = json.loads(data)["choices"][0]
                except (json.JSONDecodeError, KeyError, IndexError) as exc:
                    raise LLMError(f"the LLM endpoint {settings.base_url} sent an unreadable event: {data[:120]}") from exc
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece:
                    yield piece
    except httpx.HTTPError as exc:
        raise LLMError(f"the LLM endpoint {settings.base_url} failed ({type(exc).__name__}: {exc}); "
                       "check that it is running and reachable") from exc


# ---------------------------------------------------------------- the answerer


def _passage_sentences(index: IndexView, passage: Passage) -> tuple[list[tuple[int, int]], np.ndarray, str]:
    """(sentence spans in the document, their vectors, the document text) of one passage."""
    records = index.chunks([passage.chunk_id])
    document = index.document_text(passage.doc_id) or ""
    if not records or index.sentence_vectors.shape[1] == 0:
        return [], np.zeros((0, 1), np.float32), document
    spans = index.sentence_spans(records[0].first_sentence_row, records[0].last_sentence_row)
    vectors = np.asarray(index.sentence_vectors[[row for row, _, _ in spans]], dtype=np.float32)
    return [(start, end) for _, start, end in spans], vectors, document


def verify_reply(index: IndexView, question: str, reply: str, passages: Sequence[Passage],
                 encode: Callable[[list[str]], np.ndarray]) -> Answer:
    """Turn a reply into an Answer whose claims each cite a passage that supports them."""
    if is_refusal(reply) or not reply.strip():
        return Answer(question, ABSTAIN_TEXT, [], True, passages=list(passages), abstain_reason="llm-refused",
                      answerer="llm")
    parsed = [citations_of(s) for s in split_sentences(reply)]
    parsed = [(text, [n for n in numbers if 1 <= n <= len(passages)]) for text, numbers in parsed if text]
    vectors = encode([text for text, _ in parsed]) if parsed else np.zeros((0, 1), np.float32)
    cache: dict[int, tuple] = {}
    kept: list[tuple[str, int, object, str]] = []
    dropped: list[Claim] = []
    for (text, numbers), vector in zip(parsed, vectors):
        # The cited passages first; then any other passage shown, since small models often cite the wrong number.
        order = numbers + [n for n in range(1, len(passages) + 1) if n not in numbers]
        verdicts = []
        for n in order:
            spans, passage_vectors, _ = cache.setdefault(n, _passage_sentences(index, passages[n - 1]))
            verdicts.append((n, verify_generated(text, vector, passages[n - 1].text, spans, passage_vectors)))
            if verdicts[-1][1].supported:
                break
        n, verdict = verdicts[-1] if verdicts[-1][1].supported else verdicts[0]
        if verdict.supported:
            note = "" if n in numbers else (f"the model cited [{', '.join(map(str, numbers))}]; the verifier found "
                                            f"it in [{n}]" if numbers else "the model cited nothing; the verifier "
                                            f"found it in [{n}]")
            kept.append((text, n, verdict, note))
        else:
            reason = verdict.reason if numbers else "cites no passage, and no passage shown supports it"
            dropped.append(Claim(text, numbers[0] if numbers else None, passages[n - 1].doc_id, verdict.start,
                                 verdict.end, 0.0, generated=True, supported=False, reason=reason))
    if not kept:
        return Answer(question, ABSTAIN_TEXT, [], True, passages=list(passages), abstain_reason="llm-unsupported",
                      answerer="llm", dropped=dropped)
    numbers: dict[int, int] = {}
    for _, n, _, _ in kept:
        numbers.setdefault(n, len(numbers) + 1)
    claims = [Claim(text, numbers[n], passages[n - 1].doc_id, v.start, v.end, 1.0, generated=True, reason=note)
              for text, n, v, note in kept]
    claims = attributed(index, claims)
    citations = [dataclasses.replace(passages[n - 1], n=m) for n, m in numbers.items()]
    answer_text = " ".join(f"{c.text} [{c.n}]" for c in claims)
    return Answer(question, answer_text, citations, False, claims=claims, confidence=1.0, passages=list(passages),
                  answerer="llm", dropped=dropped)


def stream_answer(index: IndexView, question: str, passages: Sequence[Passage], settings: LLMSettings,
                  encode: Callable[[list[str]], np.ndarray], count_tokens: Callable[[str], int]) -> Iterator[str | Answer]:
    """Yield the reply's text pieces as they arrive, then the verified Answer. Raises LLMError on failure."""
    if not passages:
        yield Answer(question, ABSTAIN_TEXT, [], True, abstain_reason="no-passages", answerer="llm")
        return
    pieces = []
    for piece in stream_chat(settings, build_messages(question, passages, count_tokens)):
        pieces.append(piece)
        yield piece
    yield verify_reply(index, question, "".join(pieces), passages, encode)
