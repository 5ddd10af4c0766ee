"""The training-run log: every training episode of every run, in one SQLite file in the user data dir.

The file is ``<data dir>/runs.sqlite3`` (platformdirs; ``$TUI_AGENT_HOME/data`` when set). A *run* is one
training command: its id, environment (``shop`` | ``docqa`` | …), algorithm (``rlem``, ``ppo``, …), policy,
start time and settings. An *episode row* is one finished training episode of a run: its index (0, 1, … in
the order written), return G = Σ rewards, final reward, success, number of steps and wall seconds.

API (every trainer uses the same three calls)::

    log = RunLog()                                   # or RunLog(path)
    run = log.start("shop", "rlem", {"epochs": 3, "seed": 0}, policy="episodic-control")
    run.episode(return_=1.0, reward=1.0, success=True, steps=7)   # seconds: since the last row by default
    run.finish()                                     # or: with log.start(...) as run: ...

Another process may go on writing a run with :meth:`RunLog.resume`. Training commands use
:func:`tui_agent.cli.stats.training_run` (a run, finished on exit, errors as one line). Reading:
:meth:`RunLog.runs` (newest first, with counts), :meth:`RunLog.get` (by id or id prefix),
:meth:`RunLog.latest`, :meth:`RunLog.episodes`. Run ids start with the start time (UTC):
``20261122-090451-4bac80``.

Guarantees:

* append-only: rows are inserted, never updated or deleted (only a run's ``ended_at`` is set once);
* durable: :meth:`Run.episode` returns after its transaction is committed with ``synchronous = FULL``
  (the WAL is fsynced), so an acknowledged episode survives a crash or power loss;
* two processes (two trainers, or a trainer and the stats screen) use the file at once: WAL mode, a
  busy time-out, and episode indices assigned inside an ``IMMEDIATE`` transaction;
* a file that is not a SQLite database, holds other tables, or comes from a newer tui-agent raises
  :class:`RunLogError` with a one-line message naming the file, and is left byte-for-byte untouched.

Standard library only.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from tui_agent.config.settings import data_dir
from tui_agent.storage.sqlite_schema import migrate

MIGRATIONS: tuple[str, ...] = (
    # 1: runs and their episodes
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        env TEXT NOT NULL,
        algo TEXT NOT NULL,
        policy TEXT,
        started_at REAL NOT NULL,       -- Unix time, seconds
        ended_at REAL,                  -- set once by finish(), NULL while running or after a crash
        settings TEXT NOT NULL DEFAULT '{}'  -- JSON object
    );
    CREATE TABLE episodes (
        run_id TEXT NOT NULL REFERENCES runs(id),
        idx INTEGER NOT NULL,           -- 0, 1, … per run, in the order written
        return REAL NOT NULL,           -- G = sum of the episode's rewards
        reward REAL,                    -- the final (last) reward, NULL when the episode had none
        success INTEGER NOT NULL CHECK (success IN (0, 1)),
        steps INTEGER NOT NULL CHECK (steps >= 0),
        seconds REAL NOT NULL CHECK (seconds >= 0),  -- wall time of the episode
        created REAL NOT NULL,          -- Unix time the row was written
        info TEXT NOT NULL DEFAULT '{}',     -- JSON object: anything else (epoch, goal, …)
        PRIMARY KEY (run_id, idx)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
BUSY_TIMEOUT_S = 10.0


class RunLogError(RuntimeError):
    """The run log cannot be opened, read or written; the message is one line and names the file."""


@dataclass(frozen=True)
class EpisodeRow:
    """One training episode. ``return_`` is G = Σ rewards; ``reward`` the final reward (``None``: none given);
    ``seconds`` wall time; ``created`` Unix seconds; ``info`` extra JSON fields (epoch, goal index, …)."""

    run_id: str
    index: int
    return_: float
    reward: float | None
    success: bool
    steps: int
    seconds: float
    created: float
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "index": self.index, "return": self.return_, "reward": self.reward,
                "success": self.success, "steps": self.steps, "seconds": self.seconds, "created": self.created,
                "info": self.info}


@dataclass(frozen=True)
class RunInfo:
    """A run as listed: its fields plus ``episodes`` (count), ``successes`` and ``mean_return`` (0.0 when empty).
    Times are Unix seconds; ``ended_at`` is ``None`` while the run goes on (or if it was cut off)."""

    id: str
    env: str
    algo: str
    policy: str | None
    started_at: float
    ended_at: float | None
    settings: dict[str, Any]
    episodes: int = 0
    successes: int = 0
    mean_return: float = 0.0

    @property
    def success_rate(self) -> float:
        """Share of successful episodes in [0, 1] (0.0 without episodes)."""
        return self.successes / self.episodes if self.episodes else 0.0

    @property
    def label(self) -> str:
        """``algo/policy`` (or ``algo`` alone)."""
        return f"{self.algo}/{self.policy}" if self.policy else self.algo

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "env": self.env, "algo": self.algo, "policy": self.policy,
                "started_at": self.started_at, "ended_at": self.ended_at, "settings": self.settings,
                "episodes": self.episodes, "successes": self.successes, "success_rate": self.success_rate,
                "mean_return": self.mean_return}


def default_path() -> Path:
    """``<data dir>/runs.sqlite3``."""
    return data_dir() / "runs.sqlite3"


class RunLog:
    """The run log in one SQLite file (created with its directory on first use).

    Args:
        path: the database file; default :func:`default_path`.
        create: create the file when missing (``False``: readers such as ``tui-agent stats`` see an empty log
            and write nothing).

    Raises:
        RunLogError: the file is not a run log, is from a newer tui-agent, or cannot be created.
    """

    def __init__(self, path: Path | str | None = None, *, create: bool = True) -> None:
        self.path = Path(path) if path else default_path()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if not create and not self.path.exists():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False,
                                       isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise RunLogError(f"run log {self.path} cannot be opened: {_one_line(exc)}") from exc
        try:
            self._open()
        except BaseException:
            self._db.close()
            self._db = None
            raise

    def _open(self) -> None:
        assert self._db is not None
        with self._guard("opened"):
            version = self._db.execute("PRAGMA user_version").fetchone()[0]  # reads the header: fails on non-SQLite
            if version > SCHEMA_VERSION:
                raise RunLogError(f"run log {self.path} has schema version {version}; this tui-agent reads up to "
                                  f"{SCHEMA_VERSION} (update tui-agent)")
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if version == 0 and tables:
                raise RunLogError(f"run log {self.path} is another program's database "
                                  f"(tables: {', '.join(sorted(tables))}); it is left as it is")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            if version == SCHEMA_VERSION:
                return
            migrate(self._db, MIGRATIONS)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[sqlite3.Connection | None]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise RunLogError(f"run log {self.path} cannot be {doing}: {_one_line(exc)}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        if self._db is None:
            raise RunLogError(f"run log {self.path} was opened read-only and does not exist")
        with self._guard("written") as db:
            assert db is not None
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------

    def start(self, env: str, algo: str, settings: Mapping[str, Any] | None = None, *,
              policy: str | None = None) -> Run:
        """Record a new run and return its writer.

        Args:
            env: environment name (``shop``, ``docqa``, …).
            algo: training algorithm (``rlem``, ``ppo``, …).
            settings: the run's settings as a JSON-able mapping (non-JSON values are written with ``str``).
            policy: the policy trained (``episodic-control``, ``rememberer``, …), if the algorithm has several.

        Raises:
            RunLogError: the file cannot be written.
        """
        if not env or not algo:
            raise ValueError("a run needs an env and an algo")
        now = time.time()
        run_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now)) + "-" + uuid.uuid4().hex[:6]
        body = json.dumps(dict(settings or {}), ensure_ascii=False, default=str, sort_keys=True)
        with self._write() as db:
            db.execute("INSERT INTO runs (id, env, algo, policy, started_at, settings) VALUES (?, ?, ?, ?, ?, ?)",
                       (run_id, env, algo, policy, now, body))
        return Run(self, RunInfo(run_id, env, algo, policy, now, None, json.loads(body)))

    def resume(self, run_id: str) -> Run:
        """A writer for an existing run (by id or id prefix), e.g. from a second process; its episodes continue
        the run's indices.

        Raises:
            KeyError: no such run (see :meth:`get`).
        """
        return Run(self, self.get(run_id))

    def _append(self, run_id: str, return_: float, reward: float | None, success: bool, steps: int,
                seconds: float, info: Mapping[str, Any] | None) -> EpisodeRow:
        return_ = _finite(return_, "return_")
        reward = None if reward is None else _finite(reward, "reward")
        seconds = max(0.0, _finite(seconds, "seconds"))
        if int(steps) < 0:
            raise ValueError(f"steps must be ≥ 0, got {steps}")
        body = json.dumps(dict(info or {}), ensure_ascii=False, default=str, sort_keys=True)
        now = time.time()
        with self._write() as db:
            index = db.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM episodes WHERE run_id = ?",
                               (run_id,)).fetchone()[0]
            db.execute("INSERT INTO episodes (run_id, idx, return, reward, success, steps, seconds, created, info) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (run_id, index, return_, reward, int(bool(success)), int(steps), seconds, now, body))
        return EpisodeRow(run_id, int(index), return_, reward, bool(success), int(steps), seconds, now,
                          json.loads(body))

    def _finish(self, run_id: str) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET ended_at = ? WHERE id = ? AND ended_at IS NULL", (time.time(), run_id))

    # --- reading ---------------------------------------------------------------------

    def runs(self, env: str | None = None, limit: int | None = None) -> list[RunInfo]:
        """Runs, newest first, with episode count, successes and mean return (``env``: only that env)."""
        if self._db is None:
            return []
        sql = ("SELECT r.*, COUNT(e.idx) AS n, COALESCE(SUM(e.success), 0) AS s, COALESCE(AVG(e.return), 0.0) AS g "
               "FROM runs r LEFT JOIN episodes e ON e.run_id = r.id")
        args: list[Any] = []
        if env:
            sql += " WHERE r.env = ?"
            args.append(env)
        sql += " GROUP BY r.id ORDER BY r.started_at DESC, r.rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._guard("read") as db:
            assert db is not None
            return [_run(r) for r in db.execute(sql, args).fetchall()]

    def latest(self, env: str | None = None) -> RunInfo | None:
        """The newest run (of ``env``), or ``None`` when there is none."""
        found = self.runs(env, limit=1)
        return found[0] if found else None

    def get(self, run_id: str) -> RunInfo:
        """The run whose id is ``run_id`` or starts with it.

        Raises:
            KeyError: no run has that id, or the prefix fits several (the message says which).
        """
        text = run_id.strip()
        matches = [r for r in self.runs() if r.id == text] or [r for r in self.runs() if text and r.id.startswith(text)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise KeyError(f"no run with id {text!r}")
        raise KeyError(f"run id {text!r} is ambiguous: {', '.join(r.id for r in matches[:3])}…")

    def episodes(self, run_id: str) -> list[EpisodeRow]:
        """The run's episodes in index order (empty for an unknown run)."""
        if self._db is None:
            return []
        with self._guard("read") as db:
            assert db is not None
            rows = db.execute("SELECT run_id, idx, return, reward, success, steps, seconds, created, info "
                              "FROM episodes WHERE run_id = ? ORDER BY idx", (run_id,)).fetchall()
        return [EpisodeRow(r[0], int(r[1]), float(r[2]), None if r[3] is None else float(r[3]), bool(r[4]),
                           int(r[5]), float(r[6]), float(r[7]), _json_object(r[8])) for r in rows]


