"""Word lists: data, one list per idea, in one place (the lexicon; see rag/lexicon/__init__.py)."""

from __future__ import annotations

from ..text import MONTHS, WEEKDAYS

# Phrases with which a language model declines to answer from the passages.
REFUSAL_PHRASES = ("do not contain", "does not contain", "don't contain", "doesn't contain", "do not mention",
                   "does not mention", "don't mention", "doesn't mention", "do not provide", "does not provide",
                   "no information", "not enough information", "cannot answer", "can't answer", "unable to answer",
                   "i don't know", "i do not know", "not mentioned", "not specified", "not stated",
                   "do not say", "does not say", "no mention")

# Stemmed words that shape a question but say nothing about its topic.
QUESTION_WORDS = frozenset({"did", "doe", "do", "mani", "much", "kind", "sort", "type", "name", "accord", "articl",
                            "say", "said", "happen", "tell", "describ", "mention", "which", "what", "whose", "whi",
                            "where", "when", "who", "whom", "how"})

# ---------------------------------------------------------------- answer types (types.py)

NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion billions dozen dozens several few couple".split())
AUXILIARIES = ("has", "have", "had", "did", "do", "does", "is", "are", "was", "were", "will", "would", "can", "could",
               "should", "might", "may", "must", "been", "be", "being")
AUX_WORDS = frozenset(AUXILIARIES)
FOCUS_STOPWORDS = frozenset({"of", "the", "a", "an", "per", "in", "on", "at", "for", "to", "from", "by", "with",
                             "and", "or", "that", "which", "its", "their", "his", "her"})
CURRENCY = frozenset({"$", "€", "£", "dollar", "dollars", "usd", "euro", "euros", "ruble", "rubles", "rouble",
                      "roubles", "rial", "rials", "pound", "pounds", "yuan"})
# Unit stems by dimension; a measure question names its dimension with one of the keys.
LENGTH = ("mile", "kilomet", "km", "meter", "metr", "feet", "foot", "ft", "yard", "nautic")
MASS = ("kg", "kilogram", "pound", "lb", "lbs", "ton", "tonn", "gram")
SPEED = ("mph", "kph", "km/h", "knot", "mach")
DURATION = ("second", "minut", "hour", "day", "week", "month", "year", "decad")
PEOPLE = ("peopl", "resid", "inhabit", "citizen", "million", "billion", "thousand")
SHARE = ("percent", "%")
# Answers to "what percentage/share" that need no number: "half of", "two-thirds", "a quarter".
FRACTION_WORDS = frozenset({"half", "halves", "third", "thirds", "quarter", "quarters", "two-thirds",
                            "three-quarters", "one-third", "one-quarter", "majority", "minority"})
# Weekdays and months (AP abbreviations too) follow prepositions as places do ("on Thursday", "in Sept.") but
# name no place, and follow "said" as names do ("the ministry said Thursday").
CALENDAR_WORDS = frozenset(WEEKDAYS) | frozenset(MONTHS)
PAST_ONLY_WORDS = frozenset({"ago", "yesterday", "earlier", "recently", "since"})
# Nouns naming a person's role: "Which French foreign minister…" asks for a person's name.
PERSON_ROLES = ("president", "minister", "secretary", "spokesman", "spokeswoman", "spokesperson", "spokesmen",
                "general", "commander", "officer", "official", "director", "chief", "leader", "writer", "author",
                "reporter", "journalist", "analyst", "diplomat", "ambassador", "envoy", "senator", "adviser", "advisor",
                "premier", "chancellor", "king", "prince", "ayatollah", "governor", "mayor", "commentator",
                "expert", "fellow", "researcher", "professor", "scholar")
IRREGULAR_VERBS = frozenset({"said", "says", "took", "met", "spoke", "gave", "made", "led", "leads", "ran", "told",
                             "wrote", "sent", "saw", "came", "went", "became", "held", "won", "left", "put",
                             "thinks", "thought", "knew", "got", "felt", "kept", "oversaw", "sat"})
# Roles of people who comment from outside government; a name given with its outlet or institute holds them.
COMMENTATOR_ROLES = ("analyst", "expert", "fellow", "researcher", "scholar", "professor", "commentator", "writer",
                     "author", "journalist", "reporter")
# Roles that answer for one another ("spy chief" / "CIA Director"); a role in no group answers only for itself,
# and a generic role ("Which U.S. officials…") is answered by anyone but a commentator (see _role_fits).
ROLE_GROUPS = (("chief", "director", "head", "leader"),
               ("minister", "secretary", "diplomat", "ambassador", "envoy"),
               ("spokesman", "spokeswoman", "spokesperson", "spokesmen"),
               ("general", "commander", "officer"),
               COMMENTATOR_ROLES,
               ("president", "premier", "chancellor", "king", "prince", "leader", "ayatollah"))
