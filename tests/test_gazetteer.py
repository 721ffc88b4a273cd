"""Countries, capitals and demonyms from countryinfo, and how lexical matching uses them."""

from rag.gazetteer import (capitals_as_countries, country_and_capital_names, demonym_countries,
                           with_capitals_and_countries)


def test_capitals_are_read_as_their_countries():
    assert capitals_as_countries("What is Moscow handing Tehran?") == "What is Russia handing Iran?"
    assert capitals_as_countries("What did Pyongyang send?") == "What did North Korea send?"
    assert capitals_as_countries("a moscow mule") == "a moscow mule"  # only the capitalized place name


def test_expansion_adds_the_partner_of_each_place_once():
    assert with_capitals_and_countries("Russia and Moscow") == "Russia and Moscow Moscow Russia"
    assert with_capitals_and_countries("North Korea") == "North Korea Pyongyang"
    assert with_capitals_and_countries("no places here") == "no places here"


def test_demonyms_name_every_country_they_can_mean():
    assert "france" in demonym_countries()["french"]
    assert demonym_countries()["turkish"] == {"turkey"}
    assert {"united states", "washington", "moscow"} <= country_and_capital_names()


def test_a_capital_in_the_question_finds_passages_about_its_country(engine):
    # "Pyongyang" occurs in no seed article; read as North Korea it finds the passages that name it.
    passages = engine.search("Pyongyang", k=5, mode="bm25")
    assert passages and all("North Korea" in p.text for p in passages)
