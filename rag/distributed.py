"""Distributed builds on Ray Data: documents are chunked, embedded and attributed by a pool of Ray actors across
a cluster (each actor loads the model once), and the driver writes the index exactly as a local build does.

`rag build CORPUS --ray [ADDRESS]`: ADDRESS is a running cluster ("auto", "127.0.0.1:6379", "ray://host:10001"),
or nothing for a local one started for the build. Every worker must be able to import this package and its
model (on a cluster of one machine, the same virtual environment). The per-document work is
`enrich.embed_documents`, the function a local build runs, so both give the same index (tests/test_distributed.py).
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np

from .attribution import Attribution
from .chunking import Chunk, Span
from .documents import Document
from .errors import RagError
from .embedding import Embedder, configure_runtime
from .enrich import embed_documents
from .store import DocRows, IndexSettings, SentenceTokens, record_for

DOCUMENTS_PER_BATCH = 32  # enough sentences per batch to fill the model's own batches of 64
_DOC_FIELDS = ("doc_id", "title", "text", "source", "author", "published", "url", "path", "content_hash")


def _array_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _array(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


def pack_rows(parts: Sequence) -> dict[str, list]:
    """Columns of embedded documents (JSON and .npy bytes: no pickle) for the trip from a worker to the driver."""
    return {
        "doc_id": [p.record.doc_id for p in parts],
        "layout": [json.dumps({"chunks": [asdict(c) for c in p.chunks], "spans": [asdict(s) for s in p.sentences],
                               "attributions": [asdict(a) for a in p.attributions]}) for p in parts],
        "chunk_vectors": [_array_bytes(p.chunk_vectors) for p in parts],
        "sentence_vectors": [_array_bytes(p.sentence_vectors) for p in parts],
        "token_vectors": [_array_bytes(p.sentence_tokens.vectors) for p in parts],
        "token_ids": [_array_bytes(p.sentence_tokens.ids) for p in parts],
        "token_offsets": [_array_bytes(p.sentence_tokens.offsets) for p in parts],
        "signature": [_array_bytes(p.signature) for p in parts],
    }


def unpack_row(row: dict, doc: Document):
    """The `index.DocRows` of one document from its packed row."""

    layout = json.loads(row["layout"])
    chunks = [Chunk(**c) for c in layout["chunks"]]
    tokens = SentenceTokens(_array(row["token_vectors"]), _array(row["token_ids"]), _array(row["token_offsets"]))
    return DocRows(record_for(doc, len(chunks)), doc.text, chunks, [Span(**s) for s in layout["spans"]],
                    _array(row["chunk_vectors"]), _array(row["sentence_vectors"]), tokens, None,
                    [Attribution(**a) for a in layout["attributions"]], _array(row["signature"]))


class EmbedActor:
    """A Ray Data actor: loads the model once, then embeds batch after batch of documents."""

    def __init__(self, model: str | None, settings: dict, threads: int):

        configure_runtime()
        import torch

        torch.set_num_threads(max(1, threads))

        self.embedder = Embedder.load(model, device="cpu")
        self.settings = IndexSettings(**settings)

    def __call__(self, batch: dict) -> dict[str, list]:

        docs = [Document(**{f: _plain(batch[f][i]) for f in _DOC_FIELDS}) for i in range(len(batch["doc_id"]))]
        return pack_rows(embed_documents(docs, self.embedder, self.settings))


def _plain(value):
    """A Ray Data cell as a plain str or None (numpy batches hold strings as numpy scalars, missing ones as None)."""
    return None if value is None else str(value)


def connect(address: str | None, workers: int):
    """Join the cluster at `address`, or start a local one with `workers` CPUs when it is None."""
    try:
        import ray
    except ImportError as exc:
        raise RagError("--ray needs Ray: pip install 'ray[data]' (or `pip install -e '.[ray]'`)") from exc
    if address is not None and _unreachable(address):
        raise RagError(f"cannot reach the Ray cluster at {address!r} (nothing listens there); start one with "
                       "`ray start --head` or leave the address out for a local cluster")
    if not ray.is_initialized():
        env = {"env_vars": {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE",
                            "TOKENIZERS_PARALLELISM": "false"}}
        try:
            if address is None:
                ray.init(num_cpus=workers, include_dashboard=False, runtime_env=env, log_to_driver=False,
                         logging_level=logging.WARNING)
            else:
                ray.init(address=address, runtime_env=env, log_to_driver=False, logging_level=logging.WARNING)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RagError(f"cannot reach the Ray cluster at {address!r} ({exc}); start one with `ray start --head` "
                           "or leave the address out for a local cluster") from exc
    return ray


def _unreachable(address: str) -> bool:
    """Whether a HOST:PORT address refuses connections (Ray itself retries such an address for a minute)."""
    import socket

    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return False  # "auto" and ray:// client addresses are Ray's to resolve
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            return False
    except OSError:
        return True


def ray_embedder(address: str | None = None, *, workers: int | None = None, model: str | None = None,
                 threads_per_worker: int = 1, documents_per_batch: int = DOCUMENTS_PER_BATCH):
    """An `embed` function for `build.write_index` that runs `embed_documents` on a Ray cluster.

    `workers` actors (default: one per CPU the cluster has, over `threads_per_worker`) each load the model once."""

    def embed(docs: Sequence[Document], embedder, settings, progress: bool) -> list:
        ray = connect(address, workers or max(1, (os.cpu_count() or 1) // threads_per_worker))
        import ray.data

        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = progress
        pool = workers or max(1, int(ray.cluster_resources().get("CPU", 1)) // threads_per_worker)
        items = [{f: getattr(d, f) for f in _DOC_FIELDS} for d in docs]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, min(len(items), pool * 4)))
        embedded = dataset.map_batches(EmbedActor, batch_size=documents_per_batch, batch_format="numpy",
                                       concurrency=pool, num_cpus=threads_per_worker,
                                       fn_constructor_kwargs={"model": model, "settings": asdict(settings),
                                                              "threads": threads_per_worker})
        by_id = {d.doc_id: d for d in docs}
        parts = [unpack_row(row, by_id[str(row["doc_id"])]) for row in embedded.iter_rows()]
        if len(parts) != len(docs):
            raise RagError(f"the Ray build returned {len(parts)} of {len(docs)} documents; run it again")
        return parts

    return embed
