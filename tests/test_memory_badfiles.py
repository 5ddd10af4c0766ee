"""Hypothesis-generated bad memory files: each import fails with a one-line error naming the problem,
and the memory is left exactly as it was (same version, same rows, same restore points)."""

from __future__ import annotations

import base64
import csv
import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_agent.memory.formats import FORMATS, MemoryFileError
from tui_agent.memory.schema import META_EMBEDDING_MODEL, META_SCHEMA_VERSION, SCHEMA_VERSION, Experience, rows_to_table
from tui_agent.memory.store import ExperienceStore
from tui_agent.memory.transfer import MODES, export_memory, import_memory, memory_table
from tui_agent.memory.validate import MAX_TEXT_CHARS, REQUIRED
from tui_agent.memory.versions import restore_points
from tui_agent.rlem.learning import pooled_value

CASES_RUN: Counter[str] = Counter()
MAX_EXAMPLES = 400
T0 = datetime(2025, 5, 1, tzinfo=UTC)


def unit(seed: int) -> list[float]:
    v = np.random.default_rng(seed).normal(size=384).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()


def good_rows() -> list[Experience]:
    return [
        Experience(id=f"good{i}", task=f"task {i}", action=f"action {i}", kind="shop" if i % 2 else "chat",
                   q=0.5, n=i, mean_reward=0.5, vector=unit(i), created_at=T0, updated_at=T0 + timedelta(seconds=i))
        for i in range(4)
    ]


# --- writing arbitrary (possibly ill-typed) tables in each format -------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def write_any(table: pa.Table, path: Path, fmt: str, model: str | None = None, version: int | None = None) -> None:
    meta = dict(table.schema.metadata or {})
    if model is not None:
        meta[META_EMBEDDING_MODEL] = model.encode()
    if version is not None:
        meta[META_SCHEMA_VERSION] = str(version).encode()
    table = table.replace_schema_metadata(meta)
    if fmt == "parquet":
        pq.write_table(table, path)
    elif fmt == "arrow":
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    elif fmt == "jsonl":
        header = {"format": "tui-agent-experiences", "schema_version": version or 1,
                  "embedding_model": model or "sentence-transformers/all-MiniLM-L6-v2", "embedding_dim": 384}
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(header) + "\n")
            for row in table.to_pylist():
                fh.write(json.dumps({k: _cell(v) for k, v in row.items()}) + "\n")  # NaN stays NaN here
    else:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            names = table.column_names
            writer.writerow([*names, "schema_version", "embedding_model", "embedding_dim"])
            for row in table.to_pylist():
                cells = []
                for name in names:
                    value = row[name]
                    if name == "vector" and isinstance(value, list) and all(
                            isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
                        cells.append(base64.b64encode(np.asarray(value, "<f4").tobytes()).decode())
                    elif value is None:
                        cells.append("")
                    else:
                        cells.append(str(_cell(value)) if not isinstance(value, float) else repr(value))
                writer.writerow([*cells, str(version or 1), model or "sentence-transformers/all-MiniLM-L6-v2", "384"])


def replace_column(table: pa.Table, name: str, values: list[Any], type_: pa.DataType | None = None) -> pa.Table:
    index = table.schema.get_field_index(name)
    array = pa.array(values, type=type_) if type_ is not None else pa.array(values)
    return table.set_column(index, pa.field(name, array.type), array)


def set_cell(table: pa.Table, name: str, row: int, value: Any) -> pa.Table:
    values = table.column(name).to_pylist()
    values[row] = value
    return replace_column(table, name, values, table.schema.field(name).type)


# --- the cases ------------------------------------------------------------------------


@dataclass
class Case:
    category: str
    fmt: str
    expect: tuple[str, ...]  # each must appear in the message (lower-cased)
    table: pa.Table | None = None
    raw: bytes | None = None
    model: str | None = None
    version: int | None = None


NUMERIC = ("q", "n", "mean_reward", "step", "created_at", "vector")
TEXT = ("id", "kind", "task", "action", "observation", "source")
junk_text = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "P", "S"]), min_size=1, max_size=12).filter(
    lambda s: _not_number(s))


def _not_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return True
    return False


