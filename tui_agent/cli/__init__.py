"""The ``tui-agent`` command line (typer). With no command it starts the chat TUI."""

from tui_agent.cli.main import app, main

__all__ = ["app", "main"]
