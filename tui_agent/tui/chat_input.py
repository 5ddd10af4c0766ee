"""The message input: send, new line, ↑ / ↓ history and /command completion, on the keys of the active keymap."""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.message import Message
from textual.widgets import TextArea

from tui_agent.tui import slash
from tui_agent.tui.history import InputHistory
from tui_agent.tui.keymap import Keymap
from tui_agent.tui.slash_list import SlashList

_DEFAULT_KEYMAP = Keymap()


class ChatInput(TextArea):
    """Multi-line input: Enter sends; Ctrl+J (or Shift+Enter where the terminal reports it) adds a new line;
    ↑ on the first line / ↓ on the last line browse the sent messages (:class:`InputHistory`).
    While a ``/command`` word is typed the screen's :class:`SlashList` (if any) shows the matching commands:
    ↑ / ↓ choose, Tab or → (at the end) and Enter complete, Esc hides the list.

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

    @property
    def slash_list(self) -> SlashList | None:
        """The screen's command list, when it has one."""
        found = self.screen.query(SlashList)
        return found.first() if found else None

    @on(TextArea.Changed)
    def _changed(self, _event: TextArea.Changed) -> None:
        if (shown := self.slash_list) is not None:
            shown.show_for(self.text)

    def complete_command(self, command: slash.SlashCommand) -> None:
        """Put ``command`` in the input (with a space when it takes arguments), the cursor at the end."""
        self.load_text(slash.completion(command))
        self.move_cursor(self.document.end)
        if (shown := self.slash_list) is not None:
            shown.hide()
        self.focus()

    def _slash_key(self, key: str) -> bool:
        """Handle ``key`` for the command list when it is shown; whether it was used."""
        shown = self.slash_list
        chosen = shown.chosen() if shown is not None else None
        if shown is None or chosen is None:
            return False
        keys = self.keymap
        if key in keys.keys_for("history_prev") or key in keys.keys_for("history_next"):
            shown.move(-1 if key in keys.keys_for("history_prev") else 1)
        elif key in keys.keys_for("stop_answer"):
            shown.hide()
        elif key in keys.keys_for("complete_command") and (key != "right" or self.cursor_location == self.document.end):
            self.complete_command(chosen)
        elif key in keys.keys_for("send") and (slash.parse(self.text) or (None,))[0] is None:
            self.complete_command(chosen)  # "/he" + Enter completes; a whole command name is sent as typed
        else:
            return False
        return True

    async def _on_key(self, event: events.Key) -> None:
        keys = self.keymap
        if self._slash_key(event.key):
            self._stop(event)
            return
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
