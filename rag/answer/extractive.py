"""The extractive answerer: quote the article sentences that answer, each cited [n], or abstain and say why.

Sentences of the retrieved passages are scored against the question (cosine + term coverage + answer-type
match, see `types`); that score decides whether to answer. The lead, the sentence that answers, is the one whose
words best match the question's, word by word (`token_match_scores`: each question word's closest contextual
wordpiece in the sentence, weighted by IDF, as BERTScore's recall); of the best non-redundant others, one is
quoted only when it adds something (question words the sentences before it match poorly, another article's
account, a year the question names) and the reader (`reader`, a trained cross-encoder) finds it answering.
Before that, a question naming a model number or a rare name that no article mentions is refused (`terms`):
"The articles do not mention S-300."
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..embedding import TokenVectors
from ..lexicon.gazetteer import capitals_as_countries, place_partners, with_question_places
from ..model import Passage
from ..text import years_named
from ..retrieval import lookup_chunks
from .model import ABSTAIN_TEXT, Answer, Claim, UNKNOWN_SOURCE, explain, reader_date, said_by
from .render import format_answer
from .terms import missing_model_numbers, missing_names, model_numbers, word_piece_counts
from .types import Slot, expected_slot, fills_slot
from ..lexicon.words import QUESTION_WORDS
from ..store import IndexView, bm25_tokenize

# Calibrated on the development half of eval/gold.jsonl (see README, "Evaluation"); not on the held-out half.
DEFAULT_ABSTAIN_THRESHOLD = 0.163
LEXICAL_WEIGHT = 0.3
TYPE_WEIGHT = 0.15
UNKNOWN_WEIGHT = 0.85
# Up to four sentences are quoted, but whether the answer holds the kind of answer asked for is judged on the
# best three: a fourth, quoted for breadth (a list spread over articles), must not make an off-type answer pass.
# Chosen on the development half: key-fact accuracy of its 19 multi-article questions q127-q145 rose from
# 0.118 to 0.235 with abstentions unchanged; judged on all four, dev abstention fell from 18/19 to 17/19.
MAX_SENTENCES = 4
TYPED_SENTENCES = 3
SELECTION_MARGIN = 0.2
# A sentence after the lead is quoted when it matches the question's words better by this share of their weight:
# chosen on dev, where it kept key facts (0.634) and raised claim precision 0.442 -> 0.478 (eval/EXPERIMENTS.md).
MIN_GAIN = 0.02
REDUNDANT_COSINE = 0.85
# The reader (rag/answer/reader.py) decides which of the near-best sentences join the lead: each must be found
# answering with this probability. Chosen on dev (eval/EXPERIMENTS.md, "Issue 29"); there the reader also chose
# the lead and decided refusals, and both measured worse than the word match and the confidence below.
FURTHER_PROBABILITY = 0.2
# Ablation switch for eval/reader_sweep.py: the rare-name/model-number refusals.
REFUSE_UNMENTIONED = 1


@dataclass(frozen=True)
class Question:
    """The question as the answer stage reads it: its text, its sentence vector and its wordpiece vectors (None
    for a caller without them: the lead is then the best-scored sentence, and rare names are not checked)."""

    text: str
    vector: np.ndarray
    tokens: TokenVectors | None = None


@dataclass(frozen=True)
class WordMatch:
    """How each sentence matches the question: `matches[i, w]` how well sentence i matches question word w (1/0
    for holding a question term, or a cosine of word vectors), `weights` the words' weights, `type_match[i]` 1 where
    sentence i holds the kind of answer asked (`typed`: the question asks for one), `articles[i]` its article."""

    matches: np.ndarray
    weights: np.ndarray
    type_match: np.ndarray
    articles: Sequence[str]
    typed: bool


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, as the selector sees it."""

    passage_index: int
    row: int
    start: int
    end: int
    text: str


# ---------------------------------------------------------------- scoring math (pure)


def answer_type_matches(slot: Slot | None, question: str, sentences: Sequence[str]) -> np.ndarray:
    """1.0 where a sentence holds the kind of answer the question asks for (see answer_types), else 0.0."""
    return np.array([1.0 if fills_slot(slot, s, question) else 0.0 for s in sentences], dtype=np.float32)


def content_terms(tokens: Sequence[str]) -> set[str]:
    """Stemmed question terms without question words."""
    return {t for t in tokens if t not in QUESTION_WORDS}


