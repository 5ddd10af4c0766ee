"""Tab order of the chat screen: the input, then the answers from the newest to the oldest.

A mixin of :class:`~tui_agent.tui.app.ChatApp`. Each answer is one Tab stop (its buttons answer to keys, not
to Tab: see :class:`~tui_agent.tui.widgets.AnswerView`); a ``/task`` or ``/doc`` run contributes its own
focusable widgets in place. The chat log itself is no stop. Other screens (F1, F2, F3, dialogs) keep
Textual's order.
"""

from __future__ import annotations

from typing import Any

from textual.css.query import NoMatches
from textual.widget import Widget

from tui_agent.tui.widgets import AnswerView, ChatInput

__all__ = ["ChatFocus"]


class ChatFocus:
    """Tab / Shift+Tab on the chat screen go input → newest answer → … → oldest answer → input."""

    # provided by the App
    screen: Any
    focused: Widget | None

    def tab_stops(self) -> list[Widget] | None:
        """The chat screen's stops in Tab order, or ``None`` on another screen."""
        try:
            chat = self.screen.query_one("#chat")
            stops: list[Widget] = [self.screen.query_one(ChatInput)]
        except NoMatches:
            return None
        for item in reversed(chat.children):
            if isinstance(item, AnswerView):
                if item.focusable:
                    stops.append(item)
            else:  # a task or document run: its own buttons and collapsibles, in their order
                stops.extend(w for w in item.query("*") if w.focusable)
        return stops

    def action_focus_next(self) -> None:
        """Tab: the next stop (see the module docstring)."""
        self._tab(1)

    def action_focus_previous(self) -> None:
        """Shift+Tab: the stop before."""
        self._tab(-1)

    def _tab(self, step: int) -> None:
        stops = self.tab_stops()
        if stops is None:
            (self.screen.focus_next if step > 0 else self.screen.focus_previous)()
            return
        here = self.focused
        at = next((i for i, stop in enumerate(stops) if here is not None and stop in here.ancestors_with_self), None)
        target = stops[0] if at is None else stops[(at + step) % len(stops)]
        target.focus()
