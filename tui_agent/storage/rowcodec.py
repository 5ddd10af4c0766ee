"""Dataclass records ↔ table rows, shared by the experience and notes tables.

A row is a dict with one key per dataclass field; ``vector`` (if present and
not None) is a list of Python floats. Reading back ignores unknown keys, turns
the vector into a list and nulls of the given text fields into ``""``.

The converters :func:`to_float`, :func:`to_int` and :func:`to_datetime` turn an imported value
(JSON, CSV text, Parquet) into a column's type or raise the caller's error (``col.fail``): they are
shared by the experience import (:mod:`tui_agent.memory.coerce`) and the notes import
(:mod:`tui_agent.notes.validate`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, Protocol


__all__ = ["Fails", "describe", "record_from_row", "record_to_row", "to_datetime", "to_float", "to_int"]


def record_to_row(record: Any) -> dict[str, Any]:
    """The dataclass ``record`` as a row dict (vector as a list of floats)."""
    row = {f.name: getattr(record, f.name) for f in fields(record)}
    if row.get("vector") is not None:
        row["vector"] = [float(x) for x in row["vector"]]
    return row


def record_from_row(cls: type[Any], row: dict[str, Any], text_fields: Iterable[str] = ()) -> dict[str, Any]:
    """Keyword arguments for ``cls`` from ``row``: its fields only, vector as a list, null texts as ``""``."""
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in row.items() if k in names}
    if values.get("vector") is not None:
        values["vector"] = list(values["vector"])
    for key in text_fields:
        if values.get(key) is None:
            values[key] = ""
    return values


class Fails(Protocol):
    """A column being converted: ``fail(problem, row)`` makes the exception to raise."""

    def fail(self, problem: str, row: int | None = None) -> Exception: ...


def describe(value: Any) -> str:
    """``repr(value)``, cut to 40 characters (for error messages)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def to_float(col: Fails, v: Any, i: int) -> float:
    """``v`` (a JSON number or numeric text, not a bool) as a float.

    Raises:
        the exception of ``col.fail``: not a number.
    """
    if isinstance(v, bool):
        raise col.fail(f"must be a number, got {describe(v)}", i)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            pass
    raise col.fail(f"must be a number, got {describe(v)}", i)


def to_int(col: Fails, v: Any, i: int) -> int:
    """``v`` as a whole number in the int64 range.

    Raises:
        the exception of ``col.fail``: not a number, a fraction, or out of range.
    """
    value = to_float(col, v, i) if not (isinstance(v, int) and not isinstance(v, bool)) else v
    if isinstance(value, float):
        if not value.is_integer():
            raise col.fail(f"must be a whole number, got {describe(v)}", i)
        value = int(value)
    if not -(2**63) <= value < 2**63:
        raise col.fail(f"is out of range: {describe(v)}", i)
    return value


def to_datetime(col: Fails, v: Any, i: int) -> datetime:
    """``v`` (a datetime or ISO 8601 text) as an aware UTC datetime (naive times are read as UTC).

    Raises:
        the exception of ``col.fail``: not a time.
    """
    if isinstance(v, datetime):
        dt = v
    elif isinstance(v, str):
        try:
            dt = datetime.fromisoformat(v.strip())
        except ValueError:
            raise col.fail(f"must be an ISO 8601 time, got {describe(v)}", i) from None
    else:
        raise col.fail(f"must be an ISO 8601 time, got {describe(v)}", i)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
