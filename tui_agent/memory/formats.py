"""Memory files: Parquet, Arrow IPC, JSONL and CSV, with their embedding metadata.

Every file says which schema version and embedding model made it, so an
import can tell whether its vectors fit this memory. Nothing else about the
machine goes in (no paths, no API keys).

* **Parquet** (default) and **Arrow IPC** (``.arrow``, file format): the
  table's own pyarrow schema, lossless; the schema metadata holds
  ``tui_agent.schema_version``, ``tui_agent.embedding_model`` and
  ``tui_agent.embedding_dim``.
* **JSONL**: the first line is a header object
  ``{"format": "tui-agent-experiences", "schema_version": 1,
  "embedding_model": "...", "embedding_dim": 384}``; then one experience per
  line. Timestamps are ISO 8601 with offset (``2025-01-31T12:00:00.123456+00:00``),
  non-finite numbers are written as ``null``, ``vector`` is a list of numbers
  (float32 values written exactly, so they read back bit for bit).
* **CSV** (spreadsheet friendly): a header row, one experience per row.
  ``vector`` is encoded as base64 of its 384 little-endian float32 values
  (lossless). CSV has no place for file metadata, so every row repeats it in
  three extra columns ``schema_version``, ``embedding_model``,
  ``embedding_dim``. Empty cells: "" for text, null for timestamps and
  ``step``. A row whose ``vector`` cell is empty (e.g. after editing its task
  in a spreadsheet) is re-embedded from its task text on import.
  Spreadsheet-safe (OWASP "CSV injection"): a text cell that starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — which a spreadsheet
  would evaluate as a formula — is written with a leading ``'``; so is a cell
  that starts with ``'`` itself, so reading strips exactly one leading ``'``
  from every text cell and every value (base64 vectors too: 1.4 % of them start
  with ``+``) comes back unchanged.

Reading returns a raw (not yet validated) pyarrow table or column lists; see
:mod:`tui_agent.memory.validate`. All errors are :class:`MemoryFileError`
with a one-line message naming the problem.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import math
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tui_agent.memory.schema import (
    META_EMBEDDING_DIM,
    META_EMBEDDING_MODEL,
    META_SCHEMA_VERSION,
    experience_schema,
)
from tui_agent.storage.files import UserFileError, write_new

FORMATS = ("parquet", "arrow", "jsonl", "csv")
IMPORT_FORMATS = (*FORMATS, "rememberer")
SUFFIXES = {
    ".parquet": "parquet", ".pq": "parquet",
    ".arrow": "arrow", ".ipc": "arrow", ".feather": "arrow",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".csv": "csv",
    ".yaml": "rememberer", ".yml": "rememberer",
}
JSONL_FORMAT_NAME = "tui-agent-experiences"
CSV_META_COLUMNS = ("schema_version", "embedding_model", "embedding_dim")
MAX_FILE_BYTES = 4 * 1024**3
_CSV_FIELD_LIMIT = 64 * 1024 * 1024


class MemoryFileError(ValueError):
    """A memory file cannot be read, written or accepted; the message is one user-facing line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class FileMeta:
    """What a file says about itself; ``None`` where it says nothing (a file from another tool)."""

    schema_version: int | None = None
    embedding_model: str | None = None
    embedding_dim: int | None = None


@dataclass
class RawRows:
    """Rows read from a text format: ``columns`` maps a column name to its values (Python objects)."""

    columns: dict[str, list[Any]]
    num_rows: int
    text_cells: bool = False
    """True for CSV: every cell is text, "" is an empty cell."""


def infer_format(path: str | Path, fmt: str | None = None, *, allowed: tuple[str, ...] = IMPORT_FORMATS) -> str:
    """The file format: ``fmt`` if given, else from the suffix (``.parquet``, ``.arrow``, ``.jsonl``, ``.csv``, ``.yaml``).

    Raises:
        MemoryFileError: unknown format or suffix.
    """
    if fmt:
        fmt = fmt.lower()
        if fmt not in allowed:
            raise MemoryFileError(f"unknown format {fmt!r}; use one of {', '.join(allowed)}")
        return fmt
    suffix = Path(path).suffix.lower()
    found = SUFFIXES.get(suffix)
    if found is None or found not in allowed:
        raise MemoryFileError(
            f"cannot tell the format of {Path(path).name!r} from its suffix; pass --format ({', '.join(allowed)})")
    return found


