"""What an index records: its format and settings, the documents and chunks it holds, and a build's report."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib import metadata as importlib_metadata

from ..chunking import CHUNKER_VERSION, TOKENIZER_NAME
from ..versions import ATTRIBUTION_BEFORE_VERSIONS, ATTRIBUTION_VERSION

FORMAT_VERSION = 5  # 2: sentence wordpiece vectors (sentence_tokens*.npy); 3: documents grouped into stories;
# 4: each sentence's attribution (speaker, side, kind, denial); 5: segments with tombstones, BM25 postings
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "manifest.json"
SEGMENTS_DIR = "segments"
EXACT_SEARCH_LIMIT = 50_000  # below this many chunks exact search takes ~1 ms (benchmarks/scale.py)
DEFAULT_NPROBE = 64  # IVF lists searched per query (benchmarks/scale.py: recall@10 vs exact search)


def package_version() -> str:
    """Installed version of this package (or 0 when running from a plain checkout)."""
    try:
        return importlib_metadata.version("rag-news")
    except importlib_metadata.PackageNotFoundError:
        return "0+local"


@dataclass(frozen=True)
class IndexSettings:
    """What an index was built with; opening it with other settings is refused."""

    model: str
    chunk_tokens: int
    overlap_tokens: int
    tokenizer: str = TOKENIZER_NAME
    embed_sentences: bool = True
    chunker: str = CHUNKER_VERSION
    pooled_chunks: bool = True  # chunk vectors pooled from the sentences' pass (one pass; see _embed)
    attribution: str = ATTRIBUTION_VERSION  # who-says-it reading stored per sentence (rag.attribution)

    @classmethod
    def from_manifest(cls, manifest: dict) -> IndexSettings:
        """The settings a manifest records (an older one, naming no attribution version, had the first)."""
        return cls(**{"attribution": ATTRIBUTION_BEFORE_VERSIONS, **manifest["settings"]})


@dataclass(frozen=True)
class DocumentRecord:
    """A document as the index stores it (no body text in memory beyond what is asked for)."""

    doc_id: str
    title: str
    source: str | None
    author: str | None
    published: str | None
    url: str | None
    path: str
    content_hash: str
    n_chunks: int
    story: str | None = None  # the earliest article carrying the same report (its own id when none; see stories)


@dataclass(frozen=True)
class ChunkRecord:
    """A stored chunk with its document's citation metadata."""

    chunk_id: int
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    first_sentence_row: int
    last_sentence_row: int
    title: str
    source: str | None
    author: str | None
    published: str | None
    url: str | None


@dataclass(frozen=True)
class BuildReport:
    """What a build did: documents embedded afresh, reused, removed, and files that failed."""

    embedded: list[str]
    reused: list[str]
    removed: list[str]
    errors: list[str]  # "path: reason" for each file that failed, as the CLI prints them
    n_chunks: int
    n_sentences: int
    seconds: float
    failures: dict[str, str] = dataclasses.field(default_factory=dict)  # path -> reason, for callers that match files
