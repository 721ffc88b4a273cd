"""Generations: the CURRENT pointer, the one-writer lock, the atomic switch, and reading the live manifest.

An update writes a whole new generation folder beside the live one, then `switch_generation` replaces CURRENT
(write, fsync, rename, fsync the folder), so a reader or a crash sees the old generation or the new one, never
half of either; `remove_stale` then deletes what no reader can reach any more.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from ..errors import IndexCorruptError, IndexMismatchError, IndexMissingError, IndexWriteError
from .records import CURRENT_FILE, FORMAT_VERSION, MANIFEST_FILE, IndexSettings


def current_generation(root: Path) -> Path:
    """The live generation's folder (what CURRENT names)."""
    pointer = root / CURRENT_FILE
    if not pointer.exists():
        raise IndexMissingError(f"no index at {root}; build one with `rag build SEEDS_DIR --index {root}` or RAG.build()")
    name = pointer.read_text(encoding="utf-8").strip()
    gen = root / name
    if not name or "/" in name or not gen.is_dir():
        raise IndexCorruptError(f"index at {root} points to a missing generation {name!r}; run `rag build --rebuild` to recover")
    return gen


# What the disk or the folder's owner can refuse a writer, and what the user can do about it.
NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


def refused_errno(exc: BaseException) -> int | None:
    """The errno of a write the system refused, as the layer that met it reports it: an OSError's own, SQLite's
    result code ("database or disk is full", "attempt to write a readonly database"), or the strerror in a FAISS
    RuntimeError's message; None for anything else."""
    if isinstance(exc, OSError):
        return exc.errno
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name.startswith("SQLITE_FULL"):
            return errno.ENOSPC
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")):
            return errno.EROFS
        if name == "SQLITE_IOERR_WRITE":  # SQLite's report of EIO, and of EFBIG past a file-size limit
            return errno.EIO
        return None
    if isinstance(exc, RuntimeError):
        return next((code for code in (*NO_SPACE, *NOT_WRITABLE) if os.strerror(code) in str(exc)), None)
    return None


def write_error(root: Path, exc: BaseException) -> IndexWriteError | None:
    """The project error for a write the system refused (full disk, read-only folder), naming the fix; None for
    any other error."""
    code = refused_errno(exc)
    if code in NO_SPACE:
        fix = (f"free some space on the disk that holds {root} (an update needs about the size of what it adds, a "
               "merge the size of what it merges) and try again")
    elif code in NOT_WRITABLE:
        fix = f"make {root} writable (or use another index folder with --index) and try again"
    elif code == errno.EIO:
        fix = (f"check the disk that holds {root} (free some space if it is full, or lift a limit on file size) and "
               "try again")
    else:
        return None
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    return IndexWriteError(f"could not write the index at {root}: {os.strerror(code)}{where}. The index is "
                           f"unchanged (the previous version stays live); {fix}")


@contextlib.contextmanager
def refused_writes(root: Path) -> Iterator[None]:
    """Inside it, a write the system refuses (full disk, read-only folder) raises IndexWriteError naming the fix."""
    try:
        yield
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        error = write_error(root, exc)
        if error is None:
            raise
        raise error from exc


@contextlib.contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """One writer at a time per index folder (other processes wait); refused writes inside it as `refused_writes`."""
    with refused_writes(root):
        root.mkdir(parents=True, exist_ok=True)
        handle = open(root / ".lock", "a+")
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            with refused_writes(root):
                yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_generation(root: Path, gen: Path) -> None:
    """Make `gen` the live generation, atomically and durably."""
    tmp = root / f"{CURRENT_FILE}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(gen.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / CURRENT_FILE)
    fsync_dir(root)


def remove_stale(root: Path, keep: str) -> None:
    """Delete generations and temp files other than the live one (leftovers of crashes or old builds)."""
    for entry in root.iterdir():
        if entry.name in (keep, CURRENT_FILE, ".lock"):
            continue
        if entry.name.startswith(("gen-", ".tmp-")) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f"{CURRENT_FILE}.tmp-"):
            entry.unlink(missing_ok=True)


def read_manifest(root: str | Path) -> dict:
    """The live generation's manifest."""
    gen = current_generation(Path(root))
    try:
        return json.loads((gen / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"index at {root} has no {MANIFEST_FILE}; run `rag build --rebuild` to recover") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"index at {root} has an unreadable {MANIFEST_FILE} ({exc}); run `rag build --rebuild` to recover") from exc


def check_settings(manifest: dict, expected: IndexSettings | None, root: Path) -> None:
    """Refuse an index built with another format, model or chunking than expected."""
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {root} has format version {manifest.get('format_version')!r}, this version reads {FORMAT_VERSION}; "
            f"rebuild it with `rag build --rebuild --index {root}`"
        )
    if expected is None:
        return
    built = IndexSettings.from_manifest(manifest)
    diffs = [f"{k}: index has {v!r}, asked for {asdict(expected)[k]!r}" for k, v in asdict(built).items() if asdict(expected)[k] != v]
    if diffs:
        raise IndexMismatchError(
            f"index at {root} was built with other settings ({'; '.join(diffs)}); rebuild it with "
            f"`rag build SEEDS_DIR --rebuild --index {root}` (plus your model/chunk options) or open it without overriding them"
        )
