"""Which language a question is written in: the tool reads English questions (its embedding model, its reader and
its word lists are English), and says so rather than refusing a French question for "not mentioning" its words."""

from __future__ import annotations

import functools

# The languages told apart (py3langid's codes) and their names for the message. English wins unless another is
# clearly more likely: 0 of the 496 English questions in eval/ reach NOT_ENGLISH; 8 of 9 foreign ones do
# (eval/EXPERIMENTS.md, issue 30 session 2).
LANGUAGES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
             "ru": "Russian", "uk": "Ukrainian", "fa": "Persian", "ar": "Arabic", "zh": "Chinese", "tr": "Turkish",
             "nl": "Dutch", "pl": "Polish"}
NOT_ENGLISH = 0.8
MIN_WORDS = 3  # a language is told from a phrase, not from one or two words ("KÇ" read as Turkish)


@functools.cache
def _identifier():
    """py3langid's bundled model (loaded once, in about 0.7 s; nothing is downloaded)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def foreign_language(question: str) -> str | None:
    """The name of the language a question of at least MIN_WORDS words is clearly written in when that is not
    English, else None."""
    if len(question.split()) < MIN_WORDS:
        return None
    code, probability = _identifier().classify(question)
    return LANGUAGES[code] if code != "en" and probability >= NOT_ENGLISH else None
