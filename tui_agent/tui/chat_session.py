"""The chat being shown, saved as it goes: creates it on the first message, appends answers, ratings,
corrections, keeps its system prompt. No widgets here; the app calls it and shows ``errors``.

When the chats file cannot be opened (corrupt, from a newer version, unwritable) the session keeps
this run's chats in memory, says so once, and leaves the file as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_agent.chats.store import Chat, ChatStore, ChatStoreError


class ChatSession:
    """The current chat in a :class:`~tui_agent.chats.store.ChatStore`.

    Args:
        path: the chats file (default: ``<data dir>/chats.sqlite3``).
        on_error: called with a one-line message when the store fails (the app notifies).
    """

    def __init__(self, path: Path | None = None, on_error: Callable[[str], Any] | None = None) -> None:
        self.on_error = on_error or (lambda _msg: None)
        self.error: str | None = None
        try:
            self.store = ChatStore(path)
        except ChatStoreError as exc:
            self.error = f"{exc}; this session's chats are kept in memory only"
            self.store = ChatStore.in_memory()
        self.chat_id: str | None = None
        self.pending_system_prompt: str | None = None

    def _safe(self, call: Callable[[], Any], default: Any = None) -> Any:
        try:
            return call()
        except (ChatStoreError, KeyError) as exc:
            message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
            self.on_error(f"chat not saved: {message}")
            return default

    @property
    def system_prompt(self) -> str | None:
        """This chat's system prompt (``None``: the default one)."""
        chat_id = self.chat_id
        if chat_id is None:
            return self.pending_system_prompt
        chat = self._safe(lambda: self.store.get(chat_id))
        return chat.system_prompt if chat else None

    def set_system_prompt(self, prompt: str | None) -> None:
        prompt = prompt.strip() if prompt and prompt.strip() else None
        chat_id = self.chat_id
        if chat_id is None:
            self.pending_system_prompt = prompt
        else:
            self._safe(lambda: self.store.set_system_prompt(chat_id, prompt))

    def new(self) -> None:
        """Start a new chat (created in the store on its first message)."""
        self.chat_id = None
        self.pending_system_prompt = None

    def open(self, chat_id: str) -> Chat | None:
        """Make ``chat_id`` the current chat and return it with its messages (``None`` if it is gone)."""
        chat = self._safe(lambda: self.store.get(chat_id))
        if chat is not None:
            self.chat_id = chat.id
        return chat

    def user(self, text: str, model: str | None) -> None:
        """Save a message the user sent (creating the chat, titled by it, when needed)."""
        chat_id = self.chat_id
        if chat_id is None:
            chat = self._safe(lambda: self.store.create(text, model, self.pending_system_prompt))
            if chat is None:
                return
            self.chat_id = chat_id = chat.id
        self._safe(lambda: self.store.add_message(chat_id, "user", text))

    def answer(self, result: Any) -> int | None:
        """Save an answer (a :class:`~tui_agent.chat.answer.ChatAnswer`; its ``mode`` is the message's ``policy``
        column); returns its message id."""
        chat_id = self.chat_id
        if chat_id is None:
            return None
        return self._safe(lambda: self.store.add_answer(chat_id, result))

    def run(self, kind: str, outcome: str, model: str | None = None, warning: str | None = None) -> int | None:
        """Save the outcome of a ``/task`` / ``/doc`` run (``kind`` "task" / "doc"); returns its message id."""
        chat_id = self.chat_id
        if chat_id is None:
            return None
        return self._safe(lambda: self.store.add_run(chat_id, kind, outcome, model=model, warning=warning))

    def rating(self, message_id: int | None, up: bool, q: float, n: int) -> None:
        if message_id is not None:
            self._safe(lambda: self.store.set_rating(message_id, up, q, n))

    def suggestion(self, message_id: int | None, accepted: bool, q: float, n: int) -> None:
        """Save the choice on an answer's suggestion (:meth:`~tui_agent.chats.store.ChatStore.settle_suggestion`)."""
        if message_id is not None:
            self._safe(lambda: self.store.settle_suggestion(message_id, accepted, q, n))

    def correction(self, message_id: int | None, text: str) -> None:
        if message_id is not None:
            self._safe(lambda: self.store.set_correction(message_id, text))

    def current(self) -> Chat | None:
        """The current chat with its messages (``None`` before the first message)."""
        chat_id = self.chat_id
        return None if chat_id is None else self._safe(lambda: self.store.get(chat_id))
