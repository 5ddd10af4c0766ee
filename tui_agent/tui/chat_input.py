"""The message input: send, new line and ↑ / ↓ history, on the keys of the active keymap."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.message import Message
from textual.widgets import TextArea

from tui_agent.tui.history import InputHistory
from tui_agent.tui.keymap import Keymap

_DEFAULT_KEYMAP = Keymap()


class ChatInput(TextArea):
    """Multi-line input: Enter sends; Ctrl+J (or Shift+Enter where the terminal reports it) adds a new line;
    ↑ on the first line / ↓ on the last line browse the sent messages (:class:`InputHistory`).

    The keys are the app's ``keymap`` (:class:`~tui_agent.tui.keymap.Keymap`) when it has one.
    """

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, history: InputHistory | None = None, **kwargs: Any) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.input_history = history if history is not None else InputHistory()

    @property
    def keymap(self) -> Keymap:
        return getattr(self.app, "keymap", None) or _DEFAULT_KEYMAP

    async def _on_key(self, event: events.Key) -> None:
        keys = self.keymap
        if event.key in keys.keys_for("send"):
            self._stop(event)
            text = self.text.strip()
            if text:
                self.input_history.add(text)
                self.post_message(self.Submitted(text))
                self.clear()
            return
        if event.key in keys.keys_for("stop_answer") and hasattr(self.app, "action_stop_answer"):
            self._stop(event)
            self.app.action_stop_answer()
            return
        if event.key in keys.keys_for("newline"):
            self._stop(event)
            self.insert("\n")
            return
        if event.key in keys.keys_for("history_prev") and self.cursor_at_first_line:
            self._stop(event)
            self._show(self.input_history.previous(self.text))
            return
        if event.key in keys.keys_for("history_next") and self.cursor_at_last_line and self.input_history.browsing:
            self._stop(event)
            self._show(self.input_history.next())
            return
        await super()._on_key(event)

    @staticmethod
    def _stop(event: events.Key) -> None:
        event.prevent_default()
        event.stop()

    def _show(self, text: str | None) -> None:
        if text is None:
            return
        self.load_text(text)
        self.move_cursor(self.document.end)
