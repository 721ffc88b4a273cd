"""Countries, capitals and demonyms from countryinfo, and how lexical matching uses them."""

import pytest

from rag.lexicon.gazetteer import (capitals_as_countries, country_and_capital_names, demonym_countries, place_partners,
                           with_question_places)


def test_capitals_are_read_as_their_countries():
    assert capitals_as_countries("What is Moscow handing Tehran?") == "What is Russia handing Iran?"
    assert capitals_as_countries("What did Pyongyang send?") == "What did North Korea send?"
    assert capitals_as_countries("a moscow mule") == "a moscow mule"  # only the capitalized place name


def test_a_sentence_naming_the_partner_place_gains_the_question_place():
    partners = place_partners("Why did Moscow and Pyongyang grow closer to Iran?")
    assert with_question_places("Russia and North Korea signed a pact.", partners) == (
        "Russia and North Korea signed a pact. Moscow Pyongyang")
    assert with_question_places("Tehran denied it.", partners) == "Tehran denied it. Iran"
    assert with_question_places("No place here.", partners) == "No place here."


def test_demonyms_name_every_country_they_can_mean():
    assert "france" in demonym_countries()["french"]
    assert demonym_countries()["turkish"] == {"turkey"}
    assert {"united states", "washington", "moscow"} <= country_and_capital_names()


def test_a_capital_in_the_question_finds_passages_about_its_country(engine):
    # "Pyongyang" occurs in no seed article; read as North Korea it finds the passages that name it.
    passages = engine.search("Pyongyang", k=5, mode="bm25")
    assert passages and all("North Korea" in p.text for p in passages)


def test_a_capital_inside_another_name_is_left_alone():
    for text in ("the Washington Post reported", "Douglas Barrie said", "Victoria Nuland said", "Lewis Hamilton won"):
        assert capitals_as_countries(text) == text
    assert capitals_as_countries("In Moscow, officials said") == "In Russia, officials said"


def test_every_capital_maps_to_one_country_and_news_names_are_known():
    from rag.lexicon.gazetteer import country_of_capital

    mapping = country_of_capital()
    assert mapping["Moscow"] == "Russia" and "Jerusalem" not in mapping  # a capital claimed twice is left out
    partners = place_partners("Why did Britain and the U.S. sanction Tehran?")
    assert with_question_places("London and Washington sanctioned Iran.", partners).endswith("Britain U.S. Tehran")


@pytest.mark.parametrize("text, named", [
    ("U.S. State Department spokesman", {"united states"}),  # the tokenizer drops the final dot
    ("the U.K. foreign secretary", {"united kingdom"}),
    ("Iran's foreign minister", {"iran"}),
    ("a Saudi official and a UAE envoy", {"saudi arabia", "united arab emirates"}),
    ("the United States and Britain", {"united states", "united kingdom"}),
    ("let us talk turkey", set()),  # lower-case words name no country
])
def test_countries_named(text, named):
    from rag.text import tokens
    from rag.lexicon.gazetteer import countries_named

    assert countries_named(tokens(text)) == named


def test_country_span_takes_the_longest_name():
    from rag.lexicon.gazetteer import country_span

    assert country_span(["the", "united", "states", "said"], 1) == ("united states", 2)
    assert country_span(["u.s", "envoy"], 0) == ("united states", 1)
    assert country_span(["saudi", "arabia"], 0) == ("saudi arabia", 2)
    assert country_span(["the", "state", "department"], 1) == (None, 0)
    assert country_span(["iran"], 0) == ("iran", 1)  # a name at the end of the words


def test_a_whole_phrase_is_a_country_exactly_when_the_reader_of_running_text_reads_one():
    from rag.lexicon.gazetteer import country_names, country_span

    for name in ("u.s", "u.s.", "united states", "britain", "u.a.e", "iran"):
        assert name in country_names() and country_span(name.split(), 0)[1] == len(name.split())
    assert "moscow" not in country_names() and country_span(["moscow"], 0) == (None, 0)


def test_the_tokenizers_are_built_from_one_word_pattern():
    from rag.text import compound_words, phrase_words, tokens, words

    text = "The U.S. said Iran's Fath-360 (S-300/400) cost $1,000 so-called"
    assert words(text) == ["The", "U", "S", "said", "Iran", "s", "Fath", "360", "S", "300", "400", "cost", "1", "000",
                           "so", "called"]
    assert compound_words(text) == ["The", "U", "S", "said", "Iran", "s", "Fath-360", "S-300/400", "cost", "1", "000",
                                    "so-called"]
    assert phrase_words(text) == ["The", "U", "S", "said", "Iran's", "Fath-360", "S-300", "400", "cost", "1", "000",
                                  "so-called"]
    assert tokens(text) == ["The", "U.S", "said", "Iran's", "Fath-360", "S-300/400", "cost", "$", "1,000", "so-called"]


def test_letters_are_read_as_they_were_where_a_unit_or_a_cue_word_is_found():
    from rag.text import ascii_words, number_value

    assert number_value("between 10 and 20km") == 10000.0  # the first unit after the number, glued or not
    assert number_value("from 5 to 10bn") == 5e9
    assert ascii_words("He said¹ it was naïve") == ["he", "said", "it", "was", "na", "ve"]
