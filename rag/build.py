"""Build: which documents changed, what to compute for them, and the store's new generation, in one function.

`write_index` reads the live index (if any), sorts the given documents into unchanged (left in their segment),
moved or re-read (rows copied), and new or changed (`rag.enrich` computes their rows), then has the store write
one new generation and switch to it. Everything it writes goes through `rag.store.writer`, called through
the module so the reliability tests' failpoints find each step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .documents import Document
from .enrich import embed_documents, read_speakers_again
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError, IngestError
from .store import CURRENT_FILE, MANIFEST_FILE, BuildReport, Contents, DocRows, Index, IndexSettings, record_for, writer


@dataclass(frozen=True)
class WritePlan:
    """How `write_index` treats the live index.

    A full corpus build (the default) keeps nothing else; `keep_existing=True` keeps every document of the live
    index except `drop_doc_ids` (incremental add/remove; refused if the live index cannot be read or was built with
    other settings). `reuse=False` re-embeds everything into one fresh segment. `errors` are the files that could
    not be read, reported with the build. `embed` replaces `embed_documents` for the documents that need
    embedding (`rag.distributed` runs it on a Ray cluster).
    """

    keep_existing: bool = False
    drop_doc_ids: frozenset[str] = frozenset()
    reuse: bool = True
    errors: Sequence[IngestError] = ()
    embed: Callable | None = None


def write_index(root: str | Path, docs: list[Document], embedder, settings: IndexSettings,
                plan: WritePlan = WritePlan(), *, progress: bool = True) -> BuildReport:
    """Write a new generation holding `docs` plus kept documents of the current index (as `plan` says), then swap
    it in.

    Documents whose content hash and settings are unchanged stay where they are (their segment is linked into
    the new generation); new and changed ones are chunked and embedded into one new segment, and the replaced or
    removed ones are marked deleted in their segments, so an update costs about what its documents cost. An index
    whose settings differ only in the attribution reading keeps every unchanged document's chunks and vectors
    (copied into the new segment) and reads its speakers again; nothing is re-encoded. The manifest remembers the
    ids a user removed (`plan.drop_doc_ids`), so a later build from the corpus folder does not bring them back;
    indexing a document again (in `docs`) forgets its removal.
    """
    started = time.perf_counter()
    root = Path(root)
    with writer.writer_lock(root):
        old = _live_index(root, settings, plan.keep_existing)
        same_settings = plan.reuse and old is not None and old.settings == settings
        # An index that differs only in its attribution reading keeps its chunks and vectors: only speakers are re-read.
        reread = (plan.reuse and old is not None and not same_settings
                  and dataclasses.replace(old.settings, attribution=settings.attribution) == settings)
        old_records = {r.doc_id: r for r in old.documents()} if same_settings or reread else {}

        in_place, moved, to_embed, reused = _sort_documents(docs, old, old_records, same_settings)
        given = {d.doc_id for d in docs}
        if plan.keep_existing:
            in_place |= set(old_records) - given - plan.drop_doc_ids
        if reread and moved and settings.embed_sentences:
            moved = read_speakers_again(moved, progress=progress)
        embedded = (plan.embed or embed_documents)(to_embed, embedder, settings, progress) if to_embed else []
        new_parts = moved + embedded
        removed = sorted({r.doc_id for r in (old.documents() if old is not None else [])}
                         - in_place - {p.record.doc_id for p in new_parts})
        old_removals = frozenset(old.manifest.get("removed_by_user", [])) if old is not None else frozenset()
        removals = (old_removals | plan.drop_doc_ids) - given
        if same_settings and not new_parts and not removed and removals == old_removals:
            manifest = old.manifest  # nothing changed: keep the live generation as it is
        else:
            contents = Contents(writer.kept_segments(old, in_place) if same_settings else [], new_parts, removals)
            manifest = _switch_to(root, writer.write_generation(root, contents, embedder, settings,
                                                                old if same_settings or reread else None))
        if old is not None:
            old.close()
    return BuildReport(
        embedded=[d.doc_id for d in to_embed], reused=reused, removed=removed, errors=[str(e) for e in plan.errors],
        n_chunks=int(manifest["n_chunks"]), n_sentences=int(manifest["n_sentences"]),
        seconds=time.perf_counter() - started, failures={e.path: e.reason for e in plan.errors},
    )


def _switch_to(root: Path, gen: Path) -> dict:
    """Make `gen` the live generation, delete what no reader can reach any more, and return its manifest."""
    writer.switch_generation(root, gen)
    writer.remove_stale(root, gen.name)
    return json.loads((gen / MANIFEST_FILE).read_text(encoding="utf-8"))


def _live_index(root: Path, settings: IndexSettings, keep_existing: bool) -> Index | None:
    """The live index to update: required (and with these settings) for an incremental update; for a full build,
    whatever can be read (an unreadable or different index is rebuilt, not silently merged)."""
    if keep_existing:
        return writer.open_index(root, settings, for_writing=True)
    if (root / CURRENT_FILE).exists():
        with contextlib.suppress(IndexMissingError, IndexCorruptError, IndexMismatchError):
            return writer.open_index(root, for_writing=True)
    return None


def _sort_documents(docs: list[Document], old: Index | None, old_records: dict, same_settings: bool
                    ) -> tuple[set[str], list[DocRows], list[Document], list[str]]:
    """Which documents stay in their segment, which have their rows copied (same content, new path or a re-read),
    which must be embedded (new or changed), and the ids reused: (in_place, moved, to_embed, reused)."""
    in_place: set[str] = set()
    moved: list[DocRows] = []
    to_embed: list[Document] = []
    reused: list[str] = []
    for doc in docs:
        prior = old_records.get(doc.doc_id)
        if prior is not None and prior.content_hash == doc.content_hash:
            reused.append(doc.doc_id)
            if prior.path == doc.path and same_settings:
                in_place.add(doc.doc_id)
            else:
                moved.append(writer.reuse_rows(old, record_for(doc, prior.n_chunks)))
        else:
            to_embed.append(doc)
    return in_place, moved, to_embed, reused
