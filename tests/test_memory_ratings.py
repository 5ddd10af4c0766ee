"""The ratings log (issue 11): a rating is one durable log entry, not a table version; folds, undo, kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tui_agent.memory.compaction import fold, target_rows
from tui_agent.memory.errors import MemoryStoreError
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.memory.transfer import memory_table
from tui_agent.memory.versions import undo
from tui_agent.rlem.learning import change_towards
from vectors import unit

ROOT = Path(__file__).resolve().parents[1]


def rows(count: int) -> list[Experience]:
    return [Experience(task=f"question {i}", action=f"answer {i}", vector=unit(i)) for i in range(count)]


def test_a_rating_is_a_log_entry_not_a_table_version(store: ExperienceStore):
    exps = rows(3)
    store.add(exps)
    version = store.version
    token = store.change_token
    assert store.update_values(exps[0].id, change_towards(1.0)) == (1.0, 1, 1.0)
    assert store.version == version and store.change_token != token
    assert store.get(exps[0].id).q == 1.0 and store.get(exps[0].id).n == 1
    assert store.get_many([exps[0].id])[0].n == 1
    assert {e.id: e.n for e in store.all()}[exps[0].id] == 1
    assert store.search(unit(0), limit=1)[0].experience.n == 1
    table = memory_table(store)
    assert dict(zip(table.column("id").to_pylist(), table.column("n").to_pylist()))[exps[0].id] == 1
    assert store.stats()["rated"] == 1


def test_a_table_write_folds_the_log_first(store: ExperienceStore):
    exps = rows(2)
    store.add(exps)
    store.modify(exps[0].id, change_towards(-1.0))
    store.add(rows(3)[2:])
    assert store.ratings.count() == 0
    assert store.get(exps[0].id).q == -1.0  # now in the table itself
    fresh = ExperienceStore(store.path)
    assert fresh.get(exps[0].id).q == -1.0 and fresh.get(exps[0].id).task == "question 0"


def test_undo_takes_back_folded_ratings_one_at_a_time(store: ExperienceStore):
    exps = rows(2)
    store.add(exps)
    for target in (1.0, -1.0, 1.0):
        store.modify(exps[0].id, change_towards(target))
    store.compact()
    assert store.ratings.count() == 0 and store.get(exps[0].id).n == 3
    for n in (2, 1, 0):
        undo(store)
        assert store.get(exps[0].id).n == n
    undo(store)
    assert store.count() == 0


def test_a_crash_between_fold_and_log_cleanup_changes_nothing(store: ExperienceStore, monkeypatch):
    exps = rows(2)
    store.add(exps)
    store.modify(exps[1].id, change_towards(1.0))
    monkeypatch.setattr(store.ratings, "folded", lambda *a: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(MemoryStoreError, match="killed"):
        with store.locked():
            pass
    monkeypatch.undo()
    assert store.ratings.count() == 1 and store.get(exps[1].id).n == 1  # the table has it, the log too
    fold(store)
    assert store.ratings.count() == 0 and store.get(exps[1].id).n == 1  # folding again is idempotent
    store.modify(exps[1].id, change_towards(1.0))
    assert store.get(exps[1].id).n == 2


def test_a_missing_row_is_a_key_error_and_logs_nothing(store: ExperienceStore):
    store.add(rows(1))
    with pytest.raises(KeyError):
        store.update_values("no-such-id", change_towards(1.0))
    assert store.ratings.count() == 0


def test_compaction_leaves_big_fragments_alone():
    assert target_rows(0) == 1024 and target_rows(100_000) == 12_500 and target_rows(10**9) == 1_048_576


RATER = textwrap.dedent("""
    import sys
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.rlem.learning import change_towards
    store = ExperienceStore(sys.argv[1])
    store.optimize_every = 7  # folds and compactions happen while it is killed, too
    ids = sys.argv[2:]
    i = 0
    while True:
        store.update_values(ids[i % len(ids)], change_towards(1.0))
        print(ids[i % len(ids)], flush=True)  # acknowledged
        i += 1
""")


def test_every_acknowledged_rating_survives_a_kill(memory_dir: Path):
    store = ExperienceStore(memory_dir)
    exps = rows(4)
    store.add(exps)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", RATER, str(memory_dir), *[e.id for e in exps]],
                            stdout=subprocess.PIPE, text=True, env=env)
    acknowledged: list[str] = []
    deadline = time.monotonic() + 120
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acknowledged.append(line.strip())
    proc.send_signal(signal.SIGKILL)
    acknowledged += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
    proc.wait()
    assert len(acknowledged) >= 40
    fresh = ExperienceStore(memory_dir)
    for e in exps:
        n = fresh.get(e.id).n
        # every acknowledged rating is there; at most one more (done, killed before it was printed)
        assert acknowledged.count(e.id) <= n <= acknowledged.count(e.id) + 1
    fresh.modify(exps[0].id, change_towards(1.0))  # still writable after the kill


def test_search_from_ram_sees_ratings_inserts_and_folds(store: ExperienceStore):
    exps = rows(5)
    store.add(exps)
    assert store.search(unit(2), limit=1)[0].experience.id == exps[2].id  # builds the in-RAM index and rows
    store.modify(exps[2].id, change_towards(1.0))
    assert store.search(unit(2), limit=1)[0].experience.n == 1  # logged rating laid over the cached row
    new = Experience(task="new", action="x", vector=unit(7))
    store.add([new])  # folds the log first, then appends to the index and the cached rows
    assert store.search(unit(7), limit=1)[0].experience.id == new.id
    hit = store.search(unit(2), limit=1)[0].experience
    assert (hit.n, hit.q, hit.task) == (1, 1.0, "question 2")
    other = ExperienceStore(store.path)  # another process's insert: the index is rebuilt
    other.add([Experience(task="other", action="y", vector=unit(9))])
    assert store.search(unit(9), limit=1)[0].experience.task == "other"


def test_a_rating_after_a_search_reads_the_values_from_ram_and_stays_right(store: ExperienceStore, monkeypatch):
    exps = rows(4)
    store.add(exps)
    store.search(unit(1), limit=1)  # the in-RAM index and its rows
    reads = []
    real_search = store.table.search
    monkeypatch.setattr(store.table, "search", lambda *a, **k: reads.append(a) or real_search(*a, **k))
    assert store.update_values(exps[1].id, change_towards(1.0)) == (1.0, 1, 1.0)  # values from RAM
    assert store.update_values(exps[1].id, change_towards(-1.0)) == (0.0, 2, 0.0)  # from the log
    assert reads == []  # neither rating read the table
    new = Experience(task="new", action="x", vector=unit(8))
    store.add([new])  # folds the log (exps[1]'s RAM row is stale now) and appends `new` to the index
    assert store.update_values(new.id, change_towards(1.0)) == (1.0, 1, 1.0)  # appended row, from RAM
    assert store.update_values(exps[1].id, change_towards(1.0))[1] == 3  # stale in RAM: read from the table
    other = ExperienceStore(store.path)  # another process folds a rating: this index is out of date
    other.update_values(exps[2].id, change_towards(1.0))
    other.add([Experience(task="other", action="y", vector=unit(9))])
    assert store.update_values(exps[2].id, change_towards(1.0))[:2] == (1.0, 2)
