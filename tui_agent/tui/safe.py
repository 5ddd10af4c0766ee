"""Untrusted text (model answers, memory rows) into widgets: controls made visible, never markup.

The TUI side of :mod:`tui_agent.terminal_text`: every widget that shows stored or generated
text builds it with :func:`plain` (a :class:`rich.text.Text`, so ``[b]`` is shown as typed) or
renders it in a :class:`SafeMarkdown`, whose :meth:`~SafeMarkdown.update` and
:meth:`~SafeMarkdown.append` pass the text through :func:`~tui_agent.terminal_text.visible`
first — so the streamed pieces and the final answer are covered alike.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.await_complete import AwaitComplete
from textual.widgets import Markdown

from tui_agent.terminal_text import visible

__all__ = ["SafeMarkdown", "plain", "visible"]


def plain(text: Any, style: str = "", **kwargs: Any) -> Text:
    """``text`` as a plain :class:`rich.text.Text` (no markup) with terminal controls made visible."""
    return Text(visible(text), style=style, **kwargs)


class SafeMarkdown(Markdown):
    """A :class:`textual.widgets.Markdown` that never passes a terminal control character to the screen."""

    def update(self, markdown: str) -> AwaitComplete:
        return super().update(visible(markdown))

    def append(self, markdown: str) -> AwaitComplete:
        return super().append(visible(markdown))
