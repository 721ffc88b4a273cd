"""Cited question answering over news articles: hybrid retrieval and extractive, verifiable answers."""

from .answer import Answer, Claim
from .documents import Document
from .engine import RAG
from .options import AskOptions, BuildOptions
from .errors import (IndexCorruptError, IndexMismatchError, IndexMissingError, IndexWriteError, IngestError, QueryError,
                     RagError)
from .retrieval import SearchOptions
from .store import BuildReport, DocumentRecord
from .model import Passage

__all__ = [
    "RAG",
    "AskOptions",
    "BuildOptions",
    "SearchOptions",
    "Answer",
    "Claim",
    "Passage",
    "Document",
    "DocumentRecord",
    "BuildReport",
    "RagError",
    "IngestError",
    "IndexMissingError",
    "IndexMismatchError",
    "IndexCorruptError",
    "IndexWriteError",
    "QueryError",
]
