"""Headless shop commands: ``eval``, ``train``, ``task`` (random policy without a model; a small
real-model smoke test of train → eval)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tui_agent.cli.main import app

runner = CliRunner()


def test_eval_random_writes_per_task_results(tmp_path):
    out = tmp_path / "random.json"
    result = runner.invoke(app, ["eval", "--env", "shop", "--tasks", "3", "--policy", "random", "--seed", "1",
                                 "--output", str(out), "--memory-dir", str(tmp_path / "mem")])
    assert result.exit_code == 0, result.output
    assert "random: 3 test goals, average score" in result.output and "success rate" in result.output
    data = json.loads(out.read_text())
    assert data["policy"] == "random" and data["episodes"] == 3 and len(data["results"]) == 3
    first = data["results"][0]
    assert first["split"] == "test" and first["goal_index"] == 0 and 0.0 <= first["reward"] <= 1.0
    assert first["steps"][0]["action"].startswith("search[") and "observation" not in first["steps"][0]


@pytest.mark.parametrize("args, message", [
    (["eval", "--env", "web"], "unknown env 'web'"),
    (["eval", "--policy", "greedy"], "unknown policy 'greedy'"),
    (["train", "--env", "alfworld"], "unknown env 'alfworld'"),
])
def test_bad_options_give_one_line_errors(args, message, tmp_path):
    result = runner.invoke(app, [*args, "--memory-dir", str(tmp_path)])
    assert result.exit_code == 2 and message in result.output


def test_commands_are_registered():
    result = runner.invoke(app, ["--help"])
    for name in ("train", "eval", "task", "serve-shop"):
        assert name in result.output


@pytest.mark.model
def test_train_then_eval_with_the_bundled_model(tmp_path):
    mem = str(tmp_path / "mem")
    result = runner.invoke(app, ["train", "--env", "shop", "--train-set", "random", "--tasks", "1", "--epochs", "1", "--seed", "3",
                                 "--memory-dir", mem, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["epochs"][0]["episodes"] == 1
    from tui_agent.memory.store import ExperienceStore

    rows = ExperienceStore(mem).all("shop")
    learned = [e for e in rows if e.source == "model"]
    assert len(rows) > 7 and learned and all(e.n >= 1 and e.episode_id for e in learned)
    out = tmp_path / "rlem.json"
    result = runner.invoke(app, ["eval", "--env", "shop", "--tasks", "2", "--policy", "rlem",
                                 "--memory-dir", mem, "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["episodes"] == 2 and all(0.0 <= r["reward"] <= 1.0 for r in data["results"])
    assert ExperienceStore(mem).count("shop") == len(rows)  # memory frozen during evaluation
    result = runner.invoke(app, ["task", "--memory-dir", mem, "--no-learn"])
    assert result.exit_code == 0 and "1. [search] search[" in result.output and "reward" in result.output


def test_unknown_training_set_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["train", "--env", "shop", "--train-set", "S7", "--memory-dir", str(tmp_path)])
    assert result.exit_code == 2 and "unknown training set 'S7'" in result.output
