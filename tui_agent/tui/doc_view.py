"""``/doc QUESTION``: a DocumentQA episode (search, read, answer over the bundled Python docs) run live in
the chat, its steps shown as ``/task`` shows them, with 👍/👎 afterwards.

``/doc`` alone poses a random test question of the bundled set: its answer is checked, the reward
(+1 right, −1 wrong, −0.01 a step) updates the memory. ``/doc QUESTION`` has no gold answer: the episode
runs with the memory frozen and only 👍/👎 (+1/−1 to every step) teaches it.
"""

from __future__ import annotations

import random
from typing import Any

from tui_agent.tui.task_view import TaskView
from tui_agent.tui.safe import count_of

__all__ = ["DocView"]


class DocView(TaskView):
    """A live DocumentQA episode for ``question`` (None: a random test question) inside a ChatApp."""

    TITLE = "document question: "
    RANDOM = "a random test question"
    KIND = "doc"

    def _prepare(self) -> tuple[Any, Any, dict[str, Any], bool, str]:
        from tui_agent.agents.factory import agent_for_chat
        from tui_agent.envs.docqa.env import DocQAEnv

        agent = agent_for_chat("docqa", self.chat_app.agent)
        env = DocQAEnv(split="test")
        if not self.goal:
            index = random.randrange(len(env.questions("test")))
            return agent, env, {"split": "test", "question_index": index}, True, f"test question #{index}"
        return agent, env, {"question": self.goal}, False, "your question: no gold answer; rate it with 👍/👎"

    def _run(self, env: Any, options: dict[str, Any], has_reward: bool, on_step: Any) -> Any:
        from tui_agent.docqa.agent import docqa_policy

        try:
            policy = docqa_policy(self.chat_app.agent.settings.policy)
        except ValueError:
            policy = "episodic-control"
        return self.agent.run_episode(env, options, policy, learn=has_reward, on_step=on_step, explore=False)

    def _result_text(self, r: Any) -> str:
        steps = f"{count_of(len(r.steps), 'step')} · return {r.ret:+.2f}"
        if r.answer is None:
            return f"no answer within the step limit · {steps}"
        if not r.gold_answer:
            return (f"answer: {r.answer} · {count_of(len(r.steps), 'step')} · not checked (no gold answer): "
                    "rate it with 👍/👎")
        verdict = "correct ✓" if r.correct else f"wrong (gold: {r.gold_answer})"
        return f"answer: {r.answer} · {verdict} · {steps} · {self.memory_text(r)}"
