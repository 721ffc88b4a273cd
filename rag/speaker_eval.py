"""Speaker precision and recall of `rag.attribution` on a labelled set of article sentences (eval/speakers.jsonl)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .lexicon.gazetteer import country_span
from .lexicon.words import SPEAKER_JOINERS, SPEAKER_PHRASE_ENDS
from .text import compound_words, possessor, tokens
from .attribution import attribute_documents
from .chunking import chunk_document, sentence_texts
from .documents import list_article_files, read_document
from .errors import RagError


def _words(name: str) -> list[str]:
    """A name's lower-case words, country aliases written out ("the U.K." -> united kingdom)."""
    lower = [possessor(w) for w in tokens(name)]
    out, i = [], 0
    while i < len(lower):
        country, n = country_span(lower, i)
        out.extend(country.split() if country else [lower[i]])
        i += n or 1
    return [w for w in out if w not in SPEAKER_JOINERS]


def head_word(label: str) -> str:
    """The word a labelled speaker is known by: the last one before a qualifier ("of", "in", "who"…): "officials",
    "Blinken", "official" for "a NATO official in Brussels"."""
    words = _words(label)
    ends = [i for i, word in enumerate(words) if word in SPEAKER_PHRASE_ENDS and i > 0]
    return words[ends[0] - 1] if ends else words[-1]


def head_words(label: str) -> set[str]:
    """A label's head word, and for a name in apposition with a role ("Vytautas Mazeika, a deputy defence minister";
    one comma: more are a list) each part's head word."""
    parts = label.split(",")
    heads = {head_word(label)}
    if len(parts) == 2 and all(_words(part) for part in parts):
        heads |= {head_word(part) for part in parts}
    return heads


def speaker_matches(predicted: str, label: str) -> bool:
    """A predicted speaker names the labelled one when it holds the label's head word ("Macron" for "Emmanuel
    Macron", "the U.K." for "the United Kingdom", either part of a name in apposition), or is its initials ("AP")."""
    if head_words(label) & set(_words(predicted)):
        return True
    # An outlet's or agency's initials: "AP" for "the Associated Press".
    initials = "".join(w[0] for w in compound_words(label) if w[0].isupper())
    return predicted.isupper() and len(predicted) > 1 and predicted.replace(".", "") == initials


@dataclass(frozen=True)
class SpeakerScores:
    """Speaker precision (of the sentences given a speaker) and recall (of the quoted and reported ones)."""

    correct: int
    predicted: int
    labelled: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.labelled if self.labelled else 0.0


def load_speaker_rows(path: str | Path, split: str | None = None) -> list[dict]:
    """Labelled sentences; odd-numbered ids are the dev half, even ones held out."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if split is None:
        return rows
    return [r for r in rows if (int(r["id"][1:]) % 2 == 1) == (split == "dev")]


def score_speakers(rows: Sequence[dict], predicted: Sequence[str | None]) -> SpeakerScores:
    """Score predicted speakers (None: the outlet's own statement) against the rows' labels, in order."""
    correct = labelled = given = 0
    for row, speaker in zip(rows, predicted, strict=True):
        spoken = row["kind"] in ("quote", "reported")
        labelled += spoken
        given += speaker is not None
        correct += bool(spoken and speaker is not None and speaker_matches(speaker, row["speaker"]))
    return SpeakerScores(correct, given, labelled)


def _matching_sentence(row: dict, sentences: Sequence[tuple[int, str]]) -> int | None:
    """The key of the sentence a labelled row copies (its first 60 characters, either way round)."""
    return next((key for key, text in sentences if row["sentence"][:60] in text or text[:60] in row["sentence"]), None)


def predict_speakers(rows: Sequence[dict], index) -> list[str | None]:
    """The speaker the index stores for each labelled sentence (read at build time with its article around it)."""
    out = []
    for row in rows:
        text = index.document_text(row["doc_id"]) or ""
        at = _matching_sentence(row, [(r, text[start:end]) for r, start, end in index.document_sentences(row["doc_id"])])
        out.append(index.attributions([at])[at].speaker if at is not None else None)
    return out


def predict_speakers_from_articles(rows: Sequence[dict], folder: str | Path) -> list[str | None]:
    """The speaker `rag.attribution` reads for each labelled sentence of the article files in a folder, with no
    index: the articles are split into sentences as a build splits them, except that an over-long sentence is not
    cut to the embedding model's limit (a build's chunker does that; none is over it in the labelled articles)."""

    docs = {doc.doc_id: doc for doc in map(read_document, list_article_files(folder))}
    wanted = sorted({row["doc_id"] for row in rows})
    missing = [doc_id for doc_id in wanted if doc_id not in docs]
    if missing:

        raise RagError(f"labelled articles {missing} are not in {folder}; pass the folder that holds them")
    texts = {doc_id: sentence_texts(docs[doc_id].text, chunk_document(docs[doc_id])[1]) for doc_id in wanted}
    read = dict(zip(wanted, attribute_documents([texts[doc_id] for doc_id in wanted]), strict=True))
    out = []
    for row in rows:
        at = _matching_sentence(row, list(enumerate(texts[row["doc_id"]])))
        out.append(read[row["doc_id"]][at].speaker if at is not None else None)
    return out
