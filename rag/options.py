"""The options of `RAG.ask` and `RAG.search`: one object each, checked once when made."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .answer.extractive import DEFAULT_ABSTAIN_THRESHOLD
from .answer.llm import LLMSettings
from .errors import QueryError
from .retrieval import SearchOptions

ANSWERERS = ("extractive", "llm")
SEARCH_FIELDS = frozenset(f.name for f in dataclasses.fields(SearchOptions))


@dataclass(frozen=True)
class AskOptions:
    """How to answer, checked once when made: the search (`SearchOptions`), the confidence below which the
    answer abstains, the answerer ("extractive" quotes sentences; "llm" writes with `llm`, an LLMSettings, else
    the RAG_LLM_* environment variables, and keeps what the passages support), and whether the question's time
    words set a window or an order (`read_time`)."""

    search: SearchOptions = SearchOptions()
    abstain_threshold: float = DEFAULT_ABSTAIN_THRESHOLD
    answerer: str = "extractive"
    llm: LLMSettings | None = None
    read_time: bool = True

    def __post_init__(self) -> None:
        if self.answerer not in ANSWERERS:
            raise QueryError(f"answerer {self.answerer!r} is not one of {', '.join(ANSWERERS)}; pick one of them")


ASK_FIELDS = frozenset(f.name for f in dataclasses.fields(AskOptions)) - {"search"}


def ask_options(options: AskOptions | SearchOptions | None, changes: dict,
                allowed: frozenset[str] = SEARCH_FIELDS | ASK_FIELDS) -> AskOptions:
    """`options` (or the defaults) with `changes` by field name, of AskOptions or of its SearchOptions; a name
    that is neither is a QueryError naming it."""
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise QueryError(f"{', '.join(map(repr, unknown))} {'is not an option' if len(unknown) == 1 else 'are not options'}; "
                         f"the options are {', '.join(sorted(allowed))}")
    if isinstance(options, SearchOptions):
        options = AskOptions(search=options)
    options = options or AskOptions()
    search = {k: v for k, v in changes.items() if k in SEARCH_FIELDS}
    own = {k: v for k, v in changes.items() if k in ASK_FIELDS}
    if search:
        own["search"] = options.search.but(**search)
    return dataclasses.replace(options, **own) if own else options
