"""Row 7 of issue 24: ``notes import`` of malformed files, and stored notes with missing values.

Before: nine malformed inputs (a list line, a bad date, deep nesting, a NaN vector, a string vector,
position 10^30, an integer heading, a dict id, Parquet with schema version "abc") gave tracebacks; a
note with ``"created_at": null`` was accepted and then ``notes show`` and every ``notes export`` crashed.
After: every field is checked before writing, one line per bad row, exit 1, nothing written; a stored
row with missing values reads, shows and exports.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from vectors import unit

from tui_agent.cli import app
from tui_agent.notes.schema import Note, notes_schema
from tui_agent.notes.store import NoteStore


def good(**over):
    row = {"text": "The cat is called Biscuit.", "source": "pets.md", "vector": unit(1)}
    row.update(over)
    return row


BAD_LINES = {
    "list line": [1, 2, 3],
    "bad date": good(created_at="yesterday-ish"),
    "deep nesting": None,  # written raw below
    "NaN vector": good(vector=[float("nan")] * 384),
    "string vector": good(vector="0.1 0.2"),
    "huge position": good(position=10**30),
    "integer heading": good(heading=7),
    "dict id": good(id={"a": 1}),
}


def _write_line(path, name, value):
    text = "[" * 100_000 + "]" * 100_000 if name == "deep nesting" else json.dumps(value)
    path.write_text(json.dumps(good(text="fine")) + "\n" + text + "\n")


def _run(*args):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("name", list(BAD_LINES))
def test_malformed_jsonl_line_is_one_line_error_and_nothing_written(tmp_path, name):
    path = tmp_path / "bad.jsonl"
    _write_line(path, name, BAD_LINES[name])
    result = _run("notes", "import", str(path), "--memory-dir", str(tmp_path / "mem"))
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "line 2" in result.output
    assert NoteStore(tmp_path / "mem").count() == 0


def test_every_bad_row_gets_its_own_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    lines = [good(position=-1), good(text="ok"), good(heading=3), [1]]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = _run("notes", "import", str(path), "--memory-dir", str(tmp_path / "mem"))
    assert result.exit_code == 1
    assert "3 bad notes; nothing was imported" in result.output
    for n in (1, 3, 4):
        assert f"line {n}:" in result.output
    assert "line 2:" not in result.output


def test_parquet_with_non_numeric_schema_version(tmp_path):
    path = tmp_path / "bad.parquet"
    schema = notes_schema().with_metadata({b"tui_agent.notes_schema_version": b"abc"})
    pq.write_table(pa.Table.from_pylist([Note(**{**good(), "id": ""}).to_row()], schema=schema), path)
    result = _run("notes", "import", str(path), "--memory-dir", str(tmp_path / "mem"))
    assert result.exit_code == 1
    assert "schema version" in result.output and "Traceback" not in result.output


def test_null_created_at_is_stamped_on_import(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps(good(created_at=None)) + "\n")
    assert _run("notes", "import", str(path), "--memory-dir", str(tmp_path / "mem")).exit_code == 0
    assert NoteStore(tmp_path / "mem").all()[0].created_at is not None


def test_stored_row_with_null_created_at_shows_and_exports(tmp_path):
    store = NoteStore(tmp_path / "mem")
    note = Note(**good())
    note.created_at = None
    store.add([note])
    show = _run("notes", "show", note.id[:8], "--memory-dir", str(tmp_path / "mem"))
    assert show.exit_code == 0, show.output
    assert "created:  unknown" in show.output
    for suffix in (".jsonl", ".parquet"):
        out = tmp_path / f"x{suffix}"
        result = _run("notes", "export", str(out), "--memory-dir", str(tmp_path / "mem"))
        assert result.exit_code == 0, result.output
        again = _run("notes", "import", str(out), "--memory-dir", str(tmp_path / "other"))
        assert again.exit_code == 0, again.output
