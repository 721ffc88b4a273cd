"""Speaker attribution with the real spaCy parser: structure cases, and figures on the labelled article sentences."""

from pathlib import Path

import pytest

from rag.attribution import attribute_sentences, load_parser
from rag.speaker_eval import (load_speaker_rows, predict_speakers, predict_speakers_from_articles, score_speakers,
                              speaker_matches)

LABELS = Path(__file__).resolve().parent.parent / "eval" / "speakers.jsonl"
BLIND_LABELS = LABELS.with_name("speakers_blind.jsonl")


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


def test_what_is_said_of_a_thing_is_not_its_statement(parser):
    """The new-user trial's "— 340 crates" byline: "said to contain" reports about the crates; a stance with an
    infinitive ("vowed to") is still the subject's."""
    crates, drones, vowed = read(parser, "Some 340 crates said to contain drone parts arrived in Astrakhan.",
                                 "The drones are reported to be Iranian.", "Iran vowed to retaliate against Israel.")
    assert (crates.speaker, crates.kind) == (None, "outlet") and drones.speaker is None
    assert vowed.speaker == "Iran"


def test_a_surname_speaks_and_takes_the_side_given_where_it_is_named_in_full(parser):
    full, surname, passive = read(parser, "U.S. State Department spokesman Ned Price warned Iran on Friday.",
                                  "Price noted that the drones kept arriving.",
                                  "France is expected to contribute further resources.")
    assert (full.speaker, full.side) == ("U.S. State Department spokesman Ned Price", "United States")
    assert (surname.speaker, surname.side) == ("Price", "United States")  # "Price" is tagged a common noun
    assert passive.speaker is None  # expected by others, not a statement of France's


def test_the_subject_nearest_the_verb_not_a_heading_run_into_the_sentence(parser):
    (found,) = read(parser, "Diplomatic Pressure on Iran: While sanctions are a critical tool, the U.S., U.K., and "
                            "France agreed that diplomatic channels must remain open.")
    assert found.speaker == "U.S., U.K., and France" and "Iran" not in (found.side or "")


def test_a_speech_participle_speaks_for_its_clauses_subject_and_a_subordinate_denial_does_not(parser):
    telling, talks, subordinate = read(
        parser, "Britain's minister for Europe, Catherine Ashdown, went further, telling Parliament that the ships were "
        "run by Russian intelligence.", "Talks went on for months, emphasizing the need for a joint approach.",
        "Even as Iranian officials deny the shipments, new sanctions were issued in November.")
    assert speaker_matches(telling.speaker, "Britain's minister for Europe, Catherine Ashdown"), telling
    assert talks.speaker is None  # talks cannot speak
    # The main clause is the outlet's report; reading it as Iran's denial set up disputes with unrelated sanctions.
    assert subordinate.speaker is None


def test_a_pronoun_subject_of_a_stance_adjective_carries_the_speaker(parser):
    said, wary, plain = read(parser, "British officials said the missiles had arrived.",
                             "They are also wary of attacks by proxies in the region.",
                             "The region is rich in oil.")
    assert wary.speaker == "British officials"
    assert plain.speaker is None  # "rich" is no stance


def test_a_relay_outlet_yields_to_the_speaker_inside_what_it_reports(parser):
    inner, relay = read(parser, "The foreign ministry reaffirmed its position that talks must go on, Reuters reported.",
                        "Iran on Thursday stepped up its objection to the radar station, Reuters reported.")
    assert inner.speaker == "foreign ministry"
    assert relay.speaker == "Reuters"


def test_a_document_speaks_for_the_body_the_article_says_issued_it(parser):
    _, passive = read(parser, "On Friday an advisory was released by the Treasury and the State Department.",
                      "The advisory warned that firms must check their suppliers.")
    assert (passive.speaker, passive.side) == ("Treasury and the State Department", "United States")
    _, active = read(parser, "On Friday the Treasury issued an advisory to banks.",
                     "The advisory warned that firms must check their suppliers.")
    assert active.speaker == "Treasury"


