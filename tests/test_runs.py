"""The training-run log (tui_agent/runs): write and read back, two writing processes, malformed files, curves."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tui_agent.runs import RunLog, RunLogError, default_path
from tui_agent.runs.curves import default_window, learning_curve, moving_average, q_histogram
from tui_agent.runs.figures import nice_ticks, tick_label


def test_runs_and_episodes_are_written_and_read_back(tmp_path):
    path = tmp_path / "runs.sqlite3"
    with RunLog(path) as log:
        first = log.start("shop", "rlem", {"epochs": 3, "memory": tmp_path}, policy="episodic-control")
        rows = [first.episode(return_=g, reward=g, success=g == 1.0, steps=5 + i, seconds=0.5,
                              info={"epoch": 0, "goal_index": i})
                for i, g in enumerate((0.25, 1.0, 0.5))]
        first.finish()
        second = log.start("docqa", "ppo", {"iterations": 2})
        second.episode(return_=-1.02, reward=-1.0, success=False, steps=2)
    assert [r.index for r in rows] == [0, 1, 2]

    with RunLog(path) as log:  # a new connection: what was acknowledged is on disk
        runs = log.runs()
        assert [r.id for r in runs] == [second.id, first.id]  # newest first
        shop = log.get(first.id)
        assert (shop.env, shop.algo, shop.policy, shop.label) == ("shop", "rlem", "episodic-control", "rlem/episodic-control")
        assert shop.settings == {"epochs": 3, "memory": str(tmp_path)}  # non-JSON values written with str
        assert shop.episodes == 3 and shop.successes == 1 and math.isclose(shop.success_rate, 1 / 3)
        assert math.isclose(shop.mean_return, (0.25 + 1.0 + 0.5) / 3)
        assert shop.ended_at is not None and shop.ended_at >= shop.started_at
        assert log.get(second.id).ended_at is None  # never finished: running or cut off
        episodes = log.episodes(first.id)
        assert [(e.index, e.return_, e.reward, e.success, e.steps, e.seconds) for e in episodes] == [
            (0, 0.25, 0.25, False, 5, 0.5), (1, 1.0, 1.0, True, 6, 0.5), (2, 0.5, 0.5, False, 7, 0.5)]
        assert episodes[1].info == {"epoch": 0, "goal_index": 1}
        assert log.episodes(second.id)[0].to_json()["return"] == -1.02
        assert log.latest().id == second.id and log.latest("shop").id == first.id
        assert log.get(first.id[:-3]).id == first.id  # an id prefix is enough
        with pytest.raises(KeyError, match="no run with id"):
            log.get("nope")


def test_the_default_file_is_in_the_data_dir_and_readers_create_nothing(agent_home):
    assert default_path() == agent_home / "data" / "runs.sqlite3"
    reader = RunLog(create=False)
    assert reader.runs() == [] and reader.latest() is None and reader.episodes("x") == []
    assert not default_path().exists()
    with pytest.raises(RunLogError, match="read-only"):
        reader.start("shop", "rlem")
    with RunLog() as log, log.start("shop", "rlem") as run:
        run.episode(return_=1.0, success=True, steps=3)
    assert RunLog(create=False).latest().episodes == 1


def test_bad_values_are_refused_and_nothing_is_written(tmp_path):
    with RunLog(tmp_path / "r.sqlite3") as log:
        run = log.start("shop", "rlem")
        for bad in ({"return_": math.nan}, {"return_": 1.0, "reward": math.inf}, {"return_": 1.0, "steps": -1}):
            with pytest.raises(ValueError):
                run.episode(**{"success": False, "steps": 1, **bad})
        with pytest.raises(ValueError):
            log.start("", "rlem")
        assert log.episodes(run.id) == []
        assert run.episode(return_=0.0, success=False, steps=1).index == 0
        assert run.episode(return_=0.0, success=False, steps=1, seconds=-2.0).seconds == 0.0  # clock skew: 0


WRITER = """
import sys
from tui_agent.runs import RunLog
path, shared_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
log = RunLog(path)
own = log.start("shop", "rlem", {"writer": sys.argv[4]})
shared = RunLog(path).resume(shared_id)  # both processes also write to one run
for i in range(count):
    own.episode(return_=float(i), success=i % 2 == 0, steps=i)
    shared.episode(return_=1.0, success=True, steps=1, info={"writer": sys.argv[4], "i": i})
