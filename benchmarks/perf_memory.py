"""Rating figures: one 👍 (``HistoryReplay.learn_row`` on the LanceDB store, what ``tui-agent rate``
and the TUI do) at N rows, and again after many ratings, with the memory's disk use. One search runs
first, as in the app (an answer is retrieved before it is rated), so the in-RAM index holds the rows.

Reference: the same read + update + commit on a SQLite table in WAL mode (``synchronous=NORMAL``,
an index on ``id``), interleaved one for one with ours.

Usage::

    .venv/bin/python benchmarks/perf_memory.py                                          # 10k rows, 1,000 ratings
    .venv/bin/python benchmarks/perf_memory.py --rows 1000 --ratings 100 --sample 20    # a tiny run
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from perf_common import du, emit, log, p50, size


def fill_store(path: Path, rows: int, vectors: np.ndarray | None = None, kind: str = "chat"):
    """A store at ``path`` with ``rows`` experiences (task ~200, answer ~400 characters), compacted once."""
    from tui_agent.memory.schema import Experience
    from tui_agent.memory.store import ExperienceStore

    store = ExperienceStore(path)
    if vectors is None:
        rng = np.random.default_rng(0)
        vectors = rng.normal(size=(rows, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = []
    for start in range(0, rows, 20_000):
        batch = [Experience(task=f"question {i} " + "x" * 200, action=f"answer {i} " + "y" * 400, kind=kind,
                            vector=vectors[i].tolist()) for i in range(start, min(rows, start + 20_000))]
        ids += store.add(batch)
    store.compact()
    return store, ids


def _sqlite(path: Path, ids: list[str]) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE e (id TEXT PRIMARY KEY, q REAL, n INTEGER, mean_reward REAL, task TEXT, action TEXT)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO e VALUES (?, 0, 0, 0, ?, ?)", ((i, "x" * 200, "y" * 400) for i in ids))
    db.execute("COMMIT")
    return db


def _sqlite_rate(db: sqlite3.Connection, row_id: str, reward: float) -> float:
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    q, n = db.execute("SELECT q, n FROM e WHERE id = ?", (row_id,)).fetchone()
    db.execute("UPDATE e SET q = ?, n = ? WHERE id = ?", (q + (reward - q) / (n + 1), n + 1, row_id))
    db.execute("COMMIT")
    return (time.perf_counter() - start) * 1000


def rating(rows: int, ratings: int, sample: int = 200) -> None:
    """p50 of a rating at ``rows`` rows, then after ``ratings`` ratings (and the disk use then)."""
    from tui_agent.rlem.replay import HistoryReplay
    from tui_agent.rlem.records import Similarity
    from tui_agent.bridge.store_rows import StoreRows

    work = Path(tempfile.mkdtemp(prefix="perf-rate-"))
    log(f"rating: filling a memory with {rows:,} rows")
    store, ids = fill_store(work / "memory", rows)
    live = du(work / "memory")
    store.search(np.ones(384, np.float32) / np.sqrt(384), kind="chat", limit=12)  # as the app: a search comes first
    db = _sqlite(work / "ref.sqlite", ids)
    replay = HistoryReplay(Similarity(lambda q, recs: np.zeros(len(recs)), lambda q, recs: np.zeros(len(recs))),
                              lambda key: None, sink=StoreRows(store, "chat", lambda key: None), in_ram=False)
    rng = random.Random(0)

    def ours(row_id: str, reward: float) -> float:
        start = time.perf_counter()
        replay.learn_row(row_id, reward)
        return (time.perf_counter() - start) * 1000

    def run(count: int) -> tuple[list[float], list[float]]:
        a, b = [], []
        for _ in range(count):
            row_id, reward = rng.choice(ids), rng.choice((1.0, -1.0))
            a.append(ours(row_id, reward))
            b.append(_sqlite_rate(db, row_id, reward))
        return a, b

    first, ref = run(sample)
    emit(f"rating_p50_{size(rows)}", p50(first), "ms", "SQLite WAL read+update+commit", p50(ref), "<= 10 ms",
         rows=rows, ratings=sample, p90=float(np.percentile(first, 90)))
    done, start = sample, time.perf_counter()
    while done < ratings - sample:
        step = min(1000, ratings - sample - done)
        run(step)
        done += step
        log(f"rating: {done:,}/{ratings:,} ratings, {(time.perf_counter() - start):.0f} s, "
            f"disk {du(work / 'memory') / 1e6:.0f} MB")
    last, ref = run(sample)
    done += sample
    emit(f"rating_p50_{size(rows)}_after_{size(done)}_ratings", p50(last), "ms",
         "SQLite WAL read+update+commit", p50(ref), "<= 10 ms, flat", rows=rows, ratings=done,
         p90=float(np.percentile(last, 90)), seconds_all=time.perf_counter() - start)
    disk = du(work / "memory")
    emit(f"disk_{size(rows)}_after_{size(done)}_ratings", disk / 1e6, "MB",
         "the live table right after loading (compacted)", live / 1e6, "<= 2x", rows=rows, ratings=done,
         versions=len(store.table.list_versions()))
    import shutil

    shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="experiences in the memory")
    parser.add_argument("--ratings", type=int, default=1_000, help="ratings in all (the 'after N ratings' figure)")
    parser.add_argument("--sample", type=int, default=200, help="ratings timed for each p50")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.sample < 1 or args.ratings < 2 * args.sample:
        parser.error("--rows and --sample must be at least 1, --ratings at least twice --sample")
    rating(args.rows, args.ratings, args.sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
