"""The memory's user-facing error (its own module so every memory module can raise it), and the
mapping of storage failures (full disk, read-only or unwritable directory) to one-line messages."""

from __future__ import annotations

import errno
from pathlib import Path

__all__ = ["MemoryStoreError", "RowLimitError", "storage_error"]


class MemoryStoreError(RuntimeError):
    """The memory directory cannot be opened or written; the message is user-facing."""


class RowLimitError(ValueError):
    """A row over the limits the importer enforces (text length, id length); the message is user-facing."""


_FULL = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def storage_error(path: str | Path, exc: BaseException) -> MemoryStoreError | None:
    """A one-line :class:`MemoryStoreError` naming ``path`` and what to do, for a storage failure.

    Recognises an :class:`OSError` by its errno, and LanceDB's ``RuntimeError`` / ``OSError``
    ("lance error: … No space left on device", "Read-only file system", "Permission denied") by
    its text. Returns ``None`` for anything else (a bug, not the disk), which the caller re-raises.
    """
    if isinstance(exc, MemoryStoreError):
        return exc
    if not isinstance(exc, (OSError, RuntimeError)):
        return None
    code = getattr(exc, "errno", None)
    text = str(exc)
    lowered = text.lower()
    if code in _FULL or "no space left on device" in lowered or "disk quota exceeded" in lowered:
        return MemoryStoreError(f"cannot write memory {path}: the disk is full (no space left on device); "
                                "free some space and try again, or use another memory with --memory-dir")
    if code in _READ_ONLY or "read-only file system" in lowered or "permission denied" in lowered:
        why = "read-only file system" if (code == errno.EROFS or "read-only" in lowered) else "permission denied"
        return MemoryStoreError(f"cannot write memory {path}: {why}; reading still works (stats, list, show, "
                                "export); make the directory writable, or copy it and use --memory-dir")
    if isinstance(exc, OSError):
        return MemoryStoreError(f"cannot write memory {path}: {exc.strerror or text.splitlines()[0] if text else exc}")
    if "lance error" in lowered or "lanceerror(io)" in lowered.replace(" ", ""):
        first = text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__
        return MemoryStoreError(f"cannot write memory {path}: {first}")
    return None
