"""The ratings log: Q/N updates appended to a small SQLite file beside the table, folded into it later.

A LanceDB commit costs 15–60 ms and leaves a version and a fragment behind (measured: 16 → 29 ms a
rating from 1k to 100k rows, 229 ms after 1,000 ratings without compaction). So a rating (and a
hand-set Q) is one row appended here instead — ``(seq, id, q, n, mean_reward, updated_at)``, the
row's new values, absolute — in one SQLite transaction in WAL mode with ``synchronous=FULL`` (the
commit is on disk when :meth:`RatingsLog.append` returns: acknowledged = durable). Readers lay the
newest entry of each id over the table's values. The store *folds* the log into the table (one
``merge_insert`` of the newest values, one table version) before any other table write, at
compaction, and then empties it; a crash between the two leaves entries whose values the table
already holds, which a later fold writes again (idempotent).

Every fold is remembered (``folds``: table version → the entries it folded) so that undo can take
back one rating at a time even after its fold (:func:`tui_agent.memory.versions.undo`).

All writes happen under the store's write lock; reads need no lock.
"""

from __future__ import annotations

import errno
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

__all__ = ["Rating", "RatingsLog", "RATINGS_NAME"]

RATINGS_NAME = "ratings.sqlite"
KEEP_FOLDS = 200
"""Folds remembered for undo (the newest); older versions leave undo's reach anyway (100 versions kept)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ratings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    q REAL NOT NULL,
    n INTEGER NOT NULL,
    mean_reward REAL NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ratings_id ON ratings (id, seq);
CREATE TABLE IF NOT EXISTS folds (version INTEGER PRIMARY KEY, entries TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Rating:
    """One log entry: the row ``id``'s values after an update (``updated_at``: ISO 8601, UTC)."""

    seq: int
    id: str
    q: float
    n: int
    mean_reward: float
    updated_at: str

    def as_list(self) -> list:
        return [self.id, self.q, self.n, self.mean_reward, self.updated_at]


def _os_error(path: Path, exc: sqlite3.Error) -> OSError:
    """SQLite's errors as the OSError that :func:`~tui_agent.memory.errors.storage_error` maps."""
    text = str(exc).lower()
    if "full" in text:
        return OSError(errno.ENOSPC, "No space left on device", str(path))
    if "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text:
        return OSError(errno.EROFS if "readonly" in text or "read-only" in text else errno.EACCES,
                       "Read-only file system" if "readonly" in text else "Permission denied", str(path))
    return OSError(errno.EIO, f"ratings log: {exc}", str(path))


