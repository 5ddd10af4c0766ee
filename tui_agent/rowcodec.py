"""Dataclass records ↔ table rows, shared by the experience and notes tables.

A row is a dict with one key per dataclass field; ``vector`` (if present and
not None) is a list of Python floats. Reading back ignores unknown keys, turns
the vector into a list and nulls of the given text fields into ``""``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["record_from_row", "record_to_row"]


def record_to_row(record: Any) -> dict[str, Any]:
    """The dataclass ``record`` as a row dict (vector as a list of floats)."""
    row = {f.name: getattr(record, f.name) for f in fields(record)}
    if row.get("vector") is not None:
        row["vector"] = [float(x) for x in row["vector"]]
    return row


def record_from_row(cls: type[T], row: dict[str, Any], text_fields: Iterable[str] = ()) -> dict[str, Any]:
    """Keyword arguments for ``cls`` from ``row``: its fields only, vector as a list, null texts as ``""``."""
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in row.items() if k in names}
    if values.get("vector") is not None:
        values["vector"] = list(values["vector"])
    for key in text_fields:
        if values.get(key) is None:
            values[key] = ""
    return values
