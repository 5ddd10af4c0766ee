"""The experience memory: a LanceDB table on disk.

Concurrency (two app instances, or the app and a script, on one directory):

* every write holds a file lock (``<dir>/.write.lock``, :mod:`filelock`):
  concurrent ``merge_insert``/``add`` from several processes can otherwise
  create duplicate rows (lancedb#3377);
* a Q update reads the row's latest values (the table's, or the newest entry of
  the ratings log, :mod:`tui_agent.memory.ratings`) and appends its new values
  to that log under the lock, after ``checkout_latest()``, so no update is lost;
  the log is folded into the table before any other table write and at
  compaction (:mod:`tui_agent.memory.compaction`), and every read lays it over
  the table's values;
* the connection reads with ``read_consistency_interval=0`` and so sees other
  processes' writes at once.

The reads (rows, search, counts, the ratings overlay, the read-only fallback of a bucket) are
:class:`tui_agent.memory.store_reads.StoreReads`; this module adds the writes, the lock and compaction.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from tui_agent.memory.errors import MemoryStoreError, storage_error
from tui_agent.memory.limits import MAX_N, check_limits
from tui_agent.memory.offline import OfflineReads
from tui_agent.memory.ratings import RatingsLog
from tui_agent.memory.schema import (
    EMBEDDING_DIM,
    TABLE_NAME,
    Experience,
    experience_schema,
    now_utc,
    rows_to_table,
)
from tui_agent.memory.remote_ratings import RemoteRatingsLog
from tui_agent.memory.store_reads import Retrieved, StoreReads
from tui_agent.memory.store_reads import sql_str as _sql_str
from tui_agent.memory.upgrade import upgrade_table
from tui_agent.memory.vector_index import VectorIndex
from tui_agent.storage.lance_connect import connect
from tui_agent.storage.object_store import RemoteMemory, StoreUnreachable, retry_commit, unreachable_problem

__all__ = ["MAX_N", "ExperienceStore", "MemoryStoreError", "Retrieved"]  # Retrieved: from store_reads

LOCK_NAME = ".write.lock"
LOCK_TIMEOUT_S = 30.0
AUTO_COMPACT_EVERY = 100

log = logging.getLogger(__name__)


def _sql_ts(value: datetime) -> str:
    text = value.astimezone().strftime("%Y-%m-%dT%H:%M:%S.%f%z")
    return f"arrow_cast(to_timestamp_micros({_sql_str(text)}), 'Timestamp(Microsecond, Some(\"UTC\"))')"


def _finite(value: float, name: str) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def _checked(values: tuple[float, int, float]) -> tuple[float, int, float]:
    """A change's new ``(q, n, mean_reward)``: finite, ``n >= 0`` (saturating at ``MAX_N``: N counts updates,
    Q stays the running mean)."""
    q, n, mean_reward = values
    if int(n) < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return _finite(q, "q"), min(int(n), MAX_N), _finite(mean_reward, "mean_reward")


class ExperienceStore(StoreReads):
    """Experiences on disk in ``<path>/experiences.lance``.

    Args:
        path: the memory directory (created if missing).

    Raises:
        MemoryStoreError: the directory cannot be created, or the table was
            written by a newer schema version.
    """

    def __init__(self, path: str | Path | RemoteMemory) -> None:
        from filelock import FileLock

        from tui_agent.config.base import data_dir

        try:
            self.db, side, self.remote = connect(path, data_dir() / "remote")
        except StoreUnreachable as exc:
            raise MemoryStoreError(str(exc)) from exc
        except OSError as exc:
            raise MemoryStoreError(f"cannot create memory directory {path}: {exc.strerror}") from exc
        self.path: Path | RemoteMemory = self.remote or side  # str(): the URI; "/": this machine's side directory
        self.lock = FileLock(str(side / LOCK_NAME), timeout=LOCK_TIMEOUT_S)  # between this machine's processes
        self.vectors = VectorIndex()
        self.offline = OfflineReads(self.remote, lambda: self.vectors.version) if self.remote else None
        self._seen: dict[Any, Any] = {}  # counts and the change token as last read (served while offline)
        try:  # an existing table opens without the lock, so a read-only memory can be read
            try:
                self.table = self.db.open_table(TABLE_NAME)
            except (ValueError, FileNotFoundError):
                with self.locked(counts_as_write=False, checkout=False):
                    self.table = self.db.create_table(TABLE_NAME, schema=experience_schema(), exist_ok=True)
            self.ratings: Any = RemoteRatingsLog(self.db) if self.remote else RatingsLog(side)
        except (OSError, RuntimeError) as exc:
            problem = unreachable_problem(self.path, exc) if self.remote else None
            if problem is None:
                raise
            raise MemoryStoreError(problem) from exc
        upgrade_table(self)  # refuses a newer table (MemoryStoreError)

    # --- writes -----------------------------------------------------------------

    def add(self, experiences: Sequence[Experience]) -> list[str]:
        """Insert experiences (each needs a 384-dim ``vector``); returns their ids.

        Raises:
            ValueError: a vector has the wrong dimension or a Q is not finite.
            RowLimitError: a row over the import limits (:func:`check_limits`; nothing is written).
            MemoryStoreError: the disk is full or not writable (nothing is written).
        """
        for exp in experiences:
            if exp.vector is None or len(exp.vector) != EMBEDDING_DIM:
                raise ValueError(f"experience {exp.id}: vector must have {EMBEDDING_DIM} values")
            _finite(exp.q, "q")
            check_limits(exp)
        if not experiences:
            return []
        table = rows_to_table(list(experiences))

        def operation() -> None:
            before = self.table.version
            self.table.add(table)
            self.vectors.appended(before, self.table.version, [e.id for e in experiences],
                                  [e.kind for e in experiences], np.asarray([e.vector for e in experiences]), table)

        self._write(operation)
        return [e.id for e in experiences]

    def modify(self, experience_id: str,
               change: Callable[[float, int, float], tuple[float, int, float]]) -> Experience:
        """Read-modify-write of one row's (q, n, mean_reward) under the write lock; returns the row.

        ``change(q, n, mean_reward) -> (q, n, mean_reward)`` runs on the latest
        stored values (after ``checkout_latest()``), so changes from several
        processes are all counted. The store knows no learning rule: the RLEM
        update is the caller's ``change`` (:class:`tui_agent.rlem.replay.HistoryReplay`, through
        :class:`tui_agent.bridge.store_rows.StoreRows`).
        (A single ``values_sql`` UPDATE of ``q`` and ``n`` together is *not*
        safe on lancedb 0.40: whether ``q`` sees the old or the new ``n``
        depends on the column order — measured on lancedb 0.40.0.)

        Returns the whole row after the change (one more read; :meth:`update_values` returns only
        the three values, for the rating path).

        Raises:
            ValueError: ``change`` gave a non-finite value or a negative count.
            KeyError: no experience with that id.
            MemoryStoreError: the lock is held elsewhere, or the disk is not writable.
        """
        self.update_values(experience_id, change)
        row = self.get(experience_id)
        if row is None:  # removed by another process between the change and the read
            raise KeyError(experience_id)
        return row

    def update_values(self, experience_id: str,
                      change: Callable[[float, int, float], tuple[float, int, float]]) -> tuple[float, int, float]:
        """:meth:`modify` without reading the row back: returns the new ``(q, n, mean_reward)``.

        One entry in the ratings log (:mod:`tui_agent.memory.ratings`), on disk when this returns;
        no table version. Reads the current values from the log, else three columns of the row.

        Raises:
            ValueError: ``change`` gave a non-finite value or a negative count.
            KeyError: no experience with that id.
            MemoryStoreError: the lock is held elsewhere, or the disk is not writable.
        """
        if self.remote:  # no lock reaches other machines: compare-and-set in the store's ratings table
            with self.locked(fold=False, checkout=False):
                return self.ratings.apply(experience_id, lambda: self._values(experience_id),
                                          lambda *v: _checked(change(*v)), lambda: now_utc().isoformat())
        with self.locked(fold=False):
            current = self._values(experience_id)
            if current is None:
                raise KeyError(experience_id)
            q, n, mean_reward = _checked(change(*current))
            self.ratings.append(experience_id, q, n, mean_reward, now_utc().isoformat())
        return q, n, mean_reward

    def _values(self, experience_id: str) -> tuple[float, int, float] | None:
        """The row's latest (q, n, mean_reward): the ratings log's newest entry, else the table's."""
        logged = self.ratings.latest([experience_id]).get(experience_id)
        if logged is not None:
            return logged.q, logged.n, logged.mean_reward
        known = self.vectors.values(self.table.version, experience_id)  # in RAM since the last search
        if known is not None:
            return known
        rows = (self.table.search().where(f"id = {_sql_str(experience_id)}")
                .select(["q", "n", "mean_reward"]).limit(1).to_list())
        return (float(rows[0]["q"]), int(rows[0]["n"]), float(rows[0]["mean_reward"])) if rows else None

    def set_q(self, experience_id: str, q: float) -> None:
        """Set Q by hand (the memory browser's edit); N and the mean reward are unchanged. A missing id
        changes nothing.

        Not a learning update (no reward, no target), so it does not go through the RLEM replay, the
        writer of every learned Q; a replay sees the new value at its next use (:attr:`change_token`
        changes). Like a rating: one ratings-log entry, undone by ``memory.versions.undo``.

        Raises:
            ValueError: ``q`` is not finite.
            MemoryStoreError: the lock is held elsewhere, or the disk is not writable.
        """
        q = _finite(q, "q")
        with contextlib.suppress(KeyError):
            self.update_values(experience_id, lambda _q, n, mean_reward: (q, n, mean_reward))

    def touch(self, experience_ids: Iterable[str]) -> None:
        """Mark experiences as used now (``last_used_at``)."""
        ids = list(experience_ids)
        if not ids:
            return
        where = "id IN (" + ", ".join(_sql_str(i) for i in ids) + ")"

        def operation() -> None:
            before = self.table.version
            self.table.update(where=where, values_sql={"last_used_at": _sql_ts(now_utc())})
            self.vectors.moved(before, self.table.version, ids)  # their last_used_at changed

        self._write(operation)

    def delete(self, experience_id: str) -> None:
        self._write(lambda: self.table.delete(f"id = {_sql_str(experience_id)}"))

    def _write(self, operation: Any) -> None:
        with self.locked():
            retry_commit(operation) if self.remote else operation()

    # --- multi-step writes, compaction (used by memory.transfer / memory.versions) ---

    optimize_every: int = AUTO_COMPACT_EVERY
    """Compact (``optimize()``) after this many writes through this store object; 0 = never."""

    _writes_since_compaction: int = 0

    @contextlib.contextmanager
    def locked(self, *, counts_as_write: bool = True, checkout: bool = True, fold: bool = True) -> Iterator[Any]:
        """Hold the write lock, with the latest version checked out; yields the LanceDB table.

        For multi-step writes (import, undo): no other process or thread writes
        until the block ends. The block counts as one write for auto-compaction
        unless ``counts_as_write`` is false or it raises. With ``fold`` (and
        ``checkout``), logged ratings are first written into the table, so the
        block sees and changes the table as readers see the memory.

        Raises:
            MemoryStoreError: the lock is held elsewhere for over 30 s, or the disk
                is full, read-only or not writable (one line naming the directory
                and what to do; see :func:`tui_agent.memory.errors.storage_error`).
        """
        from filelock import Timeout

        if self.offline is not None:
            self.offline.check_write()
        try:
            with self.lock:
                if checkout:
                    self.table.checkout_latest()
                    if fold and not self.remote:  # a remote memory folds at compaction only (readers overlay)
                        from tui_agent.memory.compaction import fold as fold_log

                        fold_log(self)
                yield getattr(self, "table", None)
                if counts_as_write:
                    self._count_write()
        except Timeout as exc:
            raise MemoryStoreError(f"memory {self.path} is locked by another process for over {LOCK_TIMEOUT_S:.0f} s") from exc
        except (OSError, RuntimeError) as exc:
            problem = unreachable_problem(self.path, exc) if self.remote else None
            if problem is not None:
                raise MemoryStoreError(problem) from exc
            mapped = storage_error(self.path, exc)
            if mapped is None or mapped is exc:
                raise
            raise mapped from exc

    def _count_write(self) -> None:
        """Called with the lock held after each write; compacts every ``optimize_every`` writes through this
        object, and whenever the ratings log (any process's) holds ``optimize_every`` entries."""
        from tui_agent.memory.compaction import RETRY_AFTER, record_failure, retry_due

        self._writes_since_compaction += 1
        due = self._writes_since_compaction >= self.optimize_every or self.ratings.count() >= self.optimize_every
        if self.optimize_every and due and retry_due(self, self.optimize_every):
            try:
                self._compact_locked()
            except Exception as exc:  # noqa: BLE001 - the write itself succeeded; compaction backs off
                self._writes_since_compaction = 0
                record_failure(self, exc)
                log.warning("automatic compaction failed (next try after at least %d more ratings or %d minutes): %s",
                            self.optimize_every, RETRY_AFTER.total_seconds() // 60, exc)

    def compact(self, keep_history: timedelta | None = None) -> dict[str, Any]:
        """Compact the table now: fold the ratings log, merge small fragments, drop deleted rows.

        Many small writes (every insert is one) leave one small fragment each,
        and search slows with the fragment count; compaction restores it. The
        versions it creates hold the same rows, and undo skips them. Fragments
        of an eighth of the table or more are left as they are
        (:mod:`tui_agent.memory.compaction`), so compaction does not copy the whole table.

        Retention: versions older than ``keep_history`` (default 7 days) and
        all but the newest ``KEEP_VERSIONS`` (100, :mod:`tui_agent.memory.versions`) are removed, so undo reaches
        back at most about 100 table writes (ratings are folded in batches) and never past a
        week; tagged versions (restore points) are kept until they expire after 7 days
        (:func:`tui_agent.memory.versions.expire_restore_points`). Every version pins its
        data files and manifest, so a time limit alone let the disk grow with
        the rating rate (1,000 rows of 2 MB took 43 MB after 1,000 ratings; see
        ``benchmarks/memory_disk.py`` for the figure now). Thousands of versions
        also made each write about 20 % slower (34 → 41 ms a rating after 1,600).

        Args:
            keep_history: keep versions younger than this (``None``: 7 days), at most
                ``KEEP_VERSIONS`` of them.

        Returns:
            ``version_before``, ``version_after``, ``fragments_before``,
            ``fragments_after``, ``versions`` (left on disk) and ``seconds`` (wall time).

        Raises:
            CompactionError: a step failed (not the disk); the message names it (automatic compaction
                then backs off, :func:`tui_agent.memory.compaction.retry_due`).
            MemoryStoreError: the lock is held elsewhere for over 30 s, or the disk is not writable.
        """
        with self.locked(counts_as_write=False, fold=False):  # compaction folds the log itself
            try:
                return self._compact_locked(keep_history)
            except Exception as exc:
                from tui_agent.memory.compaction import record_failure

                record_failure(self, exc)
                raise

    def _compact_locked(self, keep_history: timedelta | None = None) -> dict[str, Any]:
        from tui_agent.memory.compaction import clear_failure, compact

        result = compact(self, keep_history)
        self._writes_since_compaction = 0
        clear_failure(self)
        return result

    def add_missing(self, experiences: Sequence[Experience]) -> list[str]:
        """Insert the experiences whose id is not in the memory yet; returns the ids inserted.

        Safe with several processes: the check and the insert are one
        merge-insert under the write lock (concurrent merge-inserts without it
        made duplicate rows, lancedb#3377).

        Raises:
            ValueError: a vector has the wrong dimension or a Q is not finite.
            MemoryStoreError: the lock is held elsewhere for over 30 s, or the disk is not writable.
        """
        for exp in experiences:
            if exp.vector is None or len(exp.vector) != EMBEDDING_DIM:
                raise ValueError(f"experience {exp.id}: vector must have {EMBEDDING_DIM} values")
            _finite(exp.q, "q")
            check_limits(exp)
        unique = list({e.id: e for e in experiences}.values())
        if not unique:
            return []
        inserted: list[str] = []

        def operation() -> None:
            present = {e.id for e in self.get_many([e.id for e in unique])}
            new = [e for e in unique if e.id not in present]
            if new and self.remote:  # a merge-insert conflicts with concurrent writers: an append does not
                self.table.add(rows_to_table(new))
            elif new:
                self.table.merge_insert("id").when_not_matched_insert_all().execute(rows_to_table(new))
            inserted.extend(e.id for e in new)

        self._write(operation)
        return inserted
