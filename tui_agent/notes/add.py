"""Adding documents to the notes table: read, chunk, embed, store — in batches of files, each all or nothing.

A source whose stored ``content_hash`` equals the file's SHA-256 is skipped (re-adding is a no-op). The
files read are written in batches (:data:`BATCH_FILES` files or :data:`BATCH_CHUNKS` chunks), one commit
per batch (:meth:`NoteStore.replace_sources`: a changed file's chunks replace its old ones): a folder of
1,000 small files makes a handful of table versions instead of 1,000 (issue 24 row 11). A file that
cannot be read (:class:`~tui_agent.notes.ingest.IngestError`) is reported in one line and adds nothing;
the other files are still added. A batch that cannot be embedded or written stops the add with
:class:`NotesAddError` naming what was added (the batches before) and what was not. At the end the
full-text index is brought up to date and old versions are removed (:meth:`NoteStore.ensure_index`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tui_agent.notes.collect import collect_files
from tui_agent.notes.ingest import IngestError, chunk_document, embed_text, kind_of, read_document
from tui_agent.notes.schema import CHAT_SOURCE, EMBEDDING_DIM, Note
from tui_agent.notes.store import NoteStore, NoteStoreError

__all__ = ["BATCH_CHUNKS", "BATCH_FILES", "EMBED_CALL", "AddReport", "NotesAddError", "add_files", "add_paths",
           "remember"]

BATCH_FILES = 256
"""Files written in one commit (one table version), at most."""
BATCH_CHUNKS = 2_048
"""Chunks written in one commit, at most: a batch is written when either limit is reached."""
EMBED_CALL = 128
"""Chunks handed to the embedder per call (it batches them further; progress moves between calls)."""

Progress = Callable[[int, int, str, str], Any]
"""``progress(done, total, source, status)``; status is "reading" (started, not done yet), "added",
"unchanged" or "error"."""


@dataclass
class AddReport:
    """What an add did: sources added (new or changed), chunks written, sources unchanged, one-line problems,
    and one line per file the reading rule left out (:mod:`tui_agent.notes.collect`) with the reason."""

    added: list[str] = field(default_factory=list)
    chunks: int = 0
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    not_added: list[str] = field(default_factory=list)
    """Sources not written because writing stopped midway (:class:`NotesAddError`); empty otherwise."""

    def to_json(self) -> dict[str, Any]:
        return {"added": self.added, "chunks": self.chunks, "unchanged": self.unchanged,
                "problems": self.problems, "skipped": self.skipped, "not_added": self.not_added,
                "seconds": round(self.seconds, 3)}


class NotesAddError(NoteStoreError):
    """A batch could not be embedded or written: the message is one line naming what was added and what was
    not; ``report`` holds them all (``added``: committed before the failure; ``not_added``: the rest)."""

    def __init__(self, message: str, report: AddReport) -> None:
        super().__init__(message)
        self.report = report


def add_paths(store: NoteStore, embedder: Any, paths: Sequence[str | Path], progress: Progress | None = None,
              *, follow_links: bool = False) -> AddReport:
    """Add the files under ``paths`` that :func:`~tui_agent.notes.collect.collect_files` picks (regular files
    whose real path stays under the folder given, unless ``follow_links``); source = the file's real path.

    Raises:
        NotesAddError: writing stopped midway (the batches before stay added; the error names both sides).
    """
    collected = collect_files(paths, follow_links=follow_links)
    try:
        report = add_files(store, embedder, [(p, str(p.resolve())) for p in collected.files], progress)
    except NotesAddError as exc:
        exc.report.problems[:0] = collected.problems
        exc.report.skipped = collected.skipped
        raise
    report.problems[:0] = collected.problems
    report.skipped = collected.skipped
    return report


def add_files(store: NoteStore, embedder: Any, files: Sequence[tuple[Path, str]],
              progress: Progress | None = None) -> AddReport:
    """Add ``(path, source name)`` pairs; ``embedder.encode(texts) -> (n, 384)`` unit vectors.

    Files are read and chunked one by one; their chunks are embedded :data:`EMBED_CALL` at a time and
    written in batches of at most :data:`BATCH_FILES` files or :data:`BATCH_CHUNKS` chunks, one commit
    (table version) per batch, all or nothing. ``progress`` is called at once with ``(0, total, "",
    "reading")``, with status "reading" as each file is started, and with "added", "unchanged" or "error"
    as each is done (``done`` counts those).

    Raises:
        NotesAddError: a batch could not be embedded or written; the batches before it stay added, and its
            ``report`` (and message) says which files were added and which were not.
    """
    start = time.perf_counter()
    report = AddReport()
    total = len(files)
    if progress is not None:
        progress(0, total, "", "reading")
    known = store.sources()
    batch: list[_Pending] = []
    done = 0

    def tick(source: str, status: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, source, status)

    for i, (path, source) in enumerate(files):
        if progress is not None:
            progress(done, total, source, "reading")
        try:
            doc = read_document(path)
            if known.get(source, ("", 0))[0] == doc.content_hash:
                report.unchanged.append(source)
                tick(source, "unchanged")
                continue
            chunks = list(chunk_document(doc, kind_of(path) or "text"))
        except (IngestError, ValueError) as exc:
            report.problems.append(str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}")
            tick(source, "error")
            continue
        batch.append(_Pending(source, doc.title, doc.content_hash, chunks))
        if len(batch) >= BATCH_FILES or sum(len(p.chunks) for p in batch) >= BATCH_CHUNKS:
            _write(store, embedder, batch, report, tick, [s for _, s in files[i + 1:]])
            batch = []
    if batch:
        _write(store, embedder, batch, report, tick, [])
    if report.added:
        store.ensure_index()
    report.seconds = time.perf_counter() - start
    return report


@dataclass
class _Pending:
    """A file read and chunked, waiting for its batch to be embedded and written."""

    source: str
    title: str
    content_hash: str
    chunks: list[tuple[str, str]]


def _write(store: NoteStore, embedder: Any, batch: list[_Pending], report: AddReport,
           tick: Callable[[str, str], None], unread: list[str]) -> None:
    """Embed ``batch`` (:data:`EMBED_CALL` chunks a call, ``tick`` as each file's chunks are done) and write
    it in one commit. On failure raise :class:`NotesAddError` naming ``batch`` and ``unread`` as not added."""
    texts = [embed_text(h, t) for p in batch for h, t in p.chunks]
    ends = list(itertools.accumulate(len(p.chunks) for p in batch))
    try:
        vectors = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        ticked = 0
        for k in range(0, len(texts), EMBED_CALL):
            vectors[k:k + EMBED_CALL] = embedder.encode(texts[k:k + EMBED_CALL])
            while ticked < len(batch) and ends[ticked] <= k + EMBED_CALL:
                tick(batch[ticked].source, "added")
                ticked += 1
        for p in batch[ticked:]:  # files with no chunk left after splitting
            tick(p.source, "added")
        rows: dict[str, list[Note]] = {}
        at = 0
        for p in batch:
            rows[p.source] = [Note(p.source, text, title=p.title, heading=heading, position=j,
                                   content_hash=p.content_hash, vector=vectors[at + j].tolist())
                              for j, (heading, text) in enumerate(p.chunks)]
            at += len(p.chunks)
        report.chunks += store.replace_sources(rows)
    except (NoteStoreError, RuntimeError, ValueError) as exc:
        report.not_added = [p.source for p in batch] + unread
        raise NotesAddError(_stopped(exc, report), report) from exc
    report.added.extend(p.source for p in batch)


def _stopped(exc: BaseException, report: AddReport) -> str:
    """One line: why writing stopped, what was added and what was not (the first few of each named)."""
    def some(names: list[str]) -> str:
        shown = ", ".join(names[:3])
        return f" ({shown}{', …' if len(names) > 3 else ''})" if names else ""

    why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (f"notes add stopped: {why}; {len(report.added)} file(s) were added{some(report.added)}, "
            f"{len(report.not_added)} were not{some(report.not_added)}; adding the same paths again adds "
            "the rest (added files are unchanged and skipped)")


def remember(store: NoteStore, embedder: Any, text: str) -> Note:
    """Store ``text`` as a note of source "chat" (``/remember``); returns it (an equal note is not stored twice).

    Raises:
        ValueError: empty or over-long text.
        NoteStoreError: the notes table cannot be written.
    """
    text = text.strip()
    if not text:
        raise ValueError("nothing to remember: the note is empty")
    note = Note(CHAT_SOURCE, text, title="remembered in the chat", heading="", position=0,
                vector=[float(x) for x in embedder.encode_one(text)])
    store.add([note])
    store.ensure_index()
    return note
