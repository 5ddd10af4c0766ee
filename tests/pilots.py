"""Test helpers for Textual pilot tests of the chat app."""

from __future__ import annotations

from pathlib import Path

from tui_agent.chat.agent import ChatAgent
from tui_agent.config.settings import load_settings
from tui_agent.tui.app import ChatApp
from tui_agent.tui.widgets import ChatInput


def make_app(memory_dir: Path, embedder, policy: str | None = None, **llm_params) -> ChatApp:
    """A ChatApp on ``memory_dir`` with the shared embedder (and ``policy``); ``llm_params`` go to ChatApp."""
    settings = load_settings(memory_dir=memory_dir, policy=policy) if policy else load_settings(memory_dir=memory_dir)
    return ChatApp(settings, agent=ChatAgent(settings, embedder=embedder), **llm_params)


async def submit(pilot, text: str) -> None:
    """Wait until the app is ready, type ``text`` into the chat input and press Enter."""
    app = pilot.app
    await app.ready.wait()
    app.query_one(ChatInput).focus()
    app.query_one(ChatInput).insert(text)
    await pilot.press("enter")


def make_light_app(memory_dir: Path, **llm_params) -> ChatApp:
    """A ChatApp on ``memory_dir`` with a hash embedder (no torch import): for UI tests that need no real
    similarity. ``llm_params`` go to ChatApp (``mock_response=…``)."""
    from vectors import HashEmbedder

    settings = load_settings(memory_dir=memory_dir)
    return ChatApp(settings, agent=ChatAgent(settings, embedder=HashEmbedder()), **llm_params)


async def run_episode(pilot, command: str, view_type: type):
    """Submit ``/task …`` or ``/doc …`` and wait for its episode; returns the new ``view_type`` view."""
    app = pilot.app
    await submit(pilot, command)
    await pilot.pause()
    view = app.query(view_type).last()
    await app.workers.wait_for_complete()
    await pilot.pause()
    return view


async def click(pilot, button) -> None:
    """Scroll ``button`` into view (a long episode pushes it below the screen), then click it. On a
    loaded machine the scroll can take more than one refresh: wait until the button is on screen."""
    for _ in range(20):
        for _ in range(50):
            button.scroll_visible(animate=False)
            await pilot.pause(0.02)
            region = button.region
            if region.area and region in pilot.app.screen.size.region:
                break
        if await pilot.click(button):  # True when the click landed on the button (the view may have moved)
            return
        await pilot.pause(0.05)
    raise AssertionError(f"could not click {button!r}: it never stayed on screen")


def text_of(widget) -> str:
    """What a Static widget shows, as plain text."""
    return str(widget.render())
