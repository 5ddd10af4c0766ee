"""``/howto GOAL``: a WikiHow-v0 episode (REMEMBERER's WikiHow app tasks) run live in the chat, its steps shown
as ``/task`` shows them (the screen under "observation"), with 👍/👎 afterwards.

``/howto`` alone runs a random test task. ``/howto GOAL`` matches the text to the closest task (its text
or its article's phrase, rapidfuzz token_set_ratio ≥ 90): then the episode is rewarded by that task's
steps; otherwise it runs the closest task's steps under the user's text without a reward, and only
👍/👎 teaches the memory. The saved chat keeps the run as a ``task`` outcome.
"""

from __future__ import annotations

import random
from typing import Any

from tui_agent.tui.safe import count_of
from tui_agent.tui.task_view import TaskView

__all__ = ["HowToView", "match_task"]

MATCH = 90.0


def match_task(text: str, tasks: Any) -> tuple[dict[str, Any], bool, str]:
    """(reset options, has_reward, note) for a user's goal over a :class:`~tui_agent.envs.wikihow.tasks.TaskSet`."""
    from rapidfuzz import fuzz, process

    keys = [(split, t.index) for split in ("test", "train") for t in tasks.tasks[split]]
    texts = [tasks.task(s, i).text.splitlines()[0] + " " + tasks.task(s, i).steps[1].arg.replace("-", " ")
             for s, i in keys]
    best = process.extractOne(text.lower(), [t.lower() for t in texts], scorer=fuzz.token_set_ratio)
    (split, index), score = keys[best[2]], float(best[1])
    options = {"split": split, "task_index": index}
    closest = tasks.task(split, index).text.replace("\n", " ")
    if score >= MATCH:
        return options, True, f"rewarded as {split} task #{index} (match {score:.0f}/100): {closest}"
    options["instruction"] = text
    return options, False, (f"no reward: free-text goal (closest task matched only {score:.0f}/100: {closest}); "
                            "rate the episode with 👍/👎")


class HowToView(TaskView):
    """A live WikiHow episode for ``goal`` (None: a random test task) inside a ChatApp."""

    TITLE = "how-to task: "
    RANDOM = "a random test task"
    KIND = "task"

    def _prepare(self) -> tuple[Any, Any, dict[str, Any], bool, str]:
        from tui_agent.agents.factory import agent_for_chat
        from tui_agent.envs.wikihow.env import WikiHowEnv

        agent = agent_for_chat("wikihow", self.chat_app.agent)
        env = WikiHowEnv(split="test")
        if not self.goal:
            index = random.randrange(env.tasks.split_size("test"))
            return agent, env, {"split": "test", "task_index": index}, True, \
                f"test task #{index}: {env.tasks.task('test', index).text.replace(chr(10), ' ')}"
        options, has_reward, note = match_task(self.goal, env.tasks)
        return agent, env, options, has_reward, note

    def _run(self, env: Any, options: dict[str, Any], has_reward: bool, on_step: Any) -> Any:
        from tui_agent.wikihow.agent import policy_name

        try:
            policy = policy_name(self.chat_app.agent.settings.policy)
        except ValueError:
            policy = "episodic-control"
        return self.agent.run_episode(env, options, policy, learn=has_reward, on_step=on_step, explore=False,
                                      has_reward=has_reward)

    def _result_text(self, r: Any) -> str:
        steps = count_of(len(r.steps), "action")
        if r.reward is None:
            return f"no reward: free-text goal · {steps}"
        return (f"{int(r.reward)}/{r.steps_total} steps of the task done · "
                f"{'success ✓' if r.success else 'not finished'} · {steps} · {self.memory_text(r)}")
