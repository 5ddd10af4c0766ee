"""Untrusted text (model answers, memory rows) into widgets: controls made visible, never markup.

The TUI side of :mod:`tui_agent.text.terminal`: every widget that shows stored or generated
text builds it with :func:`plain` (a :class:`rich.text.Text`, so ``[b]`` is shown as typed) or
renders it in a :class:`SafeMarkdown`, whose :meth:`~SafeMarkdown.update` and
:meth:`~SafeMarkdown.append` pass the text through :func:`~tui_agent.text.terminal.visible`
first — so the streamed pieces and the final answer are covered alike.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from tui_agent.text.terminal import visible

__all__ = ["count_of", "plain", "visible"]  # and SafeMarkdown, loaded on first use (below)


def plain(text: Any, style: str = "", **kwargs: Any) -> Text:
    """``text`` as a plain :class:`rich.text.Text` (no markup) with terminal controls made visible."""
    return Text(visible(text), style=style, **kwargs)


def count_of(n: int, noun: str) -> str:
    """``n`` and the noun, singular for 1: ``count_of(1, "experience")`` → "1 experience"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def __getattr__(name: str) -> Any:
    if name == "SafeMarkdown":  # imported on first use: Markdown brings markdown_it (~0.1 s before the first paint)
        from tui_agent.tui.safe_markdown import SafeMarkdown

        return SafeMarkdown
    raise AttributeError(name)
