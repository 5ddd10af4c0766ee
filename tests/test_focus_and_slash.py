"""Pilots: Tab order of the chat (input → newest answer → older ones, one stop per answer), the slash-command
list and its completion, and the toasts of answer keys that cannot act."""

from __future__ import annotations

from pilots import make_light_app, submit

from tui_agent.tui import slash
from tui_agent.tui.slash_list import SlashList
from tui_agent.tui.widgets import AnswerView, ChatInput

SIZE = (80, 24)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def ask(pilot, *questions: str) -> None:
    for question in questions:
        await submit(pilot, question)
        await settle(pilot)


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_tab_goes_from_the_input_to_the_newest_answer_then_older_ones(memory_dir):
    app = make_light_app(memory_dir, mock_response="An answer.")
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "first?", "second?", "third?")
        answers = list(app.query(AnswerView))
        assert len(answers) == 3 and isinstance(app.focused, ChatInput)
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            await pilot.pause()
            seen.append(app.focused)
        assert seen == [answers[2], answers[1], answers[0], app.query_one(ChatInput)]  # one stop per answer
        await pilot.press("shift+tab")
        await pilot.pause()
        assert app.focused is answers[0]  # Shift+Tab goes back: the oldest answer
        assert app.query_one("#chat").can_focus is False  # the log is no invisible stop
        assert answers[0].has_pseudo_class("focus")  # the frame (app.tcss .answer:focus) applies


async def test_answer_buttons_answer_to_keys_not_to_tab(memory_dir):
    app = make_light_app(memory_dir, mock_response="Forty-two.")
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "the answer?")
        view = app.query_one(AnswerView)
        assert not [w for w in app.screen.focus_chain if view in w.ancestors]  # nothing inside is a Tab stop
        before = view.content_region
        await pilot.press("tab")
        await pilot.pause()
        assert view.content_region == before  # the frame takes the margin and padding: nothing moves
        await pilot.press("plus")
        await settle(pilot)
        assert view.rating is True and app.focused is view


async def test_m_says_why_when_nothing_came_from_memory(memory_dir):
    app = make_light_app(memory_dir, mock_response="Generated.")
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "a fresh question")
        await pilot.press("tab", "m")
        await pilot.pause()
        assert any(t.startswith("Nothing came from memory for this answer") for t in toasts(app))


async def test_rate_on_a_stopped_answer_says_why(memory_dir):
    app = make_light_app(memory_dir, mock_response="unused")
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "something")
        view = app.query_one(AnswerView)
        view.experience_id = None  # as after Esc, a failure or a cut-off answer
        view.focus()
        await pilot.press("plus")
        await pilot.pause()
        assert any("nothing to rate" in t for t in toasts(app)) and view.rating is None


async def test_slash_shows_the_commands_and_filters_them(memory_dir):
    app = make_light_app(memory_dir, mock_response="unused")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        shown = app.query_one(SlashList)
        assert not shown.display or not shown.shown
        await pilot.press("slash")
        await pilot.pause()
        assert shown.shown and shown.display and [c.name for c in shown.commands] == [c.name for c in slash.COMMANDS]
        await pilot.press("t")
        await pilot.pause()
        assert [c.name for c in shown.commands] == ["/task"]
        await pilot.press("space")
        await pilot.pause()
        assert not shown.shown and not shown.display  # the arguments are free text


async def test_tab_right_and_enter_complete_and_arrows_choose(memory_dir):
    app = make_light_app(memory_dir, mock_response="unused")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        box = app.query_one(ChatInput)
        await pilot.press("slash", "t", "tab")
        assert box.text == "/task " and not app.query_one(SlashList).shown and app.focused is box
        box.clear()
        await pilot.press("slash", "h", "right")
        assert box.text == "/help"
        box.clear()
        await pilot.press("slash", "down", "down", "enter")  # the third command, completed, not sent
        assert box.text == slash.completion(slash.COMMANDS[2])
        box.clear()
        await pilot.press("slash", "r", "escape")
        assert not app.query_one(SlashList).shown and box.text == "/r"
        box.clear()
        await pilot.press("slash", "h", "e", "l", "p", "enter")  # a whole command name is sent
        await settle(pilot)
        assert box.text == "" and "/task" in str(app.query(".note-reply").last().render())


async def test_system_command_shows_and_sets_the_prompt(memory_dir):
    app = make_light_app(memory_dir, mock_response="ok")
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "/system")
        await settle(pilot)
        assert "default" in str(app.query(".note-reply").last().render())
        await submit(pilot, "/system Answer like a pirate.")
        await settle(pilot)
        assert app.session.system_prompt == "Answer like a pirate."
        assert "system prompt: Answer like a pirate." in str(app.query_one("#status").render())
        await submit(pilot, "/system")
        await settle(pilot)
        assert "Answer like a pirate." in str(app.query(".note-reply").last().render())
        await submit(pilot, "/system default")
        await settle(pilot)
        assert app.session.system_prompt is None and "system prompt" not in str(app.query_one("#status").render())
