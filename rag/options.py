"""The options of `RAG.build`, `RAG.ask` and `RAG.search`: one object each, checked once when made."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .answer.extractive import DEFAULT_ABSTAIN_THRESHOLD
from .answer.llm import LLMSettings
from .chunking import DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS, check_chunk_settings
from .errors import QueryError, RagError
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


def _check_names(changes: dict, fields: frozenset[str], kind: str, error: type[RagError]) -> None:
    """Refuse a change whose name is no field, naming it and the fields (`kind`: "option", "build option")."""
    unknown = sorted(set(changes) - fields)
    if unknown:
        article = "an" if kind[0] in "aeiou" else "a"
        said = f"is not {article} {kind}" if len(unknown) == 1 else f"are not {kind}s"
        raise error(f"{', '.join(map(repr, unknown))} {said}; the options are {', '.join(sorted(fields))}")


def search_options(options: SearchOptions | None, changes: dict) -> SearchOptions:
    """`options` (or the defaults) with `changes` by field name; a name that is no field is a QueryError."""
    _check_names(changes, SEARCH_FIELDS, "option", QueryError)
    return (options or SearchOptions()).but(**changes) if changes else options or SearchOptions()


def ask_options(options: AskOptions | SearchOptions | None, changes: dict) -> AskOptions:
    """`options` (or the defaults) with `changes` by field name, of AskOptions or of its SearchOptions; a name
    that is neither is a QueryError naming it."""
    _check_names(changes, SEARCH_FIELDS | ASK_FIELDS, "option", QueryError)
    options = AskOptions(search=options) if isinstance(options, SearchOptions) else options or AskOptions()
    search = {k: v for k, v in changes.items() if k in SEARCH_FIELDS}
    own = {k: v for k, v in changes.items() if k in ASK_FIELDS}
    if search:
        own["search"] = search_options(options.search, search)
    return dataclasses.replace(options, **own) if own else options


@dataclass(frozen=True)
class BuildOptions:
    """How to build an index, checked once when made: the model (None: the bundled all-MiniLM-L6-v2), chunk size
    and overlap in cl100k tokens, whether sentences are embedded and chunk vectors pooled from them (one encoder
    pass; False encodes every chunk as well), `rebuild` (re-embed everything), and `ray` (embed on a Ray cluster:
    an address, "auto", or "local" for one started here) with `ray_workers` actors."""

    model: str | None = None
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS
    embed_sentences: bool = True
    pooled_chunks: bool = True
    rebuild: bool = False
    ray: str | None = None
    ray_workers: int | None = None

    def __post_init__(self) -> None:
        check_chunk_settings(self.chunk_tokens, self.overlap_tokens)  # before the model loads


def build_options(options: BuildOptions | None, changes: dict) -> BuildOptions:
    """`options` (or the defaults) with `changes` by field name; a name that is not a field is an error naming it."""
    _check_names(changes, frozenset(f.name for f in dataclasses.fields(BuildOptions)), "build option", RagError)
    return dataclasses.replace(options or BuildOptions(), **changes)
