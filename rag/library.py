"""The managed article folder beside the index: where files added from elsewhere are kept, and the uploads
and deletes the app does there.

The index is the one record of the library. Articles added from outside the corpus folder (`rag add`, uploads
in the app) are copied here, so a rebuild or a restart finds them again; the tracked corpus folder (`seeds/`)
is never written to. Removals are remembered in the index manifest (see build.write_index).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .documents import (MADE_UP_TITLE_END, MAX_FILE_BYTES, METADATA_FIELDS, METADATA_SUFFIX, SUPPORTED_SUFFIXES,
                        normalize_date, read_document)
from .errors import IngestError, RagError
from .timeframe import dateline_date



class Articles(Protocol):
    """What uploads and deletions need of the engine (`rag.RAG`): its documents, adding files, removing ids. A
    protocol, so this module, below the engine, does not import it."""

    def documents(self) -> list[Any]: ...

    def add(self, paths: Iterable[str | Path], *, progress: bool = False) -> Any: ...

    def remove(self, doc_ids: Iterable[str]) -> Any: ...

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
    try:
        shutil.copyfile(source, partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)  # a full disk must not leave half a copy behind
        raise


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


# ---------------------------------------------------------------- uploads and deletes (the app's library service)


@dataclass(frozen=True)
class UploadResult:
    """What an upload did: (file name, title) indexed, and (file name, reason) refused."""

    indexed: list[tuple[str, str]]
    failed: list[tuple[str, str]]


def upload_metadata(path: str | Path) -> dict[str, str]:
    """The title, source, author, date and URL a file holds (its own tags, front matter or PDF info), to prefill a
    form; without a date there, the date of a dateline the article opens with ("YEREVAN, Feb. 3, 2025 —").

    Read from a private copy, so the file's name and neighbours (a sidecar beside it) play no part; a file that
    cannot be read gives {} (the upload itself reports why).
    """

    with tempfile.TemporaryDirectory(prefix="rag-peek-") as staging:
        staged = Path(staging) / sanitize_filename(Path(path).name)
        try:
            shutil.copyfile(path, staged)
            document = read_document(staged)
        except (IngestError, OSError):
            return {}
    # A title made up from the opening words is no title to confirm: leave that field for the user.
    title = "" if document.title.endswith(MADE_UP_TITLE_END) else document.title
    # The dateline opens the first paragraph after the headline (or the first, when the title was made up from it).
    opening = document.text.split("\n\n")[:2]
    published = document.published or next((d for d in map(dateline_date, opening) if d), None)
    found = {"title": title, "source": document.source, "author": document.author, "published": published,
             "url": document.url}
    return {key: value for key, value in found.items() if value}


def _sidecar_for(metadata: dict | None) -> dict[str, str]:
    """The non-empty fields of a user's metadata form, checked: known keys only, text values."""
    out = {}
    for key, value in (metadata or {}).items():
        if key not in METADATA_FIELDS:
            raise IngestError(key, f"unknown metadata field {key!r}; use {', '.join(METADATA_FIELDS)}")
        if value is not None and str(value).strip():
            out[key] = str(value).strip()
    if "published" in out:
        try:
            normalize_date(out["published"])
        except ValueError as exc:  # name the form's field, not the sidecar file the user never sees
            raise IngestError("published", f"{exc}; correct the Published date (--date for `rag add`)") from exc
    return out


