"""The keymap as data: one table, validated user overrides, the README's key table, remapped keys in the app."""

from __future__ import annotations

import re
from pathlib import Path

from pilots import make_light_app, submit
from tui_agent.config.settings import load_settings
from tui_agent.tui.help_screen import HelpScreen
from tui_agent.tui.keymap import ACTIONS, Keymap, bindings, check_defaults, markdown_table, normalize_key
from tui_agent.tui.widgets import AnswerView, ChatInput

README = Path(__file__).resolve().parents[1] / "README.md"
SIZE = (100, 40)


def test_default_table_has_no_clashes_and_unique_ids():
    assert check_defaults() == []
    assert len({a.id for a in ACTIONS}) == len(ACTIONS)
    assert {b.id for b in bindings("answer")} == {"rate_up", "rate_down", "retry", "use_suggestion",
                                                  "dismiss_suggestion", "toggle_memory", "copy_answer", "focus_input"}


def test_readme_key_table_is_the_keymap_table():
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- keys: start.*?-->\n(.*?)<!-- keys: end -->", text, re.S)
    assert found, "README lacks the <!-- keys: start --> … <!-- keys: end --> block"
    assert found.group(1) == markdown_table(), "README key table is stale: paste `tui-agent keys --markdown`"


def test_key_names_are_normalised():
    assert normalize_key("+") == "plus"
    assert normalize_key("?") == "question_mark"
    assert normalize_key("Ctrl+N") == "ctrl+n"
    assert normalize_key("F1") == "f1"
    assert normalize_key("ctrl+question_mark") == "ctrl+question_mark"


def test_overrides_apply_and_bad_ones_are_reported_in_one_line_each():
    km = Keymap({"copy_answer": "y", "history_prev": ["up", "ctrl+up"], "nope": "x", "retry": "m",
                 "quit": "ctrl+zz", "send": 5, "help": "F12"})
    assert km.keys_for("copy_answer") == ("y",)
    assert km.keys_for("history_prev") == ("up", "ctrl+up")
    assert km.keys_for("help") == ("f12",)
    assert km.keys_for("retry") == ("r",)  # the clashing override is ignored, the default stays
    assert km.overrides == {"copy_answer": "y", "history_prev": "up,ctrl+up", "help": "f12"}
    assert len(km.errors) == 4 and all("\n" not in e for e in km.errors)
    joined = " | ".join(km.errors)
    assert "nope: unknown action" in joined and "retry: m is already 'toggle_memory'" in joined
    assert "quit: 'ctrl+zz' is not a key name" in joined and "send: expected a key name" in joined


def test_app_keys_clash_with_every_scope():
    km = Keymap({"new_chat": "c"})  # c copies a focused answer: an app key there would shadow it
    assert km.keys_for("new_chat") == ("ctrl+n",) and "copy_answer" in km.errors[0]
    assert Keymap({"chats_rename": "r"}).errors == []  # r is retry on an answer: another place, no clash


def test_not_a_table_is_reported():
    assert Keymap("ctrl+y").errors == ['[keys] must be a table of action = "key", got str']


async def test_remapped_keys_work_in_the_app(memory_dir, agent_home):
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[keys]\ncopy_answer = "y"\nhelp = "f12"\nsend = "ctrl+s"\nnewline = "enter"\n')
    app = make_light_app(memory_dir, mock_response="Forty-two.")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        box = app.query_one(ChatInput)
        box.focus()
        await pilot.press(*"first", "enter", *"second")  # Enter is now a new line
        assert box.text == "first\nsecond"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.query(AnswerView).last()
        assert view.question == "first\nsecond" and view.answer_text == "Forty-two."
        view.focus()
        await pilot.press("c")
        assert app.clipboard == ""  # c is not copy any more
        await pilot.press("y")
        assert app.clipboard == "Forty-two."
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = app.screen.query_one("#help-table")
        keys = [str(shown.get_row_at(i)[0]).strip() for i in range(shown.row_count)]
        assert "F12" in keys and "Y" not in keys and "y" in keys


async def test_bad_keymap_gives_one_line_and_the_app_starts(memory_dir, agent_home):
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('keys = "broken"\n')
    assert load_settings().keys == "broken"  # the settings load; the keymap reports it
    app = make_light_app(memory_dir, mock_response="ok")
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "still works?")
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert any(m.startswith("[keys] must be a table") and "\n" not in m for m in messages)
        assert app.query(AnswerView).last().answer_text == "ok"
