"""The reader (rag.answer.reader): shipped weights checked and loaded offline, and what it decides in answers."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from rag.answer.reader import MODEL_DIR, WEIGHTS, ReaderError, check_weights


# ---------------------------------------------------------------- math and plumbing (no model)


def test_damaged_or_missing_weights_are_refused_with_the_fix(tmp_path):
    copy = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, copy)
    assert check_weights(copy)["sha256"]
    data = bytearray((copy / WEIGHTS).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(ReaderError, match="damaged"):
        check_weights(copy)
    (copy / WEIGHTS).unlink()
    with pytest.raises(ReaderError, match="make reader"):
        check_weights(copy)


# ---------------------------------------------------------------- the shipped model


@pytest.fixture(scope="module")
def reader(engine):
    return engine.reader


def test_the_reader_prefers_the_sentence_that_answers(reader):
    scores = reader.answer_scores("What is the range of the Fath-360 missile?", [
        "The Fath-360 has a maximum range of 75 miles (120 kilometers).",
        "Russian personnel trained in Iran to operate the Fath-360 system.",
        "The sanctions target four Russian cargo ships."])
    from rag.answer.extractive import FURTHER_PROBABILITY

    # the answer above the bar a sentence after the lead must pass; the others below it
    assert scores[0] > FURTHER_PROBABILITY > max(scores[1], scores[2])


def test_the_reader_tells_entailment_from_contradiction(reader):
    probabilities = reader.entailment([
        ("Twelve people were injured in the fire, the fire service said.", "Twelve people were hurt in the fire."),
        ("Twelve people were injured in the fire, the fire service said.", "Nobody was hurt in the fire.")])
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert probabilities[0].argmax() == 0 and probabilities[1].argmax() == 2


# ---------------------------------------------------------------- what it decides in answers


def test_only_sentences_the_reader_finds_answering_join_the_lead(engine):
    from rag.answer.extractive import Question, answer

    question = "What did the United States and Britain do about Iran's missile transfers to Russia?"
    passages = engine.search(question, k=5)
    asked = Question(question, engine.embedder.encode_query(question))
    words_only = answer(engine.index, asked, passages)
    assert len(words_only.claims) >= 2  # the word match alone quotes more than the lead here
    none_answer = answer(engine.index, asked, passages, read=lambda q, s: np.zeros(len(s)))
    all_answer = answer(engine.index, asked, passages, read=lambda q, s: np.ones(len(s)))
    assert [c.text for c in none_answer.claims] == [words_only.claims[0].text]
    assert [c.text for c in all_answer.claims] == [c.text for c in words_only.claims]


def test_a_refusal_for_want_of_an_answering_sentence_quotes_the_closest_one(engine):
    answer = engine.ask("What is the population of Tehran?")
    assert answer.abstained and answer.citations == [] and answer.abstain_reason.startswith("not-answered: “")
    assert answer.explanation.startswith("No sentence of the articles answers this. The closest they come: “")


# ---------------------------------------------------------------- the training script's data (no training)


def _training():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "training" / "reader.py"
    spec = importlib.util.spec_from_file_location("training_reader", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_squad_pairs_take_the_answer_sentence_against_its_paragraphs_likeliest_others():
    import random

    context = ("The Fath-360 is a missile. It has a range of 120 kilometers. Iran builds the Fath-360 missile. "
               "The weather was mild.")
    data = [{"title": "t", "paragraphs": [{"context": context, "qas": [
        {"question": "What range does the Fath-360 missile have?",
         "answers": [{"text": "120 kilometers", "answer_start": context.index("120")}]},
        {"question": "Who sells the missile to Peru?", "is_impossible": True, "answers": []}]}]}]
    pairs = _training().squad_pairs(data, None, 2, random.Random(0))
    answerable = [p for p in pairs if p[0].startswith("What range")]
    assert answerable[0] == ("What range does the Fath-360 missile have?", "It has a range of 120 kilometers.", 1.0)
    # the two negatives share most words with the question; the weather does not
    assert {s for _, s, label in answerable[1:]} == {"The Fath-360 is a missile.", "Iran builds the Fath-360 missile."}
    assert all(label == 0.0 for q, _, label in pairs if q.startswith("Who sells"))  # unanswerable: all negatives
    assert len([p for p in pairs if p[0].startswith("Who sells")]) == 3


def test_training_refuses_a_data_file_whose_sha256_differs(tmp_path):
    training = _training()
    (tmp_path / "data.json").write_text("{}")
    (tmp_path / "PROVENANCE.md").write_text("| data.json | test | `" + "0" * 64 + "` |\n")
    with pytest.raises(SystemExit, match="sha256"):
        training.checked(tmp_path / "data.json")
