"""Adding documents to the notes table: read, chunk, embed, store — one source at a time, all or nothing.

A source whose stored ``content_hash`` equals the file's SHA-256 is skipped (re-adding is a no-op). A
changed file's chunks replace its old ones in one commit (:meth:`NoteStore.replace_source`). A file that
cannot be read (:class:`~tui_agent.notes.ingest.IngestError`) is reported in one line and adds nothing;
the other files are still added. The full-text index is brought up to date once at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_agent.notes.collect import collect_files
from tui_agent.notes.ingest import IngestError, chunk_document, kind_of, read_document
from tui_agent.notes.schema import CHAT_SOURCE, Note
from tui_agent.notes.store import NoteStore

__all__ = ["AddReport", "add_files", "add_paths", "remember"]

Progress = Callable[[int, int, str, str], Any]
"""``progress(done, total, source, status)``; status is "added", "unchanged" or "error"."""


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

    def to_json(self) -> dict[str, Any]:
        return {"added": self.added, "chunks": self.chunks, "unchanged": self.unchanged,
                "problems": self.problems, "skipped": self.skipped, "seconds": round(self.seconds, 3)}


def add_paths(store: NoteStore, embedder: Any, paths: Sequence[str | Path], progress: Progress | None = None,
              *, follow_links: bool = False) -> AddReport:
    """Add the files under ``paths`` that :func:`~tui_agent.notes.collect.collect_files` picks (regular files
    whose real path stays under the folder given, unless ``follow_links``); source = the file's real path.

    Raises:
        NoteStoreError: the notes table cannot be written (files before it stay added).
    """
    collected = collect_files(paths, follow_links=follow_links)
    report = add_files(store, embedder, [(p, str(p.resolve())) for p in collected.files], progress)
    report.problems[:0] = collected.problems
    report.skipped = collected.skipped
    return report


def add_files(store: NoteStore, embedder: Any, files: Sequence[tuple[Path, str]],
              progress: Progress | None = None) -> AddReport:
    """Add ``(path, source name)`` pairs; ``embedder.encode(texts) -> (n, 384)`` unit vectors.

    Raises:
        NoteStoreError: the notes table cannot be written (files before it stay added).
    """
    start = time.perf_counter()
    report = AddReport()
    known = store.sources()
    for i, (path, source) in enumerate(files, 1):
        status = "added"
        try:
            doc = read_document(path)
            if known.get(source, ("", 0))[0] == doc.content_hash:
                report.unchanged.append(source)
                status = "unchanged"
            else:
                kind = kind_of(path) or "text"
                chunks = list(chunk_document(doc, kind))
                vectors = embedder.encode([f"{h}\n{t}" if h else t for h, t in chunks])
                notes = [Note(source, text, title=doc.title, heading=heading, position=j,
                              content_hash=doc.content_hash, vector=[float(x) for x in vec])
                         for j, ((heading, text), vec) in enumerate(zip(chunks, vectors))]
                report.chunks += store.replace_source(source, notes)
                report.added.append(source)
        except (IngestError, ValueError) as exc:
            report.problems.append(str(exc) if str(exc).startswith(str(path)) else f"{path}: {exc}")
            status = "error"
        if progress is not None:
            progress(i, len(files), source, status)
    if report.added:
        store.ensure_index()
    report.seconds = time.perf_counter() - start
    return report


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
