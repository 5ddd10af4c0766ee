"""Small modal dialogs of the chat: ask for a line of text (rename), a longer text (system prompt), yes/no.

Light imports only (Textual); user text is never markup.
"""

from __future__ import annotations

from rich.text import Text
from typing import cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea

CSS = """
    {name} {{ align: center middle; }}
    {name} .dialog {{ width: 80%; max-width: 100; height: auto; max-height: 90%; padding: 1 2;
                     border: thick $primary; background: $surface; }}
    {name} .dialog-buttons {{ height: auto; margin-top: 1; }}
    {name} .dialog-buttons Button {{ margin-right: 2; }}
    {name} .dialog-hint {{ color: $text-muted; }}
    {name} TextArea {{ height: 8; }}
"""


class AskTextScreen(ModalScreen[str | None]):
    """Asks for text; dismisses with it (stripped) or ``None`` on Esc.

    Args:
        question: shown above the field.
        value: the field's initial text.
        multiline: a TextArea (Ctrl+S saves) instead of a one-line Input (Enter saves).
    """

    DEFAULT_CSS = CSS.format(name="AskTextScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, question: str, value: str = "", multiline: bool = False) -> None:
        super().__init__()
        self.question, self.value, self.multiline = question, value, multiline

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question))
            if self.multiline:
                yield TextArea(self.value, soft_wrap=True, id="dialog-text")
                yield Static(Text("Ctrl+S saves (an empty text restores the default), Esc cancels"),
                             classes="dialog-hint")
            else:
                yield Input(self.value, id="dialog-text")
                yield Static(Text("Enter saves, Esc cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        field = self.query_one("#dialog-text")
        field.focus()
        if isinstance(field, TextArea):
            field.select_all()  # typing replaces it; arrows keep it

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        field = self.query_one("#dialog-text")
        text = field.text if isinstance(field, TextArea) else cast(Input, field).value
        self.dismiss(text.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; dismisses with ``True`` for yes (y / Enter on Yes), ``False`` for no (n / Esc)."""

    DEFAULT_CSS = CSS.format(name="ConfirmScreen")
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.question))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
