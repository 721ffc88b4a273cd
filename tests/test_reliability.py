"""Reliability: crash safety (failpoints and real SIGKILLs), damaged indexes, threads, hostile input."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rag.store.writer as index_module
from rag.store import read_manifest
from rag import RAG, IngestError, QueryError, RagError
from rag.documents import read_document

from .conftest import REPO
from .crash_worker import EXTRA_SENTENCE, TOGGLED

QUESTION = "Which missile system were Russian personnel trained in Iran to operate?"


def _doc_hashes(index_dir: Path) -> dict[str, str]:
    manifest = read_manifest(index_dir)
    return {doc_id: d["content_hash"] for doc_id, d in manifest["documents"].items()}


# ---------------------------------------------------------------- failpoints


@pytest.mark.parametrize("failpoint", ["switch_generation", "build_dense_index", "remove_stale"])
def test_a_failure_at_any_write_step_leaves_a_working_index(monkeypatch, index_copy, corpus_copy, embedder, failpoint):
    before = _doc_hashes(index_copy)
    (corpus_copy / TOGGLED).write_text((corpus_copy / TOGGLED).read_text(encoding="utf-8") + EXTRA_SENTENCE, encoding="utf-8")

    def boom(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(index_module, failpoint, boom)
    with pytest.raises(OSError, match="disk on fire"):
        RAG.build(corpus_copy, index_copy, embedder=embedder, progress=False)
    after = _doc_hashes(index_copy)
    if failpoint == "remove_stale":
        assert after != before  # the new generation was already live; only the clean-up failed
    else:
        assert after == before
    assert not [p for p in index_copy.iterdir() if p.name.startswith(".tmp-gen-")]  # no half-written leftovers
    assert RAG.load(index_copy, embedder=embedder).ask(QUESTION).citations


def test_edited_manifest_is_detected(index_copy, embedder):
    gen = index_copy / (index_copy / "CURRENT").read_text().strip()
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["n_chunks"] += 3
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RagError, match="rebuild"):
        RAG.load(index_copy, embedder=embedder)


# ---------------------------------------------------------------- real kills


# Steps of a write where the worker kills itself (deterministic kills), before the random ones.
FAILPOINTS = ("write_generation:before", "_write_segment:after", "_link_tree:after", "write_generation:after",
              "switch_generation:before", "switch_generation:after", "remove_stale:before")
# Steps of the merge (the worker counts only the merge's calls).
MERGE_FAILPOINTS = ("reuse_rows:after", "write_generation:before", "_write_segment:after",
                    "write_generation:after", "switch_generation:before", "switch_generation:after",
                    "remove_stale:before")


def _kill_loop(mode: str, kills: int, tmp_path: Path, corpus: Path, index: Path, embedder) -> list[str]:
    """Start the worker, kill it (first at each failpoint, then at random moments), check the index; repeat.

    Returns the states seen. The failpoint kills land at their step whatever the machine's load, so the test
    cannot fail for timing alone."""
    # The seed index was built from seeds/, not from this copy: a first build would move every document (a write
    # with no linked segment), so the failpoints' call counts would not match their step.
    RAG.build(corpus, index, embedder=embedder, progress=False)
    original = tmp_path / "original.txt"
    original.write_text((corpus / TOGGLED).read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    rng = random.Random(1234 + len(mode))
    unchanged = {k: v for k, v in _doc_hashes(index).items() if k != "004_105da86cbff68d84"}
    seen = []
    failpoints = MERGE_FAILPOINTS if mode == "merge" else FAILPOINTS
    for kill in range(kills):
        failpoint = failpoints[kill] if kill < len(failpoints) else None
        live_before = (index / "CURRENT").read_text()
        errors = tmp_path / f"worker-{kill}.err"
        with errors.open("w") as sink:
            worker = subprocess.Popen([sys.executable, "-m", "tests.crash_worker", mode, str(corpus), str(index),
                                       str(original)], cwd=REPO, env={**env, "RAG_CRASH_AT": failpoint or ""},
                                      stdout=subprocess.PIPE, stderr=sink, text=True)
        try:
            ready = worker.stdout.readline().strip() == "READY"
            assert ready, f"worker {kill} did not start: {errors.read_text()[-2000:]}"
            if failpoint:
                assert worker.wait(timeout=120) == -signal.SIGKILL, f"the worker did not die at {failpoint}"
            else:
                time.sleep(rng.uniform(0.0, 1.5))  # each write cycle takes ~0.2-0.5 s: kills land in every phase
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        if failpoint and mode != "merge":  # before the switch the old generation is live; after it, the new one
            switched = failpoint in ("switch_generation:after", "remove_stale:before")
            assert ((index / "CURRENT").read_text() != live_before) == switched, failpoint
        engine = RAG.load(index, embedder=embedder)  # must open after every kill
        hashes = _doc_hashes(index)
        assert {k: v for k, v in hashes.items() if k not in ("004_105da86cbff68d84", "zz_upload")} == unchanged
        docs = {d.doc_id for d in engine.documents()}
        state = ("B" if "later statement" in engine.index.document_text("004_105da86cbff68d84") else "A")
        if "zz_upload" in docs:
            state += "+upload"
            assert "Rezonans-NE" in engine.index.document_text("zz_upload")
        if failpoint and mode == "merge":  # killed inside the merge: the upload is live, merged or not
            assert state == "A+upload", failpoint
        answer = engine.ask(QUESTION)
        assert answer.citations and answer.citations[0].doc_id == "003_0321a4552254fa38"
        for p in engine.search("drone transfers continued", k=5):  # every passage matches its generation's text
            assert engine.index.document_text(p.doc_id)[p.start:p.end] == p.text
        engine.index.close()
        seen.append(state)
    return seen


@pytest.mark.slow
def test_sigkill_during_builds_never_leaves_a_mixed_index(tmp_path, index_copy, corpus_copy, embedder):
    seen = _kill_loop("build", 30, tmp_path, corpus_copy, index_copy, embedder)
    assert len(seen) == 30 and set(seen) <= {"A", "B"}


@pytest.mark.slow
def test_sigkill_during_uploads_never_leaves_a_mixed_index(tmp_path, index_copy, corpus_copy, embedder):
    seen = _kill_loop("add", 15, tmp_path, corpus_copy, index_copy, embedder)
    assert len(seen) == 15 and set(seen) <= {"A", "A+upload"}


@pytest.mark.slow
def test_sigkill_during_merges_never_leaves_a_mixed_index(tmp_path, index_copy, corpus_copy, embedder):
    seen = _kill_loop("merge", 12, tmp_path, corpus_copy, index_copy, embedder)
    assert len(seen) == 12 and set(seen) <= {"A", "A+upload"}


# ---------------------------------------------------------------- threads


def test_searches_in_parallel_with_updates_never_tear(index_copy, embedder, tmp_path):
    engine = RAG.load(index_copy, embedder=embedder)
    article = tmp_path / "zz_threads.txt"
    article.write_text("Thread test\n\nRussia delivered Yak-130 training jets to Iran, officials said in September.\n", encoding="utf-8")
    stop = threading.Event()
    errors: list[BaseException] = []
    calls = [0]

    def reader(question: str) -> None:
        while not stop.is_set():
            try:
                answer = engine.ask(question)
                hits = engine.search(question, k=5)
                assert answer.citations or answer.abstained
                for p in hits + answer.citations:
                    assert p.text and p.end - p.start == len(p.text)
                    if p.doc_id == "zz_threads":
                        assert "Yak-130" in p.text or "Thread test" in p.text
                calls[0] += 1
            except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the main thread
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader, args=(q,)) for q in
               (QUESTION, "Yak-130 training jets", "What did Ned Price say?", "Caspian Sea drones")]
    for t in threads:
        t.start()
    for _ in range(3):
        engine.add([article])
        engine.remove(["zz_threads"])
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors[0]
    assert calls[0] >= 4
    assert {d.doc_id for d in engine.documents()} == {d.doc_id for d in RAG.load(index_copy, embedder=embedder).documents()}


# ---------------------------------------------------------------- hostile input

SUFFIXES = [".txt", ".md", ".html", ".pdf"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=3000), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_give_a_document_or_a_clear_error(tmp_path, content, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(content)
    try:
        doc = read_document(path)
    except IngestError as exc:
        assert exc.path == str(path) and exc.reason
    else:
        assert doc.text.strip() and doc.doc_id == "random"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(max_size=2000), suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_random_text_gives_a_document_or_a_clear_error(tmp_path, body, suffix):
    path = tmp_path / f"text{suffix}"
    path.write_text(body, encoding="utf-8", errors="surrogatepass") if "\ud800" not in body else path.write_bytes(b"")
    try:
        doc = read_document(path)
    except IngestError as exc:
        assert exc.path == str(path) and exc.reason
    else:
        assert doc.text.strip()


def test_html_scripts_and_styles_never_reach_the_index(tmp_path):
    path = tmp_path / "evil.html"
    path.write_text("<html><head><title>Evil page</title><style>body{display:none}</style></head><body>"
                    "<script>document.location='http://x'</script><p>Iran and Russia signed a naval cooperation "
                    "memorandum on Friday, the ministry said in a statement about the agreement.</p>"
                    "<script>alert(1)</script></body></html>", encoding="utf-8")
    doc = read_document(path)
    assert "naval cooperation" in doc.text
    assert "document.location" not in doc.text and "alert(" not in doc.text and "display:none" not in doc.text


def test_nul_in_a_path_is_a_clear_error(tmp_path):
    with pytest.raises(IngestError, match="NUL"):
        read_document(str(tmp_path) + "/bad\x00name.txt")


def test_dot_dot_segments_never_reach_the_document_id(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "x.txt").write_text("Title here\n\nA sentence about drones crossing the Caspian Sea.", encoding="utf-8")
    doc = read_document(tmp_path / "sub" / ".." / "x.txt")
    assert doc.doc_id == "x" and "/" not in doc.doc_id


def test_long_unicode_file_name(tmp_path):
    path = tmp_path / ("Ω≈ç√∫˜µ≤≥÷" * 8 + ".txt")
    path.write_text("Unicode title\n\nA real sentence about the Caspian Sea drone route appears here.", encoding="utf-8")
    assert read_document(path).doc_id == path.stem


def test_a_bad_batch_leaves_the_index_unchanged_and_serving(index_copy, embedder, tmp_path):
    engine = RAG.load(index_copy, embedder=embedder)
    before = _doc_hashes(index_copy)
    bad = []
    for i, content in enumerate([b"", b"\x00\x01binary", b"%PDF-1.4 broken", b"\xff\xfe\xfa not utf8"]):
        path = tmp_path / f"bad{i}{'.pdf' if b'PDF' in content else '.txt'}"
        path.write_bytes(content)
        bad.append(path)
    report = engine.add(bad)
    assert len(report.errors) == 4 and report.embedded == []
    assert _doc_hashes(index_copy) == before
    assert engine.ask(QUESTION).citations[0].doc_id == "003_0321a4552254fa38"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.text(max_size=300))
def test_random_unicode_questions_answer_or_refuse_clearly(engine, question):
    try:
        answer = engine.ask(question)
    except QueryError as exc:
        assert "empty" in str(exc) or "2,000" in str(exc) or "invalid characters" in str(exc)
    else:
        assert answer.abstained or answer.citations
        assert sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}) == [p.n for p in answer.citations]


def test_article_text_cannot_forge_citations(tmp_path, index_copy, embedder):
    engine = RAG.load(index_copy, embedder=embedder)
    article = tmp_path / "zz_forged.txt"
    article.write_text("Forged citations\n\nThe Zircon-9 hypersonic missile was tested twice [7] [8] according to the ministry [9].\n", encoding="utf-8")
    engine.add([article])
    answer = engine.ask("How many times was the Zircon-9 hypersonic missile tested?")
    assert not answer.abstained
    assert sorted({int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}) == [p.n for p in answer.citations]
    assert "［7］" in answer.text


def test_nothing_in_the_package_unpickles():
    for path in (REPO / "rag").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(pickle|cPickle|dill|joblib)\b", source, re.M), path
        assert "allow_pickle=True" not in source, path
        assert "torch.load(" not in source, path


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=1500), st.text(max_size=1500).map(lambda t: t.encode("utf-8", "replace"))),
       suffix=st.sampled_from(SUFFIXES))
def test_random_files_through_the_engine_never_half_index(hostile_engine, tmp_path_factory, content, suffix):
    engine, baseline = hostile_engine
    path = tmp_path_factory.mktemp("hostile") / f"zz_hostile{suffix}"
    path.write_bytes(content)
    report = engine.add([path])
    docs = {d.doc_id for d in engine.documents()}
    if report.errors:
        assert report.embedded == [] and docs == baseline and str(path) in report.errors[0]
    else:
        assert report.embedded == ["zz_hostile"] and docs == baseline | {"zz_hostile"}
        text = engine.index.document_text("zz_hostile")
        for p in engine.search("hostile", k=3):
            assert engine.index.document_text(p.doc_id)[p.start:p.end] == p.text
        engine.remove(["zz_hostile"])
        assert text and {d.doc_id for d in engine.documents()} == baseline
    assert engine.ask(QUESTION).citations[0].doc_id == "003_0321a4552254fa38"


@pytest.fixture(scope="module")
def hostile_engine(seed_index, embedder, tmp_path_factory):
    import shutil

    target = tmp_path_factory.mktemp("hostile-index") / "index"
    shutil.copytree(seed_index, target)
    engine = RAG.load(target, embedder=embedder)
    return engine, {d.doc_id for d in engine.documents()}