def lexical_coverage(question_terms: set[str], sentence_terms: Sequence[set[str]]) -> np.ndarray:
    """Fraction of the question's content terms that each sentence contains."""
    if not question_terms:
        return np.zeros(len(sentence_terms), dtype=np.float32)
    return np.array([len(question_terms & terms) / len(question_terms) for terms in sentence_terms], dtype=np.float32)


def unknown_term_rate(question_terms: set[str], vocabulary) -> float:
    """Fraction of question terms that occur nowhere in the corpus (a question about something absent)."""
    if not question_terms:
        return 0.0
    return sum(term not in vocabulary for term in question_terms) / len(question_terms)


def sentence_scores(question_vector: np.ndarray, sentence_vectors: np.ndarray, coverage: np.ndarray,
                    type_match: np.ndarray, *, lexical_weight: float = LEXICAL_WEIGHT,
                    type_weight: float = TYPE_WEIGHT) -> np.ndarray:
    """Relevance of each sentence: cosine with the question, plus term coverage and answer-type bonuses."""
    if len(sentence_vectors) == 0:
        return np.zeros(0, dtype=np.float32)
    return sentence_vectors @ question_vector + lexical_weight * coverage + type_weight * (type_match - 1.0)


def answer_confidence(best_score: float, unknown_rate: float, *, unknown_weight: float = UNKNOWN_WEIGHT) -> float:
    """How sure we are that the best sentence answers: its score, less a penalty for out-of-corpus terms."""
    return best_score - unknown_weight * unknown_rate


def select_sentences(scores: np.ndarray, sentence_vectors: np.ndarray, *, max_sentences: int = MAX_SENTENCES,
                     margin: float = SELECTION_MARGIN, redundant_cosine: float = REDUNDANT_COSINE,
                     sources: Sequence[str] | None = None) -> list[int]:
    """Indices of the best sentence plus near-best ones that are not redundant with those already chosen.

    With `sources` (each sentence's article), the best near-best sentence of an article not yet quoted is
    added too, so a question whose evidence spans articles gets each of them.
    """
    if len(scores) == 0:
        return []
    order = np.argsort(-scores, kind="stable")
    best = float(scores[order[0]])
    chosen: list[int] = []
    for i in order:
        if len(chosen) >= max_sentences or scores[i] < best - margin:
            break
        if chosen and float((sentence_vectors[chosen] @ sentence_vectors[i]).max()) >= redundant_cosine:
            continue
        chosen.append(int(i))
    if sources is not None:
        quoted = {sources[i] for i in chosen}
        other = next((int(i) for i in order if scores[i] >= best - margin and sources[i] not in quoted), None)
        if other is not None:
            chosen.append(other)
    return chosen


def word_matches(question_tokens: np.ndarray, sentence_tokens: Sequence[np.ndarray]) -> np.ndarray:
    """(sentences, question words): each question wordpiece's best cosine with a wordpiece of each sentence
    (0 for an empty sentence)."""
    out = np.zeros((len(sentence_tokens), len(question_tokens)), dtype=np.float32)
    if len(question_tokens):
        for i, tokens in enumerate(sentence_tokens):
            if len(tokens):
                out[i] = (question_tokens @ tokens.T).max(axis=1)
    return out


