"""Export and import of the experience memory (see :mod:`tui_agent.memory.formats` for the files).

Import modes:

* ``append``: add every row of the file. A row whose id is already in the
  memory gets a fresh id (nothing is overwritten).
* ``merge``: a row that matches an experience, by the same id or the same
  (task, observation, action), is combined with it: N summed, Q and
  ``mean_reward`` pooled by the caller's rule (the RLEM core's
  ``tui_agent.rlem.learning.pooled_value``, the N-weighted mean: this module
  knows no learning rule), the newer row's (by ``updated_at``)
  text and vector kept, the earliest ``created_at`` and latest
  ``updated_at``/``last_used_at`` kept. Rows of the file that match each other
  are combined the same way first. Other rows are added. (Pooling is no learning
  update, so it does not go through the RLEM replay: see :mod:`tui_agent.rlem.replay`
  on who writes Q.)
* ``replace``: the memory holds exactly the file's rows afterwards.

Every import is all or nothing: the whole file is read and validated before
anything is written, under the write lock a restore point (a LanceDB tag) is
made, and the rows go in as one LanceDB commit. A failed import leaves the
table as it was (same version, same rows); a finished one can be undone with
``tui-agent memory undo`` or restored from its restore point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from tui_agent.embedding.encoder import EmbeddingError
from tui_agent.memory.errors import storage_error
from tui_agent.memory.formats import FORMATS, MemoryFileError, infer_format, read_file, write_table
from tui_agent.memory.schema import experience_schema, new_id
from tui_agent.memory.store import MAX_N, ExperienceStore, MemoryStoreError
from tui_agent.memory.validate import Embed, validate_rows
from tui_agent.memory.versions import create_restore_point, delete_restore_point

MODES = ("append", "merge", "replace")
Pool = Callable[[float, int, float, int], float]


@dataclass(frozen=True)
class ExportReport:
    """``rows`` experiences written to ``path`` in ``format``."""

    path: str
    format: str
    rows: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with ``dry_run``, would do).

    ``inserted``: new experiences; ``merged``: existing experiences combined
    with rows of the file; ``renamed``: rows given a fresh id (append);
    ``removed``: experiences dropped (replace); ``reembedded``: rows whose
    vector was computed from the task text; ``restore_point``: the tag made
    before writing.
    """

    path: str
    format: str
    mode: str
    rows_in_file: int
    inserted: int
    merged: int
    renamed: int
    removed: int
    reembedded: int
    restore_point: str | None
    version_before: int
    version_after: int
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        parts = [f"{verb} {self.rows_in_file} rows ({self.mode}): {self.inserted} new"]
        if self.mode == "merge":
            parts.append(f"{self.merged} merged")
        if self.renamed:
            parts.append(f"{self.renamed} given new ids")
        if self.removed:
            parts.append(f"{self.removed} removed")
        if self.reembedded:
            parts.append(f"{self.reembedded} re-embedded")
        text = ", ".join(parts)
        if not self.dry_run:
            text += f"; version {self.version_before} -> {self.version_after}; restore point {self.restore_point}"
        return text


# --- export ------------------------------------------------------------------------


def memory_table(store: ExperienceStore, kind: str | None = None) -> pa.Table:
    """All experiences (or those of ``kind``) with :func:`experience_schema`, ordered by (created_at, id)."""
    where = None
    if kind:
        where = "kind = '" + kind.replace("'", "''") + "'"
    raw = store.read_arrow(where=where)
    schema = experience_schema()
    table = pa.Table.from_arrays([raw.column(f.name).cast(f.type) for f in schema], schema=schema)
    if table.num_rows:
        table = table.sort_by([("created_at", "ascending"), ("id", "ascending")])
    return table


