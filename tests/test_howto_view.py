"""Pilot test of ``/howto``: a WikiHow-v0 episode runs live in the chat at 80×24, then 👍/👎 adds a reward."""

from __future__ import annotations

from textual.widgets import Button, Collapsible

from pilots import click, make_app, run_episode, text_of
from tui_agent.envs.wikihow.tasks import load_tasks
from tui_agent.tui.howto_view import HowToView, match_task

SIZE = (80, 24)


def test_goal_matching():
    tasks = load_tasks()
    options, has_reward, note = match_task("apply cc cream", tasks)
    assert has_reward and "How to Apply CC Cream" in tasks.task(options["split"], options["task_index"]).text
    options, has_reward, note = match_task("juggle [b]five[/b] chainsaws", tasks)
    assert not has_reward and options["instruction"] == "juggle [b]five[/b] chainsaws" and "no reward" in note


async def test_howto_runs_to_its_reward_and_takes_feedback(memory_dir, embedder):
    app = make_app(memory_dir, embedder, policy="random")
    async with app.run_test(size=SIZE) as pilot:
        view = await run_episode(pilot, "/howto apply cc cream", HowToView)
        assert text_of(view.query_one(".task-title")) == "how-to task: apply cc cream"
        assert "rewarded as" in text_of(view.query_one(".task-meta"))
        steps = view.steps
        assert steps and text_of(steps[0].query_one(".task-step-head")).startswith("1. [home] ")
        observation, _advice = steps[0].query(Collapsible)
        assert observation.collapsed
        assert "steps of the task done" in text_of(view.query_one(".task-result"))
        assert app.agent.store.count("wikihow") > 0  # the reward taught the memory
        await click(pilot, view.query_one("#task-up", Button))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "👍 applied: reward +1" in text_of(view.query_one(".task-meta"))
