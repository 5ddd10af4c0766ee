"""A saved chat as Markdown (to read or paste) or JSON (every field, to process)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from tui_agent.chats.store import SCHEMA_VERSION, Chat, ChatMessage

FORMATS = ("md", "json")


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO-8601 UTC (``2025-01-31T12:00:00+00:00``), ``None`` stays ``None``."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def to_json(chat: Chat) -> dict[str, Any]:
    """Every field of the chat and its messages; times as ISO-8601 UTC; with the store's schema version."""
    data = asdict(chat)
    data["created"], data["updated"] = iso(chat.created), iso(chat.updated)
    data["count"] = len(chat.messages)
    for message in data["messages"]:
        message["created"] = iso(message["created"])
    return {"schema_version": SCHEMA_VERSION, "chat": data}


def to_markdown(chat: Chat) -> str:
    """The chat as Markdown: a title, a line of facts, then each message under a heading.

    An answer's heading names its model and rating; "from memory" and a correction follow as quotes.
    """
    when = datetime.fromtimestamp(chat.created).strftime("%Y-%m-%d %H:%M")
    out = [f"# {chat.title}", "", f"*{len(chat.messages)} messages · started {when} · id {chat.id}*", ""]
    if chat.system_prompt:
        out += ["**System prompt:** " + chat.system_prompt, ""]
    for m in chat.messages:
        out += [f"## {_heading(m)}", "", m.content.rstrip(), ""]
        if m.role != "assistant":
            continue
        if m.exemplars:
            out.append("> **from memory**")
            for e in m.exemplars:
                out.append(f"> - {e.get('role', '?')} Q={float(e.get('q', 0)):+.2f} N={e.get('n', 0)} "
                           f"sim={float(e.get('similarity', 0)):.2f}: {_line(e.get('task', ''))} → "
                           f"{_line(e.get('answer', ''))}")
            out.append("")
        if m.correction:
            out += [f"> **correction:** {_line(m.correction)}", ""]
        if m.warning:
            out += [f"> ⚠ {_line(m.warning)}", ""]
    return "\n".join(out).rstrip() + "\n"


def _heading(m: ChatMessage) -> str:
    if m.role == "user":
        return "You"
    parts = ["Assistant", m.model or "?"]
    if m.policy == "recall":
        parts.append("from memory")
    if m.rating is not None:
        q = f" · Q = {m.q:+.2f} (N = {m.n})" if m.q is not None else ""
        parts.append(("👍" if m.rating > 0 else "👎") + q)
    return " · ".join(parts)


def _line(text: str) -> str:
    return " ".join(str(text).split())
