"""One-line messages for storage failures (full disk, read-only or unwritable directory), for every store.

The experience memory (:mod:`tui_agent.memory`) and the knowledge notes (:mod:`tui_agent.notes`)
both write LanceDB tables; when the disk refuses, LanceDB raises a ``RuntimeError`` ("lance error:
… No space left on device (os error 28), …/commit.rs:1663:50") or an :class:`OSError`. This
module turns either into one line naming the directory and what to do. Standard library only.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

__all__ = ["storage_problem"]

_FULL = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def storage_problem(path: str | Path | os.PathLike[str], exc: BaseException, what: str = "memory") -> str | None:
    """``cannot write {what} {path}: …; <what to do>`` for a storage failure, else ``None``.

    Recognises an :class:`OSError` by its errno and LanceDB's ``RuntimeError`` / ``OSError`` by its
    text ("No space left on device", "Disk quota exceeded", "Read-only file system", "Permission
    denied", other "lance error … IO"). Anything else (a bug, not the disk) gives ``None``, and the
    caller re-raises it.
    """
    if not isinstance(exc, (OSError, RuntimeError)):
        return None
    code = getattr(exc, "errno", None)
    text = str(exc)
    lowered = text.lower()
    where = f"cannot write {what} {path}"
    if code in _FULL or "no space left on device" in lowered or "disk quota exceeded" in lowered:
        return (f"{where}: the disk is full (no space left on device); free some space and try again, "
                "or use another memory with --memory-dir")
    if code in _READ_ONLY or "read-only file system" in lowered or "permission denied" in lowered:
        why = "read-only file system" if (code == errno.EROFS or "read-only" in lowered) else "permission denied"
        return (f"{where}: {why}; reading still works (stats, list, show, export); make the directory "
                "writable, or copy it and use --memory-dir")
    first = text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__
    if isinstance(exc, OSError):
        return f"{where}: {exc.strerror or first}"
    if "lance error" in lowered:
        return f"{where}: {first}"
    return None
