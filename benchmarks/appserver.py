"""Start `app.py` as a subprocess on a free loopback port and wait until it serves (shared by benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(corpus: str | Path, index: str | Path, port: int | None = None, timeout: float = 300) -> tuple[subprocess.Popen, str, float]:
    """(process, url, seconds from launch until the page answered 200)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(REPO / "app.py"), "--corpus", str(corpus), "--index", str(index),
                                "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with code {process.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, url, time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise TimeoutError(f"app.py did not serve {url} within {timeout} s")


def stop_app(process: subprocess.Popen) -> None:
    """Terminate the app and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
