"""The Ray build (rag.distributed) on a real local Ray cluster: a head and a worker process on 127.0.0.1.

The index it writes must equal a local build of the same articles: the same chunks and sentences, vectors within
float tolerance, the same attributions, and the same answers to the gold questions.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from .conftest import REPO, SEEDS, free_port

pytestmark = pytest.mark.slow

RAY = Path(sys.executable).parent / "ray"


def _ray(*args: str, env: dict) -> None:
    done = subprocess.run([str(RAY), *args], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"ray {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"


@pytest.fixture(scope="module")
def ray_cluster():
    """A head (1 CPU) and one worker node (1 CPU) started with `ray start`, both bound to 127.0.0.1."""
    port = free_port()
    # Ray puts unix sockets under its temp dir, whose path must stay short.
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    # Token authentication with a token of the test's own, for the head, the worker and this process (the driver):
    # left unset, a `ray start --head` turns it on from a ~/.ray/auth_token an earlier `ray.init()` left, while a
    # joining worker does not, and is refused ("InvalidAuthToken").
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    saved = {name: os.environ.get(name) for name in [*auth, "RAY_AUTH_TOKEN_PATH"]}
    os.environ.pop("RAY_AUTH_TOKEN_PATH", None)
    os.environ.update(auth)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "HF_HUB_OFFLINE": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    address = f"127.0.0.1:{port}"
    try:
        _ray("start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=1",
             "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}", env=env)
        _ray("start", f"--address={address}", "--node-ip-address=127.0.0.1", "--num-cpus=1", env=env)
        yield address
    finally:
        subprocess.run([str(RAY), "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _rows(engine):
    index = engine.index
    return index.chunk_table(), index.sentence_table()


def _comparable(manifest: dict) -> dict:
    """A manifest without what differs between any two writes (times, file sizes, segment names)."""
    out = {k: v for k, v in manifest.items() if k not in ("created", "files", "segments")}
    out["documents"] = {d: {k: v for k, v in e.items() if k != "segment"} for d, e in manifest["documents"].items()}
    out["segments"] = [{k: v for k, v in m.items() if k != "name"} for m in manifest["segments"]]
    return out


def test_a_ray_build_equals_a_local_build(ray_cluster, tmp_path, embedder):
    import ray

    from rag import RAG
    from rag.evaluation import load_gold

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    local = RAG.build(corpus, tmp_path / "local", embedder=embedder, progress=False)
    try:
        distributed = RAG.build(corpus, tmp_path / "ray", embedder=embedder, progress=False,
                                ray=ray_cluster, ray_workers=2)
        nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    finally:
        ray.shutdown()
    assert len(nodes) == 2  # the build ran on a cluster of a head and a worker
    assert distributed.last_report.embedded == local.last_report.embedded
    assert _rows(distributed) == _rows(local)
    a, b = local.index, distributed.index
    assert np.allclose(np.asarray(a.chunk_vectors), np.asarray(b.chunk_vectors), atol=1e-5)
    assert np.allclose(np.asarray(a.sentence_vectors), np.asarray(b.sentence_vectors), atol=1e-5)
    (ta,), (tb,) = [s.tokens for s in a.segments], [s.tokens for s in b.segments]  # one segment each
    assert np.array_equal(ta.offsets, tb.offsets)
    assert np.array_equal(ta.ids, tb.ids)
    assert np.allclose(np.asarray(ta.vectors, np.float32), np.asarray(tb.vectors, np.float32), atol=2e-3)  # float16 storage
    assert _comparable(a.manifest) == _comparable(b.manifest)
    questions = load_gold(REPO / "eval" / "gold.jsonl")
    differ = [q.question for q in questions if local.ask(q.question).text != distributed.ask(q.question).text]
    assert differ == [], f"{len(differ)} of {len(questions)} gold answers differ, e.g. {differ[:3]}"


def test_an_unreachable_cluster_is_a_clear_error(tmp_path, embedder):
    from rag import RAG
    from rag.errors import RagError

    with pytest.raises(RagError, match="Ray cluster"):
        RAG.build(SEEDS, tmp_path / "idx", embedder=embedder, progress=False, ray=f"127.0.0.1:{free_port()}")
    assert not (tmp_path / "idx" / "CURRENT").exists()
