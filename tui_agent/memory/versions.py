"""Undo and restore points for the experience memory, on LanceDB table versions.

Every LanceDB commit (an insert, a rating, an edit, a delete, an import, a
compaction) makes a new table *version*; old versions stay readable until
compaction removes them (:func:`retention`: those older than 7 days, and all
but the newest ``KEEP_VERSIONS`` = 100, so the disk stays bounded and undo
reaches back about 100 writes). Undo restores the version before the last
change, which itself makes a new version. (It puts back stored values, Q included, and learns
nothing, so it does not go through the RLEM replay: see :mod:`tui_agent.rlem.replay` on who
writes Q.)

Some versions hold the same rows as an earlier one: compaction's, undo's own and a
schema upgrade's (:mod:`tui_agent.memory.upgrade`). Undo
must skip them, or pressing it would "undo" a compaction and change
nothing, and a second undo would redo the first. So the store records, in a
small journal beside the table (``<memory dir>/.versions.jsonl``, written
under the write lock), which versions equal which earlier one. Undo then
works as a stack: each undo goes one real change further back, across any
number of processes. (A write that matched no row, e.g. deleting an id that
is not there, still makes a version; undoing it changes nothing visible.
Version statistics cannot tell it apart: LanceDB rewrites a recently updated
row in place with the same file counts and sizes.)

Restore points are LanceDB tags (``import-<UTC time>-v<version>``) made before
every import; a tagged version survives compaction until the restore point
expires: after ``KEEP_RESTORE_POINT_AGE`` (7 days, the retention's time limit)
or when over ``KEEP_RESTORE_POINTS`` (20) newer ones exist
(:func:`expire_restore_points`). Cleanup skips tagged versions instead of
refusing to run, so a restore point never blocks compaction.

The functions take the :class:`~tui_agent.memory.store.ExperienceStore` as an
argument (``Any``: this module sits below ``store``, which calls it when it
compacts, so it does not import it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tui_agent.storage.lance_retention import KEEP_COMPACTIONS, KEEP_HISTORY, KEEP_VERSIONS, retention  # noqa: F401
from tui_agent.memory.errors import MemoryStoreError

JOURNAL_NAME = ".versions.jsonl"
RESTORE_POINT_PREFIX = "import"
KEEP_RESTORE_POINTS = 20
KEEP_RESTORE_POINT_AGE = timedelta(days=7)
"""A restore point older than this is deleted at compaction (its version then goes with the retention)."""
_TAG_OK = re.compile(r"^[A-Za-z0-9._-]+$")


class NothingToUndo(MemoryStoreError):
    """There is no earlier version to go back to (new table, or history removed by compaction)."""


@dataclass(frozen=True)
class VersionInfo:
    """One table version.

    ``rows``: number of experiences in it; ``same_as``: the earlier version it
    equals (compaction, undo) or ``None`` for a change;
    ``note``: what made it, when known ("compact", "undo", "");
    ``tags``: restore points on it.
    """

    version: int
    timestamp: datetime
    rows: int
    same_as: int | None = None
    note: str = ""
    tags: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class UndoResult:
    """What :func:`undo` did: ``undone`` is the version of the change taken back,
    ``restored`` the version whose rows are now current, ``new_version`` the
    version the undo made; ``rows_before``/``rows_after`` count experiences. ``rating``: what was taken back is
    a rating still in the ratings log (no version changed: all three numbers are the current version)."""

    undone: int
    restored: int
    new_version: int
    rows_before: int
    rows_after: int
    rating: bool = False

    def describe(self) -> str:
        """One line for the user, e.g. ``undid the change made in version 10: the experiences are as in version 9
        again (+1 experience, now 22); saved as version 12``."""
        if self.rating:
            return f"undid the last rating: its experience's Q and N are as before ({self.rows_after} experiences)"
        delta = self.rows_after - self.rows_before
        count = f"{abs(delta)} experience{'' if abs(delta) == 1 else 's'}"
        change = f"{'+' if delta > 0 else '−'}{count}, now {self.rows_after}" if delta else \
            f"still {self.rows_after} experiences"
        return (f"undid the change made in version {self.undone}: the experiences are as in version {self.restored} "
                f"again ({change}); saved as version {self.new_version}")


# --- journal ------------------------------------------------------------------------


def _journal_path(store: Any):
    return store.path / JOURNAL_NAME


def _version_stamps(store: Any) -> dict[int, dict[str, Any]]:
    return {int(v["version"]): v for v in store.table.list_versions()}


def record_equivalent_versions(store: Any, versions: range | list[int], *, same_as: int, op: str) -> None:
    """Note in the journal that each of ``versions`` holds the same rows as version ``same_as``.

    Call with the store's write lock held, right after the commit(s). ``op``
    says what made them ("compact", "undo", "upgrade": a schema upgrade only adds empty columns).
    Never raises for a journal that cannot be written (undo then treats those versions as real changes).
    """
    versions = list(versions)
    if not versions:
        return
    stamps = _version_stamps(store)
    lines = []
    for version in versions:
        stamp = stamps.get(version)
        lines.append(json.dumps({"version": version, "same_as": same_as, "op": op,
                                 "ts": str(stamp["timestamp"]) if stamp else ""}))
    try:
        with open(_journal_path(store), "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    except OSError:
        pass


def _read_journal(store: Any, stamps: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Journal entries for versions that still exist with the recorded timestamp."""
    entries: dict[int, dict[str, Any]] = {}
    try:
        text = _journal_path(store).read_text(encoding="utf-8")
    except OSError:
        return entries
    for line in text.splitlines():
        try:
            entry = json.loads(line)
            version, same_as = int(entry["version"]), int(entry["same_as"])
        except (ValueError, KeyError, TypeError):
            continue
        stamp = stamps.get(version)
        if stamp is not None and str(stamp["timestamp"]) == entry.get("ts") and same_as < version:
            entries[version] = {"same_as": same_as, "op": str(entry.get("op", ""))}
    return entries


