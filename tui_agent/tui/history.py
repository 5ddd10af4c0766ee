"""Input history: the messages the user sent, newest last, kept across restarts and bounded.

Stored as JSON lines (one JSON string per line, so multi-line messages
survive) in ``<data dir>/input_history.jsonl``. Appends are one ``write``;
when the file holds twice the bound it is rewritten with the newest
``limit`` entries (atomically). An unreadable line is skipped, an
unreadable file gives an empty history: the input never fails because of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tui_agent.config.base import data_dir

DEFAULT_LIMIT = 500
"""Entries kept (the file may hold up to twice as many between rewrites)."""


def history_file() -> Path:
    """``<data dir>/input_history.jsonl`` (``$TUI_AGENT_HOME/data/…`` when set)."""
    return data_dir() / "input_history.jsonl"


class InputHistory:
    """Past messages with a cursor for ↑ / ↓ browsing.

    Args:
        path: the JSON-lines file; ``None`` keeps the history in memory only.
        limit: entries kept (at least 1).

    ``error`` is a one-line reason when the file could not be read or written
    (the history then works for this session only).
    """

    def __init__(self, path: Path | None = None, limit: int = DEFAULT_LIMIT) -> None:
        self.path = path
        self.limit = max(1, limit)
        self.error: str | None = None
        self.entries: list[str] = self._read()[-self.limit:]
        self._cursor: int | None = None  # index into entries while browsing; None = at the draft
        self._draft = ""

    def _read(self) -> list[str]:
        if self.path is None or not self.path.is_file():
            return []
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            self.error = f"input history not readable: {exc}"
            return []
        entries = []
        for line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, str) and value.strip():
                entries.append(value)
        return entries

    def add(self, text: str) -> None:
        """Remember a sent message (not twice in a row) and stop browsing; blank text is ignored."""
        self._cursor, self._draft = None, ""
        if not text.strip() or (self.entries and self.entries[-1] == text):
            return
        self.entries.append(text)
        if len(self.entries) > self.limit:
            del self.entries[: len(self.entries) - self.limit]
        self._write(text)

    def _write(self, text: str) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(text, ensure_ascii=False) + "\n")
            if _count_lines(self.path) > 2 * self.limit:
                tmp = self.path.with_suffix(".tmp")
                tmp.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in self.entries),
                               encoding="utf-8")
                os.replace(tmp, self.path)
        except OSError as exc:
            self.error = f"input history not saved: {exc}"

    def previous(self, current: str) -> str | None:
        """The entry before the cursor (``current`` is kept as the draft when browsing starts); ``None`` at the oldest."""
        if not self.entries:
            return None
        if self._cursor is None:
            self._draft = current
            self._cursor = len(self.entries)
        if self._cursor == 0:
            return None
        self._cursor -= 1
        return self.entries[self._cursor]

    def next(self) -> str | None:
        """The entry after the cursor, then the draft; ``None`` when not browsing."""
        if self._cursor is None:
            return None
        self._cursor += 1
        if self._cursor >= len(self.entries):
            self._cursor = None
            return self._draft
        return self.entries[self._cursor]

    @property
    def browsing(self) -> bool:
        return self._cursor is not None


def _count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 16), b""))