class RatingsLog:
    """The log file ``<memory dir>/ratings.sqlite`` (created on the first write; absent = empty).

    Raises (every method that writes):
        OSError: the file cannot be written (full disk, read-only directory), with the errno set.
    """

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / RATINGS_NAME
        self._local = threading.local()  # one connection per thread (sqlite3 objects are thread-bound)

    @overload
    def _db(self, create: Literal[True]) -> sqlite3.Connection: ...

    @overload
    def _db(self, create: bool) -> sqlite3.Connection | None: ...

    def _db(self, create: bool) -> sqlite3.Connection | None:
        db = getattr(self._local, "db", None)
        if db is not None:
            return db
        if not create and not self.path.exists():
            return None
        try:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise _os_error(self.path, exc) from exc
        self._local.db = db
        return db

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            db = self._db(create=False)
        except OSError:  # a read-only log (its setup needs writes): read it as it is on disk
            db = self._read_only()
        if db is None:
            return []
        try:
            return db.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise _os_error(self.path, exc) from exc

    def _read_only(self) -> sqlite3.Connection | None:
        """The log opened as an immutable file (a read-only directory or mount: nothing can change it from
        here, and SQLite cannot create the WAL index beside it); None when it does not exist or cannot be
        read (then nothing is logged, as for a missing log)."""
        if not self.path.exists():
            return None
        try:  # a fresh connection each read: the writer (another process) may have added ratings since
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?immutable=1", uri=True)
            db.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        except sqlite3.Error:
            return None
        return db

    # --- reads ----------------------------------------------------------------------

    def latest(self, ids: list[str] | None = None) -> dict[str, Rating]:
        """The newest entry of each id (of ``ids``, or of all logged ids)."""
        sql = ("SELECT r.seq, r.id, r.q, r.n, r.mean_reward, r.updated_at FROM ratings r "
               "JOIN (SELECT id, MAX(seq) AS seq FROM ratings {where} GROUP BY id) m ON r.seq = m.seq")
        if ids is None:
            rows = self._read(sql.format(where=""))
        elif not ids:
            return {}
        elif len(ids) == 1:
            rows = self._read("SELECT seq, id, q, n, mean_reward, updated_at FROM ratings WHERE id = ? "
                              "ORDER BY seq DESC LIMIT 1", (ids[0],))
        else:
            rows = self._read(sql.format(where=f"WHERE id IN ({','.join('?' * len(ids))})"), tuple(ids))
        return {r[1]: Rating(*r) for r in rows}

    def count(self) -> int:
        """Entries not folded yet."""
        rows = self._read("SELECT COUNT(*) FROM ratings")
        return int(rows[0][0]) if rows else 0

    def last_seq(self) -> int:
        """The newest entry's sequence number ever given (0 when none): changes with every append."""
        rows = self._read("SELECT seq FROM sqlite_sequence WHERE name = 'ratings'")
        return int(rows[0][0]) if rows else 0

    def entries(self) -> list[Rating]:
        """Every entry not folded yet, oldest first."""
        return [Rating(*r) for r in self._read(
            "SELECT seq, id, q, n, mean_reward, updated_at FROM ratings ORDER BY seq")]

    def fold_entries(self, version: int) -> list[list] | None:
        """The entries folded by table ``version`` (``[id, q, n, mean_reward, updated_at]`` each), or None."""
        rows = self._read("SELECT entries FROM folds WHERE version = ?", (version,))
        return json.loads(rows[0][0]) if rows else None

    # --- writes (under the store's write lock) -----------------------------------------

    def _write(self, statements: list[tuple[str, tuple]]) -> None:
        db = self._db(create=True)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    db.execute(sql, args)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # SQLite has already rolled back on SQLITE_FULL; keep the real error
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise _os_error(self.path, exc) from exc

    def append(self, row_id: str, q: float, n: int, mean_reward: float, updated_at: str) -> None:
        """Log ``row_id``'s new values; on disk when this returns."""
        self._write([("INSERT INTO ratings (id, q, n, mean_reward, updated_at) VALUES (?, ?, ?, ?, ?)",
                      (row_id, float(q), int(n), float(mean_reward), updated_at))])

    def extend(self, entries: list[list]) -> None:
        """Log ``[id, q, n, mean_reward, updated_at]`` entries again, in order (undo of a fold)."""
        self._write([("INSERT INTO ratings (id, q, n, mean_reward, updated_at) VALUES (?, ?, ?, ?, ?)",
                      tuple(e)) for e in entries])

    def pop_last(self) -> Rating | None:
        """Remove and return the newest entry (undo of one rating), or None when the log is empty."""
        rows = self._read("SELECT seq, id, q, n, mean_reward, updated_at FROM ratings ORDER BY seq DESC LIMIT 1")
        if not rows:
            return None
        self._write([("DELETE FROM ratings WHERE seq = ?", (rows[0][0],))])
        return Rating(*rows[0])

    def folded(self, version: int, entries: list[Rating]) -> None:
        """After table ``version`` took ``entries`` in: remember them for undo and empty the log up to them."""
        last = max(e.seq for e in entries)
        self._write([
            ("INSERT OR REPLACE INTO folds (version, entries) VALUES (?, ?)",
             (int(version), json.dumps([e.as_list() for e in entries]))),
            ("DELETE FROM ratings WHERE seq <= ?", (last,)),
            ("DELETE FROM folds WHERE version NOT IN (SELECT version FROM folds ORDER BY version DESC LIMIT ?)",
             (KEEP_FOLDS,)),
        ])

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


# --- reading through the log ------------------------------------------------------------

OVERLAID = ("q", "n", "mean_reward", "updated_at")
"""The columns a log entry sets."""


def parse_time(text: str):
    """A log entry's ``updated_at`` (ISO 8601) as an aware ``datetime``."""
    from datetime import datetime

    return datetime.fromisoformat(text)


def overlay_rows(rows: list, latest: dict[str, Rating]) -> list:
    """Set ``q``, ``n``, ``mean_reward``, ``updated_at`` of each row object logged in ``latest``; returns ``rows``."""
    for row in rows:
        entry = latest.get(row.id)
        if entry is not None:
            row.q, row.n, row.mean_reward = entry.q, entry.n, entry.mean_reward
            row.updated_at = parse_time(entry.updated_at)
    return rows


def overlay_arrow(table, latest: dict[str, Rating]):
    """The pyarrow ``table`` with the logged values of its rows (by its ``id`` column) put in."""
    import pyarrow as pa

    if not latest or "id" not in table.column_names or not table.num_rows:
        return table
    ids = table.column("id").to_pylist()
    hits = [(i, latest[x]) for i, x in enumerate(ids) if x in latest]
    if not hits:
        return table
    for name in OVERLAID:
        if name not in table.column_names:
            continue
        position = table.column_names.index(name)
        column = table.column(name)
        values = column.to_pylist()
        for i, entry in hits:
            values[i] = parse_time(entry.updated_at) if name == "updated_at" else getattr(entry, name)
        table = table.set_column(position, table.field(position), pa.array(values, type=column.type))
    return table


def entries_table(entries: list[Rating]):
    """The newest value of each logged id as a pyarrow table (``id``, ``q``, ``n``, ``mean_reward``,
    ``updated_at``), for a ``merge_insert`` into the experiences table."""
    import pyarrow as pa

    newest: dict[str, Rating] = {}
    for entry in entries:
        newest[entry.id] = entry
    rows = list(newest.values())
    return pa.table({
        "id": pa.array([r.id for r in rows], pa.string()),
        "q": pa.array([r.q for r in rows], pa.float64()),
        "n": pa.array([r.n for r in rows], pa.int64()),
        "mean_reward": pa.array([r.mean_reward for r in rows], pa.float64()),
        "updated_at": pa.array([parse_time(r.updated_at) for r in rows], pa.timestamp("us", tz="UTC")),
    })
