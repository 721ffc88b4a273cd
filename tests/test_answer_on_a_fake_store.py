"""Unit tests of the answer stage over an in-memory IndexView (tests/fakes.py): no model, no index on disk."""
from __future__ import annotations

from rag import Answer, Claim, Passage
from rag.answer.confirmation import with_confirmations
from rag.answer.extractive import attributed, candidate_sentences
from rag.store import IndexView

from .fakes import FakeArticle, FakeIndex

CLAIM = "Russia received hundreds of Iranian ballistic missiles in September, according to the officials."
SAME_FACT = "Russia received hundreds of Iranian ballistic missiles in September, the officials said."


def store() -> FakeIndex:
    return FakeIndex([
        FakeArticle("a", "Wire A", "2024-09-10", ["Officials spoke on Tuesday.", CLAIM]),
        FakeArticle("b", "Paper B", "2024-09-12", ["A second report.", SAME_FACT]),  # another outlet, another story
        FakeArticle("c", "Wire A", "2024-09-13", [SAME_FACT]),  # the claim's own outlet
        FakeArticle("d", "Paper D", "2024-09-11", [SAME_FACT], story="a"),  # a copy of the claim's own story
        FakeArticle("e", "Paper E", "2024-09-14", ["Drone factories expanded production near the border."]),
    ])


def answer_quoting(index: FakeIndex) -> Answer:
    text = index.document_text("a")
    start = text.index(CLAIM)
    cited = Passage("a", "a", "Wire A", "2024-09-10", None, text, 0, len(text), 1.0, chunk_id=0, n=1)
    claim = Claim(CLAIM, 1, "a", start, start + len(CLAIM), 1.0)
    return Answer("What did Russia receive?", f"{CLAIM} [1]", [cited], False, claims=[claim], passages=[cited])


def test_the_fake_is_an_index_view():
    assert isinstance(store(), IndexView)


def test_another_outlet_stating_the_same_fact_confirms_a_claim_its_own_outlet_and_story_do_not():
    index = store()
    (claim,) = with_confirmations(index, answer_quoting(index)).claims
    assert claim.confirmed_by == ("Paper B (12 Sep 2024)",)


def test_an_abstention_or_an_index_without_sentence_vectors_is_left_as_it_is():
    index = store()
    answer = answer_quoting(index)
    refused = Answer("q", "", [], True)
    assert with_confirmations(index, refused) is refused
    index.sentence_vectors = index.sentence_vectors[:, :0]
    assert with_confirmations(index, answer) is answer


def test_candidates_are_the_passages_sentences_each_once_and_claims_carry_who_says_them():
    index = store()
    passages = [Passage("a", "a", "Wire A", "2024-09-10", None, index.document_text("a"), 0, 10, 1.0, chunk_id=0),
                Passage("a", "a", "Wire A", "2024-09-10", None, index.document_text("a"), 0, 10, 0.5, chunk_id=0)]
    texts = [c.text for c in candidate_sentences(index, passages)]
    assert texts == ["Officials spoke on Tuesday.", CLAIM]
    (claim,) = attributed(index, answer_quoting(index).claims)
    assert claim.kind == "outlet" and claim.speaker is None


def test_both_answerers_run_the_same_way_and_a_failed_writer_falls_back_to_quotes():
    import dataclasses

    from rag.answer.base import with_fallback
    from rag.answer.render import rendered
    from rag.errors import LLMError

    def finish(answer: Answer) -> Answer:
        return dataclasses.replace(answer, notes=[*answer.notes, "finished"])

    def quoted(note: str) -> Answer:
        return Answer("q", "quoted [1]", [], False, notes=[note])

    def writer(pieces, then):
        yield from pieces
        if isinstance(then, Exception):
            raise then
        yield then

    index = store()
    written = answer_quoting(index)
    *text, answer = with_fallback(writer(["Russia ", "received"], written), finish, quoted)
    assert text == ["Russia ", "received"] and answer.notes == ["finished"]
    *text, answer = with_fallback(writer(["Russia"], LLMError("timed out")), finish, quoted)
    assert text == ["Russia"] and "timed out" in answer.notes[0]
    unsupported = dataclasses.replace(written, abstained=True, abstain_reason="llm-unsupported", dropped=written.claims)
    (answer,) = with_fallback(writer([], unsupported), finish, quoted)
    assert answer.text == "quoted [1]" and answer.dropped == written.claims
    # A step that changes nothing leaves the text as written; one that reorders the claims writes it again.
    assert rendered(written, written) is written
    two = dataclasses.replace(written, claims=[*written.claims, dataclasses.replace(written.claims[0], n=2)])
    assert rendered(written, two).text == f"{CLAIM} [1] {CLAIM} [2]"