def test_what_the_new_rules_must_not_read_as_speech(parser):
    # Found in review: each was read wrongly by a first version of the rules above.
    rejected, report = read(parser, "Iran denied the report.", "The report said the drones came from Iran.")
    assert report.speaker != "Iran"  # denying a report is not issuing it
    assert all(a.speaker is None for a in read(parser, "The flood claimed 20 lives.",
                                               "U.S. sanctions deny Iranian banks access to dollars."))  # no words said
    _, other = read(parser, "Senior Iranian official Ali Bagheri said talks would go on.",
                    "A senior U.S. official said they would not.")
    assert "Bagheri" not in other.speaker and other.side == "United States"  # a role on another side is not him
    _, by = read(parser, "The Pentagon released a report on Monday.",
                 "A report by the United Nations said the drones were Iranian.")
    assert by.speaker == "United Nations"
    headline, _ = read(parser, "Drones Struck Three Power Plants Overnight, Ukrainian Energy Minister Says",
                       "Energy Minister Taras Hordiienko said on Monday that three plants were hit.")
    assert headline.speaker == "Energy Minister Taras Hordiienko"


def test_speaker_match_reads_aliases_and_head_words():
    assert speaker_matches("U.S. and U.K.", "the United States and the United Kingdom")
    assert speaker_matches("Macron", "Emmanuel Macron")
    assert speaker_matches("AP", "the Associated Press")
    assert not speaker_matches("Daily Caller", "the White House") and not speaker_matches("AP", "the White House")
    assert speaker_matches("NATO official", "a NATO official in Brussels")  # a qualifier after the head word
    assert speaker_matches("Vytautas Mazeika", "Vytautas Mazeika, a deputy defence minister")  # apposition
    assert not speaker_matches("Commerce", "the Departments of Commerce, Justice, State, and Treasury")  # a list


def test_speaker_figures_on_the_labelled_sentences(seed_index):
    # Measured with the speakers stored at build time: dev 1.000 / 0.903, held out 0.857 / 0.789 (eval/EXPERIMENTS.md);
    # the held-out half is below the targets (0.9 / 0.8), so this guards the figures reached, a sentence below.
    from rag.store import open_index

    index = open_index(seed_index)
    for split, precision, recall in (("dev", 0.96, 0.9), ("test", 0.83, 0.76)):
        rows = load_speaker_rows(LABELS, split)
        scores = score_speakers(rows, predict_speakers(rows, index))
        assert scores.precision >= precision and scores.recall >= recall, (split, scores)


def test_speaker_figures_on_the_blind_articles_meet_the_targets():
    # Six articles written for the tests by a helper who read no code (eval/speaker_blind): measured 0.939 / 0.947.
    rows = load_speaker_rows(BLIND_LABELS)
    scores = score_speakers(rows, predict_speakers_from_articles(rows, BLIND_LABELS.with_name("speaker_blind")))
    assert scores.labelled >= 80  # the issue asks for at least 80 quoted or reported sentences
    assert scores.precision >= 0.9 and scores.recall >= 0.8, scores


def test_only_sentences_with_a_cue_are_parsed_and_nothing_is_lost_by_it(parser):
    from rag.attribution import attribute_documents, has_cue
    from rag.chunking import split_sentences
    from rag.documents import list_article_files, read_documents

    assert not has_cue("The drones struck power plants across the country.")
    assert has_cue("“We will go on.”") and has_cue("Iran denied it.") and has_cue("Officials are warning Iran.")
    docs, _ = read_documents(list_article_files(Path(__file__).resolve().parent.parent / "seeds"))
    texts = [[d.text[s.start:s.end] for s in split_sentences(d.text)] for d in docs]
    assert sum(not has_cue(t) for sentences in texts for t in sentences) > 20  # the filter does skip sentences
    assert attribute_documents(texts) == [attribute_sentences(list(parser.pipe(sentences))) for sentences in texts]
