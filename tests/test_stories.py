"""One story, counted once: copies of a report are grouped at index time, and an answer cites the first copy."""

from __future__ import annotations

import html
import json
import textwrap

import pytest

from rag import RAG
from rag.store.stories import StoryArticle, shingles, story_ids

from .conftest import SEEDS

AP = "003_0321a4552254fa38"


def _body(doc_id: str) -> str:
    """A seed article's text from its headline on (its masthead left out)."""
    text = (SEEDS / f"{doc_id}.txt").read_text(encoding="utf-8")
    title = json.loads((SEEDS / f"{doc_id}.meta.json").read_text(encoding="utf-8"))["title"]
    return text[text.index(title):]


def syndicated_copy(doc_id: str) -> str:
    """The article as another site runs it: other chrome, paragraphs re-wrapped at 60 columns, a footer."""
    paragraphs = [p for p in _body(doc_id).split("\n\n") if p.strip()]
    title, rest = paragraphs[0], paragraphs[1:]
    wrapped = "".join(f"<p>{html.escape(textwrap.fill(p, 60))}</p>\n" for p in rest)
    return (f"<html><head><title>{html.escape(title)} | World News Daily</title></head><body>"
            "<nav>Home | World | Politics | Subscribe</nav>"
            f"<article><h1>{html.escape(title)}</h1>\n{wrapped}</article>"
            "<footer>© 2024 World News Daily. All rights reserved. Share: Facebook Twitter</footer></body></html>")


def test_shingles_are_runs_of_five_lower_case_words():
    assert shingles("Iran denied it, the ministry said.") == {"iran denied it the ministry", "denied it the ministry said"}
    assert shingles("Two words") == {"two words"} and shingles("") == set()


def test_a_copy_under_other_chrome_is_one_story_and_the_seed_stories_stay_apart():
    seeds = [StoryArticle(p.stem, json.loads(p.with_suffix(".meta.json").read_text())["published"],
                          p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    copy = StoryArticle("copy", "2024-09-11", html.unescape(syndicated_copy(AP)))
    groups = story_ids([*seeds, copy])
    assert groups["copy"] == AP and groups[AP] == AP  # the earlier article names the story
    assert len({groups[s.doc_id] for s in seeds}) == len(seeds)  # five stories on one topic: five stories
    # An undated copy never names the story; the dated original does.
    assert story_ids([StoryArticle("undated", None, copy.text), StoryArticle("dated", "2024-09-12", copy.text)]) == {
        "undated": "dated", "dated": "dated"}


def test_a_rewrite_keeping_half_the_report_groups_and_a_different_story_does_not():
    original = _body(AP)
    sentences = original.split(". ")
    rewrite = ". ".join(s if i % 4 else s.replace("Iran", "Tehran") for i, s in enumerate(sentences))
    other = _body("002_43f3cc6b7e9ffe8c")  # another report on the same partnership
    groups = story_ids([StoryArticle("a", "2024-09-10", original), StoryArticle("b", "2024-09-12", rewrite),
                        StoryArticle("c", "2023-06-10", other)])
    assert groups == {"a": "a", "b": "a", "c": "c"}


@pytest.fixture
def index_with_a_copy(tmp_path, corpus_copy, embedder) -> RAG:
    copy = corpus_copy / "wnd_iran_missiles.html"
    copy.write_text(syndicated_copy(AP), encoding="utf-8")
    (corpus_copy / "wnd_iran_missiles.meta.json").write_text(json.dumps(
        {"source": "World News Daily", "published": "2024-09-11"}), encoding="utf-8")
    return RAG.build(corpus_copy, tmp_path / "index", embedder=embedder, progress=False)


def test_an_answer_cites_the_first_report_and_lists_the_copy(index_with_a_copy):
    engine = index_with_a_copy
    records = {d.doc_id: d for d in engine.documents()}
    assert records["wnd_iran_missiles"].story == AP and records[AP].story == AP
    answer = engine.ask("What did Iran's foreign ministry say about supplying ballistic missiles to Russia?")
    assert not answer.abstained
    assert all(p.doc_id != "wnd_iran_missiles" for p in answer.passages)  # the copy's passages are not repeated
    cited = [p for p in answer.citations if p.doc_id == AP]
    assert cited and cited[0].also_reported_by == ("World News Daily (2024-09-11)",)
    for p in engine.search("Fath-360 training in Iran", k=10):
        assert p.doc_id != "wnd_iran_missiles"  # the earliest copy stands for its story


def test_source_cards_say_who_else_reported_the_story(index_with_a_copy):
    from rag.views import render_card

    passage = next(p for p in index_with_a_copy.search("Fath-360 training in Iran", k=5) if p.doc_id == AP)
    card = render_card(passage, [], turn=1)
    assert '<p class="src-also">Also reported by World News Daily (2024-09-11)</p>' in card


def test_of_near_duplicates_the_first_copy_takes_the_best_place():
    import numpy as np

    from rag.retrieval import earliest_copies

    ranked = [(10, 0.9), (11, 0.8), (12, 0.7)]  # 10 is a later copy of 11's story; 12 is another story
    sims = np.array([[1, 0.99, 0.1], [0.99, 1, 0.1], [0.1, 0.1, 1]])
    keep = np.array([True, False, True])
    out = earliest_copies(ranked, [False, True, True], ["s", "s", "t"], sims, keep)
    assert out == [(11, 0.9), (10, 0.8), (12, 0.7)]  # the first copy moves up with the best score
    # Duplicates of different stories (or no stories) stay as ranked.
    assert earliest_copies(ranked, [False, True, True], ["s", "u", "t"], sims, keep) == ranked
