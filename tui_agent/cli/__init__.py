"""The ``tui-agent`` command line (typer). With no command it starts the chat TUI.

A bare ``tui-agent`` (no command; at most the chat's own options) skips typer and the settings
import before the first paint: the TUI paints, then loads its settings (see
:class:`tui_agent.tui.app.ChatApp`). Everything else goes through the typer app in
:mod:`tui_agent.cli.main`, imported on first use.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["app", "main"]

_CHAT_OPTIONS = {"--memory-dir": "memory_dir", "--model": "model", "-m": "model", "--api-base": "api_base",
                 "--policy": "policy"}


def chat_options(args: list[str]) -> dict[str, str] | None:
    """The chat's options in ``args`` as settings overrides, or ``None`` when ``args`` hold anything else
    (a command, ``--help``, an unknown or incomplete option: typer handles those)."""
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name not in _CHAT_OPTIONS or (eq and name == "-m"):
            return None
        if not eq:
            if i + 1 >= len(args) or args[i + 1].startswith("-"):
                return None
            value, i = args[i + 1], i + 1
        out[_CHAT_OPTIONS[name]] = value
        i += 1
    return out


def main() -> None:
    """``tui-agent``: the chat TUI at once for a bare call, else the typer app."""
    overrides = chat_options(sys.argv[1:])
    if overrides is None:
        from tui_agent.cli.main import main as typer_main

        typer_main()
        return
    from tui_agent.tui.app import ChatApp

    def load_settings():
        from tui_agent.config.settings import load_settings

        return load_settings(**overrides)

    chat = ChatApp(load_settings)
    chat.run()
    if chat.settings_error is not None:
        from tui_agent.cli.common import echo, settings_problem

        echo(f"tui-agent: error: {settings_problem(chat.settings_error)}", err=True)
        sys.exit(1)


def __getattr__(name: str) -> Any:
    if name == "app":  # the typer app (tests, in-process CLI runs)
        from tui_agent.cli.main import app

        return app
    raise AttributeError(name)
