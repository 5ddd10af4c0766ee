"""The ratings log of a memory in a bucket: a LanceDB table ``ratings`` beside the experiences, append-only.

The local log (:mod:`tui_agent.memory.ratings`) is a SQLite file guarded by a file lock; neither reaches
another machine. Here every rating is one row appended to the table ``ratings`` in the store itself:
``(entry, id, gen, q, n, mean_reward, updated_at, written_at)`` — a unique ``entry`` id (uuid4), the
experience ``id``, its new values (absolute, as locally) and ``gen``, one more than the generation of the
values it was computed from (0: the table's values). Appends from several machines never conflict in
LanceDB (each is its own fragment; fragment ids follow commit order, so ``_rowaddr >> 32`` orders the
rows as they were committed).

Compare-and-set without a lock (:meth:`RemoteRatingsLog.apply`): a rating reads the id's current head,
appends its row with ``gen = head + 1``, then reads the id's rows again. If a row committed *before* it
has the same or a higher ``gen``, another machine changed the values in between: this row is ignored by
every reader (the *head* of an id is its highest ``gen``, the first committed of those), and the rating is
computed again from the new head and appended again. So two machines rating the same answer at once both
count (N goes up by 2), and a rating is acknowledged (``apply`` returns) only once its row is the head's
ancestor-or-head: durable in the bucket and on the winning chain.

Folding (at compaction): the heads are written into the experiences table (one ``merge_insert``); then the
rows that are no longer heads and older than :data:`GRACE` are deleted. Heads are kept (they carry the
generation), so the table holds about one row per rated experience plus the ratings since the last fold.
The grace period keeps every row a concurrent check may still need (a check that takes longer than
:data:`ACK_WITHIN` fails instead; clocks of the machines within a minute of each other are assumed).
"""

from __future__ import annotations

import functools
import random
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa

from tui_agent.memory.errors import MemoryStoreError
from tui_agent.memory.ratings import Rating
from tui_agent.storage.object_store import retry_commit

__all__ = ["ACK_WITHIN", "GRACE", "REMOTE_RATINGS_TABLE", "RemoteRatingsLog"]

REMOTE_RATINGS_TABLE = "ratings"
GRACE = timedelta(minutes=5)
"""Superseded rows younger than this survive a fold (a concurrent rating may still be checking against them)."""
ACK_WITHIN = timedelta(minutes=2)
"""A rating whose append-and-check takes longer than this is not acknowledged (an error says it may have counted):
past it, a fold might have removed a row its check needs."""
MAX_TRIES = 50
COUNT_EVERY = timedelta(seconds=30)

Values = tuple[float, int, float]


