"""The ``notes`` table's schema (pyarrow) and the :class:`Note` row.

One row is one chunk of a document (or one ``/remember`` note): ``source`` is the file path, ``builtin:…``
for shipped documents, or ``chat``; ``title`` the document's title; ``heading`` the path of section titles
down to the chunk's section, joined with " › "; ``position`` the chunk's index in its source (0-based);
``content_hash`` the SHA-256 of the source file's bytes (re-adding an unchanged file is a no-op);
``vector`` the L2-normalised all-MiniLM-L6-v2 embedding (384 float32) of heading + text; ``search_text``
the text the full-text index sees (title, heading and text).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from tui_agent.embedding.encoder import EMBEDDING_DIM, EMBEDDING_MODEL
from tui_agent.storage.lance_schema import (
    Upgrades,
    arrow_schema,
    column,
    nullable_texts,
)
from tui_agent.storage.rowcodec import record_from_row, record_to_row

NOTES_TABLE = "notes"
META_NOTES_SCHEMA_VERSION = b"tui_agent.notes_schema_version"
META_EMBEDDING_MODEL = b"tui_agent.embedding_model"
META_EMBEDDING_DIM = b"tui_agent.embedding_dim"
NOTES_UPGRADES = Upgrades(META_NOTES_SCHEMA_VERSION, (), what="notes schema")
"""The notes table's numbered upgrade steps (none yet: v1), applied by :class:`~tui_agent.notes.store.NoteStore`."""
NOTES_SCHEMA_VERSION = NOTES_UPGRADES.version
CHAT_SOURCE = "chat"
HEADING_SEP = " › "

TIMESTAMP = pa.timestamp("us", tz="UTC")


def note_id(source: str, position: int, text: str) -> str:
    """A stable id (32 hex characters) from the source, position and text: the same chunk gets the same id."""
    return hashlib.sha256(f"{source}\0{position}\0{text}".encode()).hexdigest()[:32]


@dataclass(kw_only=True)
class Note:
    """One note row; its fields are the table's columns, in order (:func:`notes_schema`).

    ``Note(source, text, **others)``; see the module docstring.
    """

    id: str = field(default="", metadata=column(pa.string(), nullable=False))
    source: str = field(kw_only=False, metadata=column(pa.string(), nullable=False))
    title: str = field(default="", metadata=column(pa.string()))
    heading: str = field(default="", metadata=column(pa.string()))
    position: int = field(default=0, metadata=column(pa.int32()))
    text: str = field(kw_only=False, metadata=column(pa.string(), nullable=False))
    search_text: str = field(default="", repr=False, metadata=column(pa.string()))
    content_hash: str = field(default="", metadata=column(pa.string()))
    created_at: datetime | None = field(default_factory=lambda: datetime.now(UTC), metadata=column(TIMESTAMP))
    """None only for a stored row without a time (an older import let a null in)."""
    vector: list[float] | None = field(default=None, repr=False,
                                       metadata=column(pa.list_(pa.float32(), EMBEDDING_DIM)))

    def __post_init__(self) -> None:
        if not self.id:
            self.id = note_id(self.source, self.position, self.text)
        if not self.search_text:
            self.search_text = "\n".join(p for p in (self.title, self.heading.replace(HEADING_SEP, " "), self.text) if p)

    @property
    def citation(self) -> str:
        """``source § heading`` as shown under an answer (the heading when the source is ``chat``)."""
        where = self.heading or self.title
        return f"{self.source} § {where}" if where else self.source

    @property
    def embed_text(self) -> str:
        """The text that is embedded: the heading path, then the chunk."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text

    def to_row(self) -> dict[str, Any]:
        return record_to_row(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Note:
        """A note from a stored row; missing values read safely (null texts as "", position 0, time None)."""
        values = record_from_row(cls, row, _NULLABLE_TEXTS)
        values["position"] = int(values.get("position") or 0)
        if values.get("text") is None:
            values["text"] = ""
        if values.get("source") is None:
            values["source"] = ""
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict without the vector and the index text (``created_at`` as ISO 8601)."""
        return {"id": self.id, "source": self.source, "title": self.title, "heading": self.heading,
                "position": self.position, "text": self.text, "content_hash": self.content_hash,
                "created_at": self.created_at.isoformat() if self.created_at else None}


_NULLABLE_TEXTS = nullable_texts(Note)  # read as "" when null


@functools.cache
def notes_schema() -> pa.Schema:
    """The explicit pyarrow schema of the ``notes`` table (:class:`Note`'s fields); metadata: schema
    version, embedding model and dim."""
    return arrow_schema(Note, {**NOTES_UPGRADES.metadata(), META_EMBEDDING_MODEL: EMBEDDING_MODEL.encode(),
                               META_EMBEDDING_DIM: str(EMBEDDING_DIM).encode()})


def notes_to_table(notes: list[Note]) -> pa.Table:
    """Notes as a pyarrow table with :func:`notes_schema`."""
    return pa.Table.from_pylist([n.to_row() for n in notes], schema=notes_schema())
