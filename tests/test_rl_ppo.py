"""PPO on Ray RLlib learns DocumentQA-v0 (tui_agent/rl/ppo.py) and the CLI trains, saves and tests it.

Marked ``model``: Ray RLlib imports torch. Real training on a small budget with a fixed seed: the mean
return of the first iterations (a near-random policy answers often and is mostly wrong, about −0.6)
must rise by at least 0.2 by the last iterations, and the greedy policy must beat a random policy on
test questions. (What it learns with the extractive answerer is mostly *not* to answer wrongly: a
time-out costs −0.08, a wrong answer −1.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tui_agent.cli import app
from tui_agent.rl.features import DocQAFeatureEnv
from tui_agent.rl.ppo import PPOSettings, evaluate, load_policy, steps_per_iteration, train

pytestmark = pytest.mark.model

TEST_QUESTIONS = 60


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("ppo")
    report, policy = train(PPOSettings(episodes=200, seed=0), out / "run")
    return report, policy, out / "run"


def random_policy_return(n: int) -> float:
    rng = np.random.default_rng(0)
    env = DocQAFeatureEnv({"split": "test"})
    return evaluate(lambda obs: int(rng.integers(env.action_space.n)), "test", n)["return_mean"]


def test_return_rises_over_iterations(trained):
    report, _, _ = trained
    curve = report["curve"]
    returns = [c["return_mean"] for c in curve]
    print("PPO mean return per iteration:", [round(r, 3) for r in returns])
    assert report["episodes"] >= 200 and len(curve) >= 8
    assert sum(c["episodes"] for c in curve) == report["episodes"] == curve[-1]["episodes_total"]
    first, last = np.mean(returns[:2]), np.mean(returns[-3:])
    assert last >= first + 0.2, (first, last)


def test_greedy_policy_beats_random_on_test_questions(trained):
    _, policy, _ = trained
    greedy = evaluate(policy, "test", TEST_QUESTIONS)
    baseline = random_policy_return(TEST_QUESTIONS)
    print("greedy PPO", greedy["return_mean"], greedy["success_rate"], "random", baseline)
    assert greedy["episodes"] == TEST_QUESTIONS and len(greedy["per_question"]) == TEST_QUESTIONS
    assert greedy["return_mean"] >= baseline + 0.2


def test_checkpoint_reloads_the_same_policy(trained):
    report, policy, run = trained
    assert report["checkpoint"] == str(run / "checkpoint")
    assert json.loads((run / "curve.json").read_text())["curve"] == report["curve"]
    reloaded = load_policy(run / "checkpoint")
    env = DocQAFeatureEnv()
    sample = policy.sampler(seed=0)
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        assert reloaded(obs) == policy(obs) == int(np.argmax(policy.logits(obs)))
        np.testing.assert_allclose(reloaded.logits(obs), policy.logits(obs), atol=1e-5)
        assert env.action_space.contains(np.int64(sample(obs)))
    with pytest.raises(FileNotFoundError):
        load_policy(run / "nothing")


def test_batch_size_follows_the_budget():
    assert steps_per_iteration(10) == 8 and steps_per_iteration(100) == 30 and steps_per_iteration(10_000) == 200
    with pytest.raises(ValueError):
        PPOSettings(episodes=0)
    with pytest.raises(ValueError):
        PPOSettings(answerer="oracle")


def test_cli_trains_saves_tests_and_records_the_run(tmp_path):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["train", "--env", "docqa", "--algo", "ppo", "--episodes", "12",
                                      "--test-tasks", "5", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "iteration   1:" in result.output and "episodes so far" in result.output
    assert "5 test questions" in result.output
    report = json.loads(out.read_text())
    assert report["episodes"] >= 12 and report["test"]["episodes"] == 5
    run_dir = Path(report["curve_file"]).parent
    assert (run_dir / "checkpoint").is_dir() and len(json.loads((run_dir / "eval.json").read_text())["per_question"]) == 5
    stats = CliRunner().invoke(app, ["stats", "--json"])
    assert stats.exit_code == 0, stats.output
    shown = json.loads(stats.stdout)
    assert shown["run"]["env"] == "docqa" and shown["run"]["algo"] == "ppo"
    assert len(shown["curve"]["return"]) == report["episodes"]


def test_cli_rejects_ppo_on_the_shop():
    result = CliRunner().invoke(app, ["train", "--env", "shop", "--algo", "ppo"])
    assert result.exit_code == 2 and "docqa only" in result.output


def test_warm_start_imitates_the_planner(tmp_path):
    """Behaviour cloning on a planner that reads result 1 and answers (the llm policy with the constant
    scorer takes the first candidate): the cloned policy does the same before any PPO update."""
    from tests.vectors import HashEmbedder
    from tui_agent.docqa.agent import DocQAAgent, DocQAConfig
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.rl.imitation import load_demonstrations, planner_demonstrations, save_demonstrations

    agent = DocQAAgent(ExperienceStore(tmp_path / "memory"), HashEmbedder(), None, DocQAConfig(scorer="constant"))
    demos = planner_demonstrations(agent, 40, seed=0)
    env = DocQAFeatureEnv()
    assert len(demos["actions"]) >= 40 and set(demos["actions"]) == {0, env.answer_action}
    assert demos["episodes"] == len(demos["returns"]) == len(demos["actions"]) // 2
    save_demonstrations(demos, tmp_path / "demos.json")
    assert load_demonstrations(tmp_path / "demos.json")["actions"] == demos["actions"]

    report, policy = train(PPOSettings(episodes=4, seed=0, warm_start=str(tmp_path / "demos.json")))
    assert report["warm_start"]["accuracy"] == 1.0 and report["warm_start"]["loss_end"] < 0.1
    assert report["curve"][0]["steps"] and max(report["curve"][0]["steps"]) <= 3  # read, answer (rarely more)
    obs, _ = env.reset(seed=1)
    assert policy(obs) == 0
    obs, *_ = env.step(0)
    assert policy(obs) == env.answer_action
