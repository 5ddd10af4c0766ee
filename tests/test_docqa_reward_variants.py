"""Issue 22's DocumentQA options without Ray: the time-out reward variant (env, feature env, memory policy,
CLI) and the question embedding in PPO's observation (like for like with the memory policy)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.test_rl_features import QUESTION, hand_env
from tests.vectors import HashEmbedder
from tui_agent.cli.main import app
from tui_agent.docqa import policy as pol
from tui_agent.envs.docqa.env import TIMEOUT_REWARDS, DocQAEnv, parse_timeout_reward
from tui_agent.rl.features import DocQAFeatureEnv, observation_size


def test_timeout_reward_names_numbers_and_errors():
    assert TIMEOUT_REWARDS == {"abstain": 0.0, "failure": -1.0}
    assert parse_timeout_reward("failure") == -1.0 and parse_timeout_reward(" Abstain ") == 0.0
    assert parse_timeout_reward("-0.5") == -0.5 and parse_timeout_reward(-1) == -1.0
    for bad in ("fail", "0.5", -1.5, "nan"):
        with pytest.raises(ValueError):
            parse_timeout_reward(bad)
    with pytest.raises(ValueError):
        DocQAEnv(timeout_reward=1.0)


def test_time_out_counts_as_failure_only_at_the_time_out():
    env = DocQAEnv(max_steps=3, step_cost=0.05, timeout_reward="failure")
    env.reset(options={"split": "test", "question_index": 2})
    rewards = [env.step("read[1]")[1] for _ in range(2)]
    _, r, _, trunc, info = env.step("read[2]")
    assert rewards == [-0.05, -0.05] and trunc and r == pytest.approx(-1.05) and info["reward"] == pytest.approx(-1.05)
    env.reset(options={"question": "How do I join path parts?"})  # no gold: never judged, the time-out adds nothing
    assert [env.step("read[1]")[1] for _ in range(3)] == [-0.05] * 3


def test_feature_env_passes_the_timeout_reward_through():
    env = DocQAFeatureEnv({"max_steps": 2, "timeout_reward": -1.0})
    env.reset(seed=0)
    assert env.step(0)[1] == pytest.approx(-0.01) and env.step(0)[1] == pytest.approx(-1.01)


def test_question_embedding_in_the_observation():
    embedder = HashEmbedder()
    base = hand_env()
    env = DocQAFeatureEnv({"top_k": 3, "question_features": "embedding"}, env=base.env, embedder=embedder)
    obs, _ = env.reset(seed=0)
    n = observation_size(3)
    assert obs.shape == (n + 384,) == env.observation_space.shape and env.observation_space.contains(obs)
    np.testing.assert_allclose(obs[n:], embedder.encode_one(QUESTION), atol=1e-6)
    np.testing.assert_allclose(obs[:n], base.reset(seed=0)[0])  # the similarity features are unchanged
    obs2, *_ = env.step(0)
    np.testing.assert_allclose(obs2[n:], obs[n:])  # the question part stays for the whole episode
    with pytest.raises(ValueError, match="question_features"):
        DocQAFeatureEnv({"question_features": "ids"})


def test_stalling_is_valued_at_the_timeout_reward():
    """All results read: the memory policy waits out the clock (Q̂ 0) instead of answering blindly — unless the
    time-out counts as a failure, when waiting is advised against and it answers."""
    answer = pol.Candidate("answer[x]", ("answer", "n1"))
    stall = pol.Candidate("read[1]", ("stall", "n1"))
    for stall_q, chosen in ((0.0, "stall"), (-1.0, "answer")):
        config = pol.PolicyConfig(stall_q=stall_q)
        estimates = pol.estimate_q([answer, stall], [], "Question: q\nPassage read ([1] t):\np", config)
        estimates[0] = pol.Estimate(answer, -0.6, 1.0, generic=True)  # answering unknown notes has mostly failed
        left, _ = pol.choose(estimates, config)
        assert left[0].candidate.role[0] == chosen


def test_cli_rejects_a_bad_timeout_reward(tmp_path):
    result = CliRunner().invoke(app, ["eval", "--env", "docqa", "--timeout-reward", "later",
                                      "--memory-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--timeout-reward" in result.output, result.output
