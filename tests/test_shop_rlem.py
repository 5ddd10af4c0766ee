"""Multi-step RLEM for the shop: Q-learning through the memory against hand-computed targets.

Episodes run on a scripted environment with one available action per page, so
every policy takes the same actions and the targets can be worked out by hand.
Embeddings are deterministic fakes (no model download or load).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest

from tui_agent.shop.agent import ShopAgent, ShopConfig
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.rlem.learning import LearningConfig, NStepBuffer, nstep_targets
from tui_agent.rlem.records import RecordKey

TASK = "i need a test gadget, and price lower than 10.00 dollars"


class FakeEmbedder:
    """Deterministic unit vectors: equal texts → dot 1, different texts → nearly orthogonal."""

    dim = 384

    def encode(self, texts):
        out = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).normal(size=self.dim)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, dtype=np.float32)

    def encode_one(self, text):
        return self.encode([text])[0]

    def load(self):
        pass


class ScriptedEnv:
    """Pages o_0 … o_T; on page k the only action is ``click[a<k>]``; rewards as given."""

    def __init__(self, rewards: list[float], task: str = TASK) -> None:
        self.rewards, self.task, self.k = rewards, task, 0

    def obs(self, k: int) -> str:
        return f"page {k}"

    def info(self, valid: bool = True) -> dict[str, Any]:
        over = self.k >= len(self.rewards)
        info = {"available_actions": [] if over else [f"click[a{self.k}]"], "instruction": self.task,
                "goal": {"split": "train", "index": 0}, "valid": valid}
        if over:
            info.update(reward=self.rewards[-1], success=self.rewards[-1] >= 1.0)
        return info

    def reset(self, options=None):
        self.k = 0
        return self.obs(0), self.info()

    def step(self, action: str):
        assert action == f"click[a{self.k}]"
        r = self.rewards[self.k]
        self.k += 1
        over = self.k >= len(self.rewards)
        return self.obs(self.k), r, over, False, self.info()


def key(k: int, task: str = TASK) -> RecordKey:
    return RecordKey.of(task, f"page {k}", [f"click[a{k}]"])


def seed_row(store: ExperienceStore, emb: FakeEmbedder, k: int, action: str, q: float, n: int,
             task: str = TASK, vector=None) -> str:
    kk = key(k, task)
    vec = emb.encode_one(task) if vector is None else vector
    return store.add([Experience(task=task, action=action, kind="shop", observation=kk.observation,
                                 available_actions=kk.available_actions, q=q, n=n, mean_reward=0.0,
                                 vector=list(vec))])[0]


def rows(store: ExperienceStore, k: int, task: str = TASK) -> dict[str, Experience]:
    kk = key(k, task)
    return {e.action: e for e in store.all("shop") if e.observation == kk.observation and e.task == task}


@pytest.fixture
def emb():
    return FakeEmbedder()


def make_agent(store, emb, n=None, gamma=1.0) -> ShopAgent:
    agent = ShopAgent(store, emb, config=ShopConfig(seed=0, learning=LearningConfig(gamma=gamma, n=n)))
    agent.ensure_initial_pool = lambda: 0  # keep the hand-computed tables free of the pool
    return agent


def test_one_step_targets_bootstrap_from_the_next_record(store, emb):
    # o1 has a record {a1: Q .5 (N 2), x: Q .2 (N 1)}; o2 has {a2: Q .8 (N 1)}
    seed_row(store, emb, 1, "click[a1]", 0.5, 2)
    seed_row(store, emb, 1, "click[x]", 0.2, 1)
    seed_row(store, emb, 2, "click[a2]", 0.8, 1)
    agent = make_agent(store, emb, n=1, gamma=1.0)
    result = agent.run_episode(ScriptedEnv([0.0, 0.0, 1.0]), {}, "random", learn=True)
    assert result.reward == 1.0 and len(result.steps) == 3
    # t=0: new row, target 0 + max Q(o1) = .5  -> N 1, Q .5
    (a0,) = rows(store, 0).values()
    assert (a0.n, a0.q) == (1, pytest.approx(0.5))
    # t=1: target 0 + max Q(o2) = .8 -> N 3, Q = .5 + (.8 - .5)/3 = .6
    a1 = rows(store, 1)["click[a1]"]
    assert (a1.n, a1.q) == (3, pytest.approx(0.6))
    assert rows(store, 1)["click[x]"].n == 1  # other actions untouched
    # t=2 (last): target = r_3 = 1 -> N 2, Q = .8 + (1 - .8)/2 = .9; mean reward (0 + 1)/2
    a2 = rows(store, 2)["click[a2]"]
    assert (a2.n, a2.q, a2.mean_reward) == (2, pytest.approx(0.9), pytest.approx(0.5))


def test_three_step_targets_with_discount_and_most_similar_bootstrap(store, emb):
    g = 0.9
    seed_row(store, emb, 3, "click[a3]", 0.4, 1)  # o3's own record: max Q .4
    # o4 has no record: the most similar one is this same-task record with many visits (max Q .7),
    # not the unrelated task's record (orthogonal embedding, max Q .2)
    seed_row(store, emb, 90, "click[z]", 0.7, 5)
    far = emb.encode_one(TASK)
    other = np.roll(far, 1) - far * float(np.roll(far, 1) @ far)
    seed_row(store, emb, 91, "click[y]", 0.2, 9, task="another task", vector=other / np.linalg.norm(other))
    agent = make_agent(store, emb, n=3, gamma=g)
    agent.run_episode(ScriptedEnv([0.0, 0.5, 0.0, 0.0, 1.0]), {}, "random", learn=True)
    expected = {
        0: 0.0 + g * 0.5 + g**2 * 0.0 + g**3 * 0.4,  # bootstrap from o3's record
        1: 0.5 + g * 0.0 + g**2 * 0.0 + g**3 * 0.7,  # o4 unknown -> most similar record
        2: 0.0 + g * 0.0 + g**2 * 1.0,  # episode ends before t + 3: no bootstrap
        4: 1.0,
    }
    for t, target in expected.items():
        (row,) = [e for a, e in rows(store, t).items() if a == f"click[a{t}]"]
        assert (row.n, row.q) == (1, pytest.approx(target)), t
    a3 = rows(store, 3)["click[a3]"]  # existing row: N 2, Q = .4 + (0.9 - .4)/2
    assert (a3.n, a3.q) == (2, pytest.approx(0.4 + (g * 1.0 - 0.4) / 2))


def test_full_episode_returns_and_running_mean(store, emb):
    agent = make_agent(store, emb)  # defaults: gamma 1, n = rest of the episode
    for final in (1.0, 0.5, 0.0):
        agent.run_episode(ScriptedEnv([0.0, 0.0, final]), {}, "random", learn=True)
    for t in range(3):
        (row,) = rows(store, t).values()
        # Monte-Carlo returns 1, .5, 0 -> N = 3 and Q = their mean (alpha = 1/N)
        assert (row.n, row.q) == (3, pytest.approx(0.5)), t
    assert len(store.all("shop")) == 3  # one row per (record, action), updated in place


def test_frozen_memory_and_feedback(store, emb):
    agent = make_agent(store, emb)
    result = agent.run_episode(ScriptedEnv([0.0, 1.0]), {}, "random", learn=False)
    assert store.count("shop") == 0 and not result.learned
    result = agent.run_episode(ScriptedEnv([0.0, 1.0]), {}, "random", learn=True)
    updated = agent.feedback(result, up=False)  # 👎: one extra update with target -1
    assert [(q, n) for _, q, n in updated] == [(pytest.approx(0.0), 2)] * 2


def test_no_reward_episode_is_not_learned(store, emb):
    agent = make_agent(store, emb)
    result = agent.run_episode(ScriptedEnv([0.0, 1.0]), {}, "random", learn=True, has_reward=False)
    assert result.reward is None and store.count("shop") == 0
    updated = agent.feedback(result, up=True)  # rows are created by the feedback: Q = 1, N = 1
    assert [(q, n) for _, q, n in updated] == [(1.0, 1), (1.0, 1)]


@pytest.mark.parametrize("n", [1, 2, 3, None])
@pytest.mark.parametrize("gamma", [1.0, 0.8])
def test_nstep_buffer_matches_nstep_targets(n, gamma):
    rewards = [0.0, 0.3, 0.0, 0.0, 0.7, 1.0]
    values = [0.0, 0.11, 0.22, 0.33, 0.44, 0.55, 99.0]
    buf = NStepBuffer(gamma, n)
    got: dict[int, float] = {}
    for t, r in enumerate(rewards):
        nxt = key(t + 1) if t + 1 < len(rewards) else None
        for u in buf.push(key(t), f"click[a{t}]", r, nxt):
            got[u.t] = u.target(values[int(u.bootstrap_key.observation.split()[1])])
    for u in buf.finish():
        assert u.bootstrap_key is None
        got[u.t] = u.target()
    assert [got[t] for t in range(len(rewards))] == pytest.approx(nstep_targets(rewards, values, gamma, n))


def test_hosted_model_answers_are_parsed_and_matched(store, emb):
    """A hosted model writes text; the agent fuzzy-matches it to a valid action (no llama.cpp)."""
    import re

    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.llm.client import Completion

    class HostedLLM:
        model, is_local = "openai/test-model", False

        def __init__(self):
            self.prompts = []

        async def complete(self, messages, **params):
            prompt = messages[-1]["content"].split("Now the new input:")[-1]
            self.prompts.append(prompt)
            if "\n- buy now\n" in prompt:  # the prompt lists WebShop's clickables
                return Completion("Encouraged:\nclick[buy now] -> 0.9\nDiscouraged:\nclick[Reviews] -> 0.0", self.model)
            asin = re.search(r"^- (b0[0-9a-z]{8})$", prompt, re.M).group(1)
            return Completion(f"I would pick {asin.lower()} because it matches.", self.model)

    llm = HostedLLM()
    agent = ShopAgent(store, emb, llm, ShopConfig(seed=0))
    result = agent.run_episode(ShopEnv(split="test"), {"split": "test", "goal_index": 0}, "llm")
    actions = [s.action for s in result.steps]
    assert actions[0].startswith("search[") and actions[1].startswith("click[B0") and actions[-1] == "click[Buy Now]"
    assert len(actions) == 3 and result.reward > 0
    assert "openai/test-model: answered" in result.steps[1].reason and len(llm.prompts) == 2
    assert "Here are some examples" not in llm.prompts[0]  # the exemplars come before the new input
