"""Limits every row must meet to be written: the importer's (:mod:`tui_agent.memory.validate`) on every write.

So the app never writes a row its own importer would reject (an 824,499-character answer was
stored while the import limit is 200,000), and counts saturate instead of overflowing.
"""

from __future__ import annotations

from tui_agent.memory.errors import RowLimitError
from tui_agent.memory.schema import Experience

__all__ = ["MAX_N", "check_limits"]

MAX_N = 2**63 - 1
"""The largest update count N (the int64 column's maximum): sums and increments saturate here."""


def check_limits(exp: Experience) -> None:
    """The limits the importer enforces (:mod:`tui_agent.memory.validate`), on every write too.

    Raises:
        RowLimitError: a text field over ``MAX_TEXT_CHARS`` (200,000) characters, an empty task or
            action, an id over 128 characters, or N outside [0, ``MAX_N``].
    """
    from tui_agent.memory.validate import MAX_ID_CHARS, MAX_TEXT_CHARS, TEXT_COLUMNS

    for name in TEXT_COLUMNS:
        value = getattr(exp, name, None)
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            raise RowLimitError(f"{name} is too long to store ({len(value):,} characters; at most "
                                f"{MAX_TEXT_CHARS:,}, the import limit)")
    for name in ("task", "action"):
        if not getattr(exp, name):
            raise RowLimitError(f"{name} is empty")
    if not exp.id or len(exp.id) > MAX_ID_CHARS:
        raise RowLimitError(f"experience id must have 1 to {MAX_ID_CHARS} characters")
    if not 0 <= int(exp.n) <= MAX_N:
        raise RowLimitError(f"N must be in [0, {MAX_N}], got {exp.n}")
