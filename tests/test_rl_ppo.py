"""PPO on Ray RLlib learns DocumentQA-v0 (tui_agent/rl/ppo.py) and the CLI trains, saves and tests it.

Marked ``model``: Ray RLlib imports torch. Real training with a fixed seed on the bundled corpus and
the train questions that the read-result-1-then-answer plan solves (61 of 196, picked in the test by
playing that plan): a policy can learn to score +0.99 there, so the test demands a large rise — the
mean return of the last 40 training episodes at least 0.5 above that of the first 40 — and a greedy
policy that solves most of them. (On all 196 questions, where the extractive answerer is right for
few of them, PPO learns mostly to time out rather than answer wrongly: −0.08 instead of about
−0.3 — see docs/docqa_sample_efficiency.md.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("ray", reason="Ray RLlib is the 'rl' extra (README: the PPO baseline's own install command)")

from tui_agent.cli import app
from tui_agent.rl.features import DocQAFeatureEnv
from tui_agent.rl.ppo import PPOSettings, evaluate, load_policy, steps_per_iteration, train

pytestmark = pytest.mark.model

EPISODES = 150
WINDOW = 40


def solvable_questions() -> list[dict]:
    """Train questions that read[1] then answer solves (extractive answer from result 1 is correct)."""
    env = DocQAFeatureEnv()
    questions = env.env.questions("train")
    out = []
    for i, q in enumerate(questions):
        env.reset(options={"split": "train", "question_index": i})
        env.step(0)
        if env.step(env.answer_action)[1] > 0:
            out.append(q)
    return out


@pytest.fixture(scope="module")
def solvable():
    qs = solvable_questions()
    assert 40 <= len(qs) <= 100
    return {"questions": {"train": qs, "test": qs}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, solvable):
    out = tmp_path_factory.mktemp("ppo")
    report, policy = train(PPOSettings(episodes=EPISODES, seed=0, env_config=solvable), out / "run")
    return report, policy, out / "run"


def random_policy(n_actions: int):
    rng = np.random.default_rng(0)
    return lambda obs: int(rng.integers(n_actions))


def test_return_rises_over_iterations(trained):
    report, _, _ = trained
    curve = report["curve"]
    print("PPO mean return per iteration:", [round(c["return_mean"], 3) for c in curve])
    returns = [r for c in curve for r in c["returns"]]
    assert report["episodes"] >= EPISODES and len(curve) >= 8 and len(returns) == report["episodes"]
    assert sum(c["episodes"] for c in curve) == report["episodes"] == curve[-1]["episodes_total"]
    first, last = float(np.mean(returns[:WINDOW])), float(np.mean(returns[-WINDOW:]))
    print(f"first {WINDOW} episodes {first:+.3f}, last {WINDOW} {last:+.3f}")
    assert last >= first + 0.5, (first, last)


def test_greedy_policy_solves_most_of_what_it_learned_and_beats_random(trained, solvable):
    """Greedy success on the solvable questions is seed-sensitive: measured with 150 episodes, seeds 0–4,
    0.66 / 1.0 / 0.0 / 0.74 / 1.0 on the corpus as chunked now (2,633 notes), 1.0 / 0.84 / 1.0 / 1.0 / 0.89
    on the earlier chunking (2,613 notes; the 16 KB reading windows of issue 24 re-split ~30 notes of
    stdtypes), so seed 0 is held to most of them (≥ 0.6) and well above random, not to all."""
    _, policy, _ = trained
    greedy = evaluate(policy, "train", env_config=solvable)
    baseline = evaluate(random_policy(DocQAFeatureEnv().action_space.n), "train", env_config=solvable)
    print("greedy PPO", greedy["return_mean"], greedy["success_rate"], "random", baseline["return_mean"])
    assert greedy["success_rate"] >= 0.6 and greedy["return_mean"] >= baseline["return_mean"] + 0.5
    test = evaluate(policy, "test", 20)  # the bundled test questions: runs, in range
    assert test["episodes"] == 20 and -1.1 <= test["return_mean"] <= 1.0


def test_training_is_reproducible_with_a_seed_and_draws_many_questions():
    """Same seed, same episodes; and not the same question every episode (RLlib's own seed would re-seed
    the env at every sample() call: ppo._seed_everything)."""
    a, _ = train(PPOSettings(episodes=30, seed=3))
    b, _ = train(PPOSettings(episodes=30, seed=3))
    assert [c["returns"] for c in a["curve"]] == [c["returns"] for c in b["curve"]]
    questions = [q for c in a["curve"] for q in c["questions"]]
    assert a["curve"][0]["questions"] == b["curve"][0]["questions"]
    assert len(questions) >= 30 and len(set(questions)) >= 20 and min(questions) >= 0


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
    assert (run_dir / "checkpoint").is_dir()
    assert len(json.loads((run_dir / "eval.json").read_text())["per_question"]) == 5
    stats = CliRunner().invoke(app, ["stats", "--json"])
    assert stats.exit_code == 0, stats.output
    shown = json.loads(stats.stdout)
    assert shown["run"]["env"] == "docqa" and shown["run"]["algo"] == "ppo"
    assert len(shown["curve"]["return"]) == report["episodes"]


def test_cli_rejects_ppo_on_the_shop():
    result = CliRunner().invoke(app, ["train", "--env", "shop", "--algo", "ppo"])
    assert result.exit_code == 2 and "docqa only" in result.output


def test_warm_start_imitates_the_planner(tmp_path):
    """Behaviour cloning on the DocQA agent's llm policy with a constant scorer standing in for the model
    (it takes the first candidate; deterministic): before any PPO update the policy acts as the planner did."""
    from tests.vectors import HashEmbedder
    from tui_agent.docqa.agent import DocQAAgent, DocQAConfig
    from tui_agent.llm.scoring import constant_scorer
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.rl.imitation import load_demonstrations, planner_demonstrations, save_demonstrations

    agent = DocQAAgent(ExperienceStore(tmp_path / "memory"), HashEmbedder(), None, DocQAConfig(scorer="constant"),
                       scorer=constant_scorer)
    demos = planner_demonstrations(agent, 40, seed=0)
    n_actions = DocQAFeatureEnv().action_space.n
    assert len(demos["actions"]) >= 40 and set(demos["actions"]) <= set(range(n_actions))
    assert demos["episodes"] == len(demos["returns"]) == len(demos["successes"]) >= 1
    save_demonstrations(demos, tmp_path / "demos.json")
    assert load_demonstrations(tmp_path / "demos.json")["actions"] == demos["actions"]

    report, policy = train(PPOSettings(episodes=4, seed=0, warm_start=str(tmp_path / "demos.json")))
    warm = report["warm_start"]
    assert warm["samples"] == len(demos["actions"]) and warm["loss_end"] < warm["loss_start"]
    assert warm["accuracy"] >= 0.9
    # the PolicyNet after training is close to the cloned one (4 episodes of PPO barely move it)
    agree = np.mean([policy(np.asarray(o, np.float32)) == a for o, a in zip(demos["obs"], demos["actions"],
                                                                             strict=True)])
    assert agree >= 0.8
