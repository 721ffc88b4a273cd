"""The answer stage: answerers turn retrieved passages into an `Answer`; one verifier checks their claims.

- `extractive`: quotes the sentences that answer (offline, fast; the default);
- `llm`: asks an OpenAI-compatible chat endpoint, then verifies every sentence against the passage it cites.
"""

from .model import ABSTAIN_TEXT, UNKNOWN_SOURCE, Answer, Claim, answer_from_dict, answer_to_dict, byline, explain

__all__ = ["ABSTAIN_TEXT", "UNKNOWN_SOURCE", "Answer", "Claim", "answer_from_dict", "answer_to_dict", "byline",
           "explain"]
