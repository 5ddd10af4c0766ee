"""The training stats screen from the chat: F8 and "Training stats" in the command palette.

A mixin of :class:`~tui_agent.tui.app.ChatApp` (it uses the app's ``agent`` and ``ready``). The screen module,
and with it plotext, is imported only when the screen is opened, so the app's first paint does not load it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.app import SystemCommand

if TYPE_CHECKING:
    from tui_agent.tui.app_state import ChatAppState
else:
    ChatAppState = object


class StatsActions(ChatAppState):
    """Opens :class:`~tui_agent.tui.stats_screen.StatsScreen` on the app's memory."""

    def action_open_stats(self) -> None:
        """Push the stats screen; before the memory has loaded it shows the runs without the Q histogram."""
        from tui_agent.tui.stats_screen import StatsScreen

        agent = self.agent if self.ready.is_set() and not self.load_error else None
        self.push_screen(StatsScreen(agent.store if agent is not None else None))

    def stats_commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand("Training stats", "Learning curves of a training run and the memory's Q-values (F8)",
                            self.action_open_stats)
