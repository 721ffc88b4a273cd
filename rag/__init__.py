"""Cited question answering over news articles: hybrid retrieval and extractive, verifiable answers."""

from .answer import Answer, Claim
from .documents import Document
from .engine import RAG
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError, IngestError, QueryError, RagError
from .index import BuildReport, DocumentRecord
from .model import Passage

__all__ = [
    "RAG",
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
    "QueryError",
]
