"""Which old versions of a LanceDB table to remove: the retention rule shared by the experience memory and the notes.

Every LanceDB commit makes a table *version*; old versions stay on disk until a cleanup removes those
older than a cut-off. :func:`retention` picks the cut-off. The experience memory calls it at every
compaction (:mod:`tui_agent.memory.compaction`; its undo reaches back through the versions kept), the
notes after every ``notes add`` (:meth:`tui_agent.notes.store.NoteStore.ensure_index`, with fewer
versions: notes have no undo).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

__all__ = ["KEEP_COMPACTIONS", "KEEP_HISTORY", "KEEP_VERSIONS", "retention"]

KEEP_VERSIONS = 100
"""Versions kept for undo, at most (the newest; tagged restore points are always kept): bounds the disk."""
KEEP_COMPACTIONS = 3
"""Versions from before the base of the third-newest compaction are removed (each pins a copy of the table)."""
KEEP_HISTORY = timedelta(days=7)
"""Versions older than this are removed at compaction, however few remain."""


def retention(table: Any, keep_history: timedelta | None = None, *, keep_versions: int = KEEP_VERSIONS,
              keep_compactions: int = KEEP_COMPACTIONS) -> timedelta:
    """``cleanup_older_than`` for LanceDB's ``optimize()``, called just before it runs.

    ``keep_history`` (default ``KEEP_HISTORY``), shortened so that the versions kept are at most
    the newest ``keep_versions`` (default ``KEEP_VERSIONS``, ≥ 1) and none older than the base of the
    ``keep_compactions``-th (default ``KEEP_COMPACTIONS``) newest compaction (a compaction = a version
    whose fragment count dropped). Each compaction rewrites data, so a version before it pins a copy of
    the table: this bounds the copies kept, and the memory's undo still reaches every change since then
    (at least the ~200 writes of two automatic compaction cycles). LanceDB's version timestamps are
    naive local times, compared here with ``datetime.now()``.
    """
    keep = KEEP_HISTORY if keep_history is None else keep_history
    versions = sorted(table.list_versions(), key=lambda v: v["version"])
    oldest_kept = versions[-keep_versions]["timestamp"] if len(versions) > keep_versions else None

    def fragments(v: dict[str, Any]) -> int | None:
        try:
            return int((v.get("metadata") or {})["total_fragments"])
        except (KeyError, TypeError, ValueError):
            return None

    seen = 0
    for before, after in zip(reversed(versions[:-1]), reversed(versions[1:])):
        f_before, f_after = fragments(before), fragments(after)
        if f_before is not None and f_after is not None and f_after < f_before:  # ``after`` compacted
            seen += 1
            if seen == keep_compactions:
                if oldest_kept is None or before["timestamp"] > oldest_kept:
                    oldest_kept = before["timestamp"]
                break
    if oldest_kept is not None:
        keep = min(keep, max(datetime.now() - oldest_kept, timedelta(0)))
    return keep
