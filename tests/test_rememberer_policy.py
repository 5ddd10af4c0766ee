"""The paper's decision procedure (``rememberer``) through real LiteLLM calls with ``mock_response``.

The mock model "follows advice": it reads the prompt the agent built (the
reference's structure), takes the Encouraged action of the most similar
exemplar when it is valid on the new page, else the first valid action, and
answers in the reference's advice format. The agent must parse that answer,
match it to a valid action and store it under its (action, reason) key.
"""

from __future__ import annotations

import asyncio
import re

from test_shop_rlem import FakeEmbedder

from tui_agent.chat.agent import ChatAgent
from tui_agent.config.settings import load_settings
from tui_agent.envs.shop.env import ShopEnv
from tui_agent.llm.client import LLM
from tui_agent.shop.agent import NO_ACTION, ShopAgent, ShopConfig
from tui_agent.shop.records import element
from tui_agent.shop.protocol import evaluate


class AdviceFollower(LLM):
    """A hosted-model stand-in: LiteLLM's mock_response, with the advice a compliant model would write."""

    def __init__(self, garble: bool = False) -> None:
        super().__init__("openai/advice-follower", fallback_to_local=False)
        self.garble, self.prompts = garble, []

    async def complete(self, messages, **params):
        user = messages[-1]["content"]
        self.prompts.append(user)
        examples, new_input = user.split("Now the new input:", 1)
        available = re.findall(r"^- (.+)$", new_input.split("Available Actions:", 1)[1], re.M)
        advised = re.findall(r"Encouraged:\n(.+?) -> ", examples)
        if available == ["search"]:  # the reference lists WebShop's clickables
            instruction = re.search(r"Instruction:\n\s*(.+)", new_input).group(1)
            action, reason = f"search[{instruction}]", ""
        elif advised and element(advised[-1]) in available:
            action, reason = advised[-1], "The example encourages it."
        else:
            action = "click[" + next(a for a in available if a not in ("back to search", "< prev")) + "]"
            reason = f"{action} conforms to the instruction."
        text = "I am not sure." if self.garble else \
            f"Encouraged:\n{action} -> 1.0 {reason}\nDiscouraged:\nclick[Reviews] -> 0.0 There is no need to review."
        return await super().complete(messages, mock_response=text, **params)


def test_rememberer_takes_the_parsed_encouraged_action_and_learns_it_with_its_reason(store):
    llm = AdviceFollower()
    agent = ShopAgent(store, FakeEmbedder(), llm, ShopConfig(seed=0))
    env = ShopEnv(split="train")
    result = agent.run_episode(env, {"split": "train", "goal_index": 5}, "rememberer", learn=True)
    assert llm.prompts and all(s.chosen_by == "rememberer" for s in result.steps)
    assert result.steps[0].action.startswith("search[") and all(s.valid for s in result.steps)
    assert "openai/advice-follower" in result.steps[1].reason
    assert "Here are some examples:" in llm.prompts[0] and "Encouraged:\n" in llm.prompts[0]
    learned = [e for e in store.all("shop") if e.episode_id == result.episode_id]
    assert learned and {(e.action, e.reason) for e in learned} >= {(s.action, s.action_reason)
                                                                   for s in result.steps[1:2]}


def test_unreadable_advice_is_no_action_as_in_the_reference(store):
    agent = ShopAgent(store, FakeEmbedder(), AdviceFollower(garble=True), ShopConfig(seed=0))
    result = agent.run_episode(ShopEnv(split="test"), {"split": "test", "goal_index": 0}, "rememberer")
    assert len(result.steps) == 15 and {s.action for s in result.steps} == {NO_ACTION}
    assert not any(s.valid for s in result.steps) and result.reward == 0.0


def test_rememberer_evaluation_runs_end_to_end(store):
    agent = ShopAgent(store, FakeEmbedder(), AdviceFollower(), ShopConfig(seed=0))
    report = evaluate(agent, ShopEnv(split="test"), tasks=2, policy="rememberer")
    assert report["policy"] == "rememberer" and report["episodes"] == 2
    assert all(r["steps"] for r in report["results"])


def test_chat_rememberer_puts_advice_in_the_prompt_and_never_recalls(memory_dir, embedder):
    settings = load_settings(memory_dir=memory_dir, model="openai/mock", policy="rememberer")
    agent = ChatAgent(settings, embedder=embedder)
    first = asyncio.run(agent.answer("What is the capital of Zorbania?", mock_response="Paris."))
    agent.rate(first.id, up=False, correction="Quellport.")
    again = asyncio.run(agent.answer("What is the capital of Zorbania?", mock_response="Quellport, I think."))
    assert again.mode == "generate" and again.policy == "rememberer"  # no direct recall
    assert again.answer == "Quellport, I think."
    roles = {e.answer: e.role for e in again.exemplars}
    assert roles == {"Quellport.": "encouraged", "Paris.": "discouraged"}
    episodic_control = ChatAgent(load_settings(memory_dir=memory_dir, model="openai/mock"), embedder=embedder)
    assert asyncio.run(episodic_control.answer("What is the capital of Zorbania?", mock_response="x")).mode == "recall"


def test_chat_llm_and_random_policies(memory_dir, embedder):
    def agent(policy: str) -> ChatAgent:
        return ChatAgent(load_settings(memory_dir=memory_dir, model="openai/mock", policy=policy), embedder=embedder)

    first = asyncio.run(agent("episodic-control").answer("Who maintains the build server?", mock_response="Priya."))
    agent("episodic-control").rate(first.id, up=True)
    alone = asyncio.run(agent("llm").answer("Who maintains the build server?", mock_response="No idea."))
    assert (alone.mode, alone.answer, alone.exemplars) == ("generate", "No idea.", [])  # no memory at all
    chance = asyncio.run(agent("random").answer("Who maintains the build server?", mock_response="unused"))
    assert chance.mode == "random" and chance.answer in {"Priya.", "No idea."} and chance.model == "memory"
    empty = ChatAgent(load_settings(memory_dir=memory_dir / "empty", model="openai/mock", policy="random"),
                      embedder=embedder)
    assert asyncio.run(empty.answer("Anything?", mock_response="From the model.")).mode == "generate"


def _pool_follower():
    """``benchmarks/shop_pool_eval.py``'s AdviceFollower (a LiteLLM mock_response model that follows advice)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "shop_pool_eval.py"
    spec = importlib.util.spec_from_file_location("shop_pool_eval", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.AdviceFollower


def test_rememberer_with_the_references_own_pool_acts_on_its_advice(store):
    """REMEMBERER's init_pool.wq.yaml as the only memory: advice followed → goals solved; no advice → none."""
    from reference import reference_dir
    from tui_agent.memory.transfer import import_memory

    emb = FakeEmbedder()
    import_memory(store, reference_dir() / "rememberer-pools" / "init_pool.wq.yaml", embed=emb.encode)
    follower = _pool_follower()
    solved = {}
    for ablate in (False, True):
        agent = ShopAgent(store, emb, follower(ablate_advice=ablate), ShopConfig(seed=0))
        solved[ablate] = evaluate(agent, ShopEnv(split="test"), 6, "rememberer")["success_rate"]
    assert solved[False] >= 0.5 and solved[True] == 0.0, solved
    assert store.count("shop") == 5  # evaluation never writes
