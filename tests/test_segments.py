"""Segments (issue 19): an update writes only what it changes, and the segments search as one fresh index would."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag import RAG
from rag.store.bm25 import build_postings, score_segments
from rag.evaluation import load_gold
from rag.store import SEGMENTS_DIR, merge_segments
from rag.retrieval import SearchOptions, bm25_candidates, dense_candidates, search_index
from rag.store.segments import plan_merge

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
WORDS = [f"w{i}" for i in range(40)]


def _random_corpus(n: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [list(rng.choice(WORDS, size=int(rng.integers(3, 30)), p=np.arange(40, 0, -1) / 820)) for _ in range(n)]


# ---------------------------------------------------------------- BM25 math


def test_bm25_scores_equal_bm25s_on_one_segment():
    import bm25s

    corpus = _random_corpus(200, 0)
    reference = bm25s.BM25()
    reference.index(bm25s.tokenization.Tokenized(
        ids=[[WORDS.index(w) for w in doc] for doc in corpus], vocab={w: i for i, w in enumerate(WORDS)}), show_progress=False)
    query = ["w3", "w17", "w3", "w39"]
    ours = score_segments([build_postings(corpus)], [np.ones(200, bool)], query)[0]
    theirs = reference.get_scores([WORDS.index(w) for w in query])
    assert np.allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_bm25_scores_do_not_depend_on_the_split_into_segments_or_on_deleted_rows():
    corpus = _random_corpus(300, 1)
    query = ["w0", "w5", "w30"]
    whole = score_segments([build_postings(corpus)], [np.ones(300, bool)], query)[0]
    parts = [corpus[:120], corpus[120:250], corpus[250:]]
    split = score_segments([build_postings(p) for p in parts], [np.ones(len(p), bool) for p in parts], query)
    assert np.array_equal(np.concatenate(split), whole)
    # Rows deleted in a segment count for nothing, as if they had never been indexed.
    keep = np.ones(300, bool)
    keep[[3, 150, 151, 299]] = False
    without = score_segments([build_postings([d for d, k in zip(corpus, keep) if k])], [np.ones(int(keep.sum()), bool)], query)[0]
    masks = [keep[:120], keep[120:250], keep[250:]]
    tombstoned = np.concatenate(score_segments([build_postings(p) for p in parts], masks, query))
    assert np.array_equal(tombstoned[keep], without) and not tombstoned[~keep].any()


def test_the_merge_policy_is_size_tiered():
    small = {f"s{i}": 10 + i for i in range(9)}
    assert plan_merge(small) == []  # nine of a tier wait for the tenth
    assert plan_merge({**small, "s9": 5}) == sorted({**small, "s9": 5}, key=lambda n: ({**small, "s9": 5}[n], n))
    big = {f"b{i}": 20_000 + i for i in range(9)}
    assert plan_merge({**big, "x": 15}) == []  # a tier of nine big ones and one small one: nothing to merge
    assert set(plan_merge({**big, "b9": 30_000, **small})) == set(big) | {"b9"}


# ---------------------------------------------------------------- through the engine


def _keyed(index, hits) -> list[tuple[str, int, float]]:
    records = {r.chunk_id: r for r in index.chunks([i for i, _ in hits])}
    return sorted((records[i].doc_id, records[i].ordinal, s) for i, s in hits)


def _searches(engine, questions) -> list:
    index, out = engine.index, []
    for q in questions:
        vector = engine.embedder.encode_query(q)
        out.append(_keyed(index, dense_candidates(index, vector, 20)))
        out.append(_keyed(index, bm25_candidates(index, q, 20)))
        out.append([(p.doc_id, p.start, p.score) for p in search_index(index, q, vector, SearchOptions(k=5))])
    return out


def _assert_same(a: list, b: list) -> None:
    """Same hits in the same order; scores equal up to the float noise of encoding an article in another batch.

    Hits tied with the last one kept are left out: which of equal scores fills the last place is arbitrary."""
    assert len(a) == len(b)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        assert len(x) == len(y), f"search {i} found {len(x)} and {len(y)} hits"
        floor = min((h[2] for h in x + y), default=0) + 1e-4
        x, y = [h for h in x if h[2] > floor], [h for h in y if h[2] > floor]
        assert [h[:2] for h in x] == [h[:2] for h in y], f"search {i} differs"
        assert np.allclose([h[2] for h in x], [h[2] for h in y], atol=1e-4), f"search {i} scores differ"


def _copy_article(text_file: Path, folder: Path) -> Path:
    """Copy an article with its metadata sidecar; returns the copied text file."""
    for part in text_file.parent.glob(f"{text_file.stem}.*"):
        shutil.copy(part, folder / part.name)
    return folder / text_file.name


@pytest.fixture(scope="module")
def updated_and_fresh(tmp_path_factory, embedder):
    """One index built by a sequence of updates, and a fresh build of the articles it ends with."""
    root = tmp_path_factory.mktemp("segments")
    files = sorted(SEEDS.glob("*.txt"))
    first = root / "first"
    first.mkdir()
    for f in files[:3]:
        _copy_article(f, first)
    engine = RAG.build(first, root / "updated", embedder=embedder, progress=False)
    engine.add([files[3]])
    engine.add([files[4]])
    edited = _copy_article(files[1], root)
    edited.write_text(files[1].read_text(encoding="utf-8") + "\nOfficials later said the talks would resume in spring.\n",
                      encoding="utf-8")
    engine.add([edited])  # a changed article: its old rows are deleted, the new ones written
    engine.remove([files[0].stem])
    engine.add([files[0]])  # removed, then back
    engine.wait_for_merges()
    final = root / "final"
    final.mkdir()
    for f in files:
        _copy_article(f, final)
    shutil.copy(edited, final / edited.name)
    fresh = RAG.build(final, root / "fresh", embedder=embedder, progress=False)
    return engine, fresh


def test_updates_write_segments_and_tombstones(updated_and_fresh):
    engine, fresh = updated_and_fresh
    segments = engine.index.manifest["segments"]
    assert len(segments) == 5 and len(fresh.index.manifest["segments"]) == 1
    assert sum(len(m["deleted"]) for m in segments) == 2  # the edited article's first version, the removed one
    assert engine.index.n_chunks == fresh.index.n_chunks
    assert engine.index.manifest["n_sentences"] == fresh.index.manifest["n_sentences"]


def test_segments_search_and_answer_like_a_fresh_build(updated_and_fresh):
    engine, fresh = updated_and_fresh
    questions = [q.question for q in load_gold(REPO / "eval" / "gold.jsonl")]
    _assert_same(_searches(engine, questions), _searches(fresh, questions))
    differ = [q for q in questions if engine.ask(q).text != fresh.ask(q).text]
    assert differ == [], f"{len(differ)} of {len(questions)} answers differ, e.g. {differ[:3]}"
    docs = lambda e: [(d.doc_id, d.content_hash, d.story, d.n_chunks) for d in e.documents()]  # noqa: E731
    assert docs(engine) == docs(fresh)


def test_an_update_links_unchanged_segments_instead_of_copying_them(tmp_path, corpus_copy, embedder):
    engine = RAG.build(corpus_copy, tmp_path / "idx", embedder=embedder, progress=False)
    (first,) = engine.index.segments
    before = os.stat(first.folder / "chunk_vectors.npy").st_ino
    article = tmp_path / "zz_new.txt"
    article.write_text("New\n\nRussia delivered Su-35 jets to Iran, officials said.", encoding="utf-8")
    engine.add([article])
    kept = next(s for s in engine.index.segments if s.name == first.name)
    assert kept.folder != first.folder and os.stat(kept.folder / "chunk_vectors.npy").st_ino == before
    assert [s.n_live_chunks for s in engine.index.segments] == [first.n_live_chunks, 1]
    # The engine reopened the new generation sharing what it had loaded of the unchanged segment, not reading it again.
    assert kept.dense is first.dense and kept.postings is first.postings
    engine.remove([sorted(SEEDS.glob("*.txt"))[0].stem])  # a deletion in the shared segment
    shared = engine.index.segments[0]
    assert shared.dense is first.dense and shared.n_live_chunks < first.n_live_chunks
    reread = RAG.load(tmp_path / "idx", embedder=embedder)
    assert reread.index.segments[0].dense is not first.dense
    questions = [q.question for q in load_gold(REPO / "eval" / "gold.jsonl")][:30]
    _assert_same(_searches(engine, questions), _searches(reread, questions))


def test_a_merge_drops_deleted_rows_keeps_chunk_ids_and_answers_the_same(tmp_path, updated_and_fresh, embedder):
    engine, fresh = updated_and_fresh
    copy = tmp_path / "merged"
    shutil.copytree(engine.index_dir, copy)
    merged = RAG.load(copy, embedder=embedder)
    ids_before = sorted(int(i) for s in merged.index.segments for i in s.chunk_ids[s.live_chunks])
    names = [s.name for s in merged.index.segments]
    assert merged.merge(names) == names
    (segment,) = merged.index.manifest["segments"]
    assert segment["deleted"] == [] and segment["n_chunks"] == fresh.index.n_chunks
    assert sorted(int(i) for i in merged.index.segments[0].chunk_ids) == ids_before
    assert len(list((copy / (copy / "CURRENT").read_text().strip() / SEGMENTS_DIR).iterdir())) == 1
    questions = [q.question for q in load_gold(REPO / "eval" / "gold.jsonl")][:40]
    _assert_same(_searches(merged, questions), _searches(fresh, questions))
    assert [merged.ask(q).text for q in questions] == [fresh.ask(q).text for q in questions]


def test_the_tenth_small_segment_starts_a_merge(tmp_path, corpus_copy, embedder):
    engine = RAG.build(corpus_copy, tmp_path / "idx", embedder=embedder, progress=False)
    for i in range(9):
        article = tmp_path / f"zz_{i}.txt"
        article.write_text(f"Note {i}\n\nIran shipped {i + 2} drones to Russia, officials said.", encoding="utf-8")
        engine.add([article])
    engine.wait_for_merges()
    assert len(engine.index.segments) == 1  # the seeds' segment and nine one-chunk ones: one tier of ten
    assert {f"zz_{i}" for i in range(9)} <= {d.doc_id for d in engine.documents()}
    assert merge_segments(tmp_path / "idx") == []  # nothing left to merge

