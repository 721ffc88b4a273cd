"""Exceptions a user can cause; each message names the bad value and the fix."""


class RagError(Exception):
    """Base class for errors caused by user input or state."""


class IngestError(RagError):
    """A file could not be read, decoded or cleaned into an article."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class IndexMissingError(RagError):
    """No index exists at the given location."""


class IndexMismatchError(RagError):
    """The index was built with other settings than those requested."""


class IndexCorruptError(RagError):
    """The index files are damaged or incomplete."""


class IndexWriteError(RagError):
    """The index folder could not be written (full disk, read-only folder, no permission); the index is unchanged."""


class QueryError(RagError):
    """A question or search request is invalid."""


class LLMError(RagError):
    """The language-model endpoint failed, timed out or answered in a form that cannot be read."""
