"""``tui-agent memory copy SRC DST``: a whole memory from a directory to a bucket, or back, losslessly.

What is copied: every experience with all its columns (vectors included) and the values its ratings gave it
(a remote memory's ratings table and a local ratings log are laid over the rows first, so the copy holds them
folded), the knowledge notes (then indexed for search), and the side files of the source (the recall
calibration and the note ranker's weights). Not copied: the version history (undo and restore points start
afresh in the copy) and the write locks. The destination must hold no experiences and no notes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_agent.memory.errors import MemoryStoreError
from tui_agent.memory.store import ExperienceStore

__all__ = ["CopyResult", "SIDE_FILES", "copy_memory"]

SIDE_FILES = ("recall_calibration.json", "note_ranker.json")
"""Per-memory learned files kept beside it (chat/bands.py, chat/note_ranker.py)."""
BATCH_ROWS = 2_000


@dataclass(frozen=True)
class CopyResult:
    """What :func:`copy_memory` wrote: ``experiences``, ``notes`` (rows) and ``side_files`` (names)."""

    experiences: int
    notes: int
    side_files: tuple[str, ...]


def copy_memory(source: Any, destination: Any) -> CopyResult:
    """Copy the memory at ``source`` into the empty memory at ``destination`` (each a directory, an
    ``s3://`` URI or a :class:`~tui_agent.storage.object_store.RemoteMemory`).

    Raises:
        MemoryStoreError: no memory directory at ``source``, the destination already holds experiences or
            notes, either side cannot be opened (one line), or a write fails (what was written stays; copy
            again into an empty memory).
    """
    from tui_agent.notes.store import NoteStore, NoteStoreError
    from tui_agent.storage.object_store import is_remote

    if not is_remote(source) and not Path(source).expanduser().is_dir():
        raise MemoryStoreError(f"memory copy: no memory at {source}")
    src, dst = ExperienceStore(source), ExperienceStore(destination)
    if str(src.path) == str(dst.path):
        raise MemoryStoreError(f"memory copy: source and destination are the same memory ({src.path})")
    try:
        src_notes, dst_notes = NoteStore(source), NoteStore(destination)
    except NoteStoreError as exc:
        raise MemoryStoreError(str(exc)) from exc
    if dst.count() or dst_notes.count():
        raise MemoryStoreError(f"memory copy: {dst.path} already holds {dst.count()} experiences and "
                               f"{dst_notes.count()} notes; copy into an empty memory")
    rows = src.read_arrow()
    with dst.locked(counts_as_write=False) as table:
        for start in range(0, rows.num_rows, BATCH_ROWS):
            table.add(rows.slice(start, BATCH_ROWS))
    notes = src_notes.table.to_arrow()
    if notes.num_rows:
        with dst_notes.locked() as table:
            for start in range(0, notes.num_rows, BATCH_ROWS):
                table.add(notes.slice(start, BATCH_ROWS))
        dst_notes.ensure_index()
    copied = []
    for name in SIDE_FILES:
        origin, target = Path(src.path / name), Path(dst.path / name)
        if origin.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, target)
            copied.append(name)
    return CopyResult(rows.num_rows, notes.num_rows, tuple(copied))
