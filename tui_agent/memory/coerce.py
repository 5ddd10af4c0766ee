"""Conversion of a file's columns to the experience schema's types, refusing lossy casts.

Parquet/Arrow columns arrive as pyarrow arrays (:func:`arrow_to_array`),
JSONL values as JSON types and CSV cells as text (:func:`python_to_array`).
Each becomes an array of the schema type, or raises :class:`MemoryFileError`
naming the column, the row (1-based) and the problem: text where a number
belongs, a fraction where a whole number belongs, a time that is not ISO
8601, a vector of the wrong length. Ranges are checked later, in
:mod:`tui_agent.memory.validate`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tui_agent.embedding.encoder import EMBEDDING_DIM
from tui_agent.memory.formats import MemoryFileError
from tui_agent.storage.rowcodec import describe, to_datetime, to_float, to_int


__all__ = ["Column", "arrow_to_array", "describe", "fixed_vectors", "python_to_array", "to_datetime", "to_int"]


class Column:
    """A column being converted; its errors are :class:`MemoryFileError` naming the file, row and column."""

    def __init__(self, name: str, where: str) -> None:
        self.name, self.where = name, where

    def fail(self, problem: str, row: int | None = None) -> MemoryFileError:
        at = f"row {row + 1}: " if row is not None else ""
        return MemoryFileError(f"{self.where}: {at}{self.name} {problem}")


def python_to_array(col: Column, values: list[Any], target: pa.DataType, dim: int | None,
                     text_cells: bool = False) -> pa.Array:
    """Values from JSONL (JSON types) or CSV (strings) to an array of ``target`` type."""
    from_csv = text_cells and not pa.types.is_string(target)
    out: list[Any] = []
    for i, v in enumerate(values):
        if from_csv and v == "" and not pa.types.is_fixed_size_list(target):
            v = None
        if v is None:
            out.append(None)
        elif pa.types.is_string(target):
            if not isinstance(v, str):
                raise col.fail(f"must be text, got {type(v).__name__} {describe(v)}", i)
            out.append(v)
        elif pa.types.is_floating(target):
            out.append(to_float(col, v, i))
        elif pa.types.is_integer(target):
            out.append(to_int(col, v, i))
        elif pa.types.is_timestamp(target):
            out.append(to_datetime(col, v, i))
        else:  # vector
            if not isinstance(v, list) or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v):
                raise col.fail("must be a list of numbers", i)
            if dim is not None and len(v) != dim:
                raise col.fail(f"has {len(v)} values; this memory's embedding model gives {dim}"
                               " (pass --reembed to compute vectors from the task text)", i)
            out.append(v)
    if pa.types.is_fixed_size_list(target):
        return _vectors_from_lists(col, out, dim)
    try:
        return pa.array(out, type=target)
    except UnicodeEncodeError:
        for i, v in enumerate(out):
            try:
                v.encode("utf-8")
            except (UnicodeEncodeError, AttributeError):
                raise col.fail("has a character that is not valid Unicode (a lone surrogate)", i) from None
        raise
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise col.fail(f"has a value out of range ({str(exc).splitlines()[0][:80]})") from None


def _vectors_from_lists(col: Column, values: list[Any], dim: int | None) -> pa.Array:
    size = dim or EMBEDDING_DIM
    flat = np.zeros((len(values), size), dtype=np.float32)
    valid = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if v is not None:
            if len(v) != size:
                raise col.fail(f"has {len(v)} values; expected {size}", i)
            flat[i] = np.asarray(v, dtype=np.float64)  # float64 first: overflow shows as inf, not an error
            valid[i] = True
    return fixed_vectors(flat, valid)


def fixed_vectors(flat: np.ndarray, valid: np.ndarray) -> pa.Array:
    size = flat.shape[1]
    values = pa.array(flat.reshape(-1), type=pa.float32())
    mask = None if valid.all() else pa.array(~valid)
    return pa.FixedSizeListArray.from_arrays(values, size, mask=mask)


def arrow_to_array(col: Column, arr: pa.ChunkedArray, target: pa.DataType, dim: int | None) -> pa.Array:
    """A Parquet/Arrow column to ``target`` type, refusing lossy or meaningless casts."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    t = arr.type
    if pa.types.is_null(t):
        return pa.nulls(len(arr), type=target)
    if pa.types.is_dictionary(t):
        arr, t = arr.dictionary_decode(), t.value_type
    try:
        if pa.types.is_string(target):
            if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
                raise col.fail(f"has type {t}; expected text")
            return arr.cast(target)
        if pa.types.is_floating(target):
            if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)):
                raise col.fail(f"has type {t}; expected a number")
            return arr.cast(target)
        if pa.types.is_integer(target):
            if pa.types.is_floating(t):
                values = pc.fill_null(arr, 0.0).to_numpy(zero_copy_only=False)
                with np.errstate(invalid="ignore"):
                    bad = np.flatnonzero(~np.isfinite(values) | (values != np.round(values)))
                if bad.size:
                    raise col.fail(f"must be a whole number, got {values[bad[0]]!r}", int(bad[0]))
            elif not pa.types.is_integer(t):
                raise col.fail(f"has type {t}; expected a whole number")
            return arr.cast(target)
        if pa.types.is_timestamp(target):
            if pa.types.is_timestamp(t):
                if t.tz is None:
                    arr = pc.assume_timezone(arr.cast(pa.timestamp("us")), "UTC")
                return arr.cast(target)
            if pa.types.is_string(t) or pa.types.is_large_string(t):
                return pa.array([None if v is None else to_datetime(col, v, i)
                                 for i, v in enumerate(arr.to_pylist())], type=target)
            raise col.fail(f"has type {t}; expected a timestamp")
        # vector
        if not (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)) or not (
                pa.types.is_floating(t.value_type) or pa.types.is_integer(t.value_type)):
            raise col.fail(f"has type {t}; expected a list of {EMBEDDING_DIM} float32 values")
        lengths = pc.list_value_length(arr).to_numpy(zero_copy_only=False)
        nulls = arr.is_null().to_numpy(zero_copy_only=False)
        size = dim or EMBEDDING_DIM
        bad = np.flatnonzero(~nulls & (lengths != size))
        if bad.size:
            raise col.fail(f"has {int(lengths[bad[0]])} values; this memory's embedding model gives {size}"
                           " (pass --reembed to compute vectors from the task text)", int(bad[0]))
        flat = np.zeros((len(arr), size), dtype=np.float32)
        if (~nulls).any():
            values = pc.list_flatten(arr.filter(pa.array(~nulls))).cast(pa.float64()).to_numpy(zero_copy_only=False)
            flat[~nulls] = values.reshape(-1, size)
        return fixed_vectors(flat, ~nulls)
    except MemoryFileError:
        raise
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OverflowError) as exc:
        raise col.fail(f"cannot be read as {target} ({str(exc).splitlines()[0][:80]})") from None
