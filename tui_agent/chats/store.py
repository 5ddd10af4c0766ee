"""Saved conversations in SQLite (standard library ``sqlite3``), one file in the user data dir.

Every chat keeps its messages; an answer keeps the model that gave it, how it
was made (its mode: recall, generate, …), the experience it was stored as, the experiences that
steered it ("from memory"), its rating with Q and N after the rating, and a
correction. The file is ``<data dir>/chats.sqlite3`` (platformdirs; under
``$TUI_AGENT_HOME/data`` when set).

Schema versions live in ``PRAGMA user_version``; :data:`MIGRATIONS` upgrades an
older file in place, in one transaction, when it is opened. A file from a newer
tui-agent, or one that is not a SQLite database, raises :class:`ChatStoreError`
with a one-line message and is left untouched; so does a damaged page met while reading, and a
write that waits over 5 s for another writer's lock (the message says what to do). Values of the
wrong type in a row (SQLite keeps any type in any column) are read as "unknown" (``None``), never
raised (:mod:`tui_agent.chats.values`). WAL mode and a busy time-out let the chat and
``tui-agent chats`` use the file at the same time.
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tui_agent.chats.messages import (RUN_KINDS, Chat, ChatMessage, chat_from_row, details_of, message_from_row,
                                      plain_exemplar, suggestion_details)

__all__ = ["MIGRATIONS", "RUN_KINDS", "SCHEMA_VERSION", "Chat", "ChatMessage", "ChatStore", "ChatStoreError",
           "default_path", "title_for"]
from tui_agent.chats.values import sqlite_problem
from tui_agent.config.base import data_dir
from tui_agent.storage.sqlite_schema import migrate

MIGRATIONS: tuple[str, ...] = (
    # 1: chats and their messages
    """
    CREATE TABLE chats (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        created REAL NOT NULL,          -- Unix time, seconds
        updated REAL NOT NULL,
        model TEXT                      -- the model of the last answer
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        created REAL NOT NULL,
        model TEXT,
        experience_id TEXT,
        policy TEXT,
        rating INTEGER CHECK (rating IN (-1, 1)),
        q REAL,
        n INTEGER,
        correction TEXT,
        details TEXT NOT NULL DEFAULT '{}'   -- JSON: exemplars, rejected, warning, kind, suggestion
    );
    CREATE INDEX messages_by_chat ON messages(chat_id, id);
    """,
    # 2: a system prompt per chat
    """
    ALTER TABLE chats ADD COLUMN system_prompt TEXT;
    """,
    # 3: an answer's column for how it was made is named for what it holds (recall, generate, …; a run's kind)
    """
    ALTER TABLE messages RENAME COLUMN policy TO mode;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
TITLE_CHARS = 60
BUSY_TIMEOUT_S = 5.0
"""How long a write waits for another writer's lock before :class:`ChatStoreError`."""
MEMORY = ":memory:"


class ChatStoreError(RuntimeError):
    """The chats file cannot be opened, read or written; the message is one line and names the file."""


def default_path() -> Path:
    """``<data dir>/chats.sqlite3``."""
    return data_dir() / "chats.sqlite3"


def title_for(text: str) -> str:
    """A chat title from its first message: one line, at most :data:`TITLE_CHARS` characters."""
    line = " ".join(text.split()) or "untitled"
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


