"""The store's write paths (rag/store) when the system refuses a write: a full disk and a read-only index folder
during a build, an upload and a merge, and the app and the CLI writing at once. Each time the index opens in the
old or the new state, nothing a user added is lost, and the error names the fix.

A full disk is a small tmpfs (ENOSPC), or, where this process may not mount one, a file-size limit (EFBIG); a
read-only folder is a read-only bind mount over it, or, for a user who is not root, folders without write permission.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag import RAG
from rag.errors import IndexWriteError
from rag.store import read_manifest

from .conftest import ARTICLE_HTML, REPO

QUESTION = "Which missile system were Russian personnel trained in Iran to operate?"
SPARE_BYTES = 48 * 1024  # room for an upload's copy, not for the segment an update writes
FILE_LIMIT = 8 * 1024  # without a tmpfs: files the size of an upload's copy, not of a segment's chunk store


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def can_mount(tmp_path_factory) -> bool:
    """Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, as in CI's container)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    point = tmp_path_factory.mktemp("mount-probe")
    if not _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(point)):
        return False
    subprocess.run(["umount", str(point)], check=True)
    return True


@pytest.fixture
def disk(tmp_path, can_mount) -> Iterator[Path]:
    """A folder on its own tmpfs when one can be mounted (else a plain folder), unmounted afterwards."""
    point = tmp_path / "disk"
    point.mkdir()
    mounted = can_mount and _mount("-t", "tmpfs", "-o", "size=256m", "tmpfs", str(point))
    try:
        yield point
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(point)], check=False)


def _is_mount(point: Path) -> bool:
    return os.path.ismount(point)


