"""Chat controls of issue 23: Esc stops an answer, no second question while one is written, slash commands."""

from __future__ import annotations

import asyncio

from textual.widgets import Static

from pilots import make_light_app, submit
from tui_agent.chats.store import ChatStore
from tui_agent.tui.app import ChatApp
from tui_agent.tui.slash import help_text, parse
from tui_agent.tui.widgets import AnswerView, UserMessage

SIZE = (100, 40)


def test_parse_tells_commands_from_questions():
    assert parse("/task find a lamp")[0].name == "/task"
    assert parse("/TASK")[0].name == "/task"
    assert parse("/frobnicate now")[:2] == (None, "/frobnicate")
    assert parse("/usr/bin is missing, why?") is None  # a path, not a command
    assert parse("What is /etc/hosts?") is None
    assert "/remember TEXT" in help_text()


async def slow_answer(app: ChatApp, monkeypatch) -> asyncio.Event:
    """Make the agent stream a few pieces and then wait (as a slow model would); returns 'streaming'."""
    streaming = asyncio.Event()

    async def answer(question, history, on_token=None, **_kw):
        for piece in ("The moon ", "is a "):
            on_token(piece)
        streaming.set()
        await asyncio.sleep(60)

    monkeypatch.setattr(app.agent, "answer", answer)
    return streaming


async def test_escape_stops_the_answer_keeps_it_marked_and_stores_nothing(memory_dir, monkeypatch):
    app = make_light_app(memory_dir)
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        before = app.agent.memory_count()
        streaming = await slow_answer(app, monkeypatch)
        await submit(pilot, "Tell me about the moon.")
        await asyncio.wait_for(streaming.wait(), 10)
        await pilot.pause()
        await submit(pilot, "And the sun?")  # refused while an answer is written: nothing interleaves
        await pilot.pause()
        assert len(app.query(UserMessage)) == 1
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.query(AnswerView).last()
        assert view.answer_text == "The moon is a " and "stopped" in str(view.query_one(".answer-meta").render())
        assert view.experience_id is None and app.agent.memory_count() == before
        chat = ChatStore().get(ChatStore().list()[0].id)
        assert [(m.role, m.content) for m in chat.messages] == [("user", "Tell me about the moon."),
                                                                 ("assistant", "The moon is a ")]


async def test_help_lists_commands_and_an_unknown_command_is_not_sent(memory_dir):
    app = make_light_app(memory_dir, mock_response="unused")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await submit(pilot, "/help")
        await pilot.pause()
        assert "/task [GOAL]" in str(app.query(Static).filter(".note-reply").last().render())
        await submit(pilot, "/frobnicate")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.query(AnswerView) and app.agent.memory_count() == 0
        await pilot.press("escape")  # nothing to stop: a toast, no error
        await pilot.pause()


async def test_any_answer_can_be_asked_again_and_the_earlier_one_stays(memory_dir):
    app = make_light_app(memory_dir, mock_response="First try.")
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "Name a colour.")
        await app.workers.wait_for_complete()
        await pilot.pause()
        first = app.query(AnswerView).last()
        first.focus()
        await pilot.press("plus")  # rated 👍: a new answer can still be asked for
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        views = list(app.query(AnswerView))
        assert len(views) == 2 and views[0].answer_text == "First try." and views[1].experience_id


def test_cli_question_starts_the_chat_with_it_and_version(monkeypatch, capsys, tmp_path):
    import pytest

    from tui_agent.cli.main import main

    def run(args: list[str]) -> int:
        with pytest.raises(SystemExit) as done:
            main(args)
        return done.value.code or 0

    started = []
    monkeypatch.setattr(ChatApp, "run", lambda self: started.append(self.first_message))
    assert run(["What is RLEM?", "--memory-dir", str(tmp_path / "m")]) == 0
    assert run(["memory", "stats", "--memory-dir", str(tmp_path / "m")]) == 0  # a command stays a command
    assert started == ["What is RLEM?"]
    capsys.readouterr()
    assert run(["--version"]) == 0 and capsys.readouterr().out.startswith("tui-agent ")


async def test_first_message_is_sent_when_the_chat_starts(memory_dir):
    app = make_light_app(memory_dir, mock_response="Hello there.")
    app.first_message = "Say hello."
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.query(AnswerView).last()
        assert (view.question, view.answer_text) == ("Say hello.", "Hello there.")


async def test_escape_after_the_answer_is_complete_still_shows_and_saves_it(memory_dir, monkeypatch):
    """Esc while the display catches up with a complete (already stored) answer: it is shown whole and saved."""
    app = make_light_app(memory_dir, mock_response="A complete answer.")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        original = ChatApp._pump
        pumping = asyncio.Event()

        async def slow_pump(body, queue):
            pumping.set()
            await asyncio.sleep(60)  # the display is slow; the answer itself is done
            await original(body, queue)

        monkeypatch.setattr(ChatApp, "_pump", staticmethod(slow_pump))
        await submit(pilot, "Say something.")
        await asyncio.wait_for(pumping.wait(), 10)
        await asyncio.sleep(0.5)  # the answer has come back and is stored; the pump still runs
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.query(AnswerView).last()
        assert view.answer_text == "A complete answer." and view.experience_id
        assert ChatStore().get(ChatStore().list()[0].id).messages[-1].content == "A complete answer."
