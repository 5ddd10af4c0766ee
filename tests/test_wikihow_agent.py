"""The WikiHow agent: roles on the pools' screens, the reference's prompt and grammar, learning, the factory."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from tui_agent.envs.wikihow.env import WikiHowEnv
from tui_agent.envs.wikihow.screen import parse_screen
from tui_agent.memory.rememberer import read_history_pool
from tui_agent.rlem.records import ActionKey, ActionValue, Record, RecordKey, Scored
from tui_agent.wikihow import policy as pol
from tui_agent.wikihow.agent import WikiHowAgent, WikiHowConfig
from tui_agent.wikihow.prompt import advice_grammar, build_prompt
from tui_agent.wikihow.protocol import evaluate, train
from tui_agent.wikihow.records import task_parts, task_pattern

POOLS = Path("/work/shared/reference/rememberer-pools")
for _parent in Path(__file__).resolve().parents:
    if (_parent / "shared" / "reference" / "rememberer-pools").is_dir():
        POOLS = _parent / "shared" / "reference" / "rememberer-pools"
        break
TASK = ('Search an article to learn how to be a good friend to a guy.\nThen, access the article "How to Be a Good '
        'Friend to a Guy"\nThen, check the author page of Trudi Griffin, LPC, MS.\nThen, access the article "How to '
        'Overcome Fear"')


class FakeEmbedder:
    """Deterministic unit vectors per text."""

    def encode_one(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).normal(size=384)
        return (v / np.linalg.norm(v)).astype(np.float32)


def test_task_parts_and_pattern():
    parts = task_parts(TASK)
    assert parts.phrase == "be a good friend to a guy" and parts.author == "Trudi Griffin, LPC, MS"
    assert parts.titles == ("How to Be a Good Friend to a Guy", "How to Overcome Fear")
    assert task_pattern(TASK) == ("search", "article", "author", "article")


@pytest.fixture(scope="module")
def pool_rows():
    if not POOLS.is_dir():
        pytest.skip("the reference pools are not here")
    rows = []
    for path in sorted(POOLS.glob("*.q.yaml")):
        raw = read_history_pool(path)[0]
        rows += [{k: v[i] for k, v in raw.columns.items()} for i in range(raw.num_rows)]
    return rows


def test_roles_of_the_pools_actions(pool_rows):
    roles = {}
    for row in pool_rows:
        role = pol.action_role(row["action"], parse_screen(row["observation"]), row["task"])
        roles.setdefault(role, set()).add(row["action"].split("(")[0])
    assert roles["input search"] == {"INPUT"}
    assert {"click article 1", "click article 2", "click about", "click references", "click author",
            "click category", "scroll down"} <= set(roles)
    assert "invalid" not in roles


def _pool_record(rows) -> Scored:
    row = next(r for r in rows if r["action"].startswith("INPUT(2, hide gauges)"))
    rec = Record(RecordKey(row["task"], row["observation"], ""), np.zeros(384, dtype=np.float32))
    rec.actions[ActionKey(row["action"], row["reason"])] = ActionValue(2.0, 1, 1.0)
    return Scored(rec, 1.0, 1.0, 1.0)


def test_prompt_is_the_references(pool_rows):
    import random

    env = WikiHowEnv(split="test")
    obs, info = env.reset(options={"task_index": 0})
    messages, shown = build_prompt(info["task"], obs, "", [], 0.0, 0.0, [_pool_record(pool_rows)], random.Random(0))
    user = messages[1]["content"]
    assert messages[0]["content"].startswith("Given a several information about the task")
    assert "Example 1:\n\n```\nTask:\nSearch an article to learn how to hide gauges." in user
    assert "Encouraged:\nINPUT(2, hide gauges) -> 2.0 <img class=\"search button\" alt=\"Search\"" in user
    assert user.endswith("Instruction:\n\nLast Reward:\n0.0\nTotal Reward:\n0.0\n---") and shown


def test_grammar_compiles_and_admits_the_screens_actions():
    llama_cpp = pytest.importorskip("llama_cpp")
    env = WikiHowEnv(split="test")
    _obs, info = env.reset(options={"task_index": 0})
    text = advice_grammar(info["available_actions"])
    assert '"INPUT(2, " text ")"' in text and '"CLICK(0)"' in text and '"GOBACK"' in text
    llama_cpp.LlamaGrammar.from_string(text, verbose=False)
    with pytest.raises(ValueError):
        advice_grammar([])


def test_episodic_control_learns_in_ram():
    agent = WikiHowAgent(None, FakeEmbedder(), None, WikiHowConfig(seed=0))
    env, test_env = WikiHowEnv(split="train"), WikiHowEnv(split="test")
    before = evaluate(agent, test_env, 14, "episodic-control")
    report = train(agent, env, list(range(10)), 2, "episodic-control", test_env=test_env, test_tasks=14)
    after = report["epochs"][-1]["test"]
    assert after["reward"] > before["reward"]
    steps = agent.run_episode(test_env, {"task_index": 0}, "episodic-control").steps
    assert steps[0].chosen_by == "memory"
    inputs = [s for s in steps if s.action.startswith("INPUT(2, ")]
    assert all(s.action_reason == '<img class="search button" alt="Search" id="2" clickable="true">' for s in inputs)


def test_random_policy_and_factory():
    from tui_agent.agents.factory import DOMAINS, build_agent, make_env
    from tui_agent.config.settings import Settings

    assert "wikihow" in DOMAINS
    agent = build_agent("wikihow", Settings(), store=None, embedder=FakeEmbedder(), llm=None)
    result = agent.run_episode(make_env("wikihow", split="test"), {"task_index": 1}, "random")
    assert isinstance(agent, WikiHowAgent) and result.steps and result.reward is not None
    assert all(s.action == "GOBACK" or "(" in s.action for s in result.steps)
    with pytest.raises(ValueError):
        agent.run_episode(make_env("wikihow"), {"task_index": 1}, "llm")
