"""The LanceDB tables' one schema source and numbered upgrades (storage/lance_schema.py): the row dataclasses
are the schemas (a column cannot be added to one only), an old v1 experience table upgrades in place and
records its version, a newer or unreadable version is refused with a clear message, for both tables."""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime

import lancedb
import pyarrow as pa
import pytest
from vectors import unit

from tui_agent.memory import schema as memory_schema
from tui_agent.memory.errors import MemoryStoreError
from tui_agent.memory.schema import (
    META_SCHEMA_VERSION,
    SCHEMA_VERSION,
    UPGRADES,
    Experience,
    experience_schema,
    rows_to_table,
)
from tui_agent.memory.store import ExperienceStore
from tui_agent.memory.versions import NothingToUndo, undo
from tui_agent.notes import schema as notes_schema_module
from tui_agent.notes.schema import (
    META_NOTES_SCHEMA_VERSION,
    NOTES_UPGRADES,
    Note,
    notes_schema,
)
from tui_agent.notes.store import NoteStore, NoteStoreError
from tui_agent.storage.lance_schema import (
    AddColumns,
    SchemaVersionError,
    Upgrades,
    arrow_schema,
    column,
)

ROW_TYPES = [(Experience, experience_schema, memory_schema), (Note, notes_schema, notes_schema_module)]


def _python_type_fits(annotation: typing.Any, arrow_type: pa.DataType) -> bool:
    base = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    kind = typing.get_origin(base[0]) or base[0]
    return {str: pa.types.is_string, int: pa.types.is_integer, float: pa.types.is_floating,
            datetime: pa.types.is_timestamp, list: pa.types.is_fixed_size_list}[kind](arrow_type)


@pytest.mark.parametrize(("cls", "schema_of", "module"), ROW_TYPES, ids=["experiences", "notes"])
def test_the_row_dataclass_is_the_table_schema(cls, schema_of, module):
    schema = schema_of()
    assert schema.names == [f.name for f in dataclasses.fields(cls)]  # same columns, same order, by construction
    hints = typing.get_type_hints(cls, vars(module))
    for f in schema:
        assert _python_type_fits(hints[f.name], f.type), f"{cls.__name__}.{f.name}: {hints[f.name]} vs {f.type}"
        if not f.nullable:
            assert type(None) not in typing.get_args(hints[f.name]), f.name


def test_a_field_without_a_column_type_is_refused():
    @dataclasses.dataclass
    class Row:
        a: str = dataclasses.field(default="", metadata=column(pa.string()))
        b: str = ""

    with pytest.raises(TypeError, match=r"Row\.b has no arrow type"):
        arrow_schema(Row, {})


def test_every_upgrade_step_adds_columns_of_the_row_type():
    for upgrades, schema in ((UPGRADES, experience_schema()), (NOTES_UPGRADES, notes_schema())):
        assert schema.metadata[upgrades.key] == str(upgrades.version).encode()
        for step in upgrades.steps:
            assert isinstance(step, AddColumns) and set(step.columns) <= set(schema.names)
    assert SCHEMA_VERSION == 2 and UPGRADES.steps[0].columns.keys() == {"step_instruction", "action_history"}


def _v1_table(path, *, columns_added: bool = False):
    """An experiences table as tui-agent v1 wrote it (no step_instruction/action_history), one row;
    ``columns_added``: as the old in-place upgrade left it (the columns there, metadata still v1)."""
    v2 = experience_schema()
    dropped = () if columns_added else UPGRADES.steps[0].columns
    v1 = pa.schema([f for f in v2 if f.name not in dropped], metadata={**v2.metadata, META_SCHEMA_VERSION: b"1"})
    old = rows_to_table([Experience(task="old question", action="old answer", q=0.5, n=2, vector=unit(1))])
    lancedb.connect(str(path)).create_table("experiences", data=old.select(v1.names).cast(v1))


@pytest.mark.parametrize("columns_added", [False, True], ids=["v1", "v1-with-columns"])
def test_a_v1_table_on_disk_is_upgraded_and_records_its_version(tmp_path, columns_added):
    _v1_table(tmp_path / "mem", columns_added=columns_added)
    store = ExperienceStore(tmp_path / "mem")
    assert store.table.schema.metadata[META_SCHEMA_VERSION] == b"2"
    assert set(UPGRADES.steps[0].columns) <= set(store.table.schema.names)
    [row] = store.all()
    assert (row.task, row.q, row.n, row.step_instruction, row.action_history) == ("old question", 0.5, 2, "", "")
    version = store.version
    again = ExperienceStore(tmp_path / "mem")  # upgraded once: opening again writes nothing
    assert again.version == version
    with pytest.raises(NothingToUndo):  # the upgrade is no change to take back
        undo(again)
    again.add([Experience(task="new", action="a", vector=unit(2), action_history="[]")])
    assert again.count() == 2


def test_an_upgrade_applies_the_missing_steps_in_order(tmp_path):
    done = []

    class Step:
        def __init__(self, number):
            self.number = number

        def apply(self, table):
            done.append(self.number)

    table = lancedb.connect(str(tmp_path)).create_table(
        "t", schema=pa.schema([pa.field("x", pa.string())], metadata={b"v": b"2"}))
    upgrades = Upgrades(b"v", (Step(1), Step(2), Step(3)))
    made = upgrades.apply(table, "t")
    assert done == [2, 3] and table.schema.metadata[b"v"] == b"4" and len(made) == 1
    assert not upgrades.pending(table, "t") and upgrades.apply(table, "t") == range(table.version + 1, table.version + 1)


def _stamp(table, key: bytes, value: bytes) -> None:
    table.to_lance().update_schema_metadata({key.decode(): value.decode()})


def test_a_newer_experience_table_is_refused(tmp_path):
    store = ExperienceStore(tmp_path / "mem")
    store.add([Experience(task="q", action="a", vector=unit(1))])
    _stamp(store.table, META_SCHEMA_VERSION, b"3")
    with pytest.raises(MemoryStoreError, match=r"newer tui-agent \(schema v3; this one reads v2\): update tui-agent"):
        ExperienceStore(tmp_path / "mem")
    _stamp(store.table, META_SCHEMA_VERSION, b"two")
    version = lancedb.connect(str(tmp_path / "mem")).open_table("experiences").version
    with pytest.raises(MemoryStoreError, match="unreadable schema version b'two'"):
        ExperienceStore(tmp_path / "mem")
    assert lancedb.connect(str(tmp_path / "mem")).open_table("experiences").version == version  # nothing written


def test_a_newer_notes_table_is_refused(tmp_path):
    notes = NoteStore(tmp_path / "mem")
    _stamp(notes.table, META_NOTES_SCHEMA_VERSION, b"7")
    with pytest.raises(NoteStoreError, match=r"newer tui-agent \(notes schema v7; this one reads v1\)"):
        NoteStore(tmp_path / "mem")


def test_schema_version_error_is_one_line():
    table = type("T", (), {"schema": pa.schema([], metadata={b"v": b"9"})})()
    with pytest.raises(SchemaVersionError) as info:
        Upgrades(b"v").stored_version(table, "memory /x")
    assert str(info.value) == ("memory /x was written by a newer tui-agent (schema v9; this one reads v1): "
                               "update tui-agent to open it")
