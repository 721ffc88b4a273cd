"""Stories: articles that carry the same report (a syndicated copy, the same wire story under other site chrome,
a light rewrite), grouped once at index time so an answer counts one story once.

Two articles are one story when their five-word shingles overlap by Jaccard `SAME_STORY_JACCARD` or more,
estimated with MinHash (datasketch) and found through locality-sensitive hashing, so grouping costs about one
signature per article, not a comparison of every pair. A story is named after its earliest article (by
publication date, then id): that copy is the one an answer cites, and the others are listed beside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SHINGLE_WORDS = 5
# Copies of one article under other chrome or wrapping overlap by 0.8 or more, the seed articles (five stories on
# one topic) by at most 0.001 (tests/test_stories.py); a rewrite that keeps half its sentences still groups.
SAME_STORY_JACCARD = 0.5
NUM_PERM = 128
_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class StoryArticle:
    """What grouping needs of an article."""

    doc_id: str
    published: str | None
    text: str


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The text's runs of `size` consecutive lower-case words (the whole text when it is shorter)."""
    words = _WORD_RE.findall(text.lower())
    return {" ".join(words[i:i + size]) for i in range(max(1, len(words) - size + 1))} if words else set()


def story_ids(articles: Sequence[StoryArticle], *, threshold: float = SAME_STORY_JACCARD,
              num_perm: int = NUM_PERM) -> dict[str, str]:
    """Each article's story: the id of the earliest article it carries the same report as (itself when none)."""
    from datasketch import MinHash, MinHashLSH

    signatures = {}
    for article in articles:
        signature = MinHash(num_perm=num_perm, seed=1)
        signature.update_batch([s.encode("utf-8") for s in shingles(article.text)])
        signatures[article.doc_id] = signature
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for doc_id, signature in signatures.items():
        lsh.insert(doc_id, signature)
    parent = {a.doc_id: a.doc_id for a in articles}

    def root(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            parent[doc_id] = parent[parent[doc_id]]
            doc_id = parent[doc_id]
        return doc_id

    for doc_id, signature in signatures.items():
        for other in lsh.query(signature):
            if other != doc_id and signature.jaccard(signatures[other]) >= threshold:
                parent[root(other)] = root(doc_id)
    order = {a.doc_id: (a.published or "9999", a.doc_id) for a in articles}  # undated copies come last
    first: dict[str, str] = {}
    for article in sorted(articles, key=lambda a: order[a.doc_id]):
        first.setdefault(root(article.doc_id), article.doc_id)
    return {a.doc_id: first[root(a.doc_id)] for a in articles}
