"""Pilot tests of ``/task``: a shop episode runs live in the chat, then 👍/👎 adds a reward."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import Button, Collapsible, Static

from tui_agent.shop.agent import ShopAgent, ShopConfig
from tui_agent.tui import task_view
from tui_agent.tui.task_view import StepView, TaskView
from pilots import click, make_app, run_episode, text_of

SIZE = (110, 50)


def fake_scorer(prompt: str, continuations: list[str]) -> list[float]:
    """Stands in for the model: prefers Buy Now, then the earliest candidate."""
    return [1.0 if c.startswith("click[Buy Now]") else -i / 100 for i, c in enumerate(continuations)]


@pytest.fixture
def fake_model(monkeypatch):
    def make(app):
        agent = app.agent
        return ShopAgent(agent.store, agent.embedder, None, ShopConfig(seed=0), scorer=fake_scorer)

    monkeypatch.setattr(task_view, "make_shop_agent", make)


async def test_task_shows_steps_reward_and_takes_feedback(memory_dir, embedder, fake_model):
    app = make_app(memory_dir, embedder)
    async with app.run_test(size=SIZE) as pilot:
        view = await run_episode(pilot, "/task", TaskView)
        steps = view.steps
        assert steps, "no steps shown"
        first = steps[0]
        assert text_of(first.query_one(".task-step-head")).startswith("1. [search] search[")
        assert "search with the instruction's keywords" in text_of(first.query_one(".task-step-reason"))
        assert steps[-1].step.action == "click[Buy Now]" or len(steps) == 15
        for step_view in steps:
            observation, advice = step_view.query(Collapsible)
            assert observation.collapsed and observation.title == "observation"
            assert advice.title == "advice"
        # the results page's advice shows the memory's Q estimates per role
        assert "result #2" in str(steps[1].query_one(".task-advice-text", Static).render())
        result = text_of(view.query_one(".task-result"))
        assert result.startswith("reward ") and "memory updated: " in result
        in_all = result.rsplit(", ", 1)[1].split(" in all")[0]  # the episode's count is the status line's
        assert f"· {in_all} experience" in str(app.query_one("#status").render())
        assert "test goal #" in text_of(view.query_one(".task-meta"))
        # expanding an observation shows the page text
        observation = steps[1].query_one(Collapsible)
        observation.collapsed = False
        await pilot.pause()
        assert "[Back to Search]" in str(observation.query_one(".task-observation-text", Static).render())

        rows_before = {e.id: (e.q, e.n) for e in app.agent.store.all("shop")}
        up = view.query_one("#task-up", Button)
        assert not up.disabled
        await click(pilot, up)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert up.has_class("chosen") and view.query_one("#task-down", Button).disabled
        assert "👍 applied: reward +1" in text_of(view.query_one(".task-meta"))
        ids = set(view.result.row_ids)
        for e in app.agent.store.all("shop"):
            if e.id in ids:  # one extra update with target +1 on each (record, action) of the episode
                q, n = rows_before[e.id]
                assert e.n == n + 1 and e.q == pytest.approx(q + (1.0 - q) / (n + 1))


async def test_free_text_goal_without_a_close_match_has_no_reward(memory_dir, embedder, fake_model):
    app = make_app(memory_dir, embedder)
    async with app.run_test(size=SIZE) as pilot:
        view = await run_episode(pilot, "/task [b]something nice[/b] for my grandmother", TaskView)
        assert view.goal == "[b]something nice[/b] for my grandmother"
        assert text_of(view.query_one(".task-title")).endswith("[b]something nice[/b] for my grandmother")
        assert "no reward: free-text goal" in text_of(view.query_one(".task-meta"))
        assert text_of(view.query_one(".task-result")).startswith("no reward: free-text goal")
        assert app.agent.store.count("shop") == 7  # only the initial pool; nothing learned without a reward
        view.steps[0].query_one(Collapsible).query_one("CollapsibleTitle").focus()  # keys, not the mouse
        await pilot.press("minus")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert view.rated is False and view.query_one("#task-down", Button).has_class("chosen")
        assert "👎 applied: reward −1" in text_of(view.query_one(".task-meta"))
        await pilot.press("plus")  # once: the episode is rated
        assert view.rated is False
        distinct = {(s.step.observation, s.step.action) for s in view.steps}
        assert app.agent.store.count("shop") == 7 + len(distinct)  # 👎 stored the steps with Q = −1


async def test_free_text_goal_close_to_a_catalog_goal_gets_its_reward(memory_dir, embedder, fake_model):
    from tui_agent.envs.shop.catalog import load_catalog

    goal = load_catalog().goal("test", 4)["instruction"]
    app = make_app(memory_dir, embedder)
    async with app.run_test(size=SIZE) as pilot:
        view = await run_episode(pilot, f"/task {goal}", TaskView)
        assert "reward against the closest catalog goal (test #4" in text_of(view.query_one(".task-meta"))
        assert view.result.reward is not None and view.result.instruction == goal


def test_step_view_never_parses_markup():
    from tui_agent.shop.episode import ShopStep

    step = ShopStep(0, "item", "[bold]x[/bold]", ["click[[red]]"], "[i]advice[/i]", "click[[red]]",
                    "[b]why[/b]", "llm")
    head = StepView(step)
    assert isinstance(Text("x"), Text)  # rendering goes through rich.text.Text in compose
    assert head.step.reason == "[b]why[/b]"


@pytest.mark.model
async def test_task_with_the_bundled_model(memory_dir, embedder):
    app = make_app(memory_dir, embedder)
    async with app.run_test(size=SIZE) as pilot:
        view = await run_episode(pilot, "/task", TaskView)
        assert view.steps and view.result is not None
        assert text_of(view.query_one(".task-result")).startswith("reward ")
        assert 0.0 <= view.result.reward <= 1.0
