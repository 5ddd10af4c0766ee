"""Reading a chats file's values safely, and one line for its SQLite errors.

SQLite keeps any type in any column, so a row written by a bug or another tool can hold text where a
number belongs. These helpers never raise: a value that is not what the column means reads as None
(a time as 0), and the chats show it as unknown.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

__all__ = ["sqlite_problem", "stored_float", "stored_int", "stored_text", "stored_time"]


def sqlite_problem(path: Path, doing: str, exc: sqlite3.Error) -> str:
    """One line for a SQLite error, with what to do about the usual ones (busy, damaged)."""
    text = " ".join(str(exc).split())
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return (f"chats file {path} cannot be {doing}: another tui-agent is writing it; "
                "try again when it has finished")
    if "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        return (f"chats file {path} cannot be {doing}: it is damaged ({text}); move it aside to start "
                "a new one, or restore a backup")
    return f"chats file {path} cannot be {doing}: {text}"


def stored_float(value: Any) -> float | None:
    """A stored number as a finite float; anything else (text, NaN, a blob) as None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def stored_time(value: Any) -> float:
    """A stored Unix time, or 0 when it is not a number between 1970 and 9999 (so it always formats)."""
    number = stored_float(value)
    return number if number is not None and 0 <= number < 253402214400 else 0.0


def stored_int(value: Any, allowed: tuple[int, ...] | None = None) -> int | None:
    """A stored whole number (one of ``allowed`` when given), else None."""
    number = stored_float(value)
    if number is None or not number.is_integer() or abs(number) > 2**63:
        return None
    whole = int(number)
    return whole if allowed is None or whole in allowed else None


def stored_text(value: Any) -> str | None:
    """A stored text (a blob decoded as UTF-8, a number as its text); None stays None."""
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
