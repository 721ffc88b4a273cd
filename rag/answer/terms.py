"""Answerability: model numbers a question names that no article mentions ("S-300", "Shahed-238").

A question about the S-300 cannot be answered from articles that never name it, however well other sentences
match its remaining words. A model number (letters and digits, "Su-35", "Fath-360") is looked for whole
("S-300", "S300", "S 300") in the passages that hold its parts. Names, years and rare words were tried as
gates too and dropped: on the blind set they refused more answerable questions than they caught
(eval/EXPERIMENTS.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ..text import normalize

_WORD_RE = re.compile(r"[^\W_]+(?:[-/][^\W_]+)*")
_CODE_RE = re.compile(r"^(?=.*\d)(?=.*[^\W\d_])[^\W_]+(?:[-/][^\W_]+)*$")


def model_numbers(question: str) -> list[str]:
    """The words of a question made of letters and digits together ("S-300", "Su-35s" -> "Su-35")."""
    out = []
    for word in _WORD_RE.findall(question):
        if _CODE_RE.match(word):
            out.append(re.sub(r"(?<=\d)s$", "", word))  # a plural: "Su-35s"
    return list(dict.fromkeys(out))


def mentioned(code: str, passages_with: Callable[[str], Iterable[str]]) -> bool:
    """Whether a passage that holds the code's parts (`passages_with(query)`) holds the code whole."""
    parts = re.split(r"[-/\s]+", code)
    spaced = " ".join(parts)
    forms = {normalize("-".join(parts)), normalize("".join(parts)), normalize(spaced)}
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(forms))) + r")(?!\w)")
    return any(pattern.search(normalize(text)) for text in passages_with(spaced))


def missing_model_numbers(question: str, passages_with: Callable[[str], Iterable[str]]) -> list[str]:
    """The question's model numbers that no passage mentions."""
    return [code for code in model_numbers(question) if not mentioned(code, passages_with)]