def export_memory(store: ExperienceStore, path: str | Path, fmt: str | None = None, *,
                  kind: str | None = None, overwrite: bool = False) -> ExportReport:
    """Write the memory to ``path`` (Parquet unless ``fmt`` or the suffix says arrow, jsonl or csv).

    Raises:
        MemoryFileError: unknown format, the file exists and ``overwrite`` is
            false, or the file cannot be written.
    """
    path = Path(path).expanduser()
    fmt = infer_format(path, fmt, allowed=FORMATS) if (fmt or path.suffix) else "parquet"
    table = memory_table(store, kind)
    write_table(table, path, fmt, overwrite=overwrite)
    return ExportReport(str(path), fmt, table.num_rows)


# --- import ------------------------------------------------------------------------


def load_file(path: str | Path, fmt: str | None = None, *, embed: Embed | None = None,
              reembed: bool = False) -> tuple[pa.Table, int, str]:
    """Read and validate a memory file; returns ``(table, number re-embedded, format)``.

    ``fmt`` "rememberer" (or a ``.yaml`` suffix) reads a REMEMBERER history
    pool; its rows are always embedded from the task text.

    Raises:
        MemoryFileError: the file is missing, malformed or has a bad row (one line).
    """
    path = Path(path).expanduser()
    fmt = infer_format(path, fmt)
    try:
        if fmt == "rememberer":
            from tui_agent.memory.rememberer import read_history_pool

            raw, meta = read_history_pool(path)
            reembed = True
        else:
            raw, meta = read_file(path, fmt)
        table, reembedded = validate_rows(raw, meta, where=path.name, embed=embed, reembed=reembed)
    except MemoryFileError:
        raise
    except (MemoryStoreError, EmbeddingError, KeyboardInterrupt):
        raise
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        raise MemoryFileError(f"{path.name}: cannot import this {fmt} file ({type(exc).__name__}: {detail})") from exc
    return table, reembedded, fmt


def import_memory(store: ExperienceStore, path: str | Path, *, mode: str = "append", fmt: str | None = None,
                  embed: Embed | None = None, reembed: bool = False, dry_run: bool = False,
                  pool: Pool | None = None) -> ImportReport:
    """Import a memory file into ``store`` (all or nothing; see the module docstring for modes).

    Args:
        embed: computes vectors from task texts (needed for ``reembed``, empty
            vectors and REMEMBERER pools).
        reembed: compute every vector from the task text (for files made with
            another embedding model).
        dry_run: validate and count, write nothing.
        pool: ``(q_old, n_old, q_new, n_new) -> q`` for ``merge`` (required
            there): how two estimates of one experience combine.

    Raises:
        ValueError: ``merge`` without ``pool``.
        MemoryFileError: bad mode, file or row; nothing was written.
        MemoryStoreError: the memory is locked elsewhere for over 30 s or not
            writable; nothing was written.
    """
    if mode not in MODES:
        raise MemoryFileError(f"unknown import mode {mode!r}; use one of {', '.join(MODES)}")
    if mode == "merge" and pool is None:
        raise ValueError("merging needs a pooling rule (tui_agent.rlem.learning.pooled_value)")
    table, reembedded, fmt = load_file(path, fmt, embed=embed, reembed=reembed)
    with store.locked(counts_as_write=not dry_run) as lance_table:
        before = lance_table.version
        if mode == "append":
            rows, plan = _plan_append(store, table)
        elif mode == "merge":
            assert pool is not None  # checked above
            rows, plan = _plan_merge(store, table, pool)
        else:
            rows, plan = table, {"inserted": table.num_rows, "merged": 0, "renamed": 0,
                                 "removed": lance_table.count_rows()}
        report = dict(path=str(path), format=fmt, mode=mode, rows_in_file=table.num_rows, reembedded=reembedded,
                      version_before=before, **plan)
        if dry_run:
            return ImportReport(**report, restore_point=None, version_after=before, dry_run=True)
        tag = create_restore_point(store)
        try:
            if mode == "append":
                lance_table.add(rows)
            elif mode == "merge":
                (lance_table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all()
                 .execute(rows))
            else:
                lance_table.add(rows, mode="overwrite")
        except Exception as exc:
            lance_table.checkout_latest()
            if lance_table.version == before:
                delete_restore_point(store, tag)
            if isinstance(exc, (MemoryFileError, MemoryStoreError)):
                raise
            raise storage_error(store.path, exc) or MemoryStoreError(
                f"import into {store.path} failed: {str(exc).splitlines()[0][:200]}") from exc
        return ImportReport(**report, restore_point=tag, version_after=lance_table.version)


