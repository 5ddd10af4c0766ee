"""The answer's Markdown widget with terminal controls made visible (see :mod:`tui_agent.tui.safe`).

Its own module so that Textual's Markdown (and markdown_it) load with the first answer, not
before the first paint.
"""

from __future__ import annotations

from textual.await_complete import AwaitComplete
from textual.widgets import Markdown

from tui_agent.text.terminal import visible

__all__ = ["SafeMarkdown"]


class SafeMarkdown(Markdown):
    """A :class:`textual.widgets.Markdown` that never passes a terminal control character to the screen."""

    def update(self, markdown: str) -> AwaitComplete:
        return super().update(visible(markdown))

    def append(self, markdown: str) -> AwaitComplete:
        return super().append(visible(markdown))