class Run:
    """The writer of one run (from :meth:`RunLog.start`); also a context manager that calls :meth:`finish`."""

    def __init__(self, log: RunLog, info: RunInfo) -> None:
        self.log = log
        self.info = info
        self._last = time.monotonic()

    @property
    def id(self) -> str:
        return self.info.id

    def episode(self, *, return_: float, success: bool, steps: int, reward: float | None = None,
                seconds: float | None = None, info: Mapping[str, Any] | None = None) -> EpisodeRow:
        """Append one finished training episode; returns once it is on disk.

        Args:
            return_: G = Σ rewards of the episode (any finite float).
            success: whether the episode reached its goal.
            steps: number of steps taken (≥ 0).
            reward: the final reward (default: ``return_``, as for a reward given only at the end).
            seconds: wall time of the episode (default: seconds since the previous row or the start,
                measured by this writer).
            info: extra JSON-able fields (epoch, goal index, split, …).

        Raises:
            ValueError: a non-finite number or negative steps.
            RunLogError: the file cannot be written (the row is then not stored).
        """
        now = time.monotonic()
        elapsed = now - self._last if seconds is None else seconds
        row = self.log._append(self.id, return_, return_ if reward is None else reward, success, steps, elapsed,
                               info)
        self._last = now
        return row

    def finish(self) -> None:
        """Mark the run as ended (its ``ended_at``); a second call changes nothing."""
        self.log._finish(self.id)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()


def _run(r: sqlite3.Row | tuple[Any, ...]) -> RunInfo:
    return RunInfo(r[0], r[1], r[2], r[3], float(r[4]), None if r[5] is None else float(r[5]), _json_object(r[6]),
                   int(r[7]), int(r[8]), float(r[9]))


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"_unreadable": str(text)}
    return value if isinstance(value, dict) else {"_value": value}


def _finite(value: float, name: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
