"""``tui-agent stats`` (runs table, curves, Q histogram; text and JSON) and the run that ``train --env shop``
records."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tui_agent.cli.main import app
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.runs import RunLog
from vectors import unit

runner = CliRunner()


def _runs() -> tuple[str, str]:
    with RunLog() as log:
        old = log.start("shop", "rlem", {"epochs": 1}, policy="random")
        old.episode(return_=0.0, success=False, steps=15)
        old.finish()
        new = log.start("docqa", "ppo\x1b[2J", {"iterations": 3})
        for i in range(12):
            new.episode(return_=-1.0 + i * 0.2, reward=1.0 if i > 6 else -1.0, success=i > 6, steps=3)
        new.finish()
        return old.id, new.id


def _memory(memory_dir) -> None:
    store = ExperienceStore(memory_dir)
    store.add([Experience(task=f"t{i}", action=f"a{i}", kind="chat" if i % 2 else "shop", q=(i % 5) / 5 - 0.2,
                          n=1, vector=unit(i)) for i in range(20)])


def test_stats_without_runs_or_memory_says_so(tmp_path):
    result = runner.invoke(app, ["stats", "--memory-dir", str(tmp_path / "mem")])
    assert result.exit_code == 0, result.output
    assert "no training runs" in result.output and "tui-agent train --env shop" in result.output
    assert "no experiences" in result.output
    assert not (tmp_path / "mem").exists()  # reading stats creates no memory


def test_stats_prints_the_runs_table_and_the_figures(tmp_path):
    old, new = _runs()
    _memory(tmp_path / "mem")
    result = runner.invoke(app, ["stats", "--memory-dir", str(tmp_path / "mem")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert old in out and new in out and "* " + new in out  # the newest run is the one drawn
    assert "\x1b[2J" not in out and "␛[2J" in out  # the algo's ESC is shown, not acted on
    assert "Return per episode" in out and "Success rate" in out and "Q-values in memory" in out
    assert "chat 10, shop 10" in out
    assert "episode" in out and "12 episodes" in out


def test_stats_for_one_run_and_as_json(tmp_path):
    old, new = _runs()
    _memory(tmp_path / "mem")
    result = runner.invoke(app, ["stats", "--run", old[:-2], "--json", "--memory-dir", str(tmp_path / "mem")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["id"] for r in data["runs"]] == [new, old]
    assert data["run"]["id"] == old and data["run"]["policy"] == "random"
    assert data["curve"]["return"] == [0.0] and data["curve"]["episode"] == [1]
    assert data["q_histogram"]["total"] == {"chat": 10, "shop": 10}
    assert sum(sum(c) for c in data["q_histogram"]["counts"].values()) == 20

    newest = json.loads(runner.invoke(app, ["stats", "--json", "--memory-dir", str(tmp_path / "mem")]).output)
    assert newest["run"]["id"] == new and newest["run"]["algo"] == "ppo\x1b[2J"  # JSON keeps the data
    assert len(newest["curve"]["return"]) == 12 and newest["curve"]["success_cum"][-1] == 5 / 12


def test_unknown_run_and_a_bad_log_are_one_line_errors(agent_home):
    _runs()
    result = runner.invoke(app, ["stats", "--run", "nope"])
    assert result.exit_code == 1 and "no run with id 'nope'" in result.output
    log = agent_home / "data" / "runs.sqlite3"
    for suffix in ("-wal", "-shm"):
        (log.parent / (log.name + suffix)).unlink(missing_ok=True)
    log.write_bytes(b"garbage" * 100)
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 1 and "not a database" in result.output and "Traceback" not in result.output
    assert log.read_bytes() == b"garbage" * 100


def test_shop_training_records_a_run(tmp_path):
    result = runner.invoke(app, ["train", "--env", "shop", "--policy", "random", "--train-set", "random", "--tasks",
                                 "2", "--epochs", "1", "--seed", "1", "--memory-dir", str(tmp_path / "mem")])
    assert result.exit_code == 0, result.output
    run = RunLog(create=False).latest()
    assert (run.env, run.algo, run.policy, run.episodes) == ("shop", "rlem", "random", 2)
    assert run.ended_at is not None and run.settings["tasks"] == 2 and run.settings["seed"] == 1
    assert run.settings["memory"] == str(tmp_path / "mem")
    episodes = RunLog(create=False).episodes(run.id)
    assert [e.index for e in episodes] == [0, 1]
    for e in episodes:
        assert 1 <= e.steps <= 15 and 0.0 <= e.return_ <= 1.0 and e.seconds > 0
        assert e.info["split"] == "train" and isinstance(e.info["goal_index"], int)
