"""A saved chat and its messages as the app reads them, and how a row of the chats file becomes one.

Values of the wrong type in a row (SQLite keeps any type in any column) read as "unknown" (``None``),
never raised (:mod:`tui_agent.chats.values`); a message's ``details`` JSON that is not an object reads
as empty.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from tui_agent.chats.values import stored_float, stored_int, stored_text, stored_time

__all__ = ["RUN_KINDS", "Chat", "ChatMessage", "chat_from_row", "details_of", "message_from_row", "plain_exemplar",
           "suggestion_details"]


@dataclass
class ChatMessage:
    """One message. ``rating`` is +1 (👍), −1 (👎) or ``None``; ``q``/``n`` are the experience's Q and N
    after the rating (for a ``/task`` / ``/doc`` run: the mean Q of the rated steps and how many were rated);
    ``exemplars`` are dicts (id, task, answer, q, n, similarity, f_task, role)."""

    id: int
    role: str
    content: str
    created: float
    model: str | None = None
    experience_id: str | None = None
    mode: str | None = None
    """How the answer was made (``recall``, ``generate``, ``resample``, ``abstain``, ``random``; a run: its kind)."""
    rating: int | None = None
    q: float | None = None
    n: int | None = None
    correction: str | None = None
    exemplars: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    warning: str | None = None
    suggestion: dict[str, Any] | None = None
    """The taught answer suggested under this answer (``id``, ``answer``, ``question``, ``similarity``, ``p``,
    and ``outcome``: ``None`` while pending, ``"accepted"`` or ``"dismissed"``), or ``None``."""
    kind: str | None = None
    """``None`` for a chat answer; ``"task"`` / ``"doc"`` for the outcome of a ``/task`` / ``/doc`` run (see
    :meth:`ChatStore.add_run`): no experience of its own, not part of the conversation the model sees."""


RUN_KINDS = ("task", "doc")
"""The kinds of run kept in a chat as a message with their outcome (``/task``, ``/doc``)."""


@dataclass
class Chat:
    """A conversation. Times are Unix seconds; ``messages`` is empty in listings (``count`` holds their number)."""

    id: str
    title: str
    created: float
    updated: float
    model: str | None = None
    system_prompt: str | None = None
    count: int = 0
    messages: list[ChatMessage] = field(default_factory=list)

    def turns(self) -> list[tuple[str, str]]:
        """The conversation as (question, answer) pairs, oldest first: each user message with the answer
        that follows it; ``/task`` / ``/doc`` runs and a question left without an answer are left out."""
        out: list[tuple[str, str]] = []
        question: str | None = None
        for m in self.messages:
            if m.role == "user":
                question = m.content
            elif question is not None and m.kind is None:
                out.append((question, m.content))
                question = None
            else:
                question = None
        return out


def chat_from_row(row: sqlite3.Row) -> Chat:
    """A chat from its row; odd stored values (SQLite keeps any type in any column) read safely."""
    return Chat(stored_text(row["id"]) or "", stored_text(row["title"]) or "untitled",
                stored_time(row["created"]), stored_time(row["updated"]), stored_text(row["model"]),
                stored_text(row["system_prompt"]), stored_int(row["count"]) or 0)


def details_of(text: Any) -> dict[str, Any]:
    """A message's details JSON as a dict (``{}`` if it is not valid JSON or not an object)."""
    try:
        details = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return details if isinstance(details, dict) else {}


def suggestion_details(suggestion: Any) -> dict[str, Any] | None:
    """A :class:`~tui_agent.chat.remembered.Suggestion` as a plain dict, pending (``None`` without a stored pairing)."""
    if suggestion is None or getattr(suggestion, "id", None) is None:
        return None
    return {"id": suggestion.id, "answer": str(suggestion.answer), "question": str(suggestion.question),
            "similarity": float(suggestion.similarity), "p": float(suggestion.p), "outcome": None}


def message_from_row(row: sqlite3.Row) -> ChatMessage:
    details = details_of(row["details"])
    exemplars = [e for e in details.get("exemplars") or [] if isinstance(e, dict)]
    rejected = details.get("rejected")
    warning = details.get("warning")
    kind = details.get("kind")
    suggestion = details.get("suggestion")
    return ChatMessage(row["id"], stored_text(row["role"]) or "?", stored_text(row["content"]) or "",
                       stored_time(row["created"]), stored_text(row["model"]), stored_text(row["experience_id"]),
                       stored_text(row["mode"]), stored_int(row["rating"], (-1, 1)), stored_float(row["q"]),
                       stored_int(row["n"]), stored_text(row["correction"]),
                       exemplars, [str(r) for r in rejected] if isinstance(rejected, list) else [],
                       None if warning is None else str(warning),
                       suggestion if isinstance(suggestion, dict) else None, kind if kind in RUN_KINDS else None)


def plain_exemplar(exemplar: Any) -> dict[str, Any]:
    """An exemplar (a dataclass, a dict or a simple object) as a plain dict for the message's details."""
    from dataclasses import asdict, is_dataclass

    if isinstance(exemplar, dict):
        return dict(exemplar)
    return asdict(exemplar) if is_dataclass(exemplar) and not isinstance(exemplar, type) else dict(vars(exemplar))
