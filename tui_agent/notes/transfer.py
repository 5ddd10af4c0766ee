"""Export and import of the notes table: Parquet (lossless: vectors, timestamps, schema metadata) or JSONL.

An import is all or nothing: the file is read and every field of every row checked first
(:mod:`tui_agent.notes.validate`: types, finite numbers, ranges, dates; one line per bad row), then
its notes whose id is not stored yet are added in one commit. Stored notes whose ``created_at`` is
null (from an older import) are exported with a null time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tui_agent.notes.schema import META_NOTES_SCHEMA_VERSION, NOTES_SCHEMA_VERSION, Note, notes_schema
from tui_agent.notes.store import NoteStore
from tui_agent.notes.validate import NotesImportError, check_rows
from tui_agent.storage.files import write_new

__all__ = ["NotesImportError", "export_notes", "import_notes"]

MAX_IMPORT_ROWS = 1_000_000


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

    Written with :func:`tui_agent.storage.files.write_new`: a temporary file renamed into place, an
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
                row["created_at"] = n.created_at.isoformat() if n.created_at is not None else None
                f.write(json.dumps(row, ensure_ascii=False) + "\n")

    write_new(path, write, overwrite=overwrite)
    return len(notes)


def _schema_version(table: pa.Table, path: Path) -> int:
    raw = (table.schema.metadata or {}).get(META_NOTES_SCHEMA_VERSION, b"1")
    try:
        return int(raw)
    except ValueError:
        raise NotesImportError(f"{path}: notes schema version {raw[:40]!r} is not a number; "
                               "is this a tui-agent notes export?") from None


def _read_rows(path: Path) -> list[tuple[str, Any]]:
    fmt = _format(path)
    if fmt == "parquet":
        table = pq.read_table(path)
        version = _schema_version(table, path)
        if version > NOTES_SCHEMA_VERSION:
            raise NotesImportError(f"{path}: notes schema v{version} is newer than this tui-agent's "
                                   f"v{NOTES_SCHEMA_VERSION}")
        if table.num_rows > MAX_IMPORT_ROWS:
            raise NotesImportError(f"{path}: {table.num_rows:,} notes; at most {MAX_IMPORT_ROWS:,} in one import")
        return [(f"row {i}", row) for i, row in enumerate(table.to_pylist(), 1)]
    rows: list[tuple[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise NotesImportError(f"{path}: over {MAX_IMPORT_ROWS:,} notes; at most that many in one import")
            try:
                rows.append((f"line {i}", json.loads(line)))
            except ValueError as exc:
                raise NotesImportError(f"{path}: line {i} is not JSON ({getattr(exc, 'msg', exc)})") from exc
            except RecursionError:
                raise NotesImportError(f"{path}: line {i} is nested too deeply to be a note") from None
    return rows


def _read(path: Path) -> list[Note]:
    try:
        rows = _read_rows(path)
    except NotesImportError:
        raise
    except (OSError, UnicodeDecodeError, pa.ArrowException) as exc:
        raise NotesImportError(f"{path}: cannot read ({str(exc).splitlines()[0][:160]})") from exc
    return check_rows(rows, str(path))


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
