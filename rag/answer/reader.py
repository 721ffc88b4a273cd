"""The reader: a cross-encoder that reads a (question, sentence) or (premise, hypothesis) pair together.

One MiniLM-L6 encoder with four logits, trained by `training/reader.py` and shipped in `rag/reader_model/`
(fp16 safetensors, sha256 checked at load): logit 0 says whether the sentence answers the question; logits 1-3
are entailment / neutral / contradiction. Cosine similarity only says two texts are about the same thing; the
reader says whether one answers, supports or contradicts the other. Loaded on first use, never at import.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import RagError
from ..embedding import configure_runtime

MODEL_DIR = Path(__file__).resolve().parents[1] / "reader_model"
WEIGHTS = "model.safetensors"
MAX_LENGTH = 128  # as trained: a question and one sentence fit in far less
ENTAIL, NEUTRAL, CONTRADICT = 0, 1, 2


class ReaderError(RagError):
    """The reader's weights are missing or damaged."""


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in blocks (the weights here, a local model's GGUF, training data)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_weights(folder: Path) -> dict:
    """The manifest, once the weights file matches the sha256 it records."""
    manifest_path = folder / "manifest.json"
    if not (folder / WEIGHTS).is_file() or not manifest_path.is_file():
        raise ReaderError(f"no reader weights in {folder}; reinstall the package (`make` installs them) or run "
                          "`make reader` to train them")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    found = file_sha256(folder / WEIGHTS)
    if found != manifest.get("sha256"):
        raise ReaderError(f"{folder / WEIGHTS} has sha256 {found}, not the manifest's {manifest.get('sha256')}; "
                          "the file is damaged: reinstall the package or run `make reader`")
    return manifest


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class Reader:
    """The loaded cross-encoder. Safe to call from several threads (one pass at a time)."""

    def __init__(self, model, manifest: dict):
        self.model = model
        self.manifest = manifest
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: str | Path | None = None, *, quantized: bool = True) -> Reader:
        """Load the shipped weights (or those in `folder`) offline, on the CPU (int8 linear layers unless not
        `quantized`)."""

        configure_runtime()
        folder = Path(folder) if folder is not None else MODEL_DIR
        manifest = check_weights(folder)
        import torch
        from sentence_transformers import CrossEncoder

        # fp16 on disk halves the package; in memory the linear layers run in int8 (dynamic quantization): 1.5x
        # faster on this CPU for one or three pairs, one dev sentence quoted otherwise (eval/EXPERIMENTS.md).
        model = CrossEncoder(str(folder), device="cpu", max_length=MAX_LENGTH, local_files_only=True,
                             model_kwargs={"dtype": torch.float32})
        model.eval()
        if quantized:
            import warnings

            with warnings.catch_warnings():  # torch points this API at torchao, which does not ship here
                warnings.simplefilter("ignore")
                torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
        return cls(model, manifest)

    def logits(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """(pairs, 4) raw logits."""
        if not pairs:
            return np.zeros((0, 4), dtype=np.float32)
        import torch

        tokenizer, model = self.model.tokenizer, self.model.model
        out = []
        # The tokenizer and the model directly: CrossEncoder.predict's batching costs 2-4 ms a call here.
        with self._lock, torch.inference_mode():
            for at in range(0, len(pairs), 32):
                batch = pairs[at:at + 32]
                features = tokenizer([p[0] for p in batch], [p[1] for p in batch], padding=True, truncation=True,
                                     max_length=MAX_LENGTH, return_tensors="pt")
                out.append(model(**features).logits.float().numpy())
        return np.concatenate(out).reshape(len(pairs), 4)

    def answer_scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """Probability that each sentence answers the question."""
        return sigmoid(self.logits([(question, s) for s in sentences])[:, 0])

    def entailment(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """(pairs, 3) probabilities that the premise entails, is neutral to, or contradicts the hypothesis."""
        return softmax(self.logits(pairs)[:, 1:])
