"""Pilot tests of ``/doc``: a DocumentQA episode runs live in the chat, then 👍/👎 adds a reward."""

from __future__ import annotations

from textual.widgets import Button, Collapsible

from pilots import click, make_app, run_episode, text_of
from tui_agent.tui.doc_view import DocView

SIZE = (110, 50)


async def test_doc_random_question_runs_learns_and_takes_feedback(memory_dir, embedder):
    app = make_app(memory_dir, embedder, policy="random")
    async with app.run_test(size=SIZE) as pilot:
        view = await run_episode(pilot, "/doc", DocView)
        assert text_of(view.query_one(".task-title")) == "document question: a random test question"
        assert "test question #" in text_of(view.query_one(".task-meta"))
        steps = view.steps
        assert steps and text_of(steps[0].query_one(".task-step-head")).startswith("1. [results] ")
        observation, advice = steps[0].query(Collapsible)
        assert observation.collapsed and advice.title == "advice"
        result = text_of(view.query_one(".task-result"))
        assert "steps · return " in result
        stored = app.agent.store.all("docqa")
        assert len(stored) == len(steps)  # the reward taught every step (a gold answer exists)
        down = view.query_one("#task-down", Button)
        await click(pilot, down)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "👎 applied: reward −1" in text_of(view.query_one(".task-meta"))
        assert all(e.n == 2 for e in app.agent.store.all("docqa"))


async def test_doc_with_the_users_question_learns_only_from_feedback(memory_dir, embedder):
    app = make_app(memory_dir, embedder, policy="random")
    async with app.run_test(size=SIZE) as pilot:
        view = await run_episode(pilot, "/doc How do I [b]join[/b] paths?", DocView)
        assert text_of(view.query_one(".task-title")) == "document question: How do I [b]join[/b] paths?"
        assert "no gold answer" in text_of(view.query_one(".task-meta"))
        assert app.agent.store.count("docqa") == 0
        await click(pilot, view.query_one("#task-up", Button))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.agent.store.count("docqa") == len(view.steps)


async def test_doc_run_is_kept_in_the_saved_chat_and_shown_when_reopened(memory_dir, embedder):
    from tui_agent.tui.task_view import SavedRunView
    from tui_agent.tui.widgets import AnswerView, UserMessage

    app = make_app(memory_dir, embedder, policy="random")
    async with app.run_test(size=SIZE) as pilot:
        view = await run_episode(pilot, "/doc", DocView)
        result = text_of(view.query_one(".task-result"))
        actions = [s.step.action for s in view.steps]
        await click(pilot, view.query_one("#task-down", Button))
        await app.workers.wait_for_complete()
        await pilot.pause()
        chat = app.session.current()
    assert [(m.role, m.kind, m.content) for m in chat.messages][0] == ("user", None, "/doc")
    run = chat.messages[1]
    assert (run.role, run.kind, run.mode, len(chat.messages)) == ("assistant", "doc", "doc", 2)
    lines = run.content.splitlines()
    assert lines[0] == "document question: a random test question" and lines[1].startswith("test question #")
    assert lines[2:-1] == [f"{i}. {a}" for i, a in enumerate(actions, 1)] and lines[-1] == result
    assert chat.turns() == []  # a run is not conversation the model is shown
    assert (run.rating, run.n) == (-1, len(set(actions))) and run.q < 0  # the 👎 is kept on the run

    again = make_app(memory_dir, embedder, policy="random")
    async with again.run_test(size=SIZE) as pilot:
        await again.ready.wait()
        again.open_chat(chat.id)
        await pilot.pause()
        assert len(again.query(UserMessage)) == 1
        shown = list(again.query(SavedRunView))
        assert len(shown) == 1 and text_of(shown[0]).startswith(run.content)
        steps = "1 step" if run.n == 1 else f"{run.n} steps"
        assert text_of(shown[0]).splitlines()[-1] == f"👎 rated: mean Q {run.q:+.2f} over {steps}"
        assert not again.query(AnswerView)
