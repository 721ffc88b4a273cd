"""Shared fixtures: the real bundled model, loaded once, and an index of the real seed articles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.embedding import Embedder, configure_runtime

configure_runtime()

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The bundled all-MiniLM-L6-v2, loaded once for the whole run."""
    return Embedder.load()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, embedder) -> Path:
    """An index of seeds/ built once; tests must not modify it (copy it with `index_copy`)."""
    from rag import RAG

    path = tmp_path_factory.mktemp("seed-index") / "index"
    RAG.build(SEEDS, path, embedder=embedder, progress=False)
    return path


@pytest.fixture(scope="session")
def engine(seed_index, embedder):
    """A read-only engine over the seed index."""
    from rag import RAG

    return RAG.load(seed_index, embedder=embedder)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of seeds/ that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def index_copy(tmp_path, seed_index) -> Path:
    """A private copy of the seed index that a test may update."""
    target = tmp_path / "index"
    shutil.copytree(seed_index, target)
    return target
