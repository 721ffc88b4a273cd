"""The answer layer: answerability, abstention reasons, the verifier, and the LLM reply parser (pure parts)."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answer import explain
from rag.answer.llm import build_messages, citations_of, is_refusal, split_sentences, verify_reply
from rag.answer.terms import (mentioned, missing_model_numbers, missing_names, model_numbers, rare_names, spells_out,
                              word_piece_counts)
from rag.answer.verify import names_in, numbers_in, verify_generated, verify_quote
from rag.attribution import tag_words
from rag.conversation import rewrite_followup


def test_model_numbers_are_letters_and_digits_together():
    assert model_numbers("When did Russia and Iran first discuss the S-300 deal?") == ["S-300"]
    assert model_numbers("Did Su-35s, the Fath-360 or F-16 fly in 2019?") == ["Su-35", "Fath-360", "F-16"]
    assert model_numbers("What did Ned Price say in 2022?") == []


def test_a_model_number_is_mentioned_only_whole():
    texts = ["Russia sent S-400 batteries and 300 troops.", "the Fath-360 close-range system"]
    assert not mentioned("S-300", lambda query: texts)
    assert mentioned("S-400", lambda query: texts)
    assert mentioned("Fath 360", lambda query: texts)
    assert missing_model_numbers("Compare the S-300 and the S-400", lambda query: texts) == ["S-300"]


def test_words_count_their_wordpieces():
    assert word_piece_counts(["jens", "stolt", "##enberg", "reaction", "nato"]) == {
        "jens": 1, "stoltenberg": 2, "reaction": 1, "nato": 1}


def test_a_rare_name_is_a_capitalized_word_the_vocabulary_splits():
    counts = {"nato": 1, "stoltenberg": 3, "elysee": 2, "pyongyang": 4, "counterweight": 2, "fath": 2}
    assert rare_names("Did NATO's Stoltenberg or the Élysée comment on Pyongyang?", counts) == ["Stoltenberg"]
    # lower-case words, and the parts of model numbers, are not names
    assert rare_names("a counterweight to the Fath-360", counts) == []


def test_an_acronym_is_mentioned_when_a_passage_spells_it_out():
    texts = ["Sanctions target two officers in the Islamic Revolutionary Guard Corps, the ministry said."]
    assert spells_out("IRGC", texts)
    assert not spells_out("SVR", texts)
    counts = {"irgc": 2, "hajizadeh": 3}
    known = {"islamic", "officers"}
    found = missing_names("Was IRGC commander Amir Ali Hajizadeh sanctioned?", counts,
                          lambda word: word.lower() in known, lambda query: texts)
    assert found == ["Hajizadeh"]


def test_the_words_of_one_missing_name_are_named_together():
    counts = {"masoud": 2, "pezeshkian": 4}
    assert missing_names("How did President Masoud Pezeshkian respond?", counts, lambda word: False,
                         lambda query: []) == ["Masoud Pezeshkian"]


def test_a_question_about_someone_no_article_names_is_refused_and_the_name_given(engine):
    answer = engine.ask("What was NATO Secretary General Jens Stoltenberg's reaction to the strategic dialogue?")
    assert answer.abstained and answer.abstain_reason == "not-mentioned: Stoltenberg"
    assert answer.explanation == "The articles do not mention Stoltenberg."


def test_a_name_from_the_articles_metadata_or_spelled_out_is_answered(engine):
    # "AloneReaders" is a source in the metadata only; "IRGC" is spelled out in the article
    assert not engine.ask("What military systems has Iran provided to Russia, according to the AloneReaders article?").abstained
    assert not engine.ask("How many IRGC officers did the sanctions target?").abstained


def test_abstention_reasons_read_as_plain_words():
    assert explain("not-mentioned: S-300") == "The articles do not mention S-300."
    assert explain("wrong-kind: a number") == "The passages found do not state a number."
    assert "closely enough" in explain("low-score")


def test_the_s300_question_is_refused_and_the_missing_term_named(engine):
    answer = engine.ask("When did Russia and Iran first discuss the S-300 deal?")
    assert answer.abstained and answer.citations == [] and answer.claims == []
    assert answer.abstain_reason == "not-mentioned: S-300"
    assert answer.explanation == "The articles do not mention S-300."


def test_a_model_number_the_articles_name_is_answered(engine):
    answer = engine.ask("What is the maximum range of the Fath-360?")
    assert not answer.abstained and "75 miles" in answer.text


def test_the_followup_quotes_irans_denial(engine):
    follow_up = "And what did Iran say about it?"
    query = rewrite_followup(follow_up, ["What missiles did Iran send to Russia?"], tag_words(follow_up))
    answer = engine.ask(query)
    assert not answer.abstained
    assert answer.claims[0].text.startswith("The Iranian foreign ministry has denied providing ballistic missiles")


def test_2011_to_2024_question_quotes_evidence_from_both_years(engine):
    answer = engine.ask("How has the Russia–Iran military relationship changed between 2011 and 2024?")
    assert not answer.abstained
    cited = {p.n: p.published for p in answer.citations}
    dates = [cited[c.n] for c in answer.claims]
    assert dates[0].startswith("2011") and dates[-1].startswith("2024"), dates  # a timeline, oldest first
    assert dates == sorted(dates)


def test_no_claim_is_a_title_or_a_question(engine):
    for question in ("What missiles did Iran send to Russia?", "What did NATO offer Russia about missile defense?"):
        answer = engine.ask(question)
        titles = {p.title for p in answer.citations}
        assert all(c.text not in titles and not c.text.rstrip().endswith("?") for c in answer.claims)


def test_verify_quote_checks_the_span():
    document = "Iran denied it. Russia said nothing."
    assert verify_quote("Iran denied it.", document, 0, 15).supported
    assert not verify_quote("Iran admitted it.", document, 0, 15).supported


def test_numbers_and_names_of_a_sentence():
    assert numbers_in("It flies 75 miles (120 kilometers), 1,000 times.") == {"75", "120", "1000"}
    assert names_in("On Tuesday the ministry met Antony Blinken in London.") == ["Tuesday", "Antony Blinken", "London"]


def _unit(*values):
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_verify_generated_needs_numbers_names_and_meaning_from_the_passage():
    passage = "Russian personnel trained in Iran on the Fath-360, which has a range of 75 miles."
    spans = [(0, len(passage))]
    vectors = np.stack([_unit(1, 0, 0)])
    close, far = _unit(1, 0.1, 0), _unit(0, 1, 0)
    assert verify_generated("Russians trained on the Fath-360.", close, passage, spans, vectors).supported
    wrong_number = verify_generated("Its range is 90 miles.", close, passage, spans, vectors)
    assert not wrong_number.supported and "90" in wrong_number.reason
    wrong_name = verify_generated("They trained in Iran with Putin.", close, passage, spans, vectors)
    assert not wrong_name.supported and "Putin" in wrong_name.reason
    assert not verify_generated("They trained there.", far, passage, spans, vectors).supported


def test_reply_sentences_keep_their_markers_and_lose_invalid_ones():
    reply = "Iran sent drones to Russia [1]. The U.S. said so [2][7]. Nobody knows."
    sentences = split_sentences(reply)
    assert len(sentences) == 3
    assert citations_of(sentences[0]) == ("Iran sent drones to Russia.", [1])
    assert citations_of(sentences[1]) == ("The U.S. said so.", [2, 7])
    assert citations_of(sentences[2]) == ("Nobody knows.", [])


def test_refusals_are_recognised():
    assert is_refusal("NOT IN THE ARTICLES")
    assert is_refusal("The passages do not mention the S-300.")
    assert not is_refusal("The passages do not mention the S-300 but the S-400 [1].")


def test_the_prompt_holds_numbered_passages_within_the_budget(engine):
    passages = engine.search("Caspian Sea drone shipments", k=5)
    messages = build_messages("Where do the drones cross?", passages, lambda text: 100, budget=250)
    user = messages[-1]["content"]
    assert "[1] (" in user and "[2] (" in user and "[3] (" not in user
    assert "Where do the drones cross?" in user


def test_verify_reply_drops_unsupported_and_uncited_sentences(engine):
    passages = engine.search("Which missile system were Russian personnel trained in Iran to operate?", k=3)
    source = next(p for p in passages if "Fath-360" in p.text)
    n = passages.index(source) + 1
    reply = (f"Russian military personnel had received training in Iran to operate the Fath-360 [{n}]. "
             f"The missiles cost 900 dollars each [{n}]. The weather was mild that autumn. Putin visited Paris [9].")
    answer = verify_reply(engine.index, "Which missile system?", reply, passages, engine.embedder.encode)
    assert not answer.abstained and answer.answerer == "llm"
    assert [c.text for c in answer.claims] == ["Russian military personnel had received training in Iran to operate the Fath-360."]
    assert answer.text.endswith("[1]") and answer.citations[0].doc_id == source.doc_id
    reasons = {c.text: c.reason for c in answer.dropped}
    assert "900" in reasons["The missiles cost 900 dollars each."]
    assert reasons["The weather was mild that autumn."].startswith("cites no passage")
    assert reasons["Putin visited Paris."].startswith("cites no passage")  # [9] names no passage: removed


def test_a_sentence_citing_the_wrong_passage_is_kept_with_the_right_one(engine):
    passages = engine.search("Which missile system were Russian personnel trained in Iran to operate?", k=3)
    source = next(i for i, p in enumerate(passages, start=1) if "Fath-360" in p.text)
    wrong = next(i for i, p in enumerate(passages, start=1) if "Fath-360" not in p.text)
    reply = f"Russian military personnel had received training in Iran to operate the Fath-360 [{wrong}]."
    answer = verify_reply(engine.index, "Which missile system?", reply, passages, engine.embedder.encode)
    assert answer.citations[0].doc_id == passages[source - 1].doc_id
    assert f"the model cited [{wrong}]" in answer.claims[0].reason


def test_a_refusal_becomes_an_abstention(engine):
    passages = engine.search("S-300 deal", k=3)
    answer = verify_reply(engine.index, "When was the S-300 deal?", "NOT IN THE ARTICLES", passages,
                          engine.embedder.encode)
    assert answer.abstained and answer.abstain_reason == "llm-refused"


def test_llm_mode_without_an_endpoint_is_a_clear_error(engine, monkeypatch):
    from rag import QueryError

    monkeypatch.delenv("RAG_LLM_BASE_URL", raising=False)
    with pytest.raises(QueryError, match="RAG_LLM_BASE_URL"):
        engine.ask("What missiles did Iran send?", answerer="llm")


def test_a_failing_endpoint_falls_back_to_quoted_sentences(engine):
    from rag.answer.llm import LLMSettings

    dead = LLMSettings.resolve(base_url="http://127.0.0.1:9/v1", timeout=2.0)
    answer = engine.ask("Which missile system were Russian personnel trained in Iran to operate?", answerer="llm",
                        llm=dead)
    assert answer.answerer == "extractive" and not answer.abstained
    assert answer.notes and "did not answer" in answer.notes[0]


def test_an_llm_reply_with_no_supported_sentence_gives_the_quoted_answer(engine, monkeypatch):
    from rag.answer import llm

    # The endpoint is stood in for: what matters is what the engine does once the verifier drops everything.
    monkeypatch.setattr(llm, "stream_chat", lambda settings, messages: iter(["Putin flew to Paris [1]. ",
                                                                             "It rained all week [2]."]))
    answer = engine.ask("Which missile system were Russian personnel trained in Iran to operate?", answerer="llm",
                        llm=llm.LLMSettings.resolve(base_url="http://127.0.0.1:9/v1"))
    assert not answer.abstained and answer.answerer == "extractive" and "Fath-360" in answer.text
    assert [c.text for c in answer.dropped] == ["Putin flew to Paris.", "It rained all week."]
    assert "quoted sentences instead" in answer.notes[-1]


def test_a_question_partly_about_an_unmentioned_model_answers_the_rest_and_says_so(engine):
    answer = engine.ask("What is the range of the Fath-360 compared with the S-300?")
    assert not answer.abstained and "75 miles" in answer.text
    assert answer.notes == ["The articles do not mention S-300."]


# ---------------------------------------------------------------- the lead: word-by-word match (pure math)


def test_token_match_is_the_idf_weighted_best_match_of_each_question_word():
    from rag.answer.extractive import token_match_scores, word_matches

    q = np.eye(3, dtype=np.float32)[:2]  # two question words, along axes 0 and 1
    sentence_a = np.array([[1, 0, 0], [0, 0, 1]], dtype=np.float32)  # matches word 0 only
    sentence_b = np.array([[0, 1, 0]], dtype=np.float32)  # matches word 1 only
    matches = word_matches(q, [sentence_a, sentence_b, np.zeros((0, 3), np.float32)])
    assert matches.tolist() == [[1, 0], [0, 1], [0, 0]]  # an empty sentence matches nothing
    assert np.allclose(token_match_scores(matches, np.array([1.0, 3.0], np.float32)), [0.25, 0.75, 0.0])  # the rarer word decides
    assert np.allclose(token_match_scores(matches, np.ones(2, np.float32)), [0.5, 0.5, 0.0])
    assert word_matches(q[:0], [sentence_a]).shape == (1, 0)


def test_a_sentence_after_the_lead_is_quoted_only_when_it_matches_more_of_the_question():
    from rag.answer.extractive import WordMatch, lean_claims

    matches = np.array([[1, 1, 0], [1, 0.9, 0], [0, 0, 1], [0.5, 0.5, 0.3]], dtype=np.float32)
    weights = np.ones(3, dtype=np.float32)
    articles = ["a", "a", "a", "b"]
    none_typed = np.zeros(4)
    # 1 repeats the lead; 2 answers the third word; 3 adds nothing the two before hold
    assert lean_claims([0, 1, 2, 3], WordMatch(matches, weights, none_typed, articles, False), lead=0) == [0, 2]
    # a typed question also takes another article's sentence that holds the kind asked (a second account)
    typed = WordMatch(matches, weights, np.array([1, 1, 0, 1]), articles, True)
    assert lean_claims([0, 1, 3], typed, lead=0) == [0, 3]
    assert lean_claims([0, 2], WordMatch(matches, weights, none_typed, articles, False), lead=2) == [2, 0]


def test_the_lead_holds_the_kind_of_answer_asked_when_any_sentence_does():
    from rag.answer.extractive import best_match

    match = np.array([0.9, 0.5, 0.7], np.float32)
    assert best_match(match, np.array([0.0, 1.0, 1.0]), typed=True) == 2
    assert best_match(match, np.array([0.0, 0.0, 0.0]), typed=True) == 0  # none holds it: the best match
    assert best_match(match, np.array([0.0, 1.0, 1.0]), typed=False) == 0


@pytest.mark.parametrize("question, lead_holds", [
    ("According to defense experts, what have the Iranian drones been targeting in Ukraine?", "energy infrastructure"),
    ("What happened to Ukraine's electricity supply as a result of the UAV attacks?", "power outages"),
])
def test_the_lead_is_the_sentence_that_answers_not_the_one_that_names_the_topic(engine, question, lead_holds):
    # From the development half: a topical sentence (Iran shipping drones, Ukraine's own strikes) scored higher
    # as a whole; the answering sentence matches the question's words ("targeting", "electricity") one by one.
    answer = engine.ask(question)
    assert not answer.abstained and lead_holds in answer.claims[0].text
