"""A saved chat as Markdown (to read or paste) or JSON (every field, to process)."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from tui_agent.chats.messages import Chat, ChatMessage
from tui_agent.chats.store import SCHEMA_VERSION
from tui_agent.text.terminal import visible

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
    Terminal control characters are made visible (:func:`tui_agent.text.terminal.visible`), so the
    file is safe to ``cat``; an exemplar value that is not a number shows as ``?``. Never raises on
    odd stored values.
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
                out.append(f"> - {_line(e.get('role', '?'))} Q={_number(e.get('q', 0), '+.2f')} "
                           f"N={_line(e.get('n', 0))} sim={_number(e.get('similarity', 0), '.2f')}: "
                           f"{_line(e.get('task', ''))} → {_line(e.get('answer', ''))}")
            out.append("")
        if m.suggestion and m.suggestion.get("outcome") != "accepted":
            state = "dismissed" if m.suggestion.get("outcome") == "dismissed" else "not yet used"
            out += [f"> **suggested** ({state}; taught for: {_line(m.suggestion.get('question', ''))}): "
                    f"{_line(m.suggestion.get('answer', ''))}", ""]
        if m.correction:
            out += [f"> **correction:** {_line(m.correction)}", ""]
        if m.warning:
            out += [f"> ⚠ {_line(m.warning)}", ""]
    return visible("\n".join(out).rstrip() + "\n")


def _heading(m: ChatMessage) -> str:
    if m.role == "user":
        return "You"
    if m.kind is not None:
        rated = {1: " · 👍", -1: " · 👎"}.get(m.rating or 0, "")
        return f"/{m.kind} run{rated}"
    parts = ["Assistant", m.model or "?"]
    if m.mode == "recall":
        parts.append("from memory")
    if m.rating is not None:
        q = f" · Q = {m.q:+.2f} (N = {m.n})" if m.q is not None else ""
        parts.append(("👍" if m.rating > 0 else "👎") + q)
    return " · ".join(parts)


def _number(value: Any, spec: str) -> str:
    """``value`` formatted with ``spec`` if it is a finite number (or numeric text), else ``?``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return "?"
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return "?"
    return format(number, spec) if math.isfinite(number) else "?"


def _line(text: Any) -> str:
    return " ".join(str(text).split())
