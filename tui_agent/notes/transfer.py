"""Export and import of the notes table: Parquet (lossless: vectors, timestamps, schema metadata) or JSONL.

An import is all or nothing: the file is read and checked first (columns, notes schema version, vector
size, non-empty text, limits), then its notes whose id is not stored yet are added in one commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tui_agent.notes.schema import EMBEDDING_DIM, META_NOTES_SCHEMA_VERSION, NOTES_SCHEMA_VERSION, Note, notes_schema
from tui_agent.notes.store import MAX_NOTE_CHARS, NoteStore
from tui_agent.userfiles import write_new

__all__ = ["NotesImportError", "export_notes", "import_notes"]

MAX_IMPORT_ROWS = 1_000_000


class NotesImportError(ValueError):
    """A notes file that cannot be imported; one user-facing line, nothing was written."""


@dataclass
class ImportReport:
    read: int
    added: int

    def to_json(self) -> dict[str, int]:
        return {"read": self.read, "added": self.added}


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise NotesImportError(f"{path}: use a .parquet or .jsonl file")


def export_notes(store: NoteStore, path: str | Path, *, overwrite: bool = False) -> int:
    """Write every note to ``path`` (.parquet or .jsonl); returns how many. JSONL has ISO 8601 times.

    Written with :func:`tui_agent.userfiles.write_new`: a temporary file renamed into place, an
    existing file kept unless ``overwrite``.

    Raises:
        NotesImportError: the suffix is neither .parquet nor .jsonl.
        UserFileError: the file exists and ``overwrite`` is false, or it cannot be written.
    """
    path = Path(path).expanduser()
    fmt = _format(path)
    notes = store.all()

    def write(tmp: Path) -> None:
        if fmt == "parquet":
            pq.write_table(pa.Table.from_pylist([n.to_row() for n in notes], schema=notes_schema()), tmp)
            return
        with tmp.open("w", encoding="utf-8") as f:
            for n in notes:
                row = n.to_row()
                row["created_at"] = n.created_at.isoformat()
                f.write(json.dumps(row, ensure_ascii=False) + "\n")

    write_new(path, write, overwrite=overwrite)
    return len(notes)


def _read(path: Path) -> list[Note]:
    fmt = _format(path)
    try:
        if fmt == "parquet":
            table = pq.read_table(path)
            version = int((table.schema.metadata or {}).get(META_NOTES_SCHEMA_VERSION, b"1"))
            if version > NOTES_SCHEMA_VERSION:
                raise NotesImportError(f"{path}: notes schema v{version} is newer than this tui-agent's "
                                       f"v{NOTES_SCHEMA_VERSION}")
            rows = table.to_pylist()
        else:
            rows = []
            with path.open(encoding="utf-8") as f:
                for i, line in enumerate(f, 1):
                    if line.strip():
                        try:
                            row = json.loads(line)
                        except ValueError as exc:
                            raise NotesImportError(f"{path}: line {i} is not JSON ({exc.msg})") from exc
                        if isinstance(row.get("created_at"), str):
                            row["created_at"] = datetime.fromisoformat(row["created_at"])
                        rows.append(row)
    except NotesImportError:
        raise
    except (OSError, UnicodeDecodeError, pa.ArrowException) as exc:
        raise NotesImportError(f"{path}: cannot read ({str(exc).splitlines()[0][:160]})") from exc
    if len(rows) > MAX_IMPORT_ROWS:
        raise NotesImportError(f"{path}: {len(rows):,} notes; at most {MAX_IMPORT_ROWS:,} in one import")
    notes = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not isinstance(row.get("source"), str):
            raise NotesImportError(f"{path}: note {i} has no text or source")
        vec = row.get("vector")
        if not isinstance(vec, list) or len(vec) != EMBEDDING_DIM:
            raise NotesImportError(f"{path}: note {i} needs a vector of {EMBEDDING_DIM} numbers")
        if not row["text"].strip() or len(row["text"]) > MAX_NOTE_CHARS:
            raise NotesImportError(f"{path}: note {i} has an empty text or one over {MAX_NOTE_CHARS:,} characters")
        try:
            notes.append(Note.from_row(row))
        except (TypeError, ValueError) as exc:
            raise NotesImportError(f"{path}: note {i}: {exc}") from exc
    return notes


def import_notes(store: NoteStore, path: str | Path) -> ImportReport:
    """Add the notes of ``path`` that are not stored yet (by id), in one commit; all or nothing.

    Raises:
        NotesImportError: unreadable file, wrong format, newer schema, a bad row (nothing written).
        NoteStoreError: the notes table cannot be written (nothing written).
    """
    path = Path(path)
    notes = _read(path)
    added = store.add(notes)
    if added:
        store.ensure_index()
    return ImportReport(len(notes), len(added))
