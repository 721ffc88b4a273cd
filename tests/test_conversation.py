"""Follow-up rewriting: pure string functions, plus one check against the real seed index."""

from __future__ import annotations

import pytest

from rag.conversation import has_leading_connective, is_elliptical, key_terms, rewrite_followup, strip_leading_connective

FIRST = "What missiles did Iran send to Russia?"
FOLLOW_UP = "And what did Iran say about it?"


def test_key_terms_keep_content_words_in_order_without_repeats():
    assert key_terms(FIRST) == ["missiles", "Iran", "send", "Russia"]
    assert key_terms("Did Iran's missiles reach Russia? Iran missile") == ["Iran's", "missiles", "reach", "Russia"]
    assert key_terms("What did they say about it?") == []


@pytest.mark.parametrize("question", [
    FOLLOW_UP,
    "What about drones?",
    "and the sanctions?",
    "Why?",
    "What did they say?",
    "How far can it fly?",
    "So, when did that happen?",
])
def test_elliptical_questions(question):
    assert is_elliptical(question)


@pytest.mark.parametrize("question", [
    FIRST,
    "Who is Ned Price?",
    "Who is Lammy?",  # a name mid-sentence: short but self-contained
    "Which countries announced new sanctions against Iran and Russia?",
    "Did France say that it would impose sanctions on Iran over the missile transfers?",  # a pronoun, but plenty of content
    "What did that missile system cost?",  # "that" introduces a noun here
])
def test_self_contained_questions(question):
    assert not is_elliptical(question)


def test_leading_connectives():
    assert has_leading_connective("And what did Iran say?")
    assert has_leading_connective("what about drones?")
    assert has_leading_connective("So, and then what about it?")
    assert not has_leading_connective("Android phones in Iran?")  # a word that starts with "and"
    assert strip_leading_connective("And what did Iran say?") == "what did Iran say?"
    assert strip_leading_connective("What about drones?") == "drones?"
    assert strip_leading_connective("and") == "and"  # nothing left: keep the text


def test_pronoun_replaced_by_previous_terms():
    assert rewrite_followup(FOLLOW_UP, [FIRST]) == "what did Iran say about missiles send Russia?"


def test_terms_appended_when_no_pronoun_to_replace():
    assert rewrite_followup("What about drones?", [FIRST]) == "drones missiles Iran send Russia?"
    assert rewrite_followup("Why?", [FIRST]) == "Why missiles Iran send Russia?"
    assert rewrite_followup("What did he say?", ["What did Ned Price say about Iran?"]) == "What did he say Ned Price Iran?"


def test_self_contained_and_first_questions_are_unchanged():
    assert rewrite_followup(FIRST, []) == FIRST
    assert rewrite_followup("  Who is Ned Price?  ", [FIRST]) == "Who is Ned Price?"
    assert rewrite_followup(FOLLOW_UP, []) == FOLLOW_UP
    assert rewrite_followup(FOLLOW_UP, ["", "  "]) == FOLLOW_UP


def test_uses_the_most_recent_query_and_chains():
    second = rewrite_followup(FOLLOW_UP, [FIRST])
    third = rewrite_followup("When?", [FIRST, second])
    assert third == "When Iran missiles send Russia?"  # the topic survives a chain of follow-ups
    assert rewrite_followup("Why?", ["Who is Ned Price?", FIRST]) == "Why missiles Iran send Russia?"


def test_nothing_to_carry_strips_the_connective():
    assert rewrite_followup("And missiles Iran send to Russia?", [FIRST]) == "missiles Iran send to Russia?"
    assert rewrite_followup("And Iran's missiles to Russia?", [FIRST]) == "Iran's missiles to Russia send?"


def test_follow_up_retrieves_irans_denial(engine):
    """The issue's example: the rewritten follow-up finds the Iranian foreign ministry's denial."""
    def denial_rank(passages) -> float:
        return next((rank for rank, p in enumerate(passages)
                     if "foreign ministry has denied providing ballistic missiles" in p.text), float("inf"))

    rewritten = denial_rank(engine.search(rewrite_followup(FOLLOW_UP, [FIRST]), k=5))
    bare = denial_rank(engine.search(FOLLOW_UP, k=5))
    assert rewritten == 0 and bare > rewritten  # the bare follow-up finds it lower (4th) or not at all
