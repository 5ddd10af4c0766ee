"""The memory's user-facing error (its own module so every memory module can raise it), and the
mapping of storage failures (full disk, read-only or unwritable directory) to one-line messages."""

from __future__ import annotations

import os
from pathlib import Path

from tui_agent.storage.errors import storage_problem

__all__ = ["MemoryStoreError", "RowLimitError", "storage_error"]


class MemoryStoreError(RuntimeError):
    """The memory directory cannot be opened or written; the message is user-facing."""


class RowLimitError(ValueError):
    """A row over the limits the importer enforces (text length, id length); the message is user-facing."""


def storage_error(path: str | Path | os.PathLike[str], exc: BaseException) -> MemoryStoreError | None:
    """A one-line :class:`MemoryStoreError` naming ``path`` and what to do, for a storage failure.

    Full disk, read-only or unwritable directory, by errno or by LanceDB's error text
    (:func:`tui_agent.storage.errors.storage_problem`). Returns ``None`` for anything else (a bug,
    not the disk), which the caller re-raises.
    """
    if isinstance(exc, MemoryStoreError):
        return exc
    problem = storage_problem(path, exc)
    return MemoryStoreError(problem) if problem else None
