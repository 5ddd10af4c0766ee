"""Two or more app instances on one memory directory: no lost Q updates, no duplicate rows.

4 processes (spawn) × 50 ratings of 10 shared experiences, with concurrent
inserts (new experiences, and the same 5 "seed" experiences inserted by every
process) and automatic compaction every 40 writes. The processes never load
torch: experiences carry random unit vectors.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.rlem.learning import change_towards
from vectors import unit

PROCESSES = 4
RATINGS = 50
SHARED = 10


def seed_experiences() -> list[Experience]:
    return [Experience(id=f"seed-{i}", task=f"seed task {i}", action="seed", vector=unit(900 + i)) for i in range(5)]


def rate_and_insert(memory_dir: str, proc: int, shared_ids: list[str]) -> dict:
    """One app instance: 50 ratings of shared experiences, an insert and a seed insert every 5th rating."""
    store = ExperienceStore(memory_dir)
    store.optimize_every = 40
    targets = []
    inserted = []
    for i in range(RATINGS):
        experience_id = shared_ids[(proc * 7 + i) % len(shared_ids)]
        target = 1.0 if (proc + i) % 3 else -1.0
        store.modify(experience_id, change_towards(target))
        targets.append((experience_id, target))
        if i % 5 == 0:
            new = Experience(task=f"process {proc} question {i}", action="answer", vector=unit(proc * 1000 + i))
            store.add([new])
            inserted.append(new.id)
            store.add_missing(seed_experiences())
    return {"targets": targets, "inserted": inserted,
            "heavy_modules": sorted(m for m in ("torch", "sentence_transformers") if m in sys.modules)}


def test_concurrent_ratings_and_inserts(memory_dir: Path):
    store = ExperienceStore(memory_dir)
    shared = [Experience(task=f"shared question {i}", action=f"answer {i}", vector=unit(i)) for i in range(SHARED)]
    store.add(shared)
    shared_ids = [e.id for e in shared]

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        results = pool.starmap(rate_and_insert, [(str(memory_dir), p, shared_ids) for p in range(PROCESSES)],
                               chunksize=1)

    assert all(r["heavy_modules"] == [] for r in results), "a worker loaded torch"
    targets: dict[str, list[float]] = defaultdict(list)
    for r in results:
        for experience_id, target in r["targets"]:
            targets[experience_id].append(target)

    fresh = ExperienceStore(memory_dir)
    rows = fresh.all()
    ids = [e.id for e in rows]
    assert len(ids) == len(set(ids)), "duplicate rows"
    inserted = [i for r in results for i in r["inserted"]]
    assert len(rows) == SHARED + len(inserted) + 5
    assert set(ids) == set(shared_ids) | set(inserted) | {e.id for e in seed_experiences()}

    total_n = 0
    for experience_id in shared_ids:
        exp = fresh.get(experience_id)
        expected = targets[experience_id]
        assert exp.n == len(expected), f"lost updates on {experience_id}: N={exp.n}, expected {len(expected)}"
        # α = 1/N makes Q the plain mean of all targets, whatever order the processes applied them in
        assert exp.q == pytest.approx(float(np.mean(expected)), abs=1e-9)
        assert exp.mean_reward == pytest.approx(float(np.mean(expected)), abs=1e-9)
        total_n += exp.n
    assert total_n == PROCESSES * RATINGS
    assert fresh.fragment_count() < PROCESSES * RATINGS // 2, "automatic compaction did not run"
