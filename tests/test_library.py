"""One library, whatever adds to it: added articles survive restarts, removed ones stay removed, other
processes' changes are seen, and the tracked corpus folder is never written to."""

from __future__ import annotations

import shutil
import subprocess
import sys

from rag import RAG
from rag.library import sanitize_filename, store

from .conftest import ARTICLE_HTML, REPO


def corpus_files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_an_article_added_from_elsewhere_survives_a_rebuild_from_the_corpus(corpus_copy, index_copy, embedder, tmp_path):
    engine = RAG.load(index_copy, embedder=embedder)
    before = corpus_files(corpus_copy)
    outside = tmp_path / "elsewhere" / "velmora.html"
    outside.parent.mkdir()
    outside.write_text(ARTICLE_HTML, encoding="utf-8")
    engine.add([outside])
    outside.unlink()  # the index keeps its own copy
    assert (engine.library_dir / "velmora.html").exists() and corpus_files(corpus_copy) == before
    restarted = RAG.build(corpus_copy, index_copy, embedder=embedder, progress=False)
    assert "velmora" in {d.doc_id for d in restarted.documents()} and len(restarted.documents()) == 6
    assert RAG.build(corpus_copy, index_copy, embedder=embedder, progress=False, rebuild=True).documents() \
        == restarted.documents()  # a full re-embed keeps it too


def test_a_removed_article_is_not_revived_until_it_is_added_again(corpus_copy, index_copy, embedder):
    engine = RAG.load(index_copy, embedder=embedder)
    engine.remove(["002_43f3cc6b7e9ffe8c"])
    restarted = RAG.build(corpus_copy, index_copy, embedder=embedder, progress=False)
    assert "002_43f3cc6b7e9ffe8c" not in {d.doc_id for d in restarted.documents()}
    restarted.add([corpus_copy / "002_43f3cc6b7e9ffe8c.txt"])
    again = RAG.build(corpus_copy, index_copy, embedder=embedder, progress=False)
    assert "002_43f3cc6b7e9ffe8c" in {d.doc_id for d in again.documents()}


def test_a_running_engine_sees_changes_made_by_another_process(index_copy, embedder, tmp_path):
    engine = RAG.load(index_copy, embedder=embedder)
    assert len(engine.documents()) == 5
    subprocess.run([sys.executable, "-m", "rag.cli", "remove", "004_105da86cbff68d84", "--index", str(index_copy)],
                   check=True, cwd=REPO, capture_output=True, timeout=120)
    assert "004_105da86cbff68d84" not in {d.doc_id for d in engine.documents()}
    assert all(p.doc_id != "004_105da86cbff68d84" for p in engine.search("Ned Price defense partnership", k=10))


def test_store_keeps_one_copy_per_document_with_its_sidecar(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("one", encoding="utf-8")
    (source / "a.meta.json").write_text('{"title": "A"}', encoding="utf-8")
    folder = tmp_path / "library"
    assert store([source / "a.txt"], folder) == [folder / "a.txt"]
    assert sorted(p.name for p in folder.iterdir()) == ["a.meta.json", "a.txt"]
    (source / "a.html").write_text("<p>two</p>", encoding="utf-8")
    (source / "a.meta.json").unlink()
    store([source / "a.html"], folder)  # the same document in another format replaces the old copy
    assert sorted(p.name for p in folder.iterdir()) == ["a.html"]
    assert store([folder / "a.html"], folder) == [folder / "a.html"]
    assert sanitize_filename("../../etc/pass wd.TXT") == "pass_wd.txt"
    shutil.rmtree(folder)
