"""Schema upgrades of this project's own SQLite files (saved chats, the run log), by ``PRAGMA user_version``.

Used by :mod:`tui_agent.chats.store` and :mod:`tui_agent.runs.log`; each checks first that the file is its
own (a newer version or foreign tables are its error to raise) and calls :func:`migrate`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

__all__ = ["migrate"]


def migrate(db: sqlite3.Connection, migrations: Sequence[str]) -> None:
    """Bring ``db`` to schema version ``len(migrations)`` in one transaction.

    ``migrations[i]`` holds the ``;``-separated statements from version i to i + 1. The version is
    read again under ``BEGIN IMMEDIATE``, so when two processes open an old file at once, the second
    finds it upgraded and runs nothing. ``db`` must be in autocommit mode (``isolation_level=None``).

    Raises:
        sqlite3.Error: a statement failed; the file is left at its old version (rolled back).
    """
    target = len(migrations)
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for number in range(version, target):
            for statement in migrations[number].split(";"):
                if statement.strip():
                    db.execute(statement)
        db.execute(f"PRAGMA user_version = {target}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