@st.composite
def cases(draw: st.DrawFn) -> Case:
    base = rows_to_table(good_rows())
    rows = base.num_rows
    row = draw(st.integers(0, rows - 1))
    fmt = draw(st.sampled_from(FORMATS))
    category = draw(st.sampled_from([
        "missing column", "unknown column", "wrong type", "nan or inf q", "wrong vector size", "bad vector values",
        "very long string", "bad kind", "negative n", "q not finite", "duplicate id", "null required",
        "other embedding model", "newer schema", "truncated file", "binary junk",
    ]))
    if category == "missing column":
        name = draw(st.sampled_from([*REQUIRED, "vector"]))
        return Case(category, fmt, ("missing column", name), table=base.drop_columns([name]))
    if category == "unknown column":
        name = draw(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
            lambda n: base.schema.get_field_index(n) < 0 and n not in ("schema_version", "embedding_model",
                                                                     "embedding_dim", "format")))
        table = base.append_column(name, pa.array([1] * rows))
        return Case(category, fmt, ("unknown column", name), table=table)
    if category == "wrong type":
        choices = NUMERIC if fmt == "csv" else NUMERIC + TEXT  # every CSV cell is text, so text columns can't be
        name = draw(st.sampled_from(choices))
        if name in TEXT:
            values = draw(st.lists(st.integers(-5, 5), min_size=rows, max_size=rows))
        elif name == "n" and draw(st.booleans()):
            values = [float(i) + 0.5 for i in range(rows)]
        else:
            word = draw(junk_text)
            values = [word] * rows
        return Case(category, fmt, (name,), table=replace_column(base, name, values))
    if category == "nan or inf q":
        value = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        expect = ("q is nan",) if math.isnan(value) else ("q is infinite",)
        return Case(category, fmt, expect, table=set_cell(base, "q", row, value))
    if category == "wrong vector size":
        size = draw(st.integers(0, 1000).filter(lambda k: k != 384))
        vectors = base.column("vector").to_pylist()
        vectors[row] = [1.0 / math.sqrt(max(size, 1))] * size
        table = replace_column(base, "vector", vectors, pa.list_(pa.float32()))
        return Case(category, fmt, ("vector",), table=table)
    if category == "bad vector values":
        vectors = base.column("vector").to_pylist()
        how = draw(st.sampled_from(["nan", "inf", "scaled", "zero"]))
        if how in ("nan", "inf"):
            vectors[row][draw(st.integers(0, 383))] = math.nan if how == "nan" else math.inf
            expect = ("vector has a nan or infinite value",)
        else:
            factor = 0.0 if how == "zero" else draw(st.floats(2.0, 100.0))
            vectors[row] = [x * factor for x in vectors[row]]
            expect = ("vector is not unit length",)
        return Case(category, fmt, expect, table=replace_column(base, "vector", vectors, pa.list_(pa.float32(), 384)))
    if category == "very long string":
        name = draw(st.sampled_from(["task", "action", "observation", "reason", "id"]))
        extra = draw(st.integers(1, 5000))
        length = 129 + extra if name == "id" else MAX_TEXT_CHARS + extra
        value = draw(st.sampled_from(["a", "é", "🙂", "["])) * length
        expect = (name, "longer") if name == "id" else (name, "too long")
        return Case(category, fmt, expect, table=set_cell(base, name, row, value))
    if category == "bad kind":
        value = draw(st.text(min_size=1, max_size=20).filter(
            lambda s: s not in ("chat", "shop", "wikihow") and "\x00" not in s and "\r" not in s and s.strip() == s
            and s == " ".join(s.split())))
        return Case(category, fmt, ("kind",), table=set_cell(base, "kind", row, value))
    if category == "negative n":
        value = draw(st.integers(-(2**40), -1))
        return Case(category, fmt, ("n must be >= 0",), table=set_cell(base, "n", row, value))
    if category == "q not finite":  # any finite Q is valid (REMEMBERER's WikiHow pools hold Q = 2)
        value = draw(st.sampled_from([float("inf"), float("-inf"), float("nan")]))
        return Case(category, fmt, ("q is",), table=set_cell(base, "q", row, value))
    if category == "duplicate id":
        other = draw(st.integers(0, rows - 1).filter(lambda r: r != row))
        ids = base.column("id").to_pylist()
        ids[other] = ids[row]
        return Case(category, fmt, ("id", "repeats"), table=replace_column(base, "id", ids, pa.string()))
    if category == "null required":
        name = draw(st.sampled_from(["task", "action", "kind", "id"]))
        # CSV has no null: an empty cell is "" → "is empty" (or, for kind, not a kind)
        return Case(category, fmt, (name,), table=set_cell(base, name, row, None))
    if category == "other embedding model":
        model = draw(st.from_regex(r"[a-z]{2,8}/[a-z0-9-]{2,12}", fullmatch=True))
        return Case(category, fmt, ("--reembed", model), table=base, model=model)
    if category == "newer schema":
        version = draw(st.integers(SCHEMA_VERSION + 1, 10**6))
        return Case(category, fmt, ("newer", f"v{version}"), table=base, version=version)
    if category == "truncated file":
        fmt = draw(st.sampled_from(["parquet", "arrow"]))
        return Case(category, fmt, (), table=base, raw=b"truncate:" + str(draw(st.floats(0.0, 0.999))).encode())
    junk = draw(st.binary(min_size=0, max_size=3000))
    return Case("binary junk", fmt, (), raw=junk)


