"""Path credit (``LearningConfig(credit="path")``): zero-reward loops are cut out of an episode's returns."""

from __future__ import annotations

import numpy as np
import pytest

from tui_agent.rlem.episodic import EpisodicAgent
from tui_agent.rlem.learning import LearningConfig, loop_erased
from tui_agent.rlem.records import ActionKey, RecordKey


def test_loop_erased_cuts_zero_reward_loops():
    # home -drawer-> drawer -home-> home -search-> results -open-> article (rewards on the last two)
    path, detours = loop_erased(["home", "drawer", "home", "results", "article"], [0, 0, 1, 1])
    assert (path, detours) == ([2, 3], [0, 1])
    # a loop that earned a reward stays: the article step is done inside it
    assert loop_erased(["a", "b", "a", "c"], [0, 1, 0]) == ([0, 1, 2], [])
    # a self-loop (a click that changes nothing) and the end back at the start
    assert loop_erased(["a", "a", "b"], [0, 1]) == ([1], [0])
    assert loop_erased(["a", "b", "a"], [0, 0]) == ([], [0, 1])
    with pytest.raises(ValueError, match="one more state"):
        loop_erased(["a"], [0.0])


def test_credit_is_checked():
    assert LearningConfig(credit="path").credit == "path"
    with pytest.raises(ValueError, match="credit"):
        LearningConfig(credit="steps")


class _Step:
    def __init__(self, t: int, observation: str, action: str) -> None:
        self.t, self.observation, self.action = t, observation, action
        self.available_actions = ["x"]
        self.reward, self.valid, self.explored = 0.0, True, False

    def action_key(self) -> ActionKey:
        return ActionKey(self.action, "")


class _Result:
    def __init__(self) -> None:
        self.episode_id, self.policy, self.learned, self.row_ids, self.steps = "e", "p", True, [], []
        self.task = "task"


class _Env:
    """home -menu-> menu -close-> home -go-> goal (reward 1, done)."""

    moves = {("home", "menu"): "menu", ("menu", "close"): "home", ("home", "go"): "goal"}

    def reset(self, options=None):
        self.s = "home"
        return self.s, {"available_actions": ["x"]}

    def step(self, action):
        self.s = self.moves.get((self.s, action), self.s)
        done = self.s == "goal"
        return self.s, float(done), done, False, {"available_actions": ["x"], "valid": True}


class _Agent(EpisodicAgent[_Step, _Result]):
    script = ["menu", "close", "go"]

    def policy_name(self, name):
        return name

    def start(self, observation, info, policy, learn):
        return _Result(), None

    def next_step(self, result, state, observation, info, learn, explore):
        return _Step(len(result.steps), observation, self.script[len(result.steps)])

    def finish(self, result, info, has_reward):
        pass


class _Embedder:
    def encode_one(self, text: str) -> np.ndarray:
        return np.ones(4, dtype=np.float32)


@pytest.mark.parametrize(("credit", "menu_q"), [("episode", 1.0), ("path", 0.0)])
def test_a_detour_shares_the_return_only_under_episode_credit(credit, menu_q):
    agent = _Agent(lambda q, r: 1.0, lambda key, v: key, _Embedder(), None, LearningConfig(credit=credit))
    agent.run_episode(_Env(), {}, "p", learn=True)
    home, menu = (agent.replay.records[RecordKey.of("task", s, ["x"])] for s in ("home", "menu"))
    assert home.actions[ActionKey("menu", "")].q == menu_q
    assert menu.actions[ActionKey("close", "")].q == menu_q
    assert home.actions[ActionKey("go", "")].q == 1.0


def test_wikihow_defaults_to_path_credit_and_keeps_the_reference():
    from tui_agent.agents.factory import RunOptions, agent_config
    from tui_agent.config.settings import Settings

    assert agent_config("wikihow", Settings()).learning.credit == "path"
    assert agent_config("wikihow", Settings(), RunOptions(credit="episode")).learning.credit == "episode"
    assert agent_config("shop", Settings()).learning.credit == "episode"
    with pytest.raises(ValueError, match="credit"):
        agent_config("wikihow", Settings(), RunOptions(credit="nope"))


def test_credit_flag_is_wikihow_only():
    from typer.testing import CliRunner

    from tui_agent.cli.main import app

    result = CliRunner().invoke(app, ["train", "--env", "shop", "--credit", "path"])
    assert result.exit_code == 2 and "wikihow only" in result.output