def ratings_schema() -> pa.Schema:
    return pa.schema([
        ("entry", pa.string()), ("id", pa.string()), ("gen", pa.int64()), ("q", pa.float64()), ("n", pa.int64()),
        ("mean_reward", pa.float64()), ("updated_at", pa.string()), ("written_at", pa.timestamp("us", tz="UTC")),
    ])


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _heads(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The head of each id: the highest ``gen``, the first committed (lowest ``_rowaddr``) of those."""
    heads: dict[str, dict[str, Any]] = {}
    for row in rows:
        best = heads.get(row["id"])
        if best is None or (row["gen"], -row["_rowaddr"]) > (best["gen"], -best["_rowaddr"]):
            heads[row["id"]] = row
    return heads


def _rating(row: dict[str, Any]) -> Rating:
    return Rating(int(row["_rowaddr"]), row["id"], float(row["q"]), int(row["n"]), float(row["mean_reward"]),
                  row["updated_at"])


class RemoteRatingsLog:
    """The ``ratings`` table of the LanceDB connection ``db`` (created when missing).

    Same reads as :class:`~tui_agent.memory.ratings.RatingsLog` (``latest``, ``count``, ``last_seq``,
    ``entries``); ratings go through :meth:`apply` (no lock needed). Undo takes back the newest rating not
    folded yet (:meth:`pop_last`); folds are not journaled (``fold_entries`` is always ``None``).
    """

    def __init__(self, db: Any) -> None:
        self.db = db
        try:
            self.table = db.open_table(REMOTE_RATINGS_TABLE)
        except (ValueError, FileNotFoundError):
            try:
                self.table = db.create_table(REMOTE_RATINGS_TABLE, schema=ratings_schema(), exist_ok=True)
            except (OSError, RuntimeError, ValueError):  # another machine created it at the same moment
                self.table = db.open_table(REMOTE_RATINGS_TABLE)
        self._superseded: list[str] = []
        self.known: dict[str, Rating] = {}  # heads as last read (served while the store is unreachable)
        self._counted: tuple[float, int] | None = None

    # --- reads ----------------------------------------------------------------------

    def _rows(self, ids: list[str] | None = None) -> list[dict[str, Any]]:
        query = self.table.search()
        if ids is not None:
            query = query.where("id IN (" + ", ".join(_sql_str(i) for i in ids) + ")")
        return list(query.with_row_id(False).select(
            ["entry", "id", "gen", "q", "n", "mean_reward", "updated_at", "written_at", "_rowaddr"])
            .limit(None).to_list())

    def latest(self, ids: list[str] | None = None) -> dict[str, Rating]:
        """The head of each id (of ``ids``, or of all rated ids)."""
        if ids is not None and not ids:
            return {}
        found = {i: _rating(r) for i, r in _heads(self._rows(ids)).items()}
        self.known.update(found)
        return found

    def latest_cached(self, ids: list[str] | None = None) -> dict[str, Rating]:
        """:meth:`latest` as this process last read it, without reading the store (it is unreachable)."""
        return dict(self.known) if ids is None else {i: self.known[i] for i in ids if i in self.known}

    def count(self) -> int:
        """Superseded rows a fold would delete now (older than :data:`GRACE`): what compaction is due for.
        Read again at most every :data:`COUNT_EVERY` (it scans the table; the store asks after every write)."""
        now = time.monotonic()
        if self._counted is not None and now - self._counted[0] < COUNT_EVERY.total_seconds():
            return self._counted[1]
        rows = self._rows()
        keep = {r["entry"] for r in _heads(rows).values()}
        cutoff = datetime.now(timezone.utc) - GRACE
        count = sum(1 for r in rows if r["entry"] not in keep and r["written_at"] < cutoff)
        self._counted = (now, count)
        return count

    def last_seq(self) -> int:
        """The ratings table's version: changes with every rating (any machine)."""
        return int(self.table.version)

    def entries(self) -> list[Rating]:
        """The head of every rated id (what a fold writes); remembers the superseded rows older than
        :data:`GRACE` for :meth:`folded` to delete."""
        rows = self._rows()
        heads = _heads(rows)
        cutoff = datetime.now(timezone.utc) - GRACE
        keep = {r["entry"] for r in heads.values()}
        self._superseded = [r["entry"] for r in rows if r["entry"] not in keep and r["written_at"] < cutoff]
        return [_rating(r) for r in heads.values()]

    def fold_entries(self, version: int) -> list[list] | None:
        return None

    # --- writes ----------------------------------------------------------------------

    def apply(self, row_id: str, base: Callable[[], Values | None], change: Callable[[float, int, float], Values],
              updated_at: Callable[[], str]) -> Values:
        """One rating of ``row_id``: ``change`` of its current values (the head's, else ``base()``, the
        table's), appended and checked as the module docstring says; returns the new values once acknowledged.

        Raises:
            KeyError: no experience with that id (``base()`` gave ``None``).
            MemoryStoreError: still contended after 50 tries, or not confirmed within :data:`ACK_WITHIN`.
        """
        for attempt in range(MAX_TRIES):
            head = _heads(self._rows([row_id])).get(row_id)
            if head is None:
                current = base()
                if current is None:
                    raise KeyError(row_id)
                gen = 1
            else:
                current, gen = (float(head["q"]), int(head["n"]), float(head["mean_reward"])), int(head["gen"]) + 1
            q, n, mean_reward = change(*current)
            entry, started = uuid.uuid4().hex, time.monotonic()
            row = pa.table({
                "entry": [entry], "id": [row_id], "gen": [gen], "q": [float(q)], "n": [int(n)],
                "mean_reward": [float(mean_reward)], "updated_at": [updated_at()],
                "written_at": [datetime.now(timezone.utc)],
            }, schema=ratings_schema())
            retry_commit(functools.partial(self.table.add, row))  # an append: a failed commit did not happen
            rows = self._rows([row_id])
            mine = next((r for r in rows if r["entry"] == entry), None)
            if mine is None or time.monotonic() - started > ACK_WITHIN.total_seconds():
                raise MemoryStoreError(f"rating of {row_id} not confirmed within {ACK_WITHIN.total_seconds():.0f} s "
                                       "(the store is slow or busy): it may or may not have counted")
            if not any(r["entry"] != entry and r["gen"] >= gen and r["_rowaddr"] < mine["_rowaddr"] for r in rows):
                return float(q), int(n), float(mean_reward)
            time.sleep(random.uniform(0, min(0.5, 0.02 * 2 ** attempt)))  # another machine won: compute again
        raise MemoryStoreError(f"rating of {row_id} still contended after {MAX_TRIES} tries; try again")

    def folded(self, version: int, entries: list[Rating]) -> None:
        """After a fold: delete the superseded rows :meth:`entries` found (heads stay)."""
        dropped, self._superseded = self._superseded, []
        for start in range(0, len(dropped), 500):
            chunk = dropped[start:start + 500]
            where = "entry IN (" + ", ".join(_sql_str(e) for e in chunk) + ")"
            retry_commit(functools.partial(self.table.delete, where))

    def pop_last(self) -> Rating | None:
        """Remove and return the newest row if it is the head of its id (undo of the last rating), else None."""
        rows = self._rows()
        if not rows:
            return None
        newest = max(rows, key=lambda r: r["_rowaddr"])
        head = _heads([r for r in rows if r["id"] == newest["id"]])[newest["id"]]
        if head["entry"] != newest["entry"]:
            return None
        self.table.delete(f"entry = {_sql_str(newest['entry'])}")
        return _rating(newest)

    def extend(self, entries: list[list]) -> None:
        raise MemoryStoreError("a remote memory does not journal folds: nothing to log again")

    def close(self) -> None:
        return None