print(own.id)
"""


def test_two_processes_write_at_once_and_lose_nothing(tmp_path):
    path = tmp_path / "runs.sqlite3"
    shared = RunLog(path).start("shop", "rlem", {"shared": True})
    count = 60
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), shared.id, str(count), name],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    own_ids = [o[0].strip() for o in outs]
    with RunLog(path) as log:
        for run_id in own_ids:
            episodes = log.episodes(run_id)
            assert [e.index for e in episodes] == list(range(count))
            assert [e.return_ for e in episodes] == [float(i) for i in range(count)]
        both = log.episodes(shared.id)
        assert [e.index for e in both] == list(range(2 * count))  # indices given out once each, no gap
        for name in ("a", "b"):
            assert sorted(e.info["i"] for e in both if e.info["writer"] == name) == list(range(count))


def test_a_file_that_is_not_a_run_log_is_reported_and_left_untouched(tmp_path):
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database\n" * 200)
    before = garbage.read_bytes()
    with pytest.raises(RunLogError) as caught:
        RunLog(garbage)
    message = str(caught.value)
    assert "\n" not in message and str(garbage) in message and "not a database" in message
    assert garbage.read_bytes() == before
    with pytest.raises(RunLogError):
        RunLog(garbage, create=False)
    assert garbage.read_bytes() == before

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (x TEXT)")
        db.execute("INSERT INTO notes VALUES ('keep me')")
    db.close()
    before = other.read_bytes()
    with pytest.raises(RunLogError, match="another program's database"):
        RunLog(other)
    assert other.read_bytes() == before


def test_a_newer_run_log_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "runs.sqlite3"
    with RunLog(path) as log, log.start("shop", "rlem") as run:
        run.episode(return_=1.0, success=True, steps=1)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    before = path.read_bytes()
    with pytest.raises(RunLogError, match="schema version 99"):
        RunLog(path)
    assert path.read_bytes() == before


def test_a_truncated_run_log_is_reported_and_the_rest_is_left(tmp_path):
    path = tmp_path / "runs.sqlite3"
    with RunLog(path) as log, log.start("shop", "rlem") as run:
        for i in range(300):
            run.episode(return_=float(i), success=True, steps=1, info={"pad": "x" * 200})
    with sqlite3.connect(path) as db:  # fold the WAL in, so the file holds every page
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    half = path.read_bytes()
    with pytest.raises(RunLogError) as caught:
        with RunLog(path) as log:
            for r in log.runs():
                log.episodes(r.id)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert path.read_bytes() == half


def test_moving_average_and_learning_curve():
    assert moving_average([1, 2, 3, 4], 2) == [1.0, 1.5, 2.5, 3.5]
    assert moving_average([1.0], 5) == [1.0]
    with pytest.raises(ValueError):
        moving_average([1.0], 0)
    assert [default_window(n) for n in (0, 5, 30, 100, 5000)] == [1, 1, 3, 10, 100]

    class Row:
        def __init__(self, index, g, ok):
            self.index, self.return_, self.success = index, g, ok

    curve = learning_curve([Row(0, 0.0, False), Row(1, 1.0, True), Row(2, 1.0, True), Row(3, 0.5, False)], window=2)
    assert curve["episode"] == [1, 2, 3, 4] and curve["return"] == [0.0, 1.0, 1.0, 0.5]
    assert curve["return_avg"] == [0.0, 0.5, 1.0, 0.75]
    assert curve["success_rate"] == [0.0, 0.5, 1.0, 0.5]
    assert curve["success_cum"] == [0.0, 0.5, 2 / 3, 0.5]


def test_q_histogram_shares_bins_across_kinds():
    hist = q_histogram({"chat": [-1.0, 1.0, 0.05, math.nan], "shop": [0.0, 0.0, 0.99], "note": []}, bins=4)
    assert hist["edges"] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert hist["counts"] == {"chat": [1, 0, 1, 1], "shop": [0, 0, 2, 1]}  # note has no rows: left out
    assert hist["total"] == {"chat": 3, "shop": 3}
    wide = q_histogram({"shop": [0.0, 2.5]}, bins=5)
    assert wide["edges"][0] == -1.0 and wide["edges"][-1] == 2.5 and sum(wide["counts"]["shop"]) == 2
    assert q_histogram({}) == {"edges": q_histogram({})["edges"], "counts": {}, "total": {}}


def test_ticks_are_round_numbers():
    assert nice_ticks(-1.0, 1.0) == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert nice_ticks(1, 22, integer=True) == [5.0, 10.0, 15.0, 20.0]
    assert nice_ticks(1, 3, integer=True) == [1.0, 2.0, 3.0]
    assert [tick_label(t) for t in (0.0, -0.5, 120.0, 25000.0)] == ["0", "-0.5", "120", "25k"]


def test_the_log_imports_no_ui_or_plotting_library():
    code = ("import sys, tui_agent.runs, tui_agent.runs.curves, tui_agent.runs.figures; "
            "print(sorted(m for m in ('textual', 'plotext', 'lancedb', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]", out.stderr[-2000:]


CRASHER = """
import sys
from tui_agent.runs import RunLog
run = RunLog(sys.argv[1]).start("shop", "rlem")
print(run.id, flush=True)
i = 0
while True:
    run.episode(return_=float(i), success=True, steps=1, info={"pad": "x" * 500})
    print(i, flush=True)  # acknowledged: episode() has returned
    i += 1
"""


def test_every_acknowledged_episode_survives_a_killed_writer(tmp_path):
    path = tmp_path / "runs.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", CRASHER, str(path)], stdout=subprocess.PIPE, text=True)
    run_id = proc.stdout.readline().strip()
    acknowledged = []
    while len(acknowledged) < 150:
        acknowledged.append(int(proc.stdout.readline()))
    proc.kill()  # SIGKILL: no clean-up, no checkpoint
    proc.wait(timeout=30)
    with RunLog(path) as log:
        stored = [e.index for e in log.episodes(run_id)]
        assert log.get(run_id).ended_at is None
    assert stored[: len(acknowledged)] == acknowledged and stored == list(range(len(stored)))
