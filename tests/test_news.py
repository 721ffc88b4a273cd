"""News-aware answers on the seed articles: who says each claim, and both sides where accounts differ."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rag.answer import byline
from rag.answer.chronology import timeline
from rag.answer.disagreement import conflicting, named_sides, negated, show_both_sides, value_kind, values_differ
from rag.answer.render import ACCOUNTS_DIFFER, SOURCES_DIFFER, rendered
from rag.answer.llm import verify_reply
from rag.attribution import attribute_sentences, load_parser
from rag.timeframe import read_timeframe

MISSILES = "Did Iran send ballistic missiles to Russia?"


def test_claims_carry_speaker_side_and_kind_and_the_byline_names_outlet_and_date(engine):
    answer = engine.ask("What did Ned Price say about the partnership?")
    claim = answer.claims[0]
    assert (claim.speaker, claim.side, claim.kind) == ("Ned Price", "United States", "quote")
    passage = next(p for p in answer.citations if p.n == claim.n)
    assert byline(claim, passage) == "Ned Price (United States), source unknown, Dec 2022"


def test_a_byline_names_an_outlet_once_and_says_when_the_source_is_unknown():
    import dataclasses

    from rag.answer import Answer, Claim
    from rag.model import Passage

    passage = Passage("d", "t", "The Washington Post", "2024-09-10", None, "text", 0, 4, 1.0, n=1)
    claim = Claim("It said so.", 1, "d", 0, 11, 1.0, speaker="Washington Post", side="The Washington Post")
    assert byline(claim, passage) == "Washington Post, via The Washington Post, 10 Sep 2024"
    assert byline(claim, dataclasses.replace(passage, source=None)) == "Washington Post, source unknown, 10 Sep 2024"
    # a side the speaker's own words already name, by another name of its countries, is not repeated
    three = dataclasses.replace(claim, speaker="Britain, France, and Germany", side="United Kingdom and France and Germany")
    assert byline(three, passage) == "Britain, France, and Germany, via The Washington Post, 10 Sep 2024"
    one = dataclasses.replace(claim, speaker="Nasser Kanaani", side="Iran")
    assert byline(one, passage) == "Nasser Kanaani (Iran), via The Washington Post, 10 Sep 2024"
    both = Answer("q", "t", [], False, dispute=("United States", "Russia and Iran"))
    assert both.dispute_summary == "Russia and Iran deny what United States says"


def test_the_outlets_own_statement_is_bylined_with_the_outlet(engine):
    answer = engine.ask("Which missile system were Russian personnel trained in Iran to operate?")
    passage = answer.citations[0]
    outlet = next((c for c in answer.claims if c.kind == "outlet"), None)
    if outlet is not None:
        assert byline(outlet, passage) == "Associated Press, 10 Sep 2024"
    said = next(c for c in answer.claims if c.speaker)  # "Blinken elaborated that…"
    assert "Blinken" in said.speaker and byline(said, passage).endswith("via Associated Press, 10 Sep 2024")


def test_a_disputed_question_gets_the_claim_and_the_denial_each_attributed(engine):
    answer = engine.ask(MISSILES)
    assert answer.text.startswith(ACCOUNTS_DIFFER)
    assert answer.dispute == ("United States", "Iran")
    assert answer.dispute_summary == "Iran denies what United States says"
    denials = [c for c in answer.claims if c.denial]
    claims = [c for c in answer.claims if not c.denial and c.side]
    assert denials and denials[0].side == "Iran" and "denied" in denials[0].text
    assert claims and claims[0].side == "United States"
    for claim in answer.claims:
        assert f"[{claim.n}]" in answer.text


@pytest.mark.parametrize("question", [
    "Do the U.S., U.K. and France disagree over keeping diplomatic channels open with Iran?",
    "Which missile system were Russian personnel trained in Iran to operate?",
    "What is the range of the Fath-360?",
])
def test_no_dispute_is_claimed_where_the_evidence_holds_none(engine, question):
    answer = engine.ask(question)
    assert answer.dispute is None and not answer.text.startswith((ACCOUNTS_DIFFER, SOURCES_DIFFER))


# Replies as an LLM writes them: the second is Qwen2.5-Coder-1.5B's own reply to b003, recorded in
# benchmarks/llm_replies_qwen2.5-coder-1.5b.jsonl.
@pytest.mark.parametrize("reply, anchor, missing_denial", [
    ("The U.S. and its allies have been warning Iran against transferring ballistic missiles to Russia [{n}].",
     "have been warning Iran", True),
    ("The Iranian foreign ministry has denied providing ballistic missiles to Russia, as reported by the "
     "semiofficial ISNA news agency. [{n}]", "has denied providing", False),
])
def test_an_llm_answer_that_gives_one_side_gets_the_other(engine, reply, anchor, missing_denial):
    passages = engine.search(MISSILES, k=5)
    source = next(i for i, p in enumerate(passages, start=1) if anchor in p.text)
    one_side = verify_reply(engine.index, MISSILES, reply.format(n=source), passages, engine.embedder.encode)
    assert not one_side.abstained and len({c.denial for c in one_side.claims}) == 1
    both = show_both_sides(engine.index, one_side, engine.embedder.encode_query(MISSILES))
    assert both.dispute == ("United States", "Iran") and both.answerer == "llm"
    added = [c for c in both.claims if c.denial == missing_denial and not c.generated]
    assert added and added[0].side == ("Iran" if missing_denial else "United States")  # quoted from the article


# Pairs written for the purpose: (first statement, second statement, whether they conflict).
PAIRS = [
    ("U.S. officials said Iran shipped attack drones to Venezuela last spring.",
     "Iran's foreign ministry denied shipping attack drones to Venezuela.", True),
    ("Britain's defense ministry said Belarus now hosts Russian nuclear warheads.",
     "Belarusian officials dismissed the report about nuclear warheads as propaganda.", True),
    ("U.S. officials said Iran shipped attack drones to Venezuela last spring.",
     "The Pentagon denied that it had shipped attack drones to Venezuela.", False),  # one side
    ("U.S. officials said Iran shipped attack drones to Venezuela last spring.",
     "China's foreign ministry denied that its banks financed Russian oil sales.", False),  # another event
    ("France said the talks with Iran should continue next month.",
     "Iran said the talks with France should continue next month.", False),  # nobody denies
    ("French officials said NATO's radar in Turkey protects Europe.",
     "Pentagon officials rejected claims that the radar in Turkey targets Russia.", False),  # not about each other
]


@pytest.fixture(scope="module")
def parser():
    return load_parser()


@pytest.mark.parametrize("first, second, expected", PAIRS)
def test_written_pairs_conflict_only_across_sides_over_one_event(parser, embedder, first, second, expected):
    (a,), (b,) = attribute_sentences([parser(first)]), attribute_sentences([parser(second)])
    vectors = embedder.encode([first, second])
    similarity = float(np.dot(vectors[0], vectors[1]))
    assert conflicting(a, named_sides(first), b, named_sides(second), similarity) == expected, (a, b, similarity)


# ---------------------------------------------------------------- time

NEWEST = "2024-09-21"


@pytest.mark.parametrize("question, window, order", [
    ("What did NATO consider offering Russia in 2011?", ("2011-01-01", "2011-12-31"), ""),
    ("Since 2023, what weapons has Iran supplied?", ("2023-01-01", None), ""),
    ("What did the White House say last year?", ("2023-01-01", "2023-12-31"), ""),
    ("This year, how have Western countries moved?", ("2024-01-01", "2024-12-31"), ""),
    ("What happened before the invasion of Ukraine?", (None, "2022-02-23"), ""),
    ("What did Burns warn about in early September 2024?", ("2024-09-01", "2024-09-10"), ""),
    ("What did he say on December 19, 2022?", ("2022-12-19", "2022-12-19"), ""),
    ("Before 2024, was it confirmed?", (None, "2023-12-31"), ""),
    ("What did the articles from September 2024 report?", ("2024-09-01", "2024-09-30"), ""),
    ("What is the most recent report about missiles?", (None, None), "recent"),
    ("How did France's role change from 2011 to 2024?", ("2011-01-01", "2024-12-31"), "chronological"),
    ("Give a timeline of Western sanctions.", (None, None), "chronological"),
    ("Who is Nasser Kanaani?", (None, None), ""),
])
def test_time_words_become_a_window_or_an_order(question, window, order):
    frame = read_timeframe(question, NEWEST)
    assert ((frame.date_from, frame.date_to), frame.order) == (window, order)


def test_a_window_puts_articles_published_in_it_first_and_is_on_the_answer(engine):
    answer = engine.ask("What did the White House say last year about the partnership between Russia and Iran?")
    assert answer.timeframe.describe() == "2023-01-01 to 2023-12-31" and answer.timeframe.phrase == "last year"
    assert answer.passages[0].published.startswith("2023")
    assert all(p.published.startswith("2023") for p in answer.citations)
    unread = engine.ask("What did the White House say last year about the partnership between Russia and Iran?",
                        read_time=False)
    assert not unread.timeframe.has_window  # the user cleared it: all dates searched


def test_a_window_no_article_covers_is_refused_and_says_so(engine):
    answer = engine.ask("What did the articles report about military cooperation between Iran and Russia in 2019?")
    assert answer.abstained and answer.abstain_reason == "out-of-window: 2019-01-01 to 2019-12-31"
    assert "No article is published 2019-01-01 to 2019-12-31" in answer.explanation


def test_a_timeline_question_gets_dated_claims_oldest_first(engine):
    answer = engine.ask("How did Western concern about Iran's ballistic missiles shift between 2011 and 2024?")
    dates = [e.published for e in timeline(answer)]
    cited = {p.n: p.published for p in answer.citations}
    assert [cited[c.n] for c in answer.claims] == sorted(cited[c.n] for c in answer.claims)
    assert dates[0].startswith("2011") and dates[-1].startswith("2024")  # spans the period asked
    assert [c.n for c in answer.claims][0] == 1  # renumbered in reading order


def test_a_timeline_of_years_no_article_covers_is_refused(engine):
    answer = engine.ask("How did Iran's arms deliveries to Russia change between 2012 and 2020?")
    assert answer.abstained and answer.abstain_reason == "out-of-window: 2012-01-01 to 2020-12-31"


@pytest.fixture(scope="module")
def index_with_undated(tmp_path_factory, embedder):
    from rag import RAG

    from .conftest import SEEDS

    corpus = tmp_path_factory.mktemp("undated-corpus")
    for path in SEEDS.iterdir():
        (corpus / path.name).write_bytes(path.read_bytes())
    (corpus / "undated-drones.txt").write_text(
        "Drone deliveries to Russia continue\n\nIran has kept shipping attack drones to Russia, officials in Kyiv "
        "said, and the latest deliveries reached Russian units near the front.\n", encoding="utf-8")
    index = tmp_path_factory.mktemp("undated-index") / "index"
    return RAG.build(corpus, index, embedder=embedder, progress=False)


def test_undated_articles_are_kept_ranked_after_dated_ones_and_marked(index_with_undated):
    answer = index_with_undated.ask("What are the most recent reports of Iranian drone deliveries to Russia?")
    published = [p.published for p in answer.passages]
    assert None in published  # kept, not dropped
    assert published.index(None) > max(i for i, d in enumerate(published) if d)  # after every dated one
    if any(not p.published for p in answer.citations):
        assert timeline(answer)[-1].date == "undated"
    windowed = index_with_undated.ask("Since 2023, what drones has Iran shipped to Russia?")
    assert any(p.published is None for p in windowed.passages)  # a window does not drop undated articles either
    filtered = index_with_undated.ask("What drones has Iran shipped to Russia?", date_from="2023")
    assert "1 undated article is not searched with a date filter" in " ".join(filtered.notes)  # said, not silent


# ---------------------------------------------------------------- confirmed by several outlets

def test_a_claim_another_outlet_states_in_its_own_words_says_it_is_confirmed(index_with_undated, tmp_path):
    engine = index_with_undated
    article = tmp_path / "kyiv-wire-drone-plant.txt"
    article.write_text(
        "Iran helps Russia build a drone plant\n\nIran has been supplying Russia with attack drones and helping it "
        "build a drone manufacturing plant near Moscow, Ukrainian intelligence officials said on Tuesday. The "
        "officials gave no figures for the plant's output. Separately, Kyiv reported heavy shelling in the east.\n",
        encoding="utf-8")
    (tmp_path / "kyiv-wire-drone-plant.meta.json").write_text(
        '{"title": "Iran helps Russia build a drone plant", "source": "Kyiv Wire", "published": "2023-07-02"}',
        encoding="utf-8")
    engine.add([article])
    answer = engine.ask("What does the partnership between Iran and Russia reportedly involve?")
    confirmed = [c for c in answer.claims if c.confirmed_by]
    assert confirmed and any("Kyiv Wire (2 Jul 2023)" in c.confirmed_by for c in confirmed), answer.claims
    claim = confirmed[0]
    assert "; confirmed by " in byline(claim, next(p for p in answer.citations if p.n == claim.n))
    other = engine.ask("Which missile system were Russian personnel trained in Iran to operate?")
    assert not any("Kyiv Wire" in c.confirmed_by for c in other.claims if c.confirmed_by)  # a different fact


def test_an_inserted_statement_keeps_citations_numbered_by_first_use(engine):
    answer = engine.ask("Would the planned NATO missile shield secretly target Russia's nuclear deterrent?")
    assert answer.dispute is not None
    first_uses = list(dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", answer.text)))
    assert first_uses == list(range(1, len(first_uses) + 1))
    assert [p.n for p in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert all(f"[{c.n}]" in answer.text for c in answer.claims)


@pytest.mark.parametrize("question", [
    "Did Iran send drones before or after the war in Ukraine began?",  # both sides of the event: no window
    "What happened during Caspian Shield 2025?",  # a year in a name is not a date
    "Who attended the Army-2025 forum?",
])
def test_names_and_both_sides_of_an_event_set_no_window(question):
    assert not read_timeframe(question, "2024-09-10").has_window


def test_a_bare_year_still_sets_a_window():
    assert read_timeframe("In 2025, what did Iran send?", "2024-09-10").date_from == "2025-01-01"
    assert read_timeframe("What did Iran send after the war in Ukraine began?", None).date_from == "2022-02-24"


def test_an_undated_sources_timeline_entry_says_source_unknown(engine):
    import dataclasses

    answer = engine.ask("How did Western concern about Iran's ballistic missiles shift between 2011 and 2024?")
    unsourced = dataclasses.replace(answer, citations=[dataclasses.replace(p, source=None) for p in answer.citations])
    assert {e.source for e in timeline(unsourced)} == {"source unknown"}


# ---------------------------------------------------------------- sources that state different facts

@pytest.mark.parametrize("question, kind", [
    ("How much is Norvik paying for Baltic Dairy Group?", "figure"),
    ("How many attack drones did Russia launch overnight?", "figure"),
    ("When will the new pier open?", "date"),
    ("On which day was the agreement signed?", "date"),
    ("Who won the mayoral election?", None),  # several people can answer a who-question: not compared
    ("Where will the next round of talks be held?", "place"),
    ("Which vessel was hit by a missile?", None),
    ("Did Iran deliver ballistic missiles to Russia?", "yes-no"),
    ("What did Ned Price say about the partnership?", None),
    ("Why did Turkey agree to host the radar?", None),
])
def test_what_two_sources_could_answer_differently(question, kind):
    assert value_kind(question) == kind


@pytest.mark.parametrize("phrase, value", [
    ("€2.1bn", 2.1e9), ("1.2 billion euros", 1.2e9), ("Seventeen", 17.0), ("two hundred thousand", 2e5),
    ("74,812", 74812.0), ("120km", 120000.0), ("430 feet", 131.064), ("the first", None),
])
def test_a_figure_is_read_with_its_scale_and_unit(phrase, value):
    from rag.text import number_value

    assert number_value(phrase) == pytest.approx(value) if value is not None else number_value(phrase) is None


@pytest.mark.parametrize("a, b, kind, differ", [
    ([1.2e9], [2.1e9], "figure", True),
    ([75000.0], [74812.0], "figure", False),  # rounded
    ([1500.0, 2000.0], [1500.0], "figure", False),  # one states more
    (["april 2026", "wednesday"], ["october 2026", "wednesday"], "date", True),
    (["geneva"], ["geneva, switzerland"], "place", False),
    (["geneva"], ["muscat"], "place", True),
    ([], [38.0], "figure", False),  # one states nothing: nothing to compare
])
def test_stated_answers_differ_only_when_each_side_states_one_the_other_does_not(a, b, kind, differ):
    assert values_differ(a, b, kind) is differ


@pytest.mark.parametrize("sentence, says_no", [
    ("Talks in Vienna ended on Thursday without agreement, diplomats said.", False),
    ("The ambassador said there are currently no plans for direct talks.", True),
    ("Israel was not behind the explosion, a senior official said.", True),
    ("The spokesman dismissed the reports as baseless.", True),
    ("Iran has delivered a batch of missiles to Russia, officials said.", False),
])
def test_a_sentence_says_no_by_negation_or_a_denying_verb(sentence, says_no):
    assert negated(load_parser()(sentence)) is says_no


DIFFERING = {  # two outlets' reports of one night, written for this test
    "wire-a": ("Russia launches 38 drones at Ukraine", "Kyiv Wire", "2024-10-03",
               "Russian forces attacked Ukraine overnight with 38 attack drones, Ukraine's Air Force reported on "
               "Thursday morning. Air defences shot down most of them over the Kyiv region."),
    "wire-b": ("Air Force: 58 drones launched overnight", "Black Sea Post", "2024-10-03",
               "Russia sent a total of 58 attack drones against Ukraine during the night, the Air Force said, the "
               "highest number in a week. Debris fell on two districts of the capital."),
    "wire-c": ("Crowd record at the Champions Cup final", "Kyiv Wire", "2024-05-25",
               "Nearly 75,000 spectators watched the Champions Cup final in Cardiff on Saturday."),
    "wire-d": ("Leinster beat Toulouse before a record crowd", "Black Sea Post", "2024-05-25",
               "A crowd of 74,812 watched Leinster beat Toulouse in the Champions Cup final on Saturday."),
}


@pytest.fixture(scope="module")
def differing_engine(tmp_path_factory, embedder):
    import json

    from rag import RAG

    corpus = tmp_path_factory.mktemp("differing-corpus")
    for name, (title, source, published, body) in DIFFERING.items():
        (corpus / f"{name}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        (corpus / f"{name}.meta.json").write_text(json.dumps({"title": title, "source": source,
                                                               "published": published}), encoding="utf-8")
    return RAG.build(corpus, tmp_path_factory.mktemp("differing-index") / "index", embedder=embedder,
                     progress=False)


def test_two_outlets_stating_different_figures_get_sources_differ_with_both_cited(differing_engine):
    answer = differing_engine.ask("How many attack drones did Russia launch at Ukraine overnight?")
    assert answer.text.startswith(SOURCES_DIFFER), answer.text
    first_two = answer.claims[:2]
    assert {c.doc_id for c in first_two} == {"wire-a", "wire-b"}
    assert "38" in answer.text and "58" in answer.text
    for claim in first_two:
        assert f"[{claim.n}]" in answer.text
        assert not claim.confirmed_by  # the two outlets do not confirm what they state differently
    assert sorted(answer.differing[:2]) == ["Black Sea Post", "Kyiv Wire"] and answer.differing[2] == "figures"
    assert answer.dispute_summary.endswith("give different figures")


def test_a_rounded_figure_is_not_a_conflict(differing_engine):
    answer = differing_engine.ask("How many spectators attended the Champions Cup final?")
    assert not answer.abstained and not answer.text.startswith(SOURCES_DIFFER), answer.text


def test_an_llm_answer_giving_one_outlets_figure_gets_the_other_outlets(differing_engine):
    from rag.answer.extractive import candidate_sentences
    from rag.answer.disagreement import show_differing_sources

    question = "How many attack drones did Russia launch at Ukraine overnight?"
    engine = differing_engine
    passages = engine.search(question, k=5)
    source = next(i for i, p in enumerate(passages, start=1) if "38 attack drones" in p.text)
    reply = f"Russia attacked Ukraine overnight with 38 attack drones [{source}]."
    one_side = verify_reply(engine.index, question, reply, passages, engine.embedder.encode)
    assert not one_side.abstained and one_side.answerer == "llm"
    both = show_differing_sources(engine.index, one_side, candidate_sentences(engine.index, passages),
                                  lambda: engine.reader)
    assert rendered(one_side, both).text.startswith(SOURCES_DIFFER) and both.answerer == "llm"
    assert any(c.generated for c in both.claims)  # the model's own sentence stays
    assert any(not c.generated and "58" in c.text for c in both.claims)  # the other outlet's, quoted
