"""The lexicon: word lists as data, in one place, at the bottom of the layers (it imports only `rag.text`).

- `words`: the word lists every stage reads (question words, verbs of saying and denying, answer-slot words,
  time words, ...), each with a comment on what it is for and where it came from; lists that hold knowledge of
  this corpus rather than of English are marked so.
- `gazetteer`: countries, their capitals and demonyms (from the countryinfo package) and the readers that find
  them in a text.
"""
