"""Shared fixtures: the real bundled model, loaded once, and an index of the real seed articles."""

from __future__ import annotations

import contextlib
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.embedding import Embedder, configure_runtime

configure_runtime()

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
# A small made-up article, unlike anything in the seeds, for upload tests.
ARTICLE_HTML = """<!doctype html><html><head><title>Harbor town opens the Velmora tidal lighthouse</title>
<meta property="article:published_time" content="2024-05-02"></head><body><article>
<h1>Harbor town opens the Velmora tidal lighthouse</h1>
<p>The coastal town of Brindlecombe opened the Velmora tidal lighthouse on Thursday, the first lighthouse in the
region powered entirely by tidal turbines.</p>
<p>The lighthouse was designed by the engineer Maria Keswick, who said the turbines produce three times the power
the lamp needs.</p>
<p>Fishermen in Brindlecombe had campaigned for a new light since the old tower collapsed in a storm in 2019.</p>
</article></body></html>"""


# A test that needs none of these (directly or through another fixture) and is not marked slow, browser or
# integration (a test that loads the model or builds the wheel itself) is a unit test: no embedding model, no
# index built, no app served. `make test-fast` runs those alone (`-m unit`).
MODEL_FIXTURES = frozenset({"embedder", "seed_index", "engine", "index_copy", "hostile_engine"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not MODEL_FIXTURES & set(getattr(item, "fixturenames", ())) and not any(
                item.get_closest_marker(m) for m in ("slow", "browser", "integration")):
            item.add_marker(pytest.mark.unit)


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


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(root: Path, seed_index: Path, embedder) -> Iterator[tuple[str, Path, Path]]:
    """The chat app on a free loopback port over private copies of the seeds and their index: (url, corpus, index)."""
    from rag import RAG
    from rag.webapp import create_app, launch

    corpus, index = root / "corpus", root / "index"
    shutil.copytree(SEEDS, corpus)
    shutil.copytree(seed_index, index)
    app = create_app(RAG.build(corpus, index, embedder=embedder, progress=False), corpus)
    port = free_port()
    launch(app, port=port, private=(corpus, index), block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/", corpus, index
    finally:
        app.close()
