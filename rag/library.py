"""The managed article folder beside the index: where files added from elsewhere are kept.

The index is the one record of the library. Articles added from outside the corpus folder (`rag add`, uploads
in the app) are copied here, so a rebuild or a restart finds them again; the tracked corpus folder (`seeds/`)
is never written to. Removals are remembered in the index manifest (see index.write_index).
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from .documents import METADATA_SUFFIX

LIBRARY_DIR = "library"


def library_dir(index_dir: str | Path) -> Path:
    """The managed folder of an index ("index/library")."""
    return Path(index_dir) / LIBRARY_DIR


def is_inside(path: str | Path, folder: str | Path) -> bool:
    """Whether `path` lies inside `folder` (both resolved)."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def sanitize_filename(name: str, *, max_stem: int = 80) -> str:
    """A safe file name: no path components, ASCII letters, digits, '-', '_' and one suffix."""
    base = re.split(r"[\\/]", str(name))[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_-")[:max_stem].strip("_-") or "upload"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()
    return f"{stem}.{suffix}" if suffix else stem


def target_path(folder: Path, name: str, taken_stems: set[str]) -> Path:
    """Where a new file goes: its own name, or a numbered one when that document id is taken. A new file
    never overwrites one, so an existing article's metadata sidecar can never describe new content."""
    path = folder / name
    stem, suffix = path.stem, path.suffix
    n = 1
    while stem in taken_stems or (folder / f"{stem}{suffix}").exists():
        n += 1
        stem = f"{path.stem}-{n}"
    return folder / f"{stem}{suffix}"


def copy_atomically(source: Path, target: Path) -> None:
    """Copy a file so that `target` is either absent or complete."""
    partial = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def store(paths: Iterable[str | Path], folder: str | Path) -> list[Path]:
    """Copies of the files (and their metadata sidecars) in `folder`, keeping each document id (file stem).

    A file already in the folder is used as it is; a copy replaces an older copy of the same document id.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in map(Path, paths):
        if is_inside(path, folder):
            out.append(path)
            continue
        target = folder / path.name
        for old in folder.glob(f"{path.stem}.*"):  # an older copy of this document, maybe another format
            if old.name != target.name and not old.name.endswith(METADATA_SUFFIX):
                old.unlink()
        copy_atomically(path, target)
        sidecar = path.with_name(path.stem + METADATA_SUFFIX)
        if sidecar.exists():
            copy_atomically(sidecar, folder / sidecar.name)
        else:
            (folder / sidecar.name).unlink(missing_ok=True)
        out.append(target)
    return out


def forget(doc_id: str, folder: str | Path) -> list[str]:
    """Delete a document's managed copy and sidecar; the names deleted."""
    folder = Path(folder)
    gone = []
    for path in sorted(folder.glob(f"{doc_id}.*")) if folder.is_dir() else []:
        if path.stem == doc_id or path.name == doc_id + METADATA_SUFFIX:
            path.unlink()
            gone.append(path.name)
    return gone
