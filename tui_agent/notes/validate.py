"""Validation of imported notes, field by field, before anything is written.

Every row of a notes file (a JSONL line or a Parquet row, as Python values) is checked with the
experience import's converters (:mod:`tui_agent.storage.rowcodec`, shared with :mod:`tui_agent.memory.coerce`:
whole numbers, ISO 8601 times) and the notes table's rules:

* ``text`` and ``source``: required text; ``text`` not blank, at most 200,000 characters;
* ``title``, ``heading``, ``content_hash``, ``search_text``: text or null (null reads as "");
* ``id``: text of 1–128 characters without control characters, or null / absent (derived from the
  source, position and text);
* ``position``: a whole number in [0, 2^31 − 1] (null: 0);
* ``created_at``: an ISO 8601 time (null or absent: the time of the import);
* ``vector``: a list of 384 finite numbers within float32 range;
* no other keys (nothing is dropped silently); text must be valid Unicode (no lone surrogates).

:func:`check_rows` returns the notes, or raises :class:`NotesImportError` listing one line per bad
row (at most :data:`MAX_PROBLEMS`).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from tui_agent.embedding.encoder import EMBEDDING_DIM
from tui_agent.notes.schema import Note, notes_schema
from tui_agent.notes.store import MAX_NOTE_CHARS
from tui_agent.storage.rowcodec import describe, to_datetime, to_int

__all__ = ["MAX_NOTE_CHARS", "MAX_PROBLEMS", "NotesImportError", "check_rows"]

MAX_ID_CHARS = 128
MAX_PROBLEMS = 20
POSITION_MAX = 2**31 - 1
FLOAT32_MAX = 3.4028234663852886e38
TEXT_FIELDS = ("title", "heading", "content_hash", "search_text")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class NotesImportError(ValueError):
    """A notes file that cannot be imported; nothing was written.

    The message is one line, or a first line followed by one line per bad row.
    """


class BadField(ValueError):
    """One bad field of one row, as a short clause (the caller adds the file and the line or row)."""


class _Field:
    """A field being converted (:class:`tui_agent.storage.rowcodec.Fails`); its errors name the field only."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, problem: str, row: int | None = None) -> BadField:
        return BadField(f"{self.name} {problem}")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise BadField(f"{name} must be text, got {type(value).__name__} {describe(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadField(f"{name} has a character that is not valid Unicode (a lone surrogate)") from None
    return value


def _vector(value: Any) -> list[float]:
    if not isinstance(value, list) or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in value):
        raise BadField(f"needs a vector of {EMBEDDING_DIM} numbers, got {describe(value)}")
    if len(value) != EMBEDDING_DIM:
        raise BadField(f"needs a vector of {EMBEDDING_DIM} numbers, got {len(value)}")
    out = [float(x) for x in value]
    if not all(math.isfinite(x) and abs(x) <= FLOAT32_MAX for x in out):
        raise BadField("vector has a NaN, infinite or out-of-range value")
    return out


def check_row(row: Any, now: datetime) -> Note:
    """One row as a :class:`Note`.

    Raises:
        BadField: the first bad field, as one short clause (no file or row in it).
    """
    if not isinstance(row, dict):
        raise BadField(f"is not a JSON object, got {type(row).__name__} {describe(row)}")
    allowed = set(notes_schema().names)
    unknown = [k for k in row if k not in allowed]
    if unknown:
        raise BadField(f"has an unknown field {describe(unknown[0])} (expected the fields of a notes export)")
    for name in ("text", "source"):
        if row.get(name) is None:
            raise BadField(f"has no {name}")
    values: dict[str, Any] = {"text": _text("text", row["text"]), "source": _text("source", row["source"])}
    if not values["text"].strip() or len(values["text"]) > MAX_NOTE_CHARS:
        raise BadField(f"has an empty text or one over {MAX_NOTE_CHARS:,} characters")
    if not values["source"].strip():
        raise BadField("has an empty source")
    for name in TEXT_FIELDS:
        values[name] = "" if row.get(name) is None else _text(name, row[name])
        if len(values[name]) > MAX_NOTE_CHARS:
            raise BadField(f"{name} is over {MAX_NOTE_CHARS:,} characters")
    if row.get("id") is not None:
        ident = _text("id", row["id"])
        if not 1 <= len(ident) <= MAX_ID_CHARS or _CONTROL.search(ident):
            raise BadField(f"id must be 1–{MAX_ID_CHARS} characters without control characters")
        values["id"] = ident
    position = 0 if row.get("position") is None else to_int(_Field("position"), row["position"], 0)
    if not 0 <= position <= POSITION_MAX:
        raise BadField(f"position must be in [0, {POSITION_MAX}], got {describe(row['position'])}")
    values["position"] = position
    created = row.get("created_at")
    values["created_at"] = now if created is None else to_datetime(_Field("created_at"), created, 0)
    values["vector"] = _vector(row.get("vector"))
    return Note(**values)


def check_rows(rows: list[tuple[str, Any]], where: str) -> list[Note]:
    """Every row checked; ``rows`` pairs a label ("line 3", "row 3") with the row's value.

    Raises:
        NotesImportError: one or more bad rows: ``WHERE: N bad notes; nothing was imported (fix or
            remove them)`` then one line per bad row (the first :data:`MAX_PROBLEMS`).
    """
    now = datetime.now(UTC)
    notes: list[Note] = []
    problems: list[str] = []
    bad = 0
    for label, row in rows:
        try:
            notes.append(check_row(row, now))
        except BadField as exc:
            bad += 1
            if len(problems) < MAX_PROBLEMS:
                problems.append(f"  {label}: {exc}")
    if bad:
        more = [f"  … and {bad - MAX_PROBLEMS} more"] if bad > MAX_PROBLEMS else []
        head = f"{where}: {bad} bad note{'s' if bad != 1 else ''}; nothing was imported (fix or remove them)"
        raise NotesImportError("\n".join([head, *problems, *more]))
    return notes
