"""The ``notes`` table's schema (pyarrow) and the :class:`Note` row.

One row is one chunk of a document (or one ``/remember`` note): ``source`` is the file path, ``builtin:…``
for shipped documents, or ``chat``; ``title`` the document's title; ``heading`` the path of section titles
down to the chunk's section, joined with " › "; ``position`` the chunk's index in its source (0-based);
``content_hash`` the SHA-256 of the source file's bytes (re-adding an unchanged file is a no-op);
``vector`` the L2-normalised all-MiniLM-L6-v2 embedding (384 float32) of heading + text; ``search_text``
the text the full-text index sees (title, heading and text).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from tui_agent.embedding.encoder import EMBEDDING_DIM, EMBEDDING_MODEL
from tui_agent.storage.rowcodec import record_from_row, record_to_row

NOTES_SCHEMA_VERSION = 1
NOTES_TABLE = "notes"
META_NOTES_SCHEMA_VERSION = b"tui_agent.notes_schema_version"
META_EMBEDDING_MODEL = b"tui_agent.embedding_model"
META_EMBEDDING_DIM = b"tui_agent.embedding_dim"
CHAT_SOURCE = "chat"
HEADING_SEP = " › "

TIMESTAMP = pa.timestamp("us", tz="UTC")


def notes_schema() -> pa.Schema:
    """The explicit pyarrow schema of the ``notes`` table; metadata: schema version, embedding model and dim."""
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("title", pa.string()),
            pa.field("heading", pa.string()),
            pa.field("position", pa.int32()),
            pa.field("text", pa.string(), nullable=False),
            pa.field("search_text", pa.string()),
            pa.field("content_hash", pa.string()),
            pa.field("created_at", TIMESTAMP),
            pa.field("vector", pa.list_(pa.float32(), EMBEDDING_DIM)),
        ],
        metadata={
            META_NOTES_SCHEMA_VERSION: str(NOTES_SCHEMA_VERSION).encode(),
            META_EMBEDDING_MODEL: EMBEDDING_MODEL.encode(),
            META_EMBEDDING_DIM: str(EMBEDDING_DIM).encode(),
        },
    )


def note_id(source: str, position: int, text: str) -> str:
    """A stable id (32 hex characters) from the source, position and text: the same chunk gets the same id."""
    return hashlib.sha256(f"{source}\0{position}\0{text}".encode()).hexdigest()[:32]


@dataclass
class Note:
    """One note row (see the module docstring)."""

    source: str
    text: str
    title: str = ""
    heading: str = ""
    position: int = 0
    content_hash: str = ""
    vector: list[float] | None = field(default=None, repr=False)
    id: str = ""
    created_at: datetime | None = field(default_factory=lambda: datetime.now(UTC))
    """None only for a stored row without a time (an older import let a null in)."""
    search_text: str = field(default="", repr=False)

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
        values = record_from_row(cls, row, ("title", "heading", "content_hash", "search_text"))
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


def notes_to_table(notes: list[Note]) -> pa.Table:
    """Notes as a pyarrow table with :func:`notes_schema`."""
    return pa.Table.from_pylist([n.to_row() for n in notes], schema=notes_schema())