GENERIC_ROLES = ("official",)
# Nouns naming a place below country level: "In which French city…" asks for a place's name.
CITY_NOUNS = ("city", "cities", "town", "towns", "village", "villages", "capital")
AREA_NOUNS = ("province", "region", "oblast", "district", "island")
# Facilities are named together with their noun ("Hmeimim air base", "port of Bandar Abbas"), never by "in X" alone.
FACILITY_NOUNS = ("base", "airbase", "airfield", "port", "shipyard")
# After "in", these name a continent or a part of the world, not a city or a province.
WIDE_REGIONS = frozenset({"europe", "asia", "africa", "america", "americas", "antarctica", "oceania", "eurasia",
                          "middle", "east", "west", "north", "south"})
PLACE_PREPOSITIONS = frozenset({"in", "at", "near", "outside", "inside", "into", "around", "on", "from", "by"})
# Verbs of saying, by lemma: every form is derived (verb_forms), so "argued" never goes without "argues".
SPEECH_LEMMAS = ("say", "tell", "state", "describe", "call", "label", "term", "warn", "note", "add", "argue", "claim",
                 "dismiss", "deny", "reject", "insist", "declare", "announce", "respond", "reply", "stress",
                 "emphasize", "repeat", "write", "explain", "elaborate", "remark", "assert", "confirm", "acknowledge",
                 "admit", "observe", "comment", "suggest", "caution", "contend", "predict", "opine")
IRREGULAR_FORMS = {"say": ("said",), "tell": ("told",), "write": ("wrote", "written"), "admit": ("admitted",),
                   "label": ("labelled",)}


def verb_forms(lemma: str) -> set[str]:
    """A verb's -s and past forms plus any irregular ones ("reply" -> replies, replied).

    Not the base form: "state", "note" and "call" are nouns as often ("the State Department")."""
    if lemma.endswith("e"):
        forms = {lemma + "s", lemma + "d"}
    elif lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        forms = {lemma[:-1] + "ies", lemma[:-1] + "ied"}
    elif lemma.endswith(("s", "sh", "ch", "x", "z")):
        forms = {lemma + "es", lemma + "ed"}
    else:
        forms = {lemma + "s", lemma + "ed"}
    return {*forms, *IRREGULAR_FORMS.get(lemma, ())}


SPEECH_VERBS = frozenset(form for lemma in SPEECH_LEMMAS for form in verb_forms(lemma)) | {"say", "according"}
# Last words of organizations' and outlets' names: "the State Department said" names no person.
ORGANIZATION_WORDS = frozenset({
    "department", "ministry", "house", "agency", "council", "corps", "guard", "guards", "army", "navy", "force",
    "forces", "command", "committee", "office", "union", "nations", "government", "administration", "parliament",
    "senate", "congress", "treasury", "court", "bank", "company", "group", "institute", "university", "center",
    "centre", "foundation", "commission", "bureau", "service", "services", "kremlin", "pentagon", "post", "times",
    "press", "presse", "news", "journal", "caller", "reuters", "xinhua", "tass", "irna", "telegraph", "guardian",
    "network", "television", "radio", "organization", "organisation", "alliance", "coalition", "party", "industries",
    "corporation", "sea", "ocean", "strip", "bay", "gulf", "labs", "technologies", "republic", "kingdom", "federation",
    "zone", "watch", "operations"})
NAME_PARTICLES = frozenset({"al", "bin", "ibn", "de", "van", "von", "der", "la", "el"})
ARTICLES = frozenset({"the", "a", "an"})  # what comes before a role or a name ("the spokesman", "a senior official")
MULTIPLICATIVES = frozenset({"once", "twice", "thrice"})  # a count in one word: "How many times…" -> "twice"
# The prepositions that tie a person to their organization: "Rob Lee of the Foreign Policy Research Institute".
AFFILIATION_PREPOSITIONS = frozenset({"of", "at", "from"})
# Capitalized only because they open a sentence: "The British Foreign Secretary" is not a name.
FUNCTION_WORDS = frozenset({"the", "a", "an", "in", "on", "at", "of", "for", "this", "that", "these", "those", "and",
                            "but", "as", "by", "with", "from", "to", "after", "before", "during", "when", "while",
                            "it", "its", "he", "she", "they", "we", "i", "his", "her", "their", "our"})
# After these, a name is the object of a phrase ("to Russia for use…"), not the one acting.
PHRASE_WORDS = frozenset({"of", "to", "for", "from", "in", "on", "at", "by", "with", "against", "into", "over",
                          "about", "toward", "towards", "than", "that", "which", "who"})