def _plan_append(store: ExperienceStore, table: pa.Table) -> tuple[pa.Table, dict[str, int]]:
    present = set(store.read_arrow(["id"]).column("id").to_pylist())
    ids = table.column("id").to_pylist()
    clash = [i in present for i in ids]
    renamed = sum(clash)
    if renamed:
        new_ids = pa.array([new_id() if c else i for i, c in zip(ids, clash, strict=True)], pa.string())
        table = table.set_column(table.schema.get_field_index("id"), table.schema.field("id"), new_ids)
    return table, {"inserted": table.num_rows, "merged": 0, "renamed": renamed, "removed": 0}


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["task"], row["observation"] or "", row["action"])


_TEXT_FIELDS = ("kind", "episode_id", "step", "task", "observation", "available_actions", "action", "reason",
                "vector", "model", "source", "step_instruction", "action_history")


def combine(old: dict[str, Any], new: dict[str, Any], pool: Pool) -> dict[str, Any]:
    """Two rows of one experience as one (``old``'s id): N summed, Q and mean reward by ``pool``.

    The row with the later ``updated_at`` (``new`` on a tie) gives the text
    fields and the vector; ``created_at`` is the earliest, ``updated_at`` and
    ``last_used_at`` the latest. When both N are 0, Q and mean reward are the
    newer row's.
    """
    newer = new if _time(new["updated_at"]) >= _time(old["updated_at"]) else old
    n = min(int(old["n"]) + int(new["n"]), MAX_N)  # N saturates at the int64 maximum
    out = dict(old)
    for name in _TEXT_FIELDS:
        out[name] = newer[name]
    if n > 0:
        out["q"] = pool(old["q"], int(old["n"]), new["q"], int(new["n"]))
        out["mean_reward"] = pool(old["mean_reward"], int(old["n"]), new["mean_reward"], int(new["n"]))
    else:
        out["q"], out["mean_reward"] = newer["q"], newer["mean_reward"]
    out["n"] = n
    out["created_at"] = _earliest(old["created_at"], new["created_at"])
    out["updated_at"] = _latest(old["updated_at"], new["updated_at"])
    out["last_used_at"] = _latest(old["last_used_at"], new["last_used_at"])
    return out


def _time(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("-inf")


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)


def _plan_merge(store: ExperienceStore, table: pa.Table, pool: Pool) -> tuple[pa.Table, dict[str, int]]:
    existing_rows = store.read_arrow().to_pylist()
    by_id = {r["id"]: r for r in existing_rows}
    by_key: dict[tuple[str, str, str], str] = {}
    for r in existing_rows:
        by_key.setdefault(_key(r), r["id"])
    out: dict[str, dict[str, Any]] = {}
    key_to_id: dict[tuple[str, str, str], str] = {}
    for row in table.to_pylist():
        key = _key(row)
        if row["id"] in out or row["id"] in by_id:
            target = row["id"]
        else:
            target = key_to_id.get(key) or by_key.get(key)
        if target is None:
            out[row["id"]] = row
            key_to_id[key] = row["id"]
            continue
        base = out.get(target) or by_id[target]
        merged = combine(base, row, pool)
        merged["id"] = target
        out[target] = merged
        key_to_id[key] = key_to_id[_key(merged)] = target
    rows = pa.Table.from_pylist(list(out.values()), schema=experience_schema())
    merged_count = sum(1 for i in out if i in by_id)
    return rows, {"inserted": len(out) - merged_count, "merged": merged_count, "renamed": 0, "removed": 0}

