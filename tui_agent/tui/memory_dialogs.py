"""Dialogs of the memory browser: confirm, edit a Q-value, one experience in full.

User and model text is shown as plain :class:`rich.text.Text`, never as markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui_agent.memory.browse import one_line
from tui_agent.tui.safe import plain, visible
from tui_agent.memory.schema import Experience
from tui_agent.memory.validate import check_q

DIALOG_CSS = """
    {name} {{ align: center middle; }}
    {name} .mem-dialog {{ width: 80%; max-width: 110; height: auto; max-height: 90%; padding: 1 2;
                         border: thick $primary; background: $surface; }}
    {name} .mem-detail {{ height: 90%; }}
    {name} #detail-body {{ height: 1fr; }}
    {name} .mem-dialog-buttons {{ height: auto; margin-top: 1; }}
    {name} .mem-dialog-buttons Button {{ margin-right: 2; }}
    {name} .mem-dialog-hint {{ color: $text-muted; }}
    {name} #q-error {{ color: $error; height: auto; }}
"""


def when(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else "—"


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no question; dismisses with ``True`` for yes."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmScreen")

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="mem-dialog"):
            yield Static(plain(self.question), classes="mem-dialog-text")
            with Horizontal(classes="mem-dialog-buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class EditQScreen(ModalScreen[float | None]):
    """Asks for a new Q-value (checked against the kind's range); dismisses with it or ``None``."""

    DEFAULT_CSS = DIALOG_CSS.format(name="EditQScreen")

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, experience: Experience) -> None:
        super().__init__()
        self.experience = experience

    def compose(self) -> ComposeResult:
        exp = self.experience
        with Vertical(classes="mem-dialog"):
            yield Static(plain(f"Q-value of: {one_line(exp.task, 60)} → {one_line(exp.action, 40)}"),
                         classes="mem-dialog-text")
            yield Static(Text(f"now {exp.q:+.4f} after N = {exp.n} updates; Enter saves, Escape cancels"),
                         classes="mem-dialog-hint")
            yield Input(value=f"{exp.q:.4f}", id="q-input")
            yield Static("", id="q-error")

    def on_mount(self) -> None:
        self.query_one("#q-input", Input).focus()

    @on(Input.Submitted, "#q-input")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            value = check_q(self.experience.kind, event.value.strip())
        except ValueError as exc:
            self.query_one("#q-error", Static).update(Text(str(exc)))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ExperienceScreen(ModalScreen[str | None]):
    """One experience in full; dismisses with "edit", "delete" or ``None``."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ExperienceScreen")

    BINDINGS = [
        Binding("e", "choose('edit')", "Edit Q"),
        Binding("d", "choose('delete')", "Delete"),
        Binding("escape,q", "choose(None)", "Close"),
    ]

    def __init__(self, experience: Experience) -> None:
        super().__init__()
        self.experience = experience

    def compose(self) -> ComposeResult:
        exp = self.experience
        with Vertical(classes="mem-dialog mem-detail"):
            with VerticalScroll(id="detail-body"):
                yield Static(self._render_experience(exp), id="detail-text")
            with Horizontal(classes="mem-dialog-buttons"):
                yield Button("Edit Q (e)", id="edit")
                yield Button("Delete (d)", id="delete", variant="error")
                yield Button("Close (Esc)", id="close")

    @staticmethod
    def _render_experience(exp: Experience) -> Text:
        text = Text()
        fields = [
            ("id", exp.id), ("kind", exp.kind), ("source", exp.source), ("model", exp.model or "—"),
            ("Q-value", f"{exp.q:+.4f}"), ("N (updates)", str(exp.n)), ("mean reward", f"{exp.mean_reward:+.4f}"),
            ("episode", f"{exp.episode_id or '—'} step {exp.step}"),
            ("created", when(exp.created_at)), ("updated", when(exp.updated_at)), ("last used", when(exp.last_used_at)),
        ]
        for label, value in fields:
            text.append(f"{label:<12} ", style="bold")
            text.append(visible(value) + "\n")
        for label, value in (("task", exp.task), ("observation", exp.observation),
                             ("available actions", exp.available_actions), ("action", exp.action),
                             ("reason", exp.reason)):
            if value:
                text.append(f"\n{label}\n", style="bold underline")
                text.append(visible(value) + "\n")
        return text

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "close" else event.button.id)

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)