# Present-tense verbs that news puts before an object ("Britain accuses Iran of…"); past tenses end in -ed.
PRESENT_TENSE_VERBS = frozenset({"says", "denies", "rejects", "dismisses", "calls", "vows", "warns", "insists",
                                 "responds", "reacts", "threatens", "condemns", "blames", "refuses", "declines",
                                 "argues", "claims", "maintains", "accuses", "plans", "promises", "slams", "blasts",
                                 "urges", "tells", "states", "stresses", "demands", "denounces", "criticizes",
                                 "criticises", "welcomes", "announces", "pledges", "expels", "summons", "launches",
                                 "strikes", "hits", "retaliates", "admits", "confirms", "acknowledges"})
# Past tenses of acts a response may be, beyond IRREGULAR_VERBS ("Ukrainian air defenses shot down…").
IRREGULAR_ACTIONS = frozenset({"struck", "hit", "shot", "fought", "built", "began", "brought", "bought", "sold",
                               "froze", "drew", "threw", "cut", "broke", "chose", "withdrew", "sought", "paid"})
RESPONSE_NOUNS = frozenset({"response", "reaction", "reply", "answer", "denial", "statement", "rebuttal",
                            "retaliation", "rebuke", "condemnation", "comment", "criticism", "protest", "warning"})
# Words that may stand between an actor and its verb, besides names, roles and organizations ("Iranian state media",
# "Iran's foreign ministry spokesman").
ACTOR_MODIFIERS = frozenset({"foreign", "defense", "defence", "interior", "state", "military", "national", "security",
                             "supreme", "prime", "deputy", "senior", "top", "vice", "armed", "air", "naval",
                             "revolutionary", "intelligence", "media", "embassy", "mission", "authorities",
                             "leadership", "regime", "troops", "soldiers", "units", "defenses", "defences",
                             "diplomats", "officials", "government"})
# A clause these open gives the background of the news, not an actor's response to it.
BACKGROUND_CONJUNCTIONS = frozenset({"as", "because", "since", "if", "unless", "whereas"})
AFFILIATION_CONNECTORS = frozenset({"for", "of", "on", "and"})
# Attribution (attribution.py) reads these by spaCy lemma. Verbs that put a statement or a stance on record: a
# sentence whose main verb is one of them, with a speaker as its subject, is that speaker's claim.
STANCE_LEMMAS = ("express", "push", "offer", "agree", "threaten", "accuse", "reaffirm", "speak", "outline", "report",
                 "believe", "hope", "expect", "allege", "advocate", "urge", "demand", "vow", "pledge", "criticize",
                 "condemn", "praise", "welcome", "propose", "warn", "concern", "fear", "refute", "maintain", "blame",
                 "insist", "recommend", "signal", "voice", "highlight", "assess", "estimate", "conclude", "stress")
# Verbs whose subject is a speaker whatever noun it is ("Ukrainian engineers say", "the air force said"); other
# verbs of saying and stance need a subject known to speak (SPEAKER_NOUNS, a name).
SAYING_LEMMAS = frozenset({"say", "tell", "state", "add", "declare", "announce", "write", "insist", "deny",
                           "acknowledge", "admit", "claim", "assert"})
# Adjectives that put a stance on record when a speaker is their subject ("They are wary of…").
STANCE_ADJECTIVES = ("wary", "concerned", "worried", "skeptical", "sceptical", "confident", "optimistic", "adamant")
ATTRIBUTION_LEMMAS = frozenset(SPEECH_LEMMAS) | frozenset(STANCE_LEMMAS) | frozenset(STANCE_ADJECTIVES)
# Documents that speak for whoever issued them ("the advisory warned…" is the issuing departments' statement).
DOCUMENT_NOUNS = frozenset({"advisory", "report", "statement", "assessment", "memo", "memorandum", "letter",
                            "communique", "declaration", "document", "dossier", "bulletin", "notice", "guidance"})
# Verbs by which a body puts a document out ("the Treasury issued an advisory"): its subject speaks through it.
ISSUING_LEMMAS = frozenset({"issue", "release", "publish", "send", "file", "sign", "circulate", "distribute",
                            "submit", "unveil", "present", "prepare", "produce", "draft", "put"})
# A speaker who rejects a claim: by the verb ("denied"), or by what the statement calls it ("propaganda").
DENIAL_LEMMAS = frozenset({"deny", "dismiss", "reject", "refute", "rebuff", "contest", "dispute", "disavow"})
DENIAL_WORDS = frozenset({"propaganda", "unfounded", "baseless", "false", "groundless", "fabricated", "fabrication",
                          "lie", "lies", "untrue", "nonsense", "disinformation", "misinformation", "denial"})