def token_match_scores(matches: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """How well each sentence matches the question word by word: its word matches averaged with IDF weights
    (BERTScore's recall)."""
    total = float(weights.sum())
    return (matches @ weights) / total if total > 0 else np.zeros(len(matches), dtype=np.float32)


def best_match(match: np.ndarray, type_match: np.ndarray, *, typed: bool) -> int:
    """The sentence that matches the question best, among those holding the kind of answer asked when any does."""
    allowed = type_match > 0 if typed and bool((type_match > 0).any()) else np.ones(len(match), dtype=bool)
    return int(np.argmax(np.where(allowed, match, -np.inf)))


def lean_claims(chosen: Sequence[int], match: WordMatch, *, lead: int, min_gain: float = MIN_GAIN) -> list[int]:
    """The sentences to quote: the lead, then those of `chosen` that add something.

    Another chosen sentence is kept when it matches the question's words better than the sentences before it, by
    `min_gain` of the weighted whole (it answers a part they leave open), or, for a question asking for a kind of
    answer, when it holds one and comes from an article not yet quoted (a second official who said the same thing,
    a second account).
    """
    out = [lead]
    covered = match.matches[lead].copy()
    quoted = {match.articles[lead]}
    total = max(float(match.weights.sum()), 1e-9)
    for i in chosen:
        if i == lead:
            continue
        gain = float(np.maximum(match.matches[i] - covered, 0) @ match.weights) / total
        if gain >= min_gain or (match.typed and match.type_match[i] and match.articles[i] not in quoted):
            out.append(i)
            covered = np.maximum(covered, match.matches[i])
            quoted.add(match.articles[i])
    return out


def with_named_years(quoted: list[int], scores: np.ndarray, published: Sequence[str | None],
                     years: Sequence[str]) -> list[int]:
    """The quoted sentences plus the best sentence of each named year none of them is from; with two or more
    years named ("between 2011 and 2024"), in order of publication, so the answer reads as a timeline."""
    if not quoted or not years:
        return quoted
    out = list(quoted)
    for year in years:
        if any((published[i] or "").startswith(year) for i in out):
            continue
        of_year = [i for i in range(len(scores)) if (published[i] or "").startswith(year)]
        if of_year:
            out.append(max(of_year, key=lambda i: scores[i]))
    if len(years) >= 2:
        out.sort(key=lambda i: published[i] or "9999")  # undated last
    return out


def is_heading(doc_text: str, start: int, end: int) -> bool:
    """A span that fills its own paragraph and has no closing punctuation (a headline or subheading)."""
    whole_paragraph = (start == 0 or doc_text[max(0, start - 2):start] == "\n\n") and (
        end == len(doc_text) or doc_text[end:end + 2] == "\n\n")
    return whole_paragraph and not doc_text[start:end].rstrip().endswith((".", "!", "?", '"', "”", "’", "'", ")"))


def quotable(doc_text: str, title: str, start: int, end: int) -> bool:
    """Article text that can be quoted as a claim: not a heading, not the title paragraph, not a question."""
    text = doc_text[start:end].strip()
    # The title (maybe one made up from the first words of a file with no headline) is the citation's label.
    in_title = bool(title) and doc_text.startswith(title) and start < len(title)
    return bool(text) and not in_title and not is_heading(doc_text, start, end) and not text.endswith("?")


def number_citations(passage_indices: Sequence[int]) -> dict[int, int]:
    """Citation number per passage index, in order of first use."""
    numbers: dict[int, int] = {}
    for index in passage_indices:
        numbers.setdefault(index, len(numbers) + 1)
    return numbers


# ---------------------------------------------------------------- the answer stage


def attributed(index: IndexView, claims: list[Claim]) -> list[Claim]:
    """The claims with the attribution the index stores for the sentence each one quotes or rests on."""
    rows = [index.sentence_row_at(c.doc_id, c.start) for c in claims]
    found = index.attributions([r for r in rows if r is not None])
    return [dataclasses.replace(claim, **said_by(found.get(row))) for claim, row in zip(claims, rows)]


def candidate_sentences(index: IndexView, passages: Sequence[Passage]) -> list[Candidate]:
    """Sentences inside the retrieved passages, each credited to the best-ranked passage holding it."""
    records = {r.chunk_id: r for r in index.chunks([p.chunk_id for p in passages])}
    seen: set[int] = set()
    texts: dict[str, str] = {}
    out: list[Candidate] = []
    for pi, passage in enumerate(passages):
        record = records.get(passage.chunk_id)
        if record is None:
            continue
        if passage.doc_id not in texts:
            texts[passage.doc_id] = index.document_text(passage.doc_id) or ""
        doc_text = texts[passage.doc_id]
        for row, start, end in index.sentence_spans(record.first_sentence_row, record.last_sentence_row):
            if row in seen:
                continue
            seen.add(row)
            if not quotable(doc_text, passage.title, start, end):
                continue
            out.append(Candidate(pi, row, start, end, doc_text[start:end]))
    return out


def unmentioned_terms(index: IndexView, question: Question) -> tuple[list[str], list[str]]:
    """The model numbers and the rare names the question names that no indexed article mentions."""

    def passages_with(query: str) -> list[str]:
        return [r.text for r in lookup_chunks(index, 20, terms=query)]
    codes = missing_model_numbers(question.text, passages_with)
    if question.tokens is None or not index.has_bm25:
        return codes, []
    metadata = index.metadata_terms

    def is_known(word: str) -> bool:
        stems = bm25_tokenize([word], ids=False)[0]
        return bool(stems) and all(s in metadata or index.has_term(s) for s in stems)
    return codes, missing_names(question.text, word_piece_counts(question.tokens.pieces), is_known, passages_with)


@dataclass(frozen=True)
class RankedSentences:
    """The answer stage's working state: candidates, their scores, the chosen ones, and abstention signals."""

    candidates: list[Candidate]
    scores: np.ndarray
    chosen: list[int]
    unknown_rate: float
    slot_filled: bool  # one of the best chosen sentences holds the kind of answer asked (a number for "How many…")
    quoted: list[int] = dataclasses.field(default_factory=list)  # of `chosen`, the ones the answer quotes
    lead: int = 0  # the candidate the answer starts with (what a refusal points to as the closest)

    @property
    def best_score(self) -> float:
        """Score of the top sentence (-inf when there is none)."""
        return float(self.scores[self.chosen[0]]) if self.chosen else float("-inf")


def question_token_weights(index: IndexView, question_tokens: TokenVectors) -> tuple[np.ndarray, np.ndarray]:
    """The question's wordpiece vectors and IDF weights, without question words ("what", "who", "describe")."""

    stems = bm25_tokenize(question_tokens.pieces, ids=False) if question_tokens.pieces else []
    keep = np.array([bool(s) and not (set(s) & QUESTION_WORDS) for s in stems], dtype=bool)
    return question_tokens.vectors[keep], index.sentence_tokens.idf_of(question_tokens.ids[keep])


def rank_sentences(index: IndexView, asked: Question, passages: Sequence[Passage], *,
                   max_sentences: int = MAX_SENTENCES,
                   read: Callable[[str, list[str]], np.ndarray] | None = None) -> RankedSentences:
    """Score every sentence of the passages against the question and choose the answer sentences.

    With `read(question, sentences)` (the reader's probability that each sentence answers), the near-best
    sentences are read and only those found answering join the lead."""

    question, question_vector, question_tokens = asked.text, asked.vector, asked.tokens
    candidates = candidate_sentences(index, passages)
    if not candidates or index.sentence_vectors.shape[1] == 0:
        return RankedSentences([], np.zeros(0, np.float32), [], 1.0, slot_filled=False)
    vectors = np.asarray(index.sentence_vectors[[c.row for c in candidates]], dtype=np.float32)
    # A sentence naming Russia covers a question's "Moscow", and the other way round.
    partners = place_partners(question)
    # The question as written scores coverage; read with capitals as countries, it is checked against the
    # vocabulary, since a capital the articles never name still has its country in them ("Pyongyang").
    tokenized = bm25_tokenize([question, capitals_as_countries(question)]
                              + [with_question_places(c.text, partners) for c in candidates], ids=False)
    terms = content_terms(tokenized[0])
    coverage = lexical_coverage(terms, [set(t) for t in tokenized[2:]])
    slot = expected_slot(question)
    type_match = answer_type_matches(slot, question, [c.text for c in candidates])
    scores = sentence_scores(question_vector, vectors, coverage, type_match)
    articles = [passages[c.passage_index].doc_id for c in candidates]
    chosen = select_sentences(scores, vectors, max_sentences=max_sentences, sources=articles)
    vocabulary = index.vocabulary
    typed = slot is not None
    if question_tokens is not None and index.sentence_tokens.has_tokens:
        question_words, weights = question_token_weights(index, question_tokens)
        matches = word_matches(question_words, index.sentence_tokens.of([c.row for c in candidates]))
        lead = best_match(token_match_scores(matches, weights), type_match, typed=typed)
    else:  # no word vectors (a caller without the question's): question terms held, and the best-scored lead
        question_terms = sorted(terms)
        matches = np.array([[term in set(t) for term in question_terms] for t in tokenized[2:]], dtype=np.float32)
        weights = np.ones(len(question_terms), dtype=np.float32)
        lead = next((i for i in chosen if type_match[i]), chosen[0]) if typed else chosen[0]
    match = WordMatch(matches, weights, type_match, articles, typed)
    quoted = lean_claims(chosen, match, lead=lead)
    if read is not None:
        # Only the sentences the word match would add are read (~10 ms each). One the reader finds not answering
        # leaves the pool and the choice is made again: a sentence not chosen leaves no trace in lean_claims, so
        # this quotes what reading every near-best sentence first would, with fewer read.
        found: dict[int, float] = {}
        while unread := [i for i in quoted[1:] if i not in found]:
            found.update(zip(unread, map(float, read(question, [candidates[i].text for i in unread]))))
            pool = [i for i in chosen if found.get(i, 1.0) >= FURTHER_PROBABILITY]
            quoted = lean_claims(pool, match, lead=lead)
    quoted = with_named_years(quoted, scores, [passages[c.passage_index].published for c in candidates],
                              years_named(question))
    return RankedSentences(candidates, scores, chosen, unknown_term_rate(content_terms(tokenized[1]), vocabulary),
                           slot_filled=any(type_match[i] for i in chosen[:TYPED_SENTENCES]), quoted=quoted,
                           lead=lead)


def quoted_sentence(candidate: Candidate, passages: Sequence[Passage]) -> str:
    """A candidate as a refusal quotes it: “text” (source, date)."""

    passage = passages[candidate.passage_index]
    # A sentence that is itself a quote keeps its own marks: no ““…”.
    text = candidate.text if candidate.text[:1] in "“\"" else f"“{candidate.text}”"
    return f"{text} ({passage.source or UNKNOWN_SOURCE}, {reader_date(passage.published)})"


# What each answer slot asks for, as a reader would say it ("The passages found do not state a number."): a
# question whose slot no chosen sentence fills is refused. A "response" slot only steers the lead to the one asked
# about speaking: refusing without one changed no held-out or blind figure, and refused questions the articles
# answer ("What did Iran say about the radar in Turkey?"; eval/EXPERIMENTS.md, types ablation).
SLOT_PHRASES = {"time": "when it happened", "count": "a number", "money": "an amount of money", "measure": "a measure",
                "person": "who it was", "place": "where it was", "name": "the name asked for"}


def answer(
    index: IndexView,
    asked: Question,
    passages: list[Passage],
    *,
    abstain_threshold: float = DEFAULT_ABSTAIN_THRESHOLD,
    max_sentences: int = MAX_SENTENCES,
    read: Callable[[str, list[str]], np.ndarray] | None = None,
) -> Answer:
    """Quote the sentences of `passages` that best answer the question, or abstain when none does."""
    question = asked.text
    if not passages:
        return Answer(question, ABSTAIN_TEXT, [], True, passages=passages, abstain_reason="no-passages")
    missing, names = unmentioned_terms(index, asked) if REFUSE_UNMENTIONED else ([], [])
    notes = []
    if names:  # the question is about someone or something the articles never name
        return Answer(question, ABSTAIN_TEXT, [], True, passages=passages,
                      abstain_reason="not-mentioned: " + ", ".join(names + missing))
    if missing:
        if len(missing) == len(model_numbers(question)):
            return Answer(question, ABSTAIN_TEXT, [], True, passages=passages,
                          abstain_reason="not-mentioned: " + ", ".join(missing))
        # The question names other model numbers the articles do mention: answer that part, say what is not.
        notes.append(explain("not-mentioned: " + ", ".join(missing)))
    ranked = rank_sentences(index, asked, passages, max_sentences=max_sentences, read=read)
    if not ranked.chosen:
        return Answer(question, ABSTAIN_TEXT, [], True, passages=passages, abstain_reason="low-score")
    confidence = answer_confidence(ranked.best_score, ranked.unknown_rate)
    if confidence < abstain_threshold:
        # Say what the articles do report closest to the question, so a refusal is not a dead end.
        return Answer(question, ABSTAIN_TEXT, [], True, confidence=confidence, passages=passages,
                      abstain_reason="not-answered: " + quoted_sentence(ranked.candidates[ranked.lead], passages))
    if not ranked.slot_filled and expected_slot(question).kind in SLOT_PHRASES:
        return Answer(question, ABSTAIN_TEXT, [], True, confidence=confidence, passages=passages,
                      abstain_reason="wrong-kind: " + SLOT_PHRASES.get(expected_slot(question).kind, "what it asks"))
    candidates, scores, chosen = ranked.candidates, ranked.scores, ranked.quoted
    numbers = number_citations([candidates[i].passage_index for i in chosen])
    claims = [
        Claim(candidates[i].text, numbers[candidates[i].passage_index], passages[candidates[i].passage_index].doc_id,
              candidates[i].start, candidates[i].end, float(scores[i]))
        for i in chosen
    ]
    claims = attributed(index, claims)
    citations = [dataclasses.replace(passages[pi], n=n) for pi, n in sorted(numbers.items(), key=lambda kv: kv[1])]
    text = format_answer([c.text for c in claims], [c.n for c in claims])
    return Answer(question, text, citations, False, claims=claims, confidence=confidence, passages=passages,
                  notes=notes)
