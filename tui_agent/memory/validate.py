"""Validation of imported experience rows: columns, types, ranges, vectors.

A file's rows become a pyarrow table with :func:`experience_schema` only if
every row passes; otherwise :class:`MemoryFileError` says, in one line, which
column or row is wrong and how. Nothing is written before that.

Columns: ``kind``, ``task``, ``action``, ``q`` and ``n`` are required, and
``vector`` unless the rows are re-embedded. The other schema columns are
optional (``id``: a fresh one; text: ""; ``mean_reward``: 0; ``step``: 0;
``source``: "import"; ``created_at``/``updated_at``: now; ``last_used_at``:
null). Unknown columns are refused, so no data is dropped silently.

Ranges: Q any finite number, for every kind (a learned chat Q stays in
[−1, 1] and a learned shop Q in [0, 1], but a 👎 on a shop step or
REMEMBERER's WikiHow pools, Q = 2, are valid too); ``mean_reward`` in [−1, 1]; N and step
whole numbers ≥ 0; ``kind`` in :data:`KINDS`; ``source`` in :data:`SOURCES`
or empty; ids 1–128 characters without control characters, unique; text at
most 200,000 characters; vectors of 384 finite float32 values, unit length
(± 0.001).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tui_agent.embedding.encoder import EMBEDDING_DIM, EMBEDDING_MODEL
from tui_agent.memory.coerce import Column, arrow_to_array, describe, fixed_vectors, python_to_array
from tui_agent.memory.formats import FileMeta, MemoryFileError, RawRows
from tui_agent.memory.schema import KINDS, SCHEMA_VERSION, SOURCES, TIMESTAMP, experience_schema, new_id

REQUIRED = ("kind", "task", "action", "q", "n")
TEXT_COLUMNS = ("id", "kind", "episode_id", "task", "observation", "available_actions", "action", "reason",
                "model", "source", "step_instruction", "action_history")
OPTIONAL_TEXT = ("episode_id", "observation", "available_actions", "reason", "model", "step_instruction",
                 "action_history")
MAX_TEXT_CHARS = 200_000
MAX_ID_CHARS = 128
REWARD_RANGE = (-1.0, 1.0)
NORM_TOLERANCE = 1e-3
DEFAULT_IMPORT_SOURCE = "import"

Embed = Callable[[Sequence[str]], np.ndarray]
"""Texts → float32 array ``(len(texts), 384)`` of unit vectors (e.g. ``Embedder.encode``)."""


def check_q(kind: str, q: float | str) -> float:
    """``q`` (a number or its text) as a float if it is a finite number (any kind: Q-values are return estimates).

    Raises:
        ValueError: not a number or not finite (one-line message).
    """
    try:
        value = float(q)
    except (TypeError, ValueError):
        raise ValueError(f"Q must be a number, got {q!r:.40}") from None
    if not math.isfinite(value):
        raise ValueError(f"Q must be finite, got {value}")
    return value


# --- rows ----------------------------------------------------------------------------


def validate_rows(
    raw: pa.Table | RawRows,
    meta: FileMeta,
    *,
    where: str,
    embed: Embed | None = None,
    reembed: bool = False,
) -> tuple[pa.Table, int]:
    """Check and convert a file's rows; returns ``(table, number re-embedded)``.

    Args:
        raw: rows as read by :func:`tui_agent.memory.formats.read_file`.
        meta: the file's metadata.
        where: the file's name, the start of every error message.
        embed: computes vectors from task texts; needed for ``reembed`` and
            for rows whose vector is empty.
        reembed: compute every vector from its task text (required when the
            file was made with another embedding model or dimension).

    Returns:
        a table with :func:`experience_schema` (schema metadata included).

    Raises:
        MemoryFileError: the first problem found, in one line.
    """
    if meta.schema_version is not None and meta.schema_version > SCHEMA_VERSION:
        raise MemoryFileError(f"{where}: made by a newer tui-agent (schema v{meta.schema_version}; "
                              f"this one reads v{SCHEMA_VERSION})")
    other_model = (meta.embedding_model is not None and meta.embedding_model != EMBEDDING_MODEL) or (
        meta.embedding_dim is not None and meta.embedding_dim != EMBEDDING_DIM)
    if other_model and not reembed:
        raise MemoryFileError(
            f"{where}: embedded with {meta.embedding_model or 'another model'} ({meta.embedding_dim or '?'} dims); "
            f"this memory uses {EMBEDDING_MODEL} ({EMBEDDING_DIM} dims): pass --reembed to compute new vectors "
            "from the task text")
    schema = experience_schema()
    names = raw.column_names if isinstance(raw, pa.Table) else list(raw.columns)
    num_rows = raw.num_rows
    unknown = [n for n in names if schema.get_field_index(n) < 0]
    if unknown:
        raise MemoryFileError(f"{where}: unknown column {unknown[0]!r} (expected the columns of a tui-agent export)")
    missing = [n for n in REQUIRED if n not in names]
    if "vector" not in names and not reembed:
        missing.append("vector")
    if missing:
        extra = " (or pass --reembed)" if missing == ["vector"] else ""
        raise MemoryFileError(f"{where}: missing column {missing[0]!r}{extra}")
    if num_rows == 0:
        raise MemoryFileError(f"{where}: no experiences in the file")

    arrays: dict[str, pa.Array] = {}
    for field in schema:
        if field.name not in names or (field.name == "vector" and reembed):
            continue
        col = Column(field.name, where)
        dim = EMBEDDING_DIM
        if isinstance(raw, pa.Table):
            arrays[field.name] = arrow_to_array(col, raw.column(field.name), field.type, dim)
        else:
            arrays[field.name] = python_to_array(col, raw.columns[field.name], field.type, dim, raw.text_cells)

    now = datetime.now(UTC)
    defaults: dict[str, Callable[[], pa.Array]] = {
        "id": lambda: pa.array([new_id() for _ in range(num_rows)], pa.string()),
        "source": lambda: pa.array([DEFAULT_IMPORT_SOURCE] * num_rows, pa.string()),
        "mean_reward": lambda: pa.array([0.0] * num_rows, pa.float64()),
        "step": lambda: pa.array([0] * num_rows, pa.int32()),
        "created_at": lambda: pa.array([now] * num_rows, TIMESTAMP),
        "updated_at": lambda: pa.array([now] * num_rows, TIMESTAMP),
        "last_used_at": lambda: pa.nulls(num_rows, TIMESTAMP),
        "vector": lambda: pa.nulls(num_rows, schema.field("vector").type),
    }
    for name in OPTIONAL_TEXT:
        defaults[name] = lambda: pa.array([""] * num_rows, pa.string())
    for name, make in defaults.items():
        if name not in arrays:
            arrays[name] = make()
    for name in OPTIONAL_TEXT:  # null text reads back as "" everywhere (Experience.from_row)
        arrays[name] = pc.fill_null(arrays[name], "")
    arrays["source"] = pc.fill_null(arrays["source"], DEFAULT_IMPORT_SOURCE)
    arrays["step"] = pc.fill_null(arrays["step"], 0)
    arrays["mean_reward"] = pc.fill_null(arrays["mean_reward"], 0.0)

    _check(arrays, where)

    reembedded = 0
    vec_nulls = arrays["vector"].is_null().to_numpy(zero_copy_only=False)
    if vec_nulls.any():
        if embed is None:
            first = int(np.flatnonzero(vec_nulls)[0])
            raise MemoryFileError(f"{where}: row {first + 1}: vector is empty and no embedding model is available")
        rows = np.flatnonzero(vec_nulls)
        tasks = arrays["task"].take(pa.array(rows)).to_pylist()
        vectors = np.asarray(embed(tasks), dtype=np.float32)
        if vectors.shape != (len(rows), EMBEDDING_DIM):
            raise MemoryFileError(f"{where}: the embedding model returned vectors of shape {vectors.shape}")
        flat = np.zeros((num_rows, EMBEDDING_DIM), dtype=np.float32)
        flat[~vec_nulls] = np.asarray(
            pc.list_flatten(arrays["vector"].filter(pa.array(~vec_nulls))).to_numpy(zero_copy_only=False)
        ).reshape(-1, EMBEDDING_DIM)
        flat[rows] = vectors
        arrays["vector"] = fixed_vectors(flat, np.ones(num_rows, dtype=bool))
        reembedded = len(rows)
    _check_vectors(arrays["vector"], where)

    table = pa.Table.from_arrays([arrays[f.name] for f in schema], schema=schema)
    return table, reembedded


def _first(mask: Any) -> int | None:
    values = np.asarray(mask.to_numpy(zero_copy_only=False) if hasattr(mask, "to_numpy") else mask)
    hits = np.flatnonzero(values.astype(bool))
    return int(hits[0]) if hits.size else None


def _check(arrays: dict[str, pa.Array], where: str) -> None:
    def fail(row: int, problem: str) -> MemoryFileError:
        return MemoryFileError(f"{where}: row {row + 1}: {problem}")

    for name in ("id", "kind", "task", "action", "q", "n"):
        if (row := _first(arrays[name].is_null())) is not None:
            raise fail(row, f"{name} is missing (null)")
    for name in TEXT_COLUMNS:
        lengths = pc.fill_null(pc.utf8_length(arrays[name]), 0)
        if (row := _first(pc.greater(lengths, MAX_TEXT_CHARS))) is not None:
            raise fail(row, f"{name} is too long ({lengths[row].as_py():,} characters; at most {MAX_TEXT_CHARS:,})")
    ids = arrays["id"]
    id_len = pc.utf8_length(ids)
    if (row := _first(pc.equal(id_len, 0))) is not None:
        raise fail(row, "id is empty")
    if (row := _first(pc.greater(id_len, MAX_ID_CHARS))) is not None:
        raise fail(row, f"id is longer than {MAX_ID_CHARS} characters")
    if (row := _first(pc.match_substring_regex(ids, r"[\x00-\x1f\x7f]"))) is not None:
        raise fail(row, "id contains control characters")
    id_list = ids.to_pylist()
    if len(set(id_list)) != len(id_list):
        seen: dict[str, int] = {}
        for i, value in enumerate(id_list):
            if value in seen:
                raise fail(i, f"id {describe(value)} repeats row {seen[value] + 1}")
            seen[value] = i
    for name in ("task", "action"):
        if (row := _first(pc.equal(pc.utf8_length(arrays[name]), 0))) is not None:
            raise fail(row, f"{name} is empty")
    if (row := _first(pc.invert(pc.is_in(arrays["kind"], pa.array(KINDS))))) is not None:
        raise fail(row, f"kind {describe(arrays['kind'][row].as_py())} is not one of {', '.join(KINDS)}")
    bad_source = pc.invert(pc.is_in(arrays["source"], pa.array((*SOURCES, ""))))
    if (row := _first(bad_source)) is not None:
        raise fail(row, f"source {describe(arrays['source'][row].as_py())} is not one of {', '.join(SOURCES)}")
    for name in ("q", "mean_reward"):
        values = arrays[name].to_numpy(zero_copy_only=False)
        if (row := _first(np.isnan(values))) is not None:
            raise fail(row, f"{name} is NaN (not a number)")
        if (row := _first(np.isinf(values))) is not None:
            raise fail(row, f"{name} is infinite ({values[row]})")
    reward = arrays["mean_reward"].to_numpy(zero_copy_only=False)
    low, high = REWARD_RANGE
    if (row := _first((reward < low) | (reward > high))) is not None:
        raise fail(row, f"mean_reward must be in [{low:g}, {high:g}], got {reward[row]:g}")
    for name in ("n", "step"):
        if (row := _first(pc.less(arrays[name], 0))) is not None:
            raise fail(row, f"{name} must be >= 0, got {arrays[name][row].as_py()}")


def _check_vectors(vectors: pa.Array, where: str) -> None:
    flat = np.asarray(pc.list_flatten(vectors).to_numpy(zero_copy_only=False), dtype=np.float32)
    matrix = flat.reshape(len(vectors), EMBEDDING_DIM) if len(vectors) else flat.reshape(0, EMBEDDING_DIM)
    finite = np.isfinite(matrix).all(axis=1)
    if (row := _first(~finite)) is not None:
        raise MemoryFileError(f"{where}: row {row + 1}: vector has a NaN or infinite value")
    norms = np.linalg.norm(matrix.astype(np.float64), axis=1)
    if (row := _first(np.abs(norms - 1.0) > NORM_TOLERANCE)) is not None:
        raise MemoryFileError(f"{where}: row {row + 1}: vector is not unit length (norm {norms[row]:.4g})")