# Common nouns that can speak (a subject a verb of saying is read for): "French officials emphasized…".
SPEAKER_NOUNS = frozenset({*PERSON_ROLES, *(r + "s" for r in PERSON_ROLES), "authorities", "administration",
                           "government", "ministry", "department", "spokesmen", "officials", "diplomats", "experts",
                           "analysts", "leaders", "lawmakers", "military", "kremlin", "agency", "council", "office",
                           "regime", "embassy", "media", "outlet", "newspaper", "house", "pentagon", "team", "side",
                           "counterparts", "allies", "country", "countries", "nation", "nations", "state", "states",
                           "capital", "capitals", "press", "news", "post", "times", "caller", "service", "command",
                           "report", "reports", "assessment", "advisory", "statement"})
# Irregular forms of the verbs above, for the cue check that decides which sentences are parsed.
IRREGULAR_CUES = frozenset({"said", "says", "saying", "told", "telling", "wrote", "written", "writing", "spoke",
                            "spoken", "speaking", "thought", "held", "holds", "labelled", "labelling", "admitted",
                            "admitting", "fears", "feared", "fearing"})
# Words that carry a statement on from the previous sentence's speaker ("That reportedly includes…").
CARRY_ON_WORDS = frozenset({"reportedly", "allegedly", "purportedly"})
# Time in questions (rag.timeframe). Events a question can date by ("before the invasion of Ukraine"): phrase ->
# the day it began.
EVENT_DATES = {"invasion of ukraine": "2022-02-24", "war in ukraine": "2022-02-24", "ukraine war": "2022-02-24",
               "war in ukraine began": "2022-02-24", "full-scale invasion": "2022-02-24",
               "annexation of crimea": "2014-03-18"}
# A question that asks for the newest account first.
RECENCY_WORDS = ("most recent", "latest", "newest", "most recently", "last reported", "current", "currently", "now")
# A timeline question: its claims are ordered by date.
# A question that asks how something went over time ("How did X change", "How has X evolved"): each verb with
# its past participle.
CHANGE_VERBS = {"change": "changed", "shift": "shifted", "evolve": "evolved", "develop": "developed",
                "progress": "progressed", "grow": "grown", "turn": "turned"}
TIMELINE_PHRASES = ("timeline", "over time", "came first", "come first", "put in order", "chronolog",
                    "over the years", "history of", "and then")
COMPARE_VERBS = ("compare", "compared", "differ", "differed")  # a timeline only between two dates


# ---------------------------------------------------------------- follow-up questions (conversation.py)

# Function words, question words and pronouns: never carried over, never counted as content.
FOLLOW_UP_STOPWORDS = frozenset("""
    a an the and or but nor so yet also then too either neither of in on at to for from by with about into onto
    over under between among through during before after since until against without within than as
    is are was were be been being am do does did done doing have has had having will would shall should can
    could may might must ought not no
    what which who whom whose when where why how whether if there here
    i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
    this that these those one ones some any all each every other another such same own more most much many
    very just only even still again ever else really please tell know think say said says
""".split())

# Words that point back at something said before.
REFERRING = frozenset("it its they them their theirs he him his she her hers this that these those".split())
# Demonstratives are pronouns only when they do not introduce a noun ("that missile" is self-contained).
DEMONSTRATIVES = frozenset("this that these those".split())
# Pronouns whose replacement by the carried terms reads naturally; others get the terms appended.
REPLACEABLE = frozenset("it them this that these those".split())
# Pronouns for a person: the previous answer's speaker, when it has one, is who they mean.
PERSONAL = frozenset("he him his she her hers".split())
# Words that ask about something said before without a pronoun ("What did Iran say in response?").
RELATIONAL = frozenset("response respond responded reaction react reacted reply replied retaliate retaliated "
                       "instead too else afterwards".split())


# ---------------------------------------------------------------- speakers (attribution.py)

# Subjects that are pronouns: a speaker only through the sentence before.
SUBJECT_PRONOUNS = frozenset({"he", "she", "they", "it", "we"})


# ---------------------------------------------------------------- names and model numbers (answer/terms.py)

SPELLED_OUT_FILLERS = frozenset({"of", "the", "and", "for"})


# ---------------------------------------------------------------- affiliations (answer/types.py)

# After a name and its outlet, "reported" is a person's report ("Farnaz Fassihi of The New York Times reported");
# it is no verb of saying elsewhere, since agencies report too ("AFP reported").
AFFILIATION_VERBS = SPEECH_VERBS | {"reported", "reports", "writes"}


# ---------------------------------------------------------------- speaker scoring (speaker_eval.py)

SPEAKER_JOINERS = frozenset({"the", "a", "an", "and"})
# Words that end a speaker's noun phrase in a label: what follows qualifies it ("a NATO official in Brussels").
SPEAKER_PHRASE_ENDS = ("of", "from", "for", "in", "at", "on", "with", "who", "involved")
