"""What the chat app's mixins (:mod:`~tui_agent.tui.chat_actions`, :mod:`~tui_agent.tui.notes_actions`,
:mod:`~tui_agent.tui.stats_actions`) use of :class:`~tui_agent.tui.app.ChatApp`, for the type checker.

The mixins subclass :class:`ChatAppState` only while type checking (``if TYPE_CHECKING``); at run time
they are plain classes and :class:`~tui_agent.tui.app.ChatApp` provides all of this.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.containers import VerticalScroll

if TYPE_CHECKING:
    from tui_agent.chat.agent import ChatAgent
    from tui_agent.config.settings import Settings
    from tui_agent.tui.chat_session import ChatSession
    from tui_agent.tui.keymap import Keymap

__all__ = ["ChatAppState"]


class ChatAppState(App[Any]):
    """The chat app's state and the few of its methods the mixins call."""

    session: ChatSession
    keymap: Keymap
    settings: Settings
    agent: ChatAgent | None
    """Built in a worker after the first paint: None until then (and when loading failed)."""
    ready: asyncio.Event
    """Set when loading the agent finished (or failed: then ``load_error`` says why)."""
    load_error: str | None
    history: list[tuple[str, str]]
    """The conversation as (role, text) pairs, for the model."""

    def set_status(self, text: str) -> None:
        """Show ``text`` (plain, never markup) in the status line."""
        raise NotImplementedError

    def refresh_status(self) -> None:
        """Show the model, the policy and the memory's size in the status line."""
        raise NotImplementedError

    def action_focus_input(self) -> None:
        """Focus the chat input."""
        raise NotImplementedError

    def _clear_chat(self) -> VerticalScroll:
        """Empty the conversation shown and kept; returns the chat container."""
        raise NotImplementedError
