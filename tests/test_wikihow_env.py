"""WikiHow-v0: actions, rewards in order, truncation, splits, determinism, the shipped corpus."""

from __future__ import annotations

import gymnasium
import pytest

import tui_agent.envs  # noqa: F401  (registers the environments)
from tui_agent.envs.wikihow.app import parse_action
from tui_agent.envs.wikihow.corpus import load_corpus
from tui_agent.envs.wikihow.env import WikiHowEnv
from tui_agent.envs.wikihow.generate import build_corpus
from tui_agent.envs.wikihow.oracle import oracle_action
from tui_agent.envs.wikihow.tasks import PATTERNS, load_tasks


def test_registered_and_passes_the_env_checker():
    env = gymnasium.make("tui_agent/WikiHow-v0", split="test")
    obs, info = env.reset(seed=1)
    assert obs.startswith('<button alt="Open navigation drawer" id="0" clickable="true"></button>')
    assert "INPUT(2, <text>)" in info["available_actions"] and info["step_instruction"] == ""


@pytest.mark.parametrize("action, ok", [("CLICK(3)", True), ("GOBACK", True), ("SCROLL(down)", True),
                                        ("INPUT(2, hide gauges)", True), ("INPUT(2, )", False), ("CLICK(x)", False),
                                        ("click(3)", False), ("SCROLL(SIDEWAYS)", False), ("CLICK(3, a)", False)])
def test_action_forms(action, ok):
    assert (parse_action(action) is not None) is ok


def test_invalid_actions_change_nothing():
    env = WikiHowEnv(split="test")
    obs, _ = env.reset(options={"task_index": 0})
    for bad in ("CLICK(99)", "INPUT(0, x)", "TAP(1)", "<script>"):
        obs2, r, term, trunc, info = env.step(bad)
        assert (obs2, r, term, trunc, info["valid"]) == (obs, 0.0, False, False, False)


def test_rewards_in_order_and_done_at_the_last_step():
    env = WikiHowEnv(split="test")
    for i in range(len(PATTERNS) * 2):
        env.reset(options={"task_index": i})
        total, rewards = 0.0, []
        while True:
            _o, r, term, trunc, info = env.step(oracle_action(env))
            rewards.append(r)
            total += r
            if term or trunc:
                break
        assert term and info["success"] and total == info["steps_total"] == info["reward"]
        assert info["available_actions"] == []


def test_a_step_out_of_order_gives_nothing():
    env = WikiHowEnv(split="test")
    env.reset(options={"task_index": 0})
    task = env.task
    assert task is not None
    # open the task's article through the drawer's categories without searching: no reward (search first)
    _o, r, *_ = env.step("CLICK(0)")
    assert r == 0.0 and env.page_type == "drawer"
    assert env.step("GOBACK")[4]["page_type"] == "home"


def test_truncation():
    env = WikiHowEnv(split="train", max_steps=3)
    env.reset(options={"task_index": 0})
    out = [env.step("SCROLL(LEFT)") for _ in range(3)]
    assert out[-1][3] and not out[-1][2] and not out[-1][4]["success"]


def test_splits_are_disjoint_and_deterministic():
    tasks = load_tasks()
    assert tasks.split_size("train") == 100 and tasks.split_size("test") == 70
    first = {t.steps[1].arg for t in tasks.tasks["train"]}
    assert not first & {t.steps[1].arg for t in tasks.tasks["test"]}
    assert {t.pattern for t in tasks.tasks["test"]} == set(PATTERNS)
    assert all(2 <= len(t.steps) <= 4 for s in tasks.tasks.values() for t in s)


def test_shipped_corpus_is_the_seeded_generation():
    corpus = load_corpus()
    data = build_corpus(0)
    assert [a["slug"] for a in corpus.articles] == [a["slug"] for a in data["articles"]]
    assert corpus.articles[0] == data["articles"][0]


def test_search_and_scroll():
    env = WikiHowEnv(split="test")
    env.reset(options={"task_index": 0})
    obs, r, *_ = env.step("INPUT(2, zzzz qqqq)")
    assert r == 0.0 and env.page_type == "results" and obs.count("\n") == 3  # no results: header and status bar
    obs, *_ = env.step("INPUT(1, cream)")
    before = obs
    after = env.step("SCROLL(DOWN)")[0]
    assert after != before and env.step("SCROLL(UP)")[0] == before
