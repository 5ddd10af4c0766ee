"""A small JSON state file beside the memory (learned weights, calibration examples), safe to share.

Reads are bounded (:func:`~tui_agent.storage.files.read_bounded`); an unreadable file (not JSON, not an
object, not a regular file, over ``max_bytes``) is set aside as ``<name>.bad`` and read as ``{}``, so the
caller falls back to its defaults and loses nothing else. Updates hold a file lock (``<name>.lock``),
re-read the newest state (another process may have written since) and replace the file whole
(:func:`~tui_agent.storage.files.write_new`: a temporary file, then its name), so a crash or a second
process never leaves a half-written file. Used by :class:`tui_agent.chat.bands.Calibration` and
:class:`tui_agent.chat.note_ranker.NoteRanker`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_agent.storage.files import read_bounded, write_new

__all__ = ["JsonState"]

LOCK_TIMEOUT_S = 30.0


class JsonState:
    """The JSON object stored at ``path`` (``None``: nothing is read or written, the state lives in RAM).

    Args:
        path: the file; its folder is created on the first write.
        max_bytes: larger files are set aside as bad (a bound on what a read can cost).
    """

    def __init__(self, path: Path | None, max_bytes: int) -> None:
        self.path, self.max_bytes = path, max_bytes

    def read(self) -> dict[str, Any]:
        """The stored object; ``{}`` when there is no file or it is unreadable (then it is renamed ``….bad``)."""
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(read_bounded(self.path, self.max_bytes))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return data
        except (OSError, ValueError):
            try:
                os.replace(self.path, self.path.with_name(self.path.name + ".bad"))
            except OSError:
                pass
            return {}

    def update(self, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any] | None:
        """Apply ``change(newest state)`` under the lock; when it returns an object, store that and return it.

        ``change`` returns ``None`` to write nothing (then ``None`` is returned). With no ``path`` the
        state passed in is ``{}``.

        Raises:
            tui_agent.storage.files.UserFileError: the file cannot be written (disk full, read-only).
            filelock.Timeout: another process held the lock for 30 s.
        """
        if self.path is None:
            return change({})
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S):
            new = change(self.read())
            if new is None:
                return None
            text = json.dumps(new)
            write_new(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=True)
            return new
