"""Follow-up questions without an LLM: carry the previous question's key terms into an elliptical one.

"What missiles did Iran send to Russia?" followed by "And what did Iran say about it?" becomes
"what did Iran say about missiles send Russia?": the leading connective is dropped and the pronoun
is replaced by the previous query's content words that the new question does not already have.
Everything here is a pure function of strings, so it is tested without a model or an index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Function words, question words and pronouns: never carried over, never counted as content.
STOPWORDS = frozenset("""
    a an the and or but nor so yet also then too either neither of in on at to for from by with about into onto
    over under between among through during before after since until against without within than as
    is are was were be been being am do does did done doing have has had having will would shall should can
    could may might must ought not no
    what which who whom whose when where why how whether if there here
    i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
    this that these those one ones some any all each every other another such same own more most much many
    very just only even still again ever else really please tell know think say said says
""".split())

# Words that point back at something said before.
REFERRING = frozenset("it its they them their theirs he him his she her hers this that these those".split())
# Demonstratives are pronouns only when they do not introduce a noun ("that missile" is self-contained).
DEMONSTRATIVES = frozenset("this that these those".split())
# Pronouns whose replacement by the carried terms reads naturally; others get the terms appended.
REPLACEABLE = frozenset("it them this that these those".split())

_LEADING_RE = re.compile(
    r"^\s*(?:(?:and|but|so|also|then|ok|okay|now|well)\b[\s,]*)*(?:(?:what|how)\s+about\b[\s,]*)?",
    re.I,
)
_WORD_RE = re.compile(r"[^\W_](?:[\w'’\-]*[^\W_])?")

MAX_CONTENT_TERMS = 4  # a question with a pronoun but more content words than this stands on its own
SHORT_QUESTION_TERMS = 1  # a question with at most this many content words needs context


def words(text: str) -> list[str]:
    """The words of a text, in order (hyphenated words and contractions kept whole)."""
    return _WORD_RE.findall(text)


def _fold(word: str) -> str:
    """Compare words ignoring case, curly apostrophes, possessive 's and a plural s."""
    word = word.casefold().replace("’", "'")
    word = word.removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def key_terms(question: str) -> list[str]:
    """Content words of a question in order, first spelling kept, without repeats."""
    seen: set[str] = set()
    out: list[str] = []
    for word in words(question):
        folded = _fold(word)
        if word.casefold() in STOPWORDS or folded in STOPWORDS or folded in seen:
            continue
        seen.add(folded)
        out.append(word)
    return out


def _referring_positions(question: str) -> list[re.Match]:
    """Matches of pronouns that refer back (demonstratives only when not followed by a content word)."""
    found = []
    matches = list(_WORD_RE.finditer(question))
    for i, match in enumerate(matches):
        word = match.group().casefold()
        if word not in REFERRING:
            continue
        if word in DEMONSTRATIVES and i + 1 < len(matches) and matches[i + 1].group().casefold() not in STOPWORDS:
            continue  # "that missile": a determiner, not a pronoun
        found.append(match)
    return found


def strip_leading_connective(question: str) -> str:
    """Drop a leading "and", "so", "what about", ... that ties a question to the previous one."""
    stripped = _LEADING_RE.sub("", question, count=1).strip()
    return stripped or question.strip()


def has_leading_connective(question: str) -> bool:
    """Whether the question opens with a connective such as "and" or "what about"."""
    return bool(_LEADING_RE.match(question).group().strip())


def _names_something(question: str, terms: Sequence[str]) -> bool:
    """Whether a content word is capitalized mid-sentence (a name: "Who is Lammy?" stands on its own)."""
    first = next(iter(words(question)), "")
    return any(t[:1].isupper() and t != first for t in terms)


def is_elliptical(question: str) -> bool:
    """Whether a question leans on the conversation: a leading connective, a pronoun, or almost no content."""
    terms = key_terms(question)
    if has_leading_connective(question):
        return True
    if len(terms) <= SHORT_QUESTION_TERMS and not _names_something(question, terms):
        return True
    return bool(_referring_positions(question)) and len(terms) <= MAX_CONTENT_TERMS


def rewrite_followup(question: str, previous: Sequence[str]) -> str:
    """The query to search for: `question` itself, or with context from the most recent previous query.

    `previous` holds the earlier *search queries* of the conversation, oldest first (pass the
    rewritten ones, so a chain of follow-ups keeps its topic). A self-contained question, or the
    first one, is returned stripped but otherwise unchanged.
    """
    question = question.strip()
    context = next((q for q in reversed(previous) if q and q.strip()), None)
    if context is None or not is_elliptical(question):
        return question
    body = strip_leading_connective(question)
    have = {_fold(t) for t in key_terms(body)}
    carried = [t for t in key_terms(context) if _fold(t) not in have]
    if not carried:
        return body
    phrase = " ".join(carried)
    pronouns = [m for m in _referring_positions(body) if m.group().casefold() in REPLACEABLE]
    if pronouns:
        target = pronouns[-1]  # the object of the question: "what did they say about it"
        return body[: target.start()] + phrase + body[target.end():]
    end = len(body.rstrip("?.!"))
    return f"{body[:end].rstrip()} {phrase}{body[end:]}"
