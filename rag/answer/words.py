"""Word lists of the answer layer: data, one list per idea, in one place."""

from __future__ import annotations

# Phrases with which a language model declines to answer from the passages.
REFUSAL_PHRASES = ("do not contain", "does not contain", "don't contain", "doesn't contain", "do not mention",
                   "does not mention", "don't mention", "doesn't mention", "do not provide", "does not provide",
                   "no information", "not enough information", "cannot answer", "can't answer", "unable to answer",
                   "i don't know", "i do not know", "not mentioned", "not specified", "not stated",
                   "do not say", "does not say", "no mention")