def meta_of_schema(schema: pa.Schema) -> FileMeta:
    """Read the tui-agent keys of a pyarrow schema's metadata.

    Raises:
        MemoryFileError: a key is present but not a number where one is needed.
    """
    meta = schema.metadata or {}

    def number(key: bytes) -> int | None:
        if key not in meta:
            return None
        try:
            return int(meta[key])
        except ValueError:
            raise MemoryFileError(f"file metadata {key.decode()} is not a number: {meta[key][:40]!r}") from None

    model = meta.get(META_EMBEDDING_MODEL)
    return FileMeta(number(META_SCHEMA_VERSION), model.decode("utf-8", "replace") if model is not None else None,
                    number(META_EMBEDDING_DIM))


def _current_meta() -> dict[str, Any]:
    meta = experience_schema().metadata
    return {
        "schema_version": int(meta[META_SCHEMA_VERSION]),
        "embedding_model": meta[META_EMBEDDING_MODEL].decode(),
        "embedding_dim": int(meta[META_EMBEDDING_DIM]),
    }


# --- writing -----------------------------------------------------------------------


def write_table(table: pa.Table, path: str | Path, fmt: str, *, overwrite: bool = True) -> None:
    """Write ``table`` (with :func:`experience_schema`) to ``path`` atomically (temp file + rename).

    The one safe write of user-named files (:func:`tui_agent.storage.files.write_new`): without
    ``overwrite`` an existing file is left alone.

    Raises:
        MemoryFileError: the file exists and ``overwrite`` is false, the path is a folder, the
            directory does not exist or is not writable, or the disk is full.
    """
    writer = {"parquet": _write_parquet, "arrow": _write_arrow, "jsonl": _write_jsonl, "csv": _write_csv}[fmt]
    try:
        write_new(path, lambda tmp: writer(table, tmp), overwrite=overwrite)
    except UserFileError as exc:
        raise MemoryFileError(str(exc)) from exc


def _write_parquet(table: pa.Table, path: Path) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, path, compression="zstd")


def _write_arrow(table: pa.Table, path: Path) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_jsonl(table: pa.Table, path: Path) -> None:
    header = {"format": JSONL_FORMAT_NAME, **_current_meta()}
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(header) + "\n")
        for batch in table.to_batches(max_chunksize=1000):
            for row in batch.to_pylist():
                out = {k: _json_value(v) for k, v in row.items()}
                if out.get("vector") is not None:
                    out["vector"] = [float(x) for x in out["vector"]]
                fh.write(json.dumps(out, ensure_ascii=False, allow_nan=False) + "\n")


def encode_vector(vector: Any) -> str:
    """A vector as base64 of little-endian float32 values ("" for none)."""
    if vector is None:
        return ""
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str) -> list[float] | None:
    """Inverse of :func:`encode_vector`. Raises ValueError for text that is not such base64."""
    text = text.strip()
    if not text:
        return None
    raw = base64.b64decode(text, validate=True)
    if len(raw) % 4:
        raise ValueError("its base64 does not hold whole float32 values")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32).tolist()


CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet evaluates (OWASP CSV injection); such cells get a leading ``'``."""


def neutralise_cell(text: str) -> str:
    """``text`` safe for a spreadsheet: a leading ``'`` before a formula character or a ``'`` (reversible)."""
    return "'" + text if text.startswith((*CSV_FORMULA_START, "'")) else text


def restore_cell(text: str) -> str:
    """Inverse of :func:`neutralise_cell`: one leading ``'`` removed."""
    return text[1:] if text.startswith("'") else text


def _csv_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "vector":
        return neutralise_cell(encode_vector(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return neutralise_cell(value)
    return str(value)


def _write_csv(table: pa.Table, path: Path) -> None:
    meta = _current_meta()
    names = table.schema.names
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*names, *CSV_META_COLUMNS])
        tail = [str(meta[k]) for k in CSV_META_COLUMNS]
        for batch in table.to_batches(max_chunksize=1000):
            for row in batch.to_pylist():
                writer.writerow([*(_csv_cell(n, row[n]) for n in names), *tail])


# --- reading -----------------------------------------------------------------------