@contextlib.contextmanager
def full(point: Path) -> Iterator[None]:
    """The disk under `point` full but for SPARE_BYTES (a tmpfs shrunk to what it holds), or every file limited to
    FILE_LIMIT (RLIMIT_FSIZE; writes past it fail with EFBIG instead of killing the process)."""
    if _is_mount(point):
        stat = os.statvfs(point)
        used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
        assert _mount("-o", f"remount,size={used + SPARE_BYTES}", str(point))
        try:
            yield
        finally:
            assert _mount("-o", "remount,size=256m", str(point))
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@contextlib.contextmanager
def read_only(point: Path, can_mount: bool) -> Iterator[None]:
    """`point` read-only: a read-only bind mount over it, or (not root) every folder in it without write permission."""
    if can_mount:
        assert _mount("--bind", str(point), str(point)) and _mount("-o", "remount,bind,ro", str(point))
        try:
            yield
        finally:  # writable again at once; the bind mount goes when the files open under it close (-l)
            assert _mount("-o", "remount,bind,rw", str(point))
            subprocess.run(["umount", "-l", str(point)], check=True)
        return
    if os.geteuid() == 0:
        pytest.skip("root ignores write permissions, and this process may not mount a read-only bind mount")
    folders = [point, *(p for p in point.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o555)
    try:
        yield
    finally:
        for folder in folders:
            folder.chmod(0o755)


def _state(index: Path) -> dict[str, str]:
    return {doc_id: d["content_hash"] for doc_id, d in read_manifest(index)["documents"].items()}


def _assert_serves(index: Path, embedder, state: dict[str, str]) -> None:
    """The index opens in `state`, answers, and has no half-written generation or copy lying about."""
    assert _state(index) == state
    assert RAG.load(index, embedder=embedder).ask(QUESTION).citations
    assert not [p for p in index.rglob("*") if p.name.startswith(".tmp-gen-") or p.name.endswith(".part")]


@pytest.fixture
def on_disk(disk, seed_index, corpus_copy) -> tuple[Path, Path]:
    """(corpus, index): the seed articles and their index on the test's own disk."""
    corpus, index = disk / "corpus", disk / "index"
    shutil.copytree(corpus_copy, corpus)
    shutil.copytree(seed_index, index)
    return corpus, index


def _an_article(tmp_path: Path) -> Path:
    article = tmp_path / "velmora_lighthouse.html"  # the user's own file, outside the index
    article.write_text(ARTICLE_HTML, encoding="utf-8")
    return article


def _edit(corpus: Path) -> None:
    first = sorted(corpus.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nOfficials added that talks would resume in the spring.\n",
                     encoding="utf-8")


# ---------------------------------------------------------------- a full disk


def test_a_full_disk_during_a_build_leaves_the_old_index_and_names_the_fix(on_disk, embedder):
    corpus, index = on_disk
    before = _state(index)
    _edit(corpus)
    with full(index.parent), pytest.raises(IndexWriteError, match="free some space"):
        RAG.build(corpus, index, embedder=embedder, progress=False)
    _assert_serves(index, embedder, before)
    RAG.build(corpus, index, embedder=embedder, progress=False)  # with room again, the same build goes through
    assert _state(index) != before


def test_a_full_disk_during_an_upload_keeps_the_users_file(on_disk, embedder, tmp_path):
    corpus, index = on_disk
    before = _state(index)
    article = _an_article(tmp_path)
    engine = RAG.load(index, embedder=embedder)
    with full(index.parent), pytest.raises(IndexWriteError, match="free some space"):
        engine.add([article])
    assert article.read_text(encoding="utf-8") == ARTICLE_HTML
    _assert_serves(index, embedder, before)
    assert engine.ask(QUESTION).citations  # the engine that failed still serves
    engine.add([article])
    assert "velmora_lighthouse" in _state(index)


def _two_segments(index: Path, embedder, tmp_path: Path) -> tuple[RAG, dict[str, str], list[str]]:
    """An engine on `index` after one upload (so it has two segments, merging left to the test), the index's
    state and its segments' names."""
    engine = RAG.load(index, embedder=embedder)
    engine.auto_merge = False
    engine.add([_an_article(tmp_path)])
    segments = [s["name"] for s in read_manifest(index)["segments"]]
    assert len(segments) >= 2
    return engine, _state(index), segments


def test_a_full_disk_during_a_merge_leaves_the_segments_as_they_were(on_disk, embedder, tmp_path):
    corpus, index = on_disk
    engine, before, segments = _two_segments(index, embedder, tmp_path)
    with full(index.parent), pytest.raises(IndexWriteError, match="free some space"):
        engine.merge(segments)
    assert [s["name"] for s in read_manifest(index)["segments"]] == segments
    _assert_serves(index, embedder, before)
    assert engine.merge(segments) == segments


# ---------------------------------------------------------------- a read-only index folder


def test_a_read_only_index_during_a_build_an_upload_and_a_merge(on_disk, embedder, tmp_path, can_mount):
    corpus, index = on_disk
    engine, before, segments = _two_segments(index, embedder, tmp_path)
    _edit(corpus)
    other = tmp_path / "harbor_note.txt"
    other.write_text("Harbor note\n\nThe Velmora lighthouse keeper retired in June, the town council said.\n",
                     encoding="utf-8")
    with read_only(index.parent, can_mount):
        with pytest.raises(IndexWriteError, match="writable"):
            RAG.build(corpus, index, embedder=embedder, progress=False)
        with pytest.raises(IndexWriteError, match="writable"):
            engine.add([other])
        with pytest.raises(IndexWriteError, match="writable"):
            engine.merge(segments)
        assert engine.ask(QUESTION).citations  # reading a read-only index works
        assert RAG.load(index, embedder=embedder).ask(QUESTION).citations
    assert other.exists()
    _assert_serves(index, embedder, before)


# ---------------------------------------------------------------- two writers at once


@pytest.mark.slow
def test_the_app_and_the_cli_writing_at_once_lose_nothing(index_copy, embedder, tmp_path):
    """`rag add` in another process while this one (as the app does) adds and removes articles: the writer lock
    puts them one after the other, and every article either side added is in the index at the end."""
    engine = RAG.load(index_copy, embedder=embedder)
    cli_files = []
    for n in range(3):
        path = tmp_path / f"cli_note_{n}.txt"
        path.write_text(f"CLI note {n}\n\nThe Brindlecombe council met for the {n + 1}th time about the harbour.\n",
                        encoding="utf-8")
        cli_files.append(path)
    app_file = _an_article(tmp_path)
    cli = subprocess.Popen([sys.executable, "-m", "rag.cli", "add", *map(str, cli_files), "--index", str(index_copy)],
                           cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # The CLI copies its files into the library before it waits for the lock: write from here from that moment.
    deadline = time.monotonic() + 300
    while not (index_copy / "library" / cli_files[0].name).exists() and cli.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    errors: list[BaseException] = []

    def app_writes() -> None:
        try:
            for _ in range(2):
                engine.add([app_file])
                engine.remove(["velmora_lighthouse"])
            engine.add([app_file])
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    writer = threading.Thread(target=app_writes)
    writer.start()
    output, _ = cli.communicate(timeout=600)
    writer.join(timeout=600)
    assert cli.returncode == 0, output
    assert not errors, errors[0]
    engine.wait_for_merges()
    ids = set(_state(index_copy))
    assert {f"cli_note_{n}" for n in range(3)} | {"velmora_lighthouse"} <= ids
    assert RAG.load(index_copy, embedder=embedder).ask("What did the Brindlecombe council meet about?").citations