def _equivalences(store: Any) -> tuple[dict[int, dict[str, Any]], dict[int, tuple[int, str]]]:
    stamps = _version_stamps(store)
    journal = _read_journal(store, stamps)
    same: dict[int, tuple[int, str]] = {}
    for version in sorted(stamps):
        if version in journal:
            same[version] = (journal[version]["same_as"], journal[version]["op"])
    return stamps, same


def _resolve(version: int, same: dict[int, tuple[int, str]]) -> int:
    seen = set()
    while version in same and version not in seen:
        seen.add(version)
        version = same[version][0]
    return version


def _rows(stamp: dict[str, Any]) -> int:
    try:
        return int((stamp.get("metadata") or {})["total_rows"])
    except (KeyError, ValueError, TypeError):
        return -1


# --- public API ----------------------------------------------------------------------


def list_versions(store: Any) -> list[VersionInfo]:
    """All versions still on disk, oldest first, with restore points and equivalences."""
    stamps, same = _equivalences(store)
    tags: dict[int, list[str]] = {}
    for name, info in store.table.tags.list().items():
        tags.setdefault(int(info["version"]), []).append(name)
    return [
        VersionInfo(
            version=v,
            timestamp=stamps[v]["timestamp"],
            rows=_rows(stamps[v]),
            same_as=same[v][0] if v in same else None,
            note=same[v][1] if v in same else "",
            tags=tuple(sorted(tags.get(v, []))),
        )
        for v in sorted(stamps)
    ]


def undo(store: Any) -> UndoResult:
    """Take back the last real change to the memory (a stack: repeat to go further back).

    Restores the rows as they were before that change, as a new version; it
    skips compactions and earlier undos. A rating still in the ratings log is
    taken back by removing its entry (no new version); a version that folded
    ratings into the table is taken back one rating at a time (the others are
    logged again).

    Raises:
        NothingToUndo: the table has no earlier state (still empty since
            creation, or the history was removed by compaction after 7 days).
        MemoryStoreError: the lock is held elsewhere for over 30 s, or the disk is not writable.
    """
    with store.locked(fold=False) as table:
        if store.ratings.pop_last() is not None:  # the newest change is a rating not folded yet
            rows = table.count_rows()
            return UndoResult(undone=table.version, restored=table.version, new_version=table.version,
                              rows_before=rows, rows_after=rows, rating=True)
        stamps, same = _equivalences(store)
        latest = table.version
        base = _resolve(latest, same)
        target = base - 1
        if target < 1 or target not in stamps:
            reason = "the memory has no earlier version" if target < 1 else f"version {target} was removed by compaction"
            raise NothingToUndo(f"nothing to undo: {reason}")
        restored = _resolve(target, same)
        table.restore(target)
        new_version = table.version
        record_equivalent_versions(store, [new_version], same_as=restored, op="undo")
        folded = store.ratings.fold_entries(base)
        if folded:  # ``base`` folded ratings into the table: all but its last one come back as logged
            store.ratings.extend(folded[:-1])
        return UndoResult(undone=base, restored=restored, new_version=new_version,
                          rows_before=_rows(stamps[latest]), rows_after=table.count_rows())