def make_file(case: Case, directory: Path) -> Path:
    path = directory / f"bad.{case.fmt}"
    if case.raw is not None and case.raw.startswith(b"truncate:"):
        write_any(case.table, path, case.fmt)
        data = path.read_bytes()
        cut = int(len(data) * float(case.raw[len(b"truncate:"):]))
        path.write_bytes(data[:cut])
    elif case.raw is not None:
        path.write_bytes(case.raw)
    else:
        write_any(case.table, path, case.fmt, case.model, case.version)
    return path


def test_bad_files_give_one_line_errors_and_change_nothing(tmp_path: Path):
    store = ExperienceStore(tmp_path / "memory")
    store.add(good_rows())
    good = tmp_path / "good.parquet"
    export_memory(store, good)
    import_memory(store, good, mode="merge", pool=pooled_value)  # a restore point exists, so we can check none is added
    snapshot, version, points = memory_table(store), store.version, restore_points(store)
    files = tmp_path / "files"
    files.mkdir()

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=cases(), mode=st.sampled_from(MODES))
    def run(case: Case, mode: str) -> None:
        path = make_file(case, files)
        try:
            import_memory(store, path, mode=mode, pool=pooled_value)
        except MemoryFileError as exc:
            message = str(exc)
        else:
            raise AssertionError(f"{case.category} ({case.fmt}) was accepted")
        finally:
            path.unlink()
        assert message and "\n" not in message and "\r" not in message, message
        assert len(message) < 400, message
        assert "Traceback" not in message
        for part in case.expect:
            assert part.lower() in message.lower(), (case.category, case.fmt, case.expect, message)
        assert store.version == version
        assert restore_points(store) == points
        CASES_RUN[case.category] += 1

    run()
    assert memory_table(store).equals(snapshot)
    total = sum(CASES_RUN.values())
    print(f"\nhypothesis bad-file cases: {total} — " + ", ".join(f"{k} {v}" for k, v in sorted(CASES_RUN.items())))
    assert total >= MAX_EXAMPLES * 0.9
    assert len(CASES_RUN) == 16, CASES_RUN


def test_specific_messages(tmp_path: Path):
    """A few hand-written bad files with their exact one-line messages."""
    store = ExperienceStore(tmp_path / "memory")
    store.add(good_rows())
    base = rows_to_table(good_rows())
    path = tmp_path / "x.parquet"

    def message(table: pa.Table, fmt: str = "parquet") -> str:
        target = path.with_suffix("." + fmt)
        write_any(table, target, fmt)
        try:
            import_memory(store, target)
        except MemoryFileError as exc:
            return str(exc)
        raise AssertionError("accepted")

    assert message(set_cell(base, "q", 2, math.nan)) == "x.parquet: row 3: q is NaN (not a number)"
    assert message(base.drop_columns(["q"]), "csv") == "x.csv: missing column 'q'"
    vectors = base.column("vector").to_pylist()
    vectors[1] = vectors[1][:12]
    assert message(replace_column(base, "vector", vectors, pa.list_(pa.float32())), "jsonl") == (
        "x.jsonl: row 2: vector has 12 values; this memory's embedding model gives 384 "
        "(pass --reembed to compute vectors from the task text)")
    assert message(replace_column(base, "q", ["high"] * 4), "arrow") == "x.arrow: q has type string; expected a number"
    assert message(replace_column(base, "q", ["high"] * 4), "jsonl") == "x.jsonl: row 1: q must be a number, got 'high'"
    assert store.version == 2


MAGIC = [b"", b"PAR1", b"ARROW1\x00\x00", b"\xff\xff\xff\xff", b'{"format": "tui-agent-experiences"}\n',
         b"id,kind,task,action,q,n,vector\n", b"\xef\xbb\xbf", b"? !!python/tuple\n"]


def test_binary_junk_in_every_format(tmp_path: Path):
    store = ExperienceStore(tmp_path / "memory")
    store.add(good_rows())
    snapshot, version = memory_table(store), store.version
    counted: Counter[str] = Counter()

    @settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(fmt=st.sampled_from([*FORMATS, "yaml"]), head=st.sampled_from(MAGIC), body=st.binary(max_size=4000),
           tail=st.sampled_from([b"", b"PAR1", b"ARROW1"]))
    def run(fmt: str, head: bytes, body: bytes, tail: bytes) -> None:
        path = tmp_path / f"junk.{fmt}"
        path.write_bytes(head + body + tail)
        try:
            import_memory(store, path, embed=lambda texts: np.zeros((len(texts), 384), np.float32))
        except MemoryFileError as exc:
            message = str(exc)
        else:
            raise AssertionError(f"junk accepted as {fmt}: {(head + body + tail)[:80]!r}")
        assert message and "\n" not in message and len(message) < 400, message
        assert store.version == version
        counted[fmt] += 1

    run()
    assert memory_table(store).equals(snapshot)
    CASES_RUN["binary junk (dedicated)"] += sum(counted.values())
    print(f"\nbinary junk cases: {sum(counted.values())} — " + ", ".join(f"{k} {v}" for k, v in sorted(counted.items())))
