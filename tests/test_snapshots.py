"""Snapshot of the chat screen (pytest-textual-snapshot). Update with: pytest tests/test_snapshots.py --snapshot-update"""

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


def _fixed_chats(monkeypatch):
    """Three saved chats with fixed times (UTC), one with a rated answer, for the chat list snapshot."""
    import time as _time

    from tui_agent.chats.store import ChatStore

    monkeypatch.setenv("TZ", "UTC")
    _time.tzset()
    store = ChatStore()
    clock = iter(range(1_750_000_000, 1_750_100_000, 3_600))
    with monkeypatch.context() as patch:  # fixed times while the chats are written, the real clock after
        patch.setattr("tui_agent.chats.store.time.time", lambda: float(next(clock)))
        for title, answer, rating in (("What is the capital of Zorbania? [b]not markup[/b]", "Quellport.", -1),
                                      ("Which port does the Krell server listen on?", "Port 7311.", 1),
                                      ("Tell me a joke", "Why did the chicken cross the road?", None)):
            chat = store.create(title, "local/smollm2")
            store.add_message(chat.id, "user", title)
            mid = store.add_message(chat.id, "assistant", answer, model="local/smollm2", experience_id="e" + chat.id)
            if rating is not None:
                store.set_rating(mid, rating > 0, float(rating), 1)
    store.close()


def test_chat_list_screen(snap_compare, memory_dir, monkeypatch):
    from pilots import make_light_app

    _fixed_chats(monkeypatch)
    app = make_light_app(memory_dir, mock_response="unused")

    async def run_before(pilot) -> None:
        await app.ready.wait()
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(100, 24), run_before=run_before)
    finally:
        import time as _time

        monkeypatch.undo()
        _time.tzset()


def test_help_screen(snap_compare, memory_dir):
    from pilots import make_light_app

    app = make_light_app(memory_dir, mock_response="unused")

    async def run_before(pilot) -> None:
        await app.ready.wait()
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(110, 40), run_before=run_before)
