"""LanceDB table schemas declared once, and their numbered upgrades (the experience and the notes tables).

Columns. A table's row type is a dataclass whose fields are its columns, declared in column order, each
with its arrow type in the field's metadata (:func:`column`); :func:`arrow_schema` makes the table's
pyarrow schema from them, so the row type and the table cannot list different columns. (Fields other
than the positional ones are keyword-only, so declaring them in column order costs nothing.)

Upgrades, in the style of :mod:`tui_agent.storage.sqlite_schema`: :class:`Upgrades` holds a table's
numbered steps, ``steps[i]`` bringing schema version i + 1 to i + 2, so the current version is
``len(steps) + 1`` (a new table is created at it). The version is recorded in the table's schema
metadata under the table's own key (absent: 1, the first release). :meth:`Upgrades.apply` runs the
missing steps in order; a table of a newer version than known is refused with
:class:`SchemaVersionError`, and so is an unreadable version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

import pyarrow as pa

__all__ = ["AddColumns", "SchemaVersionError", "Step", "Upgrades", "arrow_schema", "column", "nullable_texts"]

_ARROW = "arrow"
_NULLABLE = "nullable"


def column(arrow_type: pa.DataType, *, nullable: bool = True) -> dict[str, Any]:
    """The metadata that makes a dataclass field a table column: ``field(…, metadata=column(pa.string()))``.

    ``nullable=False``: the table refuses nulls in it (an id, a required text, Q).
    """
    return {_ARROW: arrow_type, _NULLABLE: nullable}


def arrow_schema(cls: type, metadata: Mapping[bytes, bytes]) -> pa.Schema:
    """The pyarrow schema of the dataclass ``cls``: one column per field, in field order, with ``metadata``.

    Raises:
        TypeError: a field was declared without :func:`column` (every field of a row type is a column).
    """
    out = []
    for f in fields(cls):
        if _ARROW not in f.metadata:
            raise TypeError(f"{cls.__name__}.{f.name} has no arrow type: declare it with metadata=column(…)")
        out.append(pa.field(f.name, f.metadata[_ARROW], nullable=f.metadata[_NULLABLE]))
    return pa.schema(out, metadata=dict(metadata))


def nullable_texts(cls: type) -> tuple[str, ...]:
    """The nullable string columns of ``cls`` (a stored null reads back as ``""``)."""
    return tuple(f.name for f in fields(cls)
                 if f.metadata.get(_ARROW) == pa.string() and f.metadata.get(_NULLABLE, True))


class SchemaVersionError(Exception):
    """A table's schema version is newer than this release knows, or unreadable; the message is one line."""


class Step(Protocol):
    """One upgrade step: ``apply(table)`` changes a LanceDB table from one schema version to the next.

    A step must be safe to run again on a table it already changed (a step whose version was not
    recorded, e.g. the process was killed in between, runs again at the next open)."""

    def apply(self, table: Any) -> None: ...


@dataclass(frozen=True)
class AddColumns:
    """An upgrade step that adds nullable columns, each filled by a SQL expression.

    ``columns``: name → expression, e.g. ``{"reason": "CAST('' AS STRING)"}``. Columns already
    there are skipped.
    """

    columns: Mapping[str, str]

    def apply(self, table: Any) -> None:
        missing = {name: sql for name, sql in self.columns.items() if name not in table.schema.names}
        if missing:
            table.add_columns(missing)
            table.alter_columns(*({"path": name, "nullable": True} for name in missing))


@dataclass(frozen=True)
class Upgrades:
    """The numbered upgrade steps of one LanceDB table.

    Args:
        key: the schema-metadata key the table's version is recorded under (``bytes``).
        steps: ``steps[i]`` upgrades version i + 1 to i + 2.
        what: how messages name the version ("schema", "notes schema").
    """

    key: bytes
    steps: Sequence[Step] = ()
    what: str = "schema"

    @property
    def version(self) -> int:
        """The current schema version: ``len(steps) + 1``."""
        return len(self.steps) + 1

    def metadata(self) -> dict[bytes, bytes]:
        """The metadata entry that records the current version (for a new table's schema)."""
        return {self.key: str(self.version).encode()}

    def stored_version(self, table: Any, where: str) -> int:
        """The version ``table`` records (1 when it records none).

        Raises:
            SchemaVersionError: newer than :attr:`version` (update tui-agent), or not a whole number.
        """
        raw = (table.schema.metadata or {}).get(self.key, b"1")
        try:
            version = int(raw)
        except ValueError:
            raise SchemaVersionError(f"{where} has an unreadable {self.what} version {raw[:20]!r}") from None
        if version > self.version:
            raise SchemaVersionError(f"{where} was written by a newer tui-agent ({self.what} v{version}; "
                                     f"this one reads v{self.version}): update tui-agent to open it")
        return version

    def pending(self, table: Any, where: str) -> bool:
        """Whether ``table`` is older than :attr:`version` (no write; see :meth:`stored_version` for errors)."""
        return self.stored_version(table, where) < self.version

    def apply(self, table: Any, where: str) -> range:
        """Run the missing steps in order and record the version; returns the table versions this made.

        Call with the table's write lock held and its latest version checked out: the version is read
        again here, so when two processes open an old table at once, the second finds it upgraded and
        runs nothing. Each step and the version record are one LanceDB commit or more; a failure leaves
        the version recorded before it, and the next open runs the remaining steps again.

        Raises:
            SchemaVersionError: as :meth:`stored_version`.
            OSError, RuntimeError: LanceDB could not write (e.g. a read-only or full disk).
        """
        before = table.version
        version = self.stored_version(table, where)
        if version < self.version:
            for number in range(version, self.version):
                self.steps[number - 1].apply(table)
            table.to_lance().update_schema_metadata({self.key.decode(): str(self.version)})
            table.checkout_latest()
        return range(before + 1, table.version + 1)
