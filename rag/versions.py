"""The versions of the readings an index stores: an index built by another version of one is read again.

Each is recorded in an index's settings (`rag.store.IndexSettings`); a build whose version differs re-reads what
that version decides and reuses everything else.
"""

# Who-says-it reading stored per sentence (rag.attribution): 3, "X said to <verb>" is no speech by X.
ATTRIBUTION_VERSION = "parse-3"
ATTRIBUTION_BEFORE_VERSIONS = "parse-1"  # what an index whose manifest names no version was read with