def read_file(path: str | Path, fmt: str) -> tuple[pa.Table | RawRows, FileMeta]:
    """Read a memory file without validating its rows.

    Returns a pyarrow table (Parquet, Arrow) or :class:`RawRows` (JSONL, CSV)
    and the file's metadata.

    Raises:
        MemoryFileError: missing, unreadable, truncated or malformed file.
    """
    path = Path(path)
    if not path.is_file():
        raise MemoryFileError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise MemoryFileError(f"{path.name}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise MemoryFileError(f"{path.name}: the file is larger than {MAX_FILE_BYTES // 1024**3} GiB")
    reader = {"parquet": _read_parquet, "arrow": _read_arrow, "jsonl": _read_jsonl, "csv": _read_csv}[fmt]
    try:
        return reader(path)
    except MemoryFileError:
        raise
    except (pa.ArrowException, OSError) as exc:
        raise MemoryFileError(f"{path.name}: not a readable {fmt} file ({_first_line(exc)})") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _read_parquet(path: Path) -> tuple[pa.Table, FileMeta]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return table, meta_of_schema(table.schema)


def _read_arrow(path: Path) -> tuple[pa.Table, FileMeta]:
    try:
        with pa.memory_map(str(path), "r") as source:
            table = pa.ipc.open_file(source).read_all()
    except pa.ArrowInvalid:
        with pa.memory_map(str(path), "r") as source:  # the IPC stream format
            table = pa.ipc.open_stream(source).read_all()
    return table, meta_of_schema(table.schema)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")  # no newline translation: "\r\n" inside CSV cells stays
    except UnicodeDecodeError as exc:
        raise MemoryFileError(f"{path.name}: not UTF-8 text (byte {exc.start})") from exc


def _read_jsonl(path: Path) -> tuple[RawRows, FileMeta]:
    lines = _read_text(path).split("\n")  # not splitlines(): U+2028 etc. may sit inside JSON strings
    meta = FileMeta()
    rows: list[dict[str, Any]] = []
    first = True
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MemoryFileError(f"{path.name}: line {number} is not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise MemoryFileError(f"{path.name}: line {number} is not a JSON object")
        if first and obj.get("format") == JSONL_FORMAT_NAME:
            meta = _jsonl_meta(path, obj)
        else:
            rows.append(obj)
        first = False
    if not rows:
        raise MemoryFileError(f"{path.name}: no experiences in the file")
    names: list[str] = list(rows[0])
    for index, row in enumerate(rows):
        if list(row) != names and set(row) != set(names):
            missing = sorted(set(names) - set(row))
            extra = sorted(set(row) - set(names))
            what = f"lacks {missing[0]!r}" if missing else f"has the extra key {extra[0]!r}"
            raise MemoryFileError(f"{path.name}: row {index + 1} {what} (every row needs the same columns)")
    return RawRows({n: [r[n] for r in rows] for n in names}, len(rows)), meta


def _jsonl_meta(path: Path, header: dict[str, Any]) -> FileMeta:
    def number(key: str) -> int | None:
        value = header.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise MemoryFileError(f"{path.name}: header {key} must be a whole number, got {value!r:.40}")
        return value

    model = header.get("embedding_model")
    if model is not None and not isinstance(model, str):
        raise MemoryFileError(f"{path.name}: header embedding_model must be text")
    return FileMeta(number("schema_version"), model, number("embedding_dim"))


def _read_csv(path: Path) -> tuple[RawRows, FileMeta]:
    text = _read_text(path)
    csv.field_size_limit(min(sys.maxsize, _CSV_FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        body = list(reader)
    except StopIteration:
        raise MemoryFileError(f"{path.name}: the file is empty") from None
    except csv.Error as exc:
        raise MemoryFileError(f"{path.name}: not a readable CSV file (line {reader.line_num}: {exc})") from None
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise MemoryFileError(f"{path.name}: column {dup!r} appears twice in the header")
    body = [r for r in body if r]
    if not body:
        raise MemoryFileError(f"{path.name}: no experiences in the file")
    for index, row in enumerate(body):
        if len(row) != len(header):
            raise MemoryFileError(
                f"{path.name}: row {index + 1} has {len(row)} cells but the header has {len(header)} columns")
    columns: dict[str, list[Any]] = {name: [restore_cell(row[i]) for row in body] for i, name in enumerate(header)}
    meta_values = {}
    for key in CSV_META_COLUMNS:
        values = set(columns.pop(key, []))
        if len(values) > 1:
            raise MemoryFileError(f"{path.name}: column {key} differs between rows (one file, one embedding model)")
        meta_values[key] = values.pop() if values else None
    try:
        meta = FileMeta(
            int(meta_values["schema_version"]) if meta_values["schema_version"] else None,
            meta_values["embedding_model"] or None,
            int(meta_values["embedding_dim"]) if meta_values["embedding_dim"] else None,
        )
    except ValueError:
        raise MemoryFileError(f"{path.name}: schema_version and embedding_dim must be whole numbers") from None
    if "vector" in columns:
        vectors = []
        for index, cell in enumerate(columns["vector"]):
            try:
                vectors.append(decode_vector(cell))
            except (ValueError, binascii.Error):
                raise MemoryFileError(
                    f"{path.name}: row {index + 1}: vector is not base64 of float32 values") from None
        columns["vector"] = vectors
    return RawRows(columns, len(body), text_cells=True), meta
