"""Follow-up questions without an LLM: carry the previous question's key terms into an elliptical one.

"What missiles did Iran send to Russia?" followed by "And what did Iran say about it?" becomes
"what did Iran say about missiles send Russia?": the leading connective is dropped and the pronoun
is replaced by the previous query's content words that the new question does not already have.
Everything here is a pure function of strings, so it is tested without a model or an index.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .text import light_stem, phrase_word_matches, phrase_words, possessor
from .lexicon.words import DEMONSTRATIVES, FOLLOW_UP_STOPWORDS, PERSONAL, REFERRING, RELATIONAL, REPLACEABLE

Tags = Mapping[int, str]  # a question's parts of speech by character offset: {0: "PRON", 4: "VERB", ...}

_LEADING_RE = re.compile(
    r"^\s*(?:(?:and|but|so|also|then|ok|okay|now|well)\b[\s,]*)*(?:(?:what|how)\s+about\b[\s,]*)?",
    re.I,
)


@dataclass(frozen=True)
class Context:
    """What a later question can lean on from one earlier turn: the query it searched for and who says its answer."""

    query: str
    speaker: str | None = None  # who says the answer's lead sentence (rag.attribution), if anyone


MAX_CONTENT_TERMS = 4  # a question with a pronoun but more content words than this stands on its own
SHORT_QUESTION_TERMS = 1  # a question with at most this many content words needs context


def _fold(word: str) -> str:
    """Compare words ignoring case, a possessive 's and a plural (the one light stemmer)."""
    return light_stem(possessor(word))


def key_terms(question: str) -> list[str]:
    """Content words of a question in order, first spelling kept, without repeats."""
    seen: set[str] = set()
    out: list[str] = []
    for word in phrase_words(question):
        folded = _fold(word)
        if word.casefold() in FOLLOW_UP_STOPWORDS or folded in FOLLOW_UP_STOPWORDS or folded in seen:
            continue
        seen.add(folded)
        out.append(word)
    return out


def _referring_positions(question: str, tags: Tags, *, determiners: bool = False) -> list[re.Match]:
    """Matches of pronouns that refer back ("it", "he", "that" in "Who said that?"), as the tagger reads them;
    with `determiners`, also demonstratives that point back with a noun ("those comments"). "that" joining a
    clause ("Who said that Russia ...") is neither."""
    wanted = ("PRON", "DET") if determiners else ("PRON",)
    return [m for m in phrase_word_matches(question) if m.group().casefold() in REFERRING
            and tags.get(m.start()) in wanted and (tags[m.start()] == "PRON" or m.group().casefold() in DEMONSTRATIVES)]


def strip_leading_connective(question: str) -> str:
    """Drop a leading "and", "so", "what about", ... that ties a question to the previous one."""
    stripped = _LEADING_RE.sub("", question, count=1).strip()
    return stripped or question.strip()


def has_leading_connective(question: str) -> bool:
    """Whether the question opens with a connective such as "and" or "what about"."""
    return bool(_LEADING_RE.match(question).group().strip())


def _names_something(question: str, terms: Sequence[str]) -> bool:
    """Whether a content word is capitalized mid-sentence (a name: "Who is Lammy?" stands on its own)."""
    first = next(iter(phrase_words(question)), "")
    return any(t[:1].isupper() and t != first for t in terms)


def is_elliptical(question: str, tags: Tags) -> bool:
    """Whether a question leans on the conversation: a leading connective, a pronoun or a demonstrative that
    points back, a word such as "response" that needs something to respond to, or almost no content. `tags`
    holds the question's parts of speech by character offset (see `rag.attribution.tag_words`)."""
    terms = key_terms(question)
    if has_leading_connective(question):
        return True
    if len(terms) <= SHORT_QUESTION_TERMS and not _names_something(question, terms):
        return True
    leaning = (_referring_positions(question, tags, determiners=True)
               or any(w.casefold() in RELATIONAL for w in phrase_words(question)))
    return bool(leaning) and len(terms) <= MAX_CONTENT_TERMS


def needs_speaker(question: str, tags: Tags) -> bool:
    """Whether a follow-up means a person of the previous answer ("What else did he say?"): only then does its
    rewrite use who said that answer, so only then must that answer be known."""
    return is_elliptical(question, tags) and any(m.group().casefold() in PERSONAL
                                                 for m in _referring_positions(question, tags))


def _replaced(text: str, replacements: Mapping[tuple[int, int], str]) -> str:
    """`text` with each (start, end) span replaced."""
    for (start, end), new in sorted(replacements.items(), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def rewrite_followup(question: str, previous: Sequence[str | Context], tags: Tags) -> str:
    """The query to search for: `question` itself, or with context from the most recent previous turn.

    `previous` holds the earlier turns of the conversation, oldest first: their *search queries* (pass the
    rewritten ones, so a chain of follow-ups keeps its topic), as strings or as Contexts that also say who
    said the answer (then "he"/"she" become that speaker). `tags` are the question's parts of speech by
    character offset (`rag.attribution.tag_words`). A self-contained question, or the first one, is
    returned stripped but otherwise unchanged.
    """
    lead = len(question) - len(question.lstrip())
    question = question.strip()
    tags = {at - lead: pos for at, pos in tags.items()}
    contexts = [p if isinstance(p, Context) else Context(p or "") for p in previous]
    context = next((c for c in reversed(contexts) if c.query.strip()), None)
    if context is None or not is_elliptical(question, tags):
        return question
    body = strip_leading_connective(question)
    shift = len(question) - len(body)  # the body is the question's tail
    tags = {at - shift: pos for at, pos in tags.items() if at >= shift}
    pronouns = _referring_positions(body, tags)
    replacements: dict[tuple[int, int], str] = {}
    if context.speaker:  # "he", "his": who said the previous answer
        for m in pronouns:
            if m.group().casefold() in PERSONAL:
                replacements[m.span()] = f"{context.speaker}'s" if m.group().casefold() in ("his", "hers") else context.speaker
        pronouns = [m for m in pronouns if m.span() not in replacements]
        pointing = pronouns or [m for m in _referring_positions(body, tags, determiners=True) if tags[m.start()] == "DET"]
        if replacements and not pointing and not any(w.casefold() in RELATIONAL for w in phrase_words(body)):
            return _replaced(body, replacements)  # "What did he say about Russia?": the speaker was all it lacked
    have = {_fold(t) for t in key_terms(_replaced(body, replacements))}
    carried = [t for t in key_terms(context.query) if _fold(t) not in have]
    if not carried:
        return _replaced(body, replacements)
    phrase = " ".join(carried)
    replaceable = [m for m in pronouns if m.group().casefold() in REPLACEABLE]
    if replaceable:  # the object of the question: "what did they say about it"
        replacements[replaceable[-1].span()] = phrase
        return _replaced(body, replacements)
    body = _replaced(body, replacements)
    end = len(body.rstrip("?.!"))
    return f"{body[:end].rstrip()} {phrase}{body[end:]}"