class ChatStore:
    """The saved chats in one SQLite file (created with its directory on first use).

    Args:
        path: the database file; default :func:`default_path`.

    Raises:
        ChatStoreError: the file is not a chats database, is from a newer tui-agent, or cannot be created.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self._lock = threading.Lock()
        try:
            if str(self.path) != MEMORY:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ChatStoreError(f"chats file {self.path} cannot be opened: {exc}") from exc
        self._db.row_factory = sqlite3.Row
        try:
            self._upgrade()
        except ChatStoreError:
            self._db.close()
            raise

    @classmethod
    def in_memory(cls) -> ChatStore:
        """A store that lasts as long as the process (used when the file cannot be opened)."""
        return cls(MEMORY)

    @property
    def persistent(self) -> bool:
        return str(self.path) != MEMORY

    # --- schema ---------------------------------------------------------------------

    def _upgrade(self) -> None:
        with self._guard("opened"):
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise ChatStoreError(
                    f"chats file {self.path} has schema version {version}; this tui-agent reads up to "
                    f"{SCHEMA_VERSION} (update tui-agent)")
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if version == 0 and tables - {"sqlite_sequence"}:
                raise ChatStoreError(f"chats file {self.path} holds other tables ({', '.join(sorted(tables))})")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            if version == SCHEMA_VERSION:
                return
            migrate(self._db, MIGRATIONS)

    @property
    def version(self) -> int:
        """The file's schema version (:data:`SCHEMA_VERSION` once opened)."""
        with self._guard("read"):
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        with self._lock:
            try:
                yield
            except sqlite3.Error as exc:
                raise ChatStoreError(sqlite_problem(self.path, doing, exc)) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._guard("written"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- chats ----------------------------------------------------------------------

    def create(self, title: str, model: str | None = None, system_prompt: str | None = None) -> Chat:
        """A new, empty chat (``title`` is cut to one line of :data:`TITLE_CHARS`)."""
        now = time.time()
        chat = Chat(uuid.uuid4().hex[:12], title_for(title), now, now, model, system_prompt)
        with self._write() as db:
            db.execute("INSERT INTO chats (id, title, created, updated, model, system_prompt) VALUES (?, ?, ?, ?, ?, ?)",
                       (chat.id, chat.title, now, now, model, system_prompt))
        return chat

    def list(self, search: str | None = None, limit: int | None = None) -> list[Chat]:
        """Chats, most recently updated first (without messages; ``count`` set).

        ``search`` keeps chats whose title or any message contains it (case-insensitive substring).

        Raises:
            ChatStoreError: the file cannot be read (e.g. a damaged page).
        """
        sql = ("SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.chat_id = c.id) AS count FROM chats c")
        args: list[Any] = []
        if search and search.strip():
            pattern = "%" + _escape_like(search.strip()) + "%"
            sql += (" WHERE c.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = c.id "
                    "AND m.content LIKE ? ESCAPE '\\')")
            args += [pattern, pattern]
        sql += " ORDER BY c.updated DESC, c.rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        with self._guard("read"):
            return [chat_from_row(r) for r in self._db.execute(sql, args).fetchall()]

    def resolve(self, chat_id: str) -> str:
        """The full id of the chat whose id is ``chat_id`` or starts with it.

        Raises:
            KeyError: no chat has that id (or the prefix is ambiguous; the message says which).
        """
        text = chat_id.strip()
        with self._guard("read"):
            rows = self._db.execute("SELECT id FROM chats WHERE id LIKE ? ESCAPE '\\' LIMIT 3",
                                    (_escape_like(text) + "%",)).fetchall() if text else []
        ids = [r[0] for r in rows]
        if text in ids:
            return text
        if len(ids) == 1:
            return ids[0]
        raise KeyError(f"no chat with id {text!r}" if not ids else f"chat id {text!r} is ambiguous")

    def get(self, chat_id: str) -> Chat:
        """The chat (id or unique prefix) with all its messages, oldest first.

        Raises:
            KeyError: no such chat.  ChatStoreError: the file cannot be read.
        """
        full = self.resolve(chat_id)
        with self._guard("read"):
            row = self._db.execute("SELECT c.*, 0 AS count FROM chats c WHERE id = ?", (full,)).fetchone()
            if row is None:
                raise KeyError(f"no chat with id {chat_id!r}")
            rows = self._db.execute("SELECT * FROM messages WHERE chat_id = ? ORDER BY id", (full,)).fetchall()
        chat = chat_from_row(row)
        chat.messages = [message_from_row(r) for r in rows]
        chat.count = len(chat.messages)
        return chat

    def rename(self, chat_id: str, title: str) -> None:
        """Set a chat's title (one line; empty titles are refused).

        Raises:
            KeyError: no such chat.  ValueError: the title is empty.
            ChatStoreError: the file cannot be written (e.g. another writer holds it for over 5 s).
        """
        if not title.strip():
            raise ValueError("the title is empty")
        self._update_chat(chat_id, "title = ?", (title_for(title),))

    def set_system_prompt(self, chat_id: str, prompt: str | None) -> None:
        """Set (or clear, with ``None`` / blank) the chat's system prompt.

        Raises:
            KeyError: no such chat.
        """
        self._update_chat(chat_id, "system_prompt = ?", (prompt.strip() if prompt and prompt.strip() else None,))

    def _update_chat(self, chat_id: str, assignment: str, args: tuple[Any, ...]) -> None:
        full = self.resolve(chat_id)
        with self._write() as db:
            db.execute(f"UPDATE chats SET {assignment}, updated = ? WHERE id = ?", (*args, time.time(), full))

    def delete(self, chat_id: str) -> None:
        """Delete a chat and its messages.

        Raises:
            KeyError: no such chat.
            ChatStoreError: the file cannot be written (e.g. another writer holds it for over 5 s).
        """
        full = self.resolve(chat_id)
        with self._write() as db:
            db.execute("DELETE FROM chats WHERE id = ?", (full,))

    # --- messages -------------------------------------------------------------------

    def add_message(self, chat_id: str, role: str, content: str, *, model: str | None = None,
                    experience_id: str | None = None, mode: str | None = None,
                    exemplars: builtins.list[dict[str, Any]] | None = None,
                    rejected: builtins.list[str] | None = None,
                    warning: str | None = None, kind: str | None = None,
                    suggestion: dict[str, Any] | None = None) -> int:
        """Append a message ("user" or "assistant"); returns its id. An answer also sets the chat's model.
        ``kind`` marks a ``/task`` / ``/doc`` outcome (:meth:`add_run`).

        Raises:
            ChatStoreError: the file cannot be written, or the chat does not exist.
        """
        fields: dict[str, Any] = {"exemplars": exemplars or [], "rejected": rejected or [], "warning": warning}
        if kind is not None:
            fields["kind"] = kind
        if suggestion is not None:
            fields["suggestion"] = suggestion
        details = json.dumps(fields, ensure_ascii=False)
        now = time.time()
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO messages (chat_id, role, content, created, model, experience_id, mode, details) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (chat_id, role, content, now, model, experience_id, mode, details))
            db.execute("UPDATE chats SET updated = ?, model = COALESCE(?, model) WHERE id = ?", (now, model, chat_id))
            assert cur.lastrowid is not None  # an INSERT sets it
            return cur.lastrowid

    def add_answer(self, chat_id: str, answer: Any) -> int:
        """Append a chat answer (a :class:`~tui_agent.chat.answer.ChatAnswer` or an object with its fields:
        ``answer``, ``model``, ``id``, ``mode``, ``exemplars``, ``rejected``, ``warning``, optionally
        ``suggestion``); returns its id. The answer's ``mode`` (recall, generate, …) is the message's ``mode``
        (a column named ``policy`` before schema version 3); a suggestion with a stored pairing is kept pending (:meth:`settle_suggestion`).

        Raises:
            ChatStoreError: the file cannot be written, or the chat does not exist.
        """
        return self.add_message(chat_id, "assistant", answer.answer, model=answer.model, experience_id=answer.id,
                                mode=answer.mode, exemplars=[plain_exemplar(e) for e in answer.exemplars],
                                rejected=list(answer.rejected), warning=answer.warning,
                                suggestion=suggestion_details(getattr(answer, "suggestion", None)))

    def settle_suggestion(self, message_id: int, accepted: bool, q: float, n: int) -> None:
        """Record the user's choice on an answer's suggestion. Accepting makes the taught answer the
        message's answer (its text, experience = the pairing, 👍 with the pairing's Q and N), as on screen;
        dismissing only marks it, so a reopened chat does not offer it again.

        Raises:
            ChatStoreError: the file cannot be written.
        """
        with self._write() as db:
            row = db.execute("SELECT details FROM messages WHERE id = ?", (message_id,)).fetchone()
            details = details_of(row["details"]) if row is not None else {}
            pending = details.get("suggestion")
            if not isinstance(pending, dict):
                return
            pending["outcome"] = "accepted" if accepted else "dismissed"
            db.execute("UPDATE messages SET details = ? WHERE id = ?",
                       (json.dumps(details, ensure_ascii=False), message_id))
            if accepted:
                db.execute("UPDATE messages SET content = ?, experience_id = ?, mode = 'recall', rating = 1, q = ?, "
                           "n = ? WHERE id = ?", (str(pending.get("answer", "")), pending.get("id"), q, n, message_id))

    def add_run(self, chat_id: str, kind: str, outcome: str, *, model: str | None = None,
                warning: str | None = None) -> int:
        """Append the outcome of a ``/task`` or ``/doc`` run (``kind`` "task" / "doc") as a message of its own
        (role "assistant", :attr:`ChatMessage.kind` set); returns its id.

        Raises:
            ValueError: ``kind`` is not one of :data:`RUN_KINDS`.
            ChatStoreError: the file cannot be written, or the chat does not exist.
        """
        if kind not in RUN_KINDS:
            raise ValueError(f"run kind must be one of {', '.join(RUN_KINDS)}, got {kind!r}")
        return self.add_message(chat_id, "assistant", outcome, model=model, mode=kind, warning=warning, kind=kind)

    def set_rating(self, message_id: int, up: bool, q: float, n: int) -> None:
        """Record a rating on an answer (+1 / −1 and the experience's Q and N after it), or on a
        run (the mean Q of its rated steps, and their count)."""
        with self._write() as db:
            db.execute("UPDATE messages SET rating = ?, q = ?, n = ? WHERE id = ?", (1 if up else -1, q, n, message_id))

    def set_correction(self, message_id: int, text: str) -> None:
        """Record the correction typed after 👎."""
        with self._write() as db:
            db.execute("UPDATE messages SET correction = ? WHERE id = ?", (text, message_id))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