def ingest_uploads(engine: Articles, folder: str | Path, uploads: Sequence[str | Path], *,
                   names: Sequence[str] | None = None, metadata: Sequence[dict | None] | None = None) -> UploadResult:
    """Check, store (in `folder`, under sanitized names; the app gives the managed folder) and index uploads.

    `metadata[i]` (title, source, author, published, url; empty values ignored) is written as the i-th file's
    sidecar and wins over what the file says. Each file is read first from a private staging copy with its
    sidecar, so a bad file or a bad date is refused before anything is written; the good ones are copied into
    the folder and indexed in one incremental update. Call with the app's write lock held.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(names) if names is not None else [Path(u).name for u in uploads]
    forms = list(metadata) if metadata is not None else [None] * len(uploads)
    failed: list[tuple[str, str]] = []
    ready: list[tuple[str, Path, Path]] = []  # (shown name, staged file, target)
    taken = {p.stem for p in folder.iterdir() if p.is_file() and not p.name.endswith(METADATA_SUFFIX)}
    taken |= {d.doc_id for d in engine.documents()}
    with tempfile.TemporaryDirectory(prefix="rag-upload-") as staging:
        for i, (upload, shown, form) in enumerate(zip(uploads, names, forms)):
            shown = Path(str(shown)).name or "upload"
            try:
                staged, target = _stage(Path(upload), shown, form, Path(staging) / str(i), folder, taken)
            except IngestError as exc:
                failed.append((shown, exc.reason))
                continue
            taken.add(target.stem)
            ready.append((shown, staged, target))
        if not ready:
            return UploadResult([], failed)
        written: list[Path] = []
        for shown, staged, target in ready:
            sidecar = staged.with_name(staged.stem + METADATA_SUFFIX)
            if sidecar.exists():  # before the article, so the index never sees it without its metadata
                copy_atomically(sidecar, target.with_name(target.stem + METADATA_SUFFIX))
                written.append(target.with_name(target.stem + METADATA_SUFFIX))
            copy_atomically(staged, target)
            written.append(target)
        try:
            report = engine.add([t for _, _, t in ready])
        except BaseException:
            _remove(written)
            raise
    bad = {target: report.failures[str(target)] for _, _, target in ready if str(target) in report.failures}
    _remove([p for target in bad for p in (target, target.with_name(target.stem + METADATA_SUFFIX))])
    titles = {d.doc_id: d.title for d in engine.documents()}
    indexed = []
    for shown, _, target in ready:
        if target in bad:
            failed.append((shown, bad[target]))
        else:
            indexed.append((target.name, titles.get(target.stem, target.stem)))
    return UploadResult(indexed, failed)


def _stage(upload: Path, shown: str, form: dict | None, staging: Path, folder: Path, taken: set[str]) -> tuple[Path, Path]:
    """(staged copy, target in `folder`) of one upload, read from the staged copy with its sidecar from `form`;
    IngestError (named `shown`) when its type, size or content is refused, before anything is written."""
    safe = sanitize_filename(shown)
    suffix = Path(safe).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(shown, f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        size = upload.stat().st_size
    except OSError as exc:
        raise IngestError(shown, f"the upload cannot be read ({exc.strerror or exc})") from exc
    if size > MAX_FILE_BYTES:
        raise IngestError(shown, f"is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit; split it into smaller files")
    target = target_path(folder, safe, taken)
    staged = staging / target.name  # same stem: same document id as the target
    staged.parent.mkdir()
    shutil.copyfile(upload, staged)
    sidecar = _sidecar_for(form)
    if sidecar:
        staged.with_name(staged.stem + METADATA_SUFFIX).write_text(json.dumps(sidecar, ensure_ascii=False),
                                                                   encoding="utf-8")
    read_document(staged)
    return staged, target


def _remove(paths: Sequence[Path]) -> None:
    """Delete uploaded files that did not make it into the index."""
    for path in paths:
        path.unlink(missing_ok=True)


def delete_article(engine: Articles, doc_id: str) -> str:
    """Drop an article from the index (and its managed copy); a corpus file stays, remembered as removed."""
    records = {d.doc_id: d for d in engine.documents()}
    if doc_id not in records:
        raise RagError(f"no indexed article has id {doc_id!r}; refresh the library list")
    engine.remove([doc_id])
    return f"Deleted “{records[doc_id].title}” ({doc_id}) from the library; it stays out after a restart."
