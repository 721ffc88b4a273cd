"""A shortened run of benchmarks/load.py: 8 concurrent API clients on loopback, zero errors."""

from __future__ import annotations

import sys

import pytest

from .conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

from appserver import start_app, stop_app  # noqa: E402
from load import run_load  # noqa: E402


@pytest.mark.slow
def test_eight_concurrent_clients_get_answers_without_errors(index_copy, corpus_copy):
    process, url, _ = start_app(corpus_copy, index_copy)
    try:
        result = run_load(url, clients=8, seconds=8)
    finally:
        stop_app(process)
    assert result["errors"] == 0, result["error_samples"]
    assert result["calls"] >= 8
    assert result["p95_ms"] is not None
