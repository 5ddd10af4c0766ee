"""The bare ``tui-agent`` start: the TUI paints before typer and the settings are imported, then loads the
settings (user keys, theme) right after the first paint; a bad config file still gives one line and exit 1."""

from __future__ import annotations

import subprocess
import sys

from tui_agent.cli import chat_options
from tui_agent.config.settings import load_settings
from tui_agent.tui.app import ChatApp
from tui_agent.tui.chat_input import ChatInput

SIZE = (100, 30)


class StubAgent:
    """Loads nothing (these tests are about the app's start, not the models)."""

    def load(self, progress) -> None:
        progress("loaded")

    def memory_count(self) -> int:
        return 0

    def memory_read_only(self):
        return None


def test_chat_options_take_only_the_chats_own_options():
    assert chat_options([]) == {}
    assert chat_options(["--model", "m", "--memory-dir=/x", "--policy", "random", "--api-base", "u"]) == {
        "model": "m", "memory_dir": "/x", "policy": "random", "api_base": "u"}
    assert chat_options(["-m", "m"]) == {"model": "m"}
    for args in (["ask", "q"], ["--help"], ["--model"], ["--model", "--help"], ["--verbose"], ["memory", "stats"]):
        assert chat_options(args) is None, args  # typer handles these


def test_the_tui_module_imports_neither_typer_nor_pydantic():
    code = ("import sys, tui_agent.cli, tui_agent.tui.app; "
            "print(sorted(m for m in ('typer', 'pydantic', 'pydantic_settings', 'markdown_it', 'lancedb') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_settings_load_after_the_first_paint_with_the_users_keys(memory_dir, agent_home):
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[keys]\nsend = "ctrl+s"\nnewline = "enter"\n')
    loaded = []

    def load():
        loaded.append(True)
        return load_settings(memory_dir=memory_dir, model="local/smollm2")

    app = ChatApp(load, agent=StubAgent())
    assert loaded == []  # nothing read before the app runs
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert loaded == [True] and app.settings.memory_dir == str(memory_dir)  # a str: also an s3:// URI
        assert app.keymap.keys_for("send") == ("ctrl+s",)
        assert "Ctrl+S sends" in str(app.query_one(".welcome").render())
        box = app.query_one(ChatInput)
        box.focus()
        await pilot.press(*"a", "enter", *"b")
        assert box.text == "a\nb"  # Enter is the user's new-line key


async def test_a_bad_config_file_stops_the_app_with_the_error(agent_home):
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("temperature = 7\n")
    app = ChatApp(lambda: load_settings(), agent=StubAgent())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
    assert app.return_code == 2 and "temperature" in str(app.settings_error)


def test_bad_config_from_the_command_line_is_one_line(agent_home):
    from tui_agent.cli.common import settings_problem

    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("temperature = 7\n")
    try:
        load_settings()
    except ValueError as exc:
        message = settings_problem(exc)
    assert message.startswith("setting temperature:") and "\n" not in message
