"""The layering docs/DESIGN.md describes, held: tools/architecture.py reads the package (ast only)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def measured() -> dict:
    spec = importlib.util.spec_from_file_location("architecture", REPO / "tools" / "architecture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.measure()


def test_no_import_circle_no_private_name_and_no_arrow_up():
    found = measured()
    assert found["circles"] == []
    assert found["private_imports"] == []
    assert found["up_arrows"] == []


def test_the_answer_stage_searches_only_through_lookup_chunks_and_reads_the_store_through_index_view():
    assert measured()["answer_reaches"] == []


def test_every_word_list_is_in_the_lexicon():
    found = measured()
    assert found["word_lists_in_functions"] == [] and found["word_lists_outside_lexicon"] == []


def test_words_citations_and_stems_are_read_only_by_rag_text():
    found = measured()
    assert found["word_patterns_outside_text"] == [] and found["citation_patterns_outside_text"] == []
    assert found["stemmers_outside_text"] == []


def test_project_modules_are_imported_at_the_top():
    assert measured()["local_imports"] == []


def test_no_long_module_no_long_function_and_options_objects_instead_of_long_signatures():
    found = measured()
    assert found["long_modules"] == [] and found["long_functions"] == [] and found["many_parameters"] == []
    # The HTTP endpoints' parameters are the API's fields, counted apart: no other function joins them.
    assert {item.split(" ")[0] for item in found["endpoint_parameters"]} <= {"rag.handlers.ask", "rag.handlers.search"}


def test_the_measure_sees_a_circle_and_a_private_import(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("architecture", REPO / "tools" / "architecture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    package = tmp_path / "rag"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import _hidden\nimport re\nWORDS = re.compile(r'[a-z]+')\n")
    (package / "b.py").write_text("from .a import x\n_hidden = 1\n\n\ndef wide(a, b, c, d, e, f, g):\n"
                                  + "    pass\n" * 60)
    (package / "answer").mkdir()
    (package / "answer" / "__init__.py").write_text("from ..store import Index, IndexView\nfrom ..retrieval import search_index\n")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "PACKAGE", package)
    found = module.measure()
    assert found["circles"] == [["rag.a", "rag.b"]] and found["private_imports"] == ["rag.a: _hidden"]
    assert found["many_parameters"] == ["rag.b.wide (7)"] and found["long_functions"] == ["rag.b.wide (61)"]
    assert found["word_patterns_outside_text"] == ["rag.a:3 '[a-z]+'"]
    assert found["answer_reaches"] == ["rag.answer -> rag.store.Index", "rag.answer -> rag.retrieval.search_index"]
