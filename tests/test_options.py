"""The options objects of RAG.ask, RAG.search and RAG.build: changes by name, checked once, bad names refused."""

from __future__ import annotations

import pytest

from rag import AskOptions, BuildOptions, QueryError, RagError, SearchOptions
from rag.options import ask_options, build_options, search_options


def test_changes_by_name_land_in_the_search_or_in_the_answer_options():
    options = ask_options(None, {"k": 3, "sources": ["Reuters"], "read_time": False})
    assert options.search == SearchOptions(k=3, sources=("Reuters",)) and options.read_time is False
    assert ask_options(SearchOptions(mode="bm25"), {"answerer": "llm"}).search.mode == "bm25"
    assert search_options(SearchOptions(k=7), {}) == SearchOptions(k=7)
    assert search_options(None, {"mmr_lambda": 1.0}).mmr_lambda is None  # 1 turns diversity off


def test_bad_names_and_values_are_refused_naming_them():
    with pytest.raises(QueryError, match="'kk' is not an option; the options are .*k, llm"):
        ask_options(AskOptions(), {"kk": 3})
    with pytest.raises(QueryError, match="'a', 'b' are not options"):
        ask_options(None, {"a": 1, "b": 2})
    with pytest.raises(QueryError, match="'answerer' is not an option"):  # search has no answerer
        search_options(None, {"answerer": "llm"})
    with pytest.raises(QueryError, match="mode 'nope'"):
        search_options(None, {"mode": "nope"})
    with pytest.raises(QueryError, match="answerer 'poet'"):
        ask_options(None, {"answerer": "poet"})
    with pytest.raises(RagError, match="'chunkk' is not a build option"):
        build_options(None, {"chunkk": 100})
    with pytest.raises(RagError, match="chunk_tokens=8 is too small"):
        build_options(BuildOptions(), {"chunk_tokens": 8})
