"""The slash-command list shown above the chat input while a ``/command`` is typed (the registry: slash.py).

It appears when the input holds just ``/`` or ``/wo`` (no space yet), lists the matching commands with their
arguments and help, and hides otherwise. The input drives it (:class:`~tui_agent.tui.chat_input.ChatInput`):
↑ / ↓ move the highlight, Tab or → (the keymap's ``complete_command``) and Enter put the highlighted
command in the input, Esc hides the list. A click on a command completes it too. It never takes the focus.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui_agent.tui import slash

__all__ = ["SlashList"]


class SlashList(OptionList, can_focus=False):
    """The commands matching the word being typed (:func:`tui_agent.tui.slash.matches`), or hidden."""

    DEFAULT_CSS = """
    SlashList { display: none; height: auto; max-height: 12; margin: 0 1; border: round $accent;
                background: $surface; }
    SlashList.shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.commands: list[slash.SlashCommand] = []
        self.word: str | None = None

    @property
    def shown(self) -> bool:
        """Whether the list is on screen (something typed matches)."""
        return self.has_class("shown")

    def show_for(self, text: str) -> None:
        """Show the commands matching ``text`` (the whole input), or hide the list when it is no command word."""
        word = slash.completing(text)
        if word == self.word:
            return
        self.word = word
        commands = slash.matches(word) if word is not None else []
        if commands != self.commands:
            self.commands = commands
            self.clear_options()
            self.add_options(Option(self._prompt(c), id=c.name) for c in commands)
            if commands:
                self.highlighted = 0
        self.set_class(bool(commands), "shown")

    def hide(self) -> None:
        """Hide the list until the input changes to another command word."""
        self.remove_class("shown")

    def move(self, delta: int) -> None:
        """Move the highlight up (−1) or down (+1), wrapping around."""
        if self.commands:
            self.highlighted = ((self.highlighted or 0) + delta) % len(self.commands)

    def chosen(self) -> slash.SlashCommand | None:
        """The highlighted command, or ``None`` when the list is hidden."""
        if not self.shown or not self.commands:
            return None
        return self.commands[min(self.highlighted or 0, len(self.commands) - 1)]

    @staticmethod
    def _prompt(command: slash.SlashCommand) -> Table:
        """``/name ARGS`` in a column as wide as the registry's widest, then the help (wrapped beside it)."""
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=max(len(f"{c.name} {c.args}") for c in slash.COMMANDS), no_wrap=True)
        grid.add_column(ratio=1)
        name = Text(command.name, style="bold")
        if command.args:
            name.append(f" {command.args}", style="italic")
        grid.add_row(name, Text(command.help))
        return grid

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # a click: complete in the input (the input handles the keys itself)
        complete = getattr(self.screen.query_one("#input"), "complete_command", None) \
            if self.screen.query("#input") else None
        if complete is not None:
            complete(self.commands[event.option_index])