def restore(store: Any, ref: int | str) -> int:
    """Make the rows of version ``ref`` (a number or a restore point's name) current again.

    This is a change like any other (undo takes it back). Returns the new version.

    Raises:
        MemoryStoreError: no such version or restore point (removed by compaction, expired after
            ``KEEP_RESTORE_POINT_AGE``, or never made).
    """
    with store.locked() as table:
        if isinstance(ref, str) and ref.isdigit():
            ref = int(ref)
        if isinstance(ref, int):
            if ref not in _version_stamps(store):
                raise MemoryStoreError(f"no version {ref} in {store.path} (see: tui-agent memory undo --list)")
        elif ref not in table.tags.list():
            raise MemoryStoreError(
                f"no restore point named {ref!r} in {store.path}: it expired (restore points are kept "
                f"{KEEP_RESTORE_POINT_AGE.days} days, at most {KEEP_RESTORE_POINTS}) or was never made "
                "(see: tui-agent memory undo --list)")
        table.restore(ref)
        return table.version


def create_restore_point(store: Any, prefix: str = RESTORE_POINT_PREFIX) -> str:
    """Tag the current version as a restore point; returns its name (``<prefix>-<UTC time>-v<version>``).

    Call with the write lock held. Keeps the newest 20 restore points with this
    prefix and deletes older ones (so their versions can be compacted away).

    Raises:
        ValueError: ``prefix`` has characters other than letters, digits, ``.``, ``_``, ``-``.
    """
    if not _TAG_OK.match(prefix):
        raise ValueError(f"restore point prefix {prefix!r} may only have letters, digits, '.', '_' and '-'")
    table = store.table
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{prefix}-{stamp}-v{table.version}"
    table.tags.create(name, table.version)
    _prune_restore_points(store, prefix)
    return name


def delete_restore_point(store: Any, name: str) -> None:
    """Remove a restore point (the version itself stays until compaction)."""
    try:
        store.table.tags.delete(name)
    except Exception:  # noqa: BLE001 - already gone
        pass


def restore_points(store: Any) -> list[tuple[str, int]]:
    """``(name, version)`` of every restore point, oldest first."""
    tags = store.table.tags.list()
    return sorted(((name, int(info["version"])) for name, info in tags.items()), key=lambda t: (t[1], t[0]))


def expire_restore_points(store: Any, max_age: timedelta | None = None) -> list[str]:
    """Delete the restore points whose version is older than ``max_age`` (default
    ``KEEP_RESTORE_POINT_AGE``); returns their names. Called by compaction before cleanup, so a
    tagged version lives as long as the retention's time limit and no longer.

    Raises:
        RuntimeError / OSError: LanceDB cannot list or delete the tags (compaction names the step).
    """
    age = KEEP_RESTORE_POINT_AGE if max_age is None else max_age
    stamps = _version_stamps(store)
    now = datetime.now()  # LanceDB's version timestamps are naive local times
    expired = []
    for name, version in restore_points(store):
        stamp = stamps.get(version)
        if stamp is None or now - stamp["timestamp"] > age:
            store.table.tags.delete(name)
            expired.append(name)
    return expired


def _prune_restore_points(store: Any, prefix: str) -> None:
    mine = [(name, v) for name, v in restore_points(store) if name.startswith(prefix + "-")]
    for name, _version in mine[:-KEEP_RESTORE_POINTS]:
        delete_restore_point(store, name)
