"""The episodic-agent seam (rlem/episodic.py) on its own: a toy domain, RAM rows, the reference's n-step targets."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from tests.vectors import HashEmbedder
from tui_agent.rlem.episodic import EpisodicAgent
from tui_agent.rlem.learning import LearningConfig
from tui_agent.rlem.records import ActionKey, RecordKey, Similarity, dot_similarity
from tui_agent.rlem.replay import InMemoryRows


class Corridor:
    """A corridor of ``length`` cells: ``right`` moves on, ``stay`` does not; reward 1 at the end, else 0."""

    def __init__(self, length: int = 3, max_steps: int = 6) -> None:
        self.length, self.max_steps = length, max_steps

    def _info(self, valid: bool = True) -> dict[str, Any]:
        return {"available_actions": ["right", "stay"], "valid": valid, "task": "reach the end"}

    def reset(self, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        self.pos, self.t = 0, 0
        return f"cell {self.pos}", self._info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        self.t += 1
        self.pos += action == "right"
        done = self.pos >= self.length
        return f"cell {self.pos}", float(done), done, self.t >= self.max_steps and not done, self._info()


@dataclass
class Step:
    t: int
    observation: str
    available_actions: list[str]
    action: str
    reward: float = 0.0
    valid: bool = True
    explored: bool = False

    def action_key(self) -> ActionKey:
        return ActionKey(self.action)


@dataclass
class Result:
    episode_id: str
    policy: str
    learned: bool
    task: str = "reach the end"
    steps: list[Step] = field(default_factory=list)
    row_ids: list[str] = field(default_factory=list)
    ret: float = 0.0


class CorridorAgent(EpisodicAgent[Step, Result]):
    """``greedy`` takes the action with the higher stored Q (ties: ``right``); ``random`` a random one."""

    def __init__(self, n: int | None = None) -> None:
        similarity = Similarity(lambda q, recs: dot_similarity(q, recs), lambda q, recs: np.ones(len(recs)), 1.0)
        super().__init__(similarity, lambda key, vector: vector, HashEmbedder(), InMemoryRows(),
                         LearningConfig(gamma=1.0, n=n))
        self.rng, self.episodes = random.Random(0), 0

    def policy_name(self, name: str) -> str:
        if name not in ("greedy", "random"):
            raise ValueError(f"unknown policy {name!r}")
        return name

    def start(self, observation: str, info: dict[str, Any], policy: str, learn: bool) -> tuple[Result, None]:
        self.episodes += 1
        return Result(f"e{self.episodes}", policy, learn), None

    def next_step(self, result: Result, state: Any, observation: str, info: dict[str, Any], learn: bool,
                  explore: bool) -> Step:
        actions = info["available_actions"]
        if result.policy == "random":
            action = self.rng.choice(actions)
        else:
            record = self.replay.sync().get(RecordKey.of(result.task, observation, actions))
            q = {a.action: v.q for a, v in record.actions.items()} if record else {}
            action = max(actions, key=lambda a: (q.get(a, 0.0), a == "right"))
        return Step(len(result.steps), observation, list(actions), action)

    def observe(self, result: Result, state: Any, step: Step, info: dict[str, Any]) -> None:
        result.ret += step.reward

    def finish(self, result: Result, info: dict[str, Any], has_reward: bool) -> None:
        pass


def test_an_episode_stores_the_full_return_of_every_step():
    agent = CorridorAgent()
    result = agent.run_episode(Corridor(), {}, "greedy", learn=True)
    assert [s.action for s in result.steps] == ["right"] * 3 and result.ret == 1.0
    rows = agent.replay.sink.rows
    assert len(rows) == 3 and len(result.row_ids) == 3
    assert sorted(v.q for _k, _a, v, _i in rows.values()) == [1.0, 1.0, 1.0]  # γ = 1: every step's return is 1


def test_frozen_and_rewardless_episodes_write_nothing():
    agent = CorridorAgent()
    agent.run_episode(Corridor(), {}, "greedy", learn=False)
    agent.run_episode(Corridor(), {}, "greedy", learn=True, has_reward=False)
    assert agent.replay.sink.rows == {}


def test_feedback_is_one_terminal_update_per_record_and_action():
    agent = CorridorAgent()
    result = agent.run_episode(Corridor(), {}, "greedy")
    updates = agent.feedback(result, up=False)
    assert len(updates) == 3 and all(q == -1.0 and n == 1 for _row, q, n in updates)


def test_one_step_targets_bootstrap_from_the_next_record():
    agent = CorridorAgent(n=1)
    for _ in range(2):
        agent.run_episode(Corridor(), {}, "greedy", learn=True)
    q = {k.observation: v.q for k, _a, v, _i in agent.replay.sink.rows.values()}
    assert q["cell 2"] == 1.0 and q["cell 1"] > 0  # the reward reached cell 1 through cell 2's max Q


def test_an_unknown_policy_is_refused_before_the_environment_is_touched():
    with pytest.raises(ValueError, match="unknown policy"):
        CorridorAgent().run_episode(None, {}, "epsilon")
