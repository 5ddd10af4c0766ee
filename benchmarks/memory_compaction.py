"""Search latency of the experience memory after thousands of ratings, with and without compaction.

Every rating is one LanceDB commit and leaves a small fragment; search slows
down with the fragment count until ``optimize()`` merges them. This script
fills a memory with random unit vectors (no embedding model is loaded), rates
random experiences, and prints search latency (median and 95th percentile, ms)
and rating cost as the ratings accumulate:

* ``off``: automatic compaction switched off for ``--off-updates`` ratings
  (each rating gets slower too), then one ``compact()``;
* ``auto``: the store's automatic compaction (every ``--every`` writes, default 100).

Usage::

    python benchmarks/memory_compaction.py [--rows 5000] [--updates 2000] [--every 100] [--queries 50]
                                           [--off-updates 400]

Budget (checked here, not in unit tests): with automatic compaction, search
after all the ratings is at most 1.5× the search time of a freshly compacted
table (+ 5 ms slack for timer noise).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tui_agent.memory.store import ExperienceStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BUDGET_RATIO = 1.5
BUDGET_SLACK_MS = 5.0


def unit_vectors(count: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(count, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill(path: Path, rows: int) -> tuple[ExperienceStore, list[str]]:
    from tui_agent.memory.schema import Experience
    from tui_agent.memory.store import ExperienceStore

    store = ExperienceStore(path)
    vectors = unit_vectors(rows, 0)
    experiences = [Experience(task=f"question {i}", action=f"answer {i}", vector=vectors[i].tolist(),
                              kind="chat" if i % 2 else "shop") for i in range(rows)]
    for start in range(0, rows, 1000):
        store.add(experiences[start:start + 1000])
    store.compact()
    return store, [e.id for e in experiences]


def search_ms(store: ExperienceStore, queries: np.ndarray) -> tuple[float, float]:
    store.search(queries[0], limit=5)  # warm
    times = []
    for q in queries:
        start = time.perf_counter()
        store.search(q, limit=5)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def run(label: str, path: Path, args: argparse.Namespace, every: int) -> list[tuple]:
    from tui_agent.rlem.learning import change_towards

    store, ids = fill(path, args.rows)
    store.optimize_every = every
    queries = unit_vectors(args.queries, 1)
    rng = np.random.default_rng(2)
    rows = []
    med, p95 = search_ms(store, queries)
    rows.append((label, 0, store.fragment_count(), store.version, med, p95, float("nan")))
    total = args.updates if every else min(args.updates, args.off_updates)
    checkpoints = sorted({total * k // 4 for k in range(1, 5)})
    done = 0
    for checkpoint in checkpoints:
        start = time.perf_counter()
        for _ in range(checkpoint - done):
            store.modify(ids[int(rng.integers(len(ids)))], change_towards(float(rng.choice([-1.0, 1.0]))))
        per_rating = (time.perf_counter() - start) * 1000 / max(checkpoint - done, 1)
        done = checkpoint
        med, p95 = search_ms(store, queries)
        rows.append((label, done, store.fragment_count(), store.version, med, p95, per_rating))
    if every == 0:
        start = time.perf_counter()
        store.compact()
        took = time.perf_counter() - start
        med, p95 = search_ms(store, queries)
        rows.append((f"{label}+compact ({took:.2f} s)", done, store.fragment_count(), store.version, med, p95,
                     float("nan")))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--every", type=int, default=100, help="automatic compaction interval (writes)")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--off-updates", type=int, default=400,
                        help="ratings without compaction (each costs more as fragments pile up)")
    args = parser.parse_args()
    print(f"rows={args.rows} ratings={args.updates} auto-compaction every {args.every} writes, "
          f"{args.queries} queries per point, search limit 5")
    print(f"{'scenario':<26} {'ratings':>7} {'frags':>6} {'version':>7} {'search ms':>10} {'p95 ms':>8} "
          f"{'ms/rating':>9}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, every in (("compaction off", 0), (f"auto every {args.every}", args.every)):
            for row in run(label, Path(tmp) / label.replace(" ", "_"), args, every):
                results.append(row)
                label_, n, frags, version, med, p95, per = row
                per_text = f"{per:9.1f}" if per == per else f"{'-':>9}"
                print(f"{label_:<26} {n:>7} {frags:>6} {version:>7} {med:>10.2f} {p95:>8.2f} {per_text}")
    fresh = results[0][4]
    off = [r for r in results if r[0] == "compaction off"][-1]
    off_end, off_n = off[4], off[1]
    auto_end = [r for r in results if r[0].startswith("auto")][-1][4]
    compacted = next(r for r in results if "+compact" in r[0])[4]
    print(f"\nsearch: fresh table {fresh:.2f} ms; after {off_n} ratings without compaction {off_end:.2f} ms, "
          f"then compact() {compacted:.2f} ms; after {args.updates} ratings with automatic compaction {auto_end:.2f} ms")
    limit = BUDGET_RATIO * compacted + BUDGET_SLACK_MS
    ok = auto_end <= limit
    print(f"budget: auto-compacted search <= {BUDGET_RATIO}x compacted + {BUDGET_SLACK_MS:.0f} ms = {limit:.2f} ms: "
          f"{'OK' if ok else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
