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
  old versions are removed by :func:`tui_agent.memory.versions.retention`. Uses pylance's
  optimizer; without pylance it falls back to ``optimize()``.

The functions take the store as ``Any`` (this module sits below ``store``, which calls it).
"""

from __future__ import annotations

import logging
import time
import warnings
from datetime import timedelta
from typing import Any

from tui_agent.memory.ratings import entries_table

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
    store.table.merge_insert("id").when_matched_update_all().execute(entries_table(entries))
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


def compact(store: Any, keep_history: timedelta | None = None) -> dict[str, Any]:
    """Fold, merge small fragments, update the id index, drop old versions; returns figures.

    Returns:
        ``version_before`` (after the fold), ``version_after``, ``fragments_before`` (before the fold),
        ``fragments_after``, ``versions`` (left on disk), ``folded`` (log entries) and ``seconds``.
    """
    from tui_agent.memory.versions import record_equivalent_versions, retention

    start = time.perf_counter()
    folded, fragments_before = store.ratings.count(), store.fragment_count()
    fold(store)
    before = store.table.version
    keep = retention(store.table, keep_history)
    with warnings.catch_warnings():  # lancedb warns about short histories; the caller chose it
        warnings.simplefilter("ignore")
        try:
            dataset = store.table.to_lance()
        except (ImportError, ModuleNotFoundError):
            dataset = None
        if dataset is None:
            store.table.optimize(cleanup_older_than=keep)
        else:
            dataset.optimize.compact_files(target_rows_per_fragment=target_rows(store.table.count_rows()),
                                           materialize_deletions_threshold=DELETED_SHARE)
            store.table.checkout_latest()
            try:
                ensure_id_index(store)
                store.table.optimize_indices() if hasattr(store.table, "optimize_indices") else None
            except Exception as exc:  # noqa: BLE001 - the index only speeds lookups up
                log.warning("id index of %s not updated: %s", store.path, exc)
            store.table.checkout_latest()
            store.table.to_lance().cleanup_old_versions(older_than=keep)
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
