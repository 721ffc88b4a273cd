"""Stories: articles that carry the same report (a syndicated copy, the same wire story under other site chrome,
a light rewrite), grouped once at index time so an answer counts one story once.

Two articles are one story when their five-word shingles overlap by Jaccard `SAME_STORY_JACCARD` or more,
estimated with MinHash (datasketch) and found through locality-sensitive hashing, so grouping costs about one
signature per article, not a comparison of every pair. A story is named after its earliest article (by
publication date, then id): that copy is the one an answer cites, and the others are listed beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..text import words

SHINGLE_WORDS = 5
# Copies of one article under other chrome or wrapping overlap by 0.8 or more, the seed articles (five stories on
# one topic) by at most 0.001 (tests/test_stories.py); a rewrite that keeps half its sentences still groups.
SAME_STORY_JACCARD = 0.5
NUM_PERM = 128
MINHASH_SCHEME = "affine32"  # datasketch's default; stored signatures are read back with it


@dataclass(frozen=True)
class StoryArticle:
    """What grouping needs of an article."""

    doc_id: str
    published: str | None
    text: str


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The text's runs of `size` consecutive lower-case words (the whole text when it is shorter)."""
    found = words(text.lower())
    return {" ".join(found[i:i + size]) for i in range(max(1, len(found) - size + 1))} if found else set()


def signature(text: str, num_perm: int = NUM_PERM) -> np.ndarray:
    """The text's MinHash signature over its shingles (uint64 hash values; stored with the article's segment)."""
    from datasketch import MinHash

    minhash = MinHash(num_perm=num_perm, seed=1, scheme=MINHASH_SCHEME)
    minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def group_stories(articles: Sequence[tuple[str, str | None, np.ndarray]], *, threshold: float = SAME_STORY_JACCARD,
                  num_perm: int = NUM_PERM) -> dict[str, str]:
    """Each article's story from (doc_id, published, signature): the id of the earliest article carrying the same
    report (itself when none). Grouping reads only signatures, so an update need not re-read every article's text."""
    from datasketch import LeanMinHash, MinHashLSH

    signatures = {doc_id: LeanMinHash(seed=1, hashvalues=values, scheme=MINHASH_SCHEME) for doc_id, _, values in articles}
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for doc_id, minhash in signatures.items():
        lsh.insert(doc_id, minhash)
    parent = {doc_id: doc_id for doc_id in signatures}

    def root(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            parent[doc_id] = parent[parent[doc_id]]
            doc_id = parent[doc_id]
        return doc_id

    for doc_id, minhash in signatures.items():
        for other in lsh.query(minhash):
            if other != doc_id and minhash.jaccard(signatures[other]) >= threshold:
                parent[root(other)] = root(doc_id)
    order = {doc_id: (published or "9999", doc_id) for doc_id, published, _ in articles}  # undated copies come last
    first: dict[str, str] = {}
    for doc_id in sorted(signatures, key=order.__getitem__):
        first.setdefault(root(doc_id), doc_id)
    return {doc_id: first[root(doc_id)] for doc_id in signatures}


def story_ids(articles: Sequence[StoryArticle], *, threshold: float = SAME_STORY_JACCARD,
              num_perm: int = NUM_PERM) -> dict[str, str]:
    """Each article's story: the id of the earliest article it carries the same report as (itself when none)."""
    return group_stories([(a.doc_id, a.published, signature(a.text, num_perm)) for a in articles],
                         threshold=threshold, num_perm=num_perm)
