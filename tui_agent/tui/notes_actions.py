"""``/remember TEXT`` and ``/forget [ID|TEXT]`` in the chat: knowledge notes from the input line.

A mixin of :class:`~tui_agent.tui.app.ChatApp` (it uses the app's ``agent``, ``ready`` and the ``#chat``
container). The note text is shown as plain text (never Rich markup).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui_agent.tui.safe import plain
from tui_agent.tui.widgets import UserMessage

if TYPE_CHECKING:
    from tui_agent.tui.app_state import ChatAppState
else:
    ChatAppState = object

class NotesActions(ChatAppState):
    """Handles the note commands typed in the chat input."""

    def note_command(self, text: str) -> None:
        """Show the command and run it in a thread (embedding and the table write block)."""
        chat = self.query_one("#chat", VerticalScroll)
        chat.mount(UserMessage(text))
        reply = Static(plain("…"), classes="note-reply")
        chat.mount(reply)
        chat.anchor()
        self._run_note_command(text, reply)

    @work(group="notes")
    async def _run_note_command(self, text: str, reply: Static) -> None:
        import asyncio

        command, _, rest = text.strip().partition(" ")
        await self.ready.wait()
        try:
            if self.agent is None or self.load_error:
                raise RuntimeError(f"not ready: {self.load_error}")
            if command == "/remember":
                note = await asyncio.to_thread(self.agent.remember, rest)
                message = f"📝 remembered as note {note.id[:8]}: {note.text}"
            else:
                removed = await asyncio.to_thread(self.agent.forget, rest)
                message = (f"🗑 forgot note {removed[0].id[:8]}: {removed[0].text}" if removed
                           else "no chat note to forget (notes from files: tui-agent notes remove)")
        except Exception as exc:  # noqa: BLE001 - one line for the user; the app keeps running
            message = f"✗ {command}: {exc}"
        reply.update(plain(message))
