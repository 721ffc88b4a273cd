"""Answerability: specific terms a question names that no article mentions ("S-300", "Stoltenberg").

A question about the S-300 cannot be answered from articles that never name it, however well other sentences
match its remaining words. Two kinds of term are that specific:
- a model number (letters and digits, "Su-35", "Fath-360"), looked for whole ("S-300", "S300", "S 300") in the
  passages that hold its parts;
- a rare name: a capitalized word that the embedding model's wordpiece vocabulary (the 30,000 most useful
  pieces of its training text) splits into several pieces ("Stoltenberg", "Hajizadeh"; not "NATO", "Turks"),
  and that is no place or institution (those are read as their country elsewhere). It is mentioned when its
  stems are in the corpus or in the articles' titles, sources and authors, or, for an acronym ("IRGC"), when
  a passage spells it out ("Islamic Revolutionary Guard Corps").
Common capitalized words and rare lower-case words were tried too and dropped: they refused paraphrases
("the Atlantic alliance", "the Turks") more often than they caught questions about absent things
(eval/EXPERIMENTS.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from ..lexicon.gazetteer import INSTITUTION_COUNTRIES, place_words
from ..lexicon.words import SPELLED_OUT_FILLERS
from ..text import compound_words, normalize

# A name the model's vocabulary does not hold whole is a rare one (2 and 3 pieces tied on dev; 2 means exactly that).
MIN_NAME_PIECES = 2

_SPELLED_OUT_RE = re.compile(r"[A-Z][\w'’]*(?:\s+(?:(?:of|the|and|for)\s+)*[A-Z][\w'’]*)+")
_CODE_RE = re.compile(r"^(?=.*\d)(?=.*[^\W\d_])[^\W_]+(?:[-/][^\W_]+)*$")


def model_numbers(question: str) -> list[str]:
    """The words of a question made of letters and digits together ("S-300", "Su-35s" -> "Su-35")."""
    out = []
    for word in compound_words(question):
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


def folded(word: str) -> str:
    """Lower-case word without accents, as an uncased wordpiece tokenizer reads it ("Élysée" -> "elysee")."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def word_piece_counts(pieces: Sequence[str]) -> dict[str, int]:
    """How many wordpieces each word of a tokenized text took, from its pieces in order ("stolt", "##enberg")."""
    counts: dict[str, int] = {}
    word, n = "", 0
    for piece in [*pieces, ""]:
        if piece.startswith("##"):
            word, n = word + piece[2:], n + 1
            continue
        if word:
            counts[word] = max(counts.get(word, 0), n)
        word, n = piece, 1
    return counts


def rare_names(question: str, piece_counts: dict[str, int], *, min_pieces: int = MIN_NAME_PIECES) -> list[str]:
    """Capitalized words of the question that the model's vocabulary splits into `min_pieces` or more, other
    than places and institutions."""
    places = place_words()
    out = []
    words = [part for word in compound_words(question) if not _CODE_RE.match(word)
             for part in re.split(r"[-/]", word)]
    for word in words:
        lower, plain = word.lower(), folded(word)
        if (word[:1].isupper() and piece_counts.get(plain, 1) >= min_pieces and lower not in places
                and not {lower, plain} & INSTITUTION_COUNTRIES.keys()):
            out.append(word)
    return list(dict.fromkeys(out))


def spells_out(acronym: str, texts: Iterable[str]) -> bool:
    """Whether a text spells the acronym out as a run of capitalized words ("IRGC": "Islamic Revolutionary
    Guard Corps")."""
    if not (acronym.isupper() and len(acronym) >= 2):
        return False
    for text in texts:
        for run in _SPELLED_OUT_RE.findall(text):
            initials = "".join(w[0] for w in run.split() if w.lower() not in SPELLED_OUT_FILLERS)
            if acronym in initials:
                return True
    return False


def missing_names(question: str, piece_counts: dict[str, int], is_known: Callable[[str], bool],
                  passages_with: Callable[[str], Iterable[str]]) -> list[str]:
    """The question's rare names that no article mentions (`is_known(word)`: its stems are in the corpus)."""
    unknown = [name for name in rare_names(question, piece_counts) if not is_known(name)]
    # Only an acronym needs the passages (one search for all of them).
    texts = list(passages_with(question)) if any(name.isupper() for name in unknown) else []
    missing = [name for name in unknown if not spells_out(name, texts)]
    # Words of one name are named together ("Masoud Pezeshkian").
    out: list[str] = []
    for name in missing:
        if out and re.search(rf"\b{re.escape(out[-1])}\s+{re.escape(name)}\b", question):
            out[-1] = f"{out[-1]} {name}"
        else:
            out.append(name)
    return out
