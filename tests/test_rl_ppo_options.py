"""Issue 22's PPO options on tiny configurations (a few iterations): RLlib env runners, the question
embedding in the observation, the held-out test curve, the time-out reward and the warm start from the
LLM planner as a CLI option. Marked ``model``: Ray RLlib imports torch (and one test runs the bundled model)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

pytest.importorskip("ray", reason="Ray RLlib is the 'rl' extra")

from tui_agent.cli import app
from tui_agent.rl.features import observation_size
from tui_agent.rl.ppo import PPOSettings, train

pytestmark = pytest.mark.model


def test_env_runner_samples_and_the_test_curve_is_on_held_out_questions():
    settings = PPOSettings(episodes=6, seed=0, num_env_runners=1, test_every=3, test_questions=3,
                           env_config={"question_features": "embedding", "timeout_reward": -1.0})
    report, policy = train(settings)
    tested = [c for c in report["curve"] if "test" in c]
    assert tested and tested[-1] is report["curve"][-1]  # the last iteration is always tested
    assert all(c["test"]["split"] == "test" and c["test"]["episodes"] == 3 for c in tested)
    assert all(-1.1 <= c["test"]["return_mean"] <= 1.0 for c in tested)
    assert report["settings"]["num_env_runners"] == 1 and report["episodes"] >= 6
    assert policy.module is not None and len(policy.logits([0.0] * (observation_size() + 384))) == 7
    with pytest.raises(ValueError):
        PPOSettings(num_env_runners=-1)


def test_cli_warm_start_records_the_planner_then_imitates_it(tmp_path):
    """A missing --warm-start file is recorded (2 steps of the bundled model's llm policy), then cloned; a file of
    other observations (no question embedding) is refused before training."""
    demos, out = tmp_path / "demos.json", tmp_path / "report.json"
    args = ["train", "--env", "docqa", "--algo", "ppo", "--episodes", "3", "--test-tasks", "2",
            "--timeout-reward", "failure", "--env-runners", "0", "--warm-start", str(demos),
            "--warm-start-steps", "2", "--output", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "recording 2 steps of the llm planner" in result.output
    report = json.loads(out.read_text())
    assert report["warm_start"]["samples"] == len(json.loads(demos.read_text())["actions"]) >= 2
    assert report["test"]["episodes"] == 2 and report["settings"]["env_config"]["timeout_reward"] == -1.0
    result = CliRunner().invoke(app, [*args[:-2], "--question-features", "embedding"])
    assert result.exit_code == 1 and "same question features" in result.output, result.output
