"""Folding the ratings log into the table, and compaction that does not copy the whole table.

Both run with the store's write lock held (:meth:`tui_agent.memory.store.ExperienceStore.locked`).

* :func:`fold`: the newest logged values of each rated row go into the table in one
  ``merge_insert`` (one version, one small fragment), then the log is emptied
  (:mod:`tui_agent.memory.ratings`).
* :func:`compact`: fold, then merge the *small* fragments only. LanceDB's ``optimize()`` treats
  every fragment under 1M rows as small and so rewrote the whole table at every compaction
  (measured: disk 302 → 1,825 MB over 1,000 ratings at 100k rows). Here fragments of
  :func:`target_rows` rows or more stay as they are, unless over 10 % of their rows were
  deleted or updated (those are rewritten alone); then the id index is brought up to date and
  old versions are removed by :func:`tui_agent.memory.versions.retention` (tagged restore points
  stay until they expire). Uses pylance's optimizer; without pylance it falls back to ``optimize()``.
* A failed compaction raises :class:`CompactionError` naming the step; automatic compaction then
  backs off (:func:`record_failure`, :func:`retry_due`) instead of retrying at every rating.

The functions take the store as ``Any`` (this module sits below ``store``, which calls it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tui_agent.memory.errors import MemoryStoreError
from tui_agent.storage.object_store import retry_commit
from tui_agent.memory.ratings import entries_table
from tui_agent.storage.errors import storage_problem

log = logging.getLogger(__name__)

MIN_TARGET_ROWS = 1_024
MAX_TARGET_ROWS = 1_048_576


def target_rows(total_rows: int) -> int:
    """Fragments with at least this many rows are not merged: an eighth of the table, within
    [1,024, 1,048,576] rows. So compaction copies only the small fragments (recent inserts and
    folds), and a row is copied again only when the table has grown about eightfold since."""
    return max(MIN_TARGET_ROWS, min(MAX_TARGET_ROWS, total_rows // 8))
DELETED_SHARE = 0.1
"""A fragment with more than this share of deleted (or updated) rows is rewritten without them."""


def fold(store: Any) -> int | None:
    """Write the logged ratings into the table; returns the new version, or None when the log was empty."""
    entries = store.ratings.entries()
    if not entries:
        return None
    before = store.table.version
    def write() -> None:
        store.table.merge_insert("id").when_matched_update_all().execute(entries_table(entries))

    retry_commit(write) if store.remote else write()  # other machines write meanwhile: retried on conflict
    version = store.table.version
    store.vectors.moved(before, version, [e.id for e in entries])  # Q and N changed, no vector
    store.ratings.folded(version, entries)
    return version


def ensure_id_index(store: Any) -> None:
    """A B-tree index on ``id`` (a rating's and a search hit's row lookup reads it, not the whole column)."""
    table = store.table
    if any(list(getattr(i, "columns", [])) == ["id"] for i in table.list_indices()):
        return
    if table.count_rows() == 0:
        return
    from lancedb.index import BTree

    table.create_index("id", config=BTree())


class CompactionError(MemoryStoreError):
    """A compaction step failed for a reason other than the disk; the message names the step."""


@contextlib.contextmanager
def _step(store: Any, what: str) -> Iterator[None]:
    """Name the failing step: a full or read-only disk stays the storage error it is
    (:func:`tui_agent.memory.errors.storage_error`), anything else becomes a :class:`CompactionError`."""
    try:
        yield
    except MemoryStoreError:
        raise
    except Exception as exc:  # re-raised with the step's name
        problem = storage_problem(store.path, exc) if isinstance(exc, (OSError, RuntimeError)) else None
        if problem and any(k in problem for k in ("disk is full", "read-only file system", "permission denied")):
            raise MemoryStoreError(problem) from exc
        text = str(exc).strip()
        first = text.splitlines()[0][:300] if text else type(exc).__name__
        raise CompactionError(f"compaction of memory {store.path} failed while {what}: {first}") from exc


def compact(store: Any, keep_history: timedelta | None = None) -> dict[str, Any]:
    """Fold, merge small fragments, update the id index, drop old versions; returns figures.

    Old versions go by :func:`tui_agent.memory.versions.retention`; a restore point (tag) keeps its
    version until it expires (:func:`tui_agent.memory.versions.expire_restore_points`), and cleanup
    skips tagged versions instead of refusing to run (LanceDB's default raised "tagged version(s)
    have been marked for cleanup" once a tag was older than the cut-off, and every later
    compaction failed).

    Returns:
        ``version_before`` (after the fold), ``version_after``, ``fragments_before`` (before the fold),
        ``fragments_after``, ``versions`` (left on disk), ``folded`` (log entries) and ``seconds``.

    Raises:
        CompactionError: a step failed (folding, merging fragments, removing old versions); the
            message names it. The versions made before the failure stay (undo skips them).
        MemoryStoreError: the disk is full or not writable.
    """
    from tui_agent.memory.versions import expire_restore_points, record_equivalent_versions, retention

    start = time.perf_counter()
    folded, fragments_before = store.ratings.count(), store.fragment_count()
    with _step(store, "folding the ratings log into the table"):
        fold(store)
    before = store.table.version
    try:
        with _step(store, "expiring old restore points"):
            expire_restore_points(store)
        keep = retention(store.table, keep_history)
        with warnings.catch_warnings():  # lancedb warns about short histories; the caller chose it
            warnings.simplefilter("ignore")
            try:
                dataset = store.table.to_lance()
            except (ImportError, ModuleNotFoundError):
                dataset = None
            if dataset is None:
                with _step(store, "optimizing the table"):
                    store.table.optimize(cleanup_older_than=keep)
            else:
                with _step(store, "merging small fragments"):
                    dataset.optimize.compact_files(target_rows_per_fragment=target_rows(store.table.count_rows()),
                                                   materialize_deletions_threshold=DELETED_SHARE)
                store.table.checkout_latest()
                try:
                    ensure_id_index(store)
                    store.table.optimize_indices() if hasattr(store.table, "optimize_indices") else None
                except Exception as exc:  # noqa: BLE001 - the index only speeds lookups up
                    log.warning("id index of %s not updated: %s", store.path, exc)
                store.table.checkout_latest()
                with _step(store, "removing old versions"):
                    store.table.to_lance().cleanup_old_versions(older_than=keep, error_if_tagged_old_versions=False)
    finally:  # also after a failed step: the versions it made hold the same rows
        store.table.checkout_latest()
        after = store.table.version
        store.vectors.moved(before, after)
        record_equivalent_versions(store, range(before + 1, after + 1), same_as=before, op="compact")
    return {
        "version_before": before,
        "version_after": after,
        "fragments_before": fragments_before,
        "fragments_after": store.fragment_count(),
        "versions": len(store.table.list_versions()),
        "folded": folded,
        "seconds": time.perf_counter() - start,
    }


# --- automatic compaction: back off after a failure ---------------------------------------------

BACKOFF_NAME = ".compaction-failed.json"
RETRY_AFTER = timedelta(minutes=10)
"""After a failed automatic compaction, the next try waits this long, or for more ratings (:func:`retry_due`)."""
MAX_BACKOFF_DOUBLINGS = 5


def _backoff_path(store: Any) -> Path:
    return Path(store.path) / BACKOFF_NAME


def last_failure(store: Any) -> dict[str, Any] | None:
    """The recorded failure of the last compaction (``error``, ``at``, ``seq``, ``failures``), or None
    (never failed, or it succeeded since). Never raises."""
    memo = getattr(store, "_compaction_failure", None)
    try:
        data = json.loads(_backoff_path(store).read_text(encoding="utf-8"))
        if isinstance(data, dict) and {"error", "at", "seq", "failures"} <= data.keys():
            return data
    except (OSError, ValueError):
        pass
    return memo


def retry_due(store: Any, every: int) -> bool:
    """Whether automatic compaction may run again after a recorded failure: after ``every`` × 2^(k−1)
    more ratings (k consecutive failures, doubling at most 5 times; any process's ratings count) or
    :data:`RETRY_AFTER`. True when no failure is recorded. Never raises."""
    failure = last_failure(store)
    if failure is None:
        return True
    try:
        waited = datetime.now(UTC) - datetime.fromisoformat(str(failure["at"]))
        need = every * 2 ** min(max(int(failure["failures"]) - 1, 0), MAX_BACKOFF_DOUBLINGS)
        return waited >= RETRY_AFTER or store.ratings.last_seq() - int(failure["seq"]) >= need
    except (TypeError, ValueError, KeyError, OSError):
        return True


def record_failure(store: Any, exc: BaseException) -> None:
    """Remember a failed compaction (beside the table, and on the store object if the file cannot be
    written), so automatic compaction backs off (:func:`retry_due`). Call with the lock held. Never raises."""
    previous = last_failure(store)
    try:
        seq = store.ratings.last_seq()
    except Exception:  # noqa: BLE001 - the log is unreadable too: back off by time only
        seq = 0
    data = {"error": str(exc).splitlines()[0][:500] if str(exc).strip() else type(exc).__name__,
            "at": datetime.now(UTC).isoformat(), "seq": seq,
            "failures": (int(previous.get("failures", 0)) if previous else 0) + 1}
    store._compaction_failure = data
    path = _backoff_path(store)
    try:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def clear_failure(store: Any) -> None:
    """Forget a recorded failure (after a compaction succeeded). Never raises."""
    store._compaction_failure = None
    with contextlib.suppress(OSError):
        _backoff_path(store).unlink(missing_ok=True)
