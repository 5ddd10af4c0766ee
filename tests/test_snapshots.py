"""Snapshot of the chat screen (pytest-textual-snapshot; F1/F2/F3/notes at two sizes: test_snapshots_sizes.py).
Update with: pytest tests/test_snapshots.py --snapshot-update"""

from __future__ import annotations

from tui_agent.chat.agent import ChatAgent
from tui_agent.config.settings import load_settings
from tui_agent.tui.app import ChatApp
from tui_agent.tui.widgets import AnswerView, ChatInput


def test_chat_screen_after_a_rated_answer(snap_compare, memory_dir, embedder):
    settings = load_settings(memory_dir=memory_dir)
    app = ChatApp(settings, agent=ChatAgent(settings, embedder=embedder),
                  mock_response="The capital of **France** is Paris. [b]not markup[/b]")

    async def run_before(pilot) -> None:
        await app.ready.wait()
        app.query_one(ChatInput).insert("What is the capital of France? [red]literal[/red]")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        answer = app.query(AnswerView).last()
        answer.focus()
        await pilot.press("plus")
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(90, 24), run_before=run_before)
