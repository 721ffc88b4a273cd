"""Speaker attribution with the real spaCy parser: structure cases, and figures on the labelled article sentences."""

from pathlib import Path

import pytest

from rag.answer.attribution import attribute_sentences, load_parser
from rag.speaker_eval import load_speaker_rows, predict_speakers, score_speakers, speaker_matches

LABELS = Path(__file__).resolve().parent.parent / "eval" / "speakers.jsonl"


@pytest.fixture(scope="module")
def parser():
    return load_parser()


def read(parser, *sentences):
    return attribute_sentences(list(parser.pipe(sentences)))


def test_quote_speaker_after_the_verb_and_a_bare_quote_carries_it(parser):
    said, bare = read(parser, "“The claims are merely propaganda,” said Nasser Kanaani, a spokesman for the ministry.",
                      "“We will continue to explain our position.”")
    assert (said.speaker, said.kind, said.denial) == ("Nasser Kanaani", "quote", True)
    assert (bare.speaker, bare.kind) == ("Nasser Kanaani", "quote")


def test_pronoun_takes_the_previous_speaker_and_side_comes_from_a_demonym(parser):
    first, second = read(parser, "French officials emphasized the importance of stability in Europe.",
                         "They added that talks must go on.")
    assert (first.speaker, first.side, first.kind) == ("French officials", "France", "reported")
    assert second.speaker == "French officials"


def test_according_to_and_the_outlets_own_statement(parser):
    reported, own = read(parser, "According to several defense experts, the drones have kept attacking cities.",
                         "These strikes have caused massive power outages across the country.")
    assert reported.speaker == "several defense experts"
    assert (own.speaker, own.kind) == (None, "outlet")


def test_speaker_match_reads_aliases_and_head_words():
    assert speaker_matches("U.S. and U.K.", "the United States and the United Kingdom")
    assert speaker_matches("Macron", "Emmanuel Macron")
    assert not speaker_matches("Daily Caller", "the White House")


def test_speaker_figures_on_the_labelled_sentences(parser, seed_index):
    # Measured at the commit that added attribution: dev 0.778 / 0.677, held out 0.771 / 0.711 (eval/EXPERIMENTS.md);
    # the targets (0.9 / 0.8) are not met yet, so this guards the figures reached, a sentence below them.
    from rag.index import open_index

    index = open_index(seed_index)
    for split, precision, recall in (("dev", 0.74, 0.64), ("test", 0.74, 0.68)):
        rows = load_speaker_rows(LABELS, split)
        scores = score_speakers(rows, predict_speakers(rows, index.document_text, parser))
        assert scores.precision >= precision and scores.recall >= recall, (split, scores)
