"""``tui-agent memory list|search|show|export|import|undo|compact|stats``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tui_agent.cli import app
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.rlem.learning import change_towards
from vectors import unit

runner = CliRunner()


def run(*args: str, memory: Path | None = None):
    argv = ["memory", *args] + (["--memory-dir", str(memory)] if memory is not None else [])
    return runner.invoke(app, argv, catch_exceptions=False)


def one_line_error(result, *needles: str) -> str:
    assert result.exit_code == 1, (result.exit_code, result.output)
    err = result.stderr.strip()
    assert err.startswith("tui-agent: error: ") and "\n" not in err, err
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in err, err
    return err


@pytest.fixture
def mem(memory_dir: Path) -> Path:
    store = ExperienceStore(memory_dir)
    store.add([
        Experience(id=f"id{i:02d}" + "0" * 28, task=f"question {i} [b]bold[/b]", action=f"answer {i}",
                   kind="shop" if i % 2 else "chat", q=i / 10, n=i, vector=unit(i))
        for i in range(8)
    ])
    return memory_dir


def test_list_sort_filter_and_json(mem: Path):
    result = run("list", "--sort", "q", "-n", "3", memory=mem)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ID") and len(lines) == 4
    assert "question 7 [b]bold[/b]" in lines[1]  # highest Q first, markup printed literally
    data = json.loads(run("list", "--kind", "shop", "--json", memory=mem).stdout)
    assert data["matching"] == 4 and {r["kind"] for r in data["rows"]} == {"shop"}
    assert data["total"] == 8 and data["version"] == 2
    one_line_error(run("list", "--sort", "bogus", memory=mem), "cannot sort by 'bogus'")
    one_line_error(run("list", "--kind", "robot", memory=mem), "unknown kind 'robot'")


def test_show_by_id_and_prefix(mem: Path):
    result = run("show", "id03", memory=mem)
    assert result.exit_code == 0
    assert "question 3 [b]bold[/b]" in result.stdout and "q:" in result.stdout
    data = json.loads(run("show", "id03" + "0" * 28, "--json", "--vector", memory=mem).stdout)
    assert data["n"] == 3 and len(data["vector"]) == 384
    one_line_error(run("show", "nope", memory=mem), "no experience with id 'nope'")
    one_line_error(run("show", "id0", memory=mem), "no experience")


def test_search_text_and_semantic(mem: Path, embedder):
    data = json.loads(run("search", "question 5", "--text", "--json", memory=mem).stdout)
    assert [r["task"] for r in data["rows"]] == ["question 5 [b]bold[/b]"]
    store = ExperienceStore(mem)
    task = "How do I bake sourdough bread?"
    store.add([Experience(task=task, action="bake it", vector=embedder.encode_one(task).tolist())])
    data = json.loads(run("search", "baking a loaf", "--json", "-n", "3", memory=mem).stdout)
    assert data["rows"][0]["task"] == task and data["rows"][0]["similarity"] > 0.4


@pytest.mark.parametrize("suffix", [".parquet", ".arrow", ".jsonl", ".csv"])
def test_export_import_undo_round_trip(mem: Path, tmp_path: Path, suffix: str):
    path = tmp_path / f"out{suffix}"
    result = run("export", str(path), memory=mem)
    assert result.exit_code == 0 and f"exported 8 experiences to {path}" in result.stdout
    other = tmp_path / "other"
    data = json.loads(run("import", str(path), "--json", memory=other).stdout)
    assert data["inserted"] == 8 and data["format"] == suffix[1:] and data["restore_point"].startswith("import-")
    data = json.loads(run("import", str(path), "--mode", "merge", "--json", memory=other).stdout)
    assert data["merged"] == 8
    assert ExperienceStore(other).get("id05" + "0" * 28).n == 10
    result = run("undo", memory=other)
    assert result.exit_code == 0 and "undid the change made in version 3: the experiences are as in version 2 again" \
        in result.stdout
    assert ExperienceStore(other).get("id05" + "0" * 28).n == 5
    listing = run("undo", "--list", memory=other).stdout
    assert "restore point: import-" in listing and "undo (= v2)" in listing
    restore_point = json.loads(run("undo", "--list", "--json", memory=other).stdout)[0]["restore_points"][0]
    result = run("undo", "--to", restore_point, memory=other)
    assert result.exit_code == 0 and ExperienceStore(other).count() == 0


def test_export_format_option_and_errors(mem: Path, tmp_path: Path):
    path = tmp_path / "data.bin"
    assert run("export", str(path), "--format", "jsonl", memory=mem).exit_code == 0
    assert path.read_text().startswith('{"format": "tui-agent-experiences"')
    one_line_error(run("export", str(path), "--format", "jsonl", memory=mem), "exists", "--force")
    assert run("export", str(path), "--format", "csv", "--force", memory=mem).exit_code == 0
    one_line_error(run("export", str(tmp_path / "x.xlsx"), memory=mem), "cannot tell the format")
    one_line_error(run("export", str(tmp_path / "x.parquet"), "--format", "excel", memory=mem), "unknown format")
    one_line_error(run("export", str(tmp_path / "missing" / "x.parquet"), memory=mem), "does not exist")


def test_import_errors_are_one_line_and_change_nothing(mem: Path, tmp_path: Path):
    store = ExperienceStore(mem)
    version = store.version
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "chat", "task": "t", "action": "a", "q": NaN, "n": 1, "vector": []}\n')
    one_line_error(run("import", str(bad), memory=mem), "bad.jsonl: row 1: vector has 0 values")
    bad.write_text('{"kind": "chat", "task": "t", "action": "a", "q": 1e999, "n": 1}\n')
    one_line_error(run("import", str(bad), "--mode", "replace", memory=mem), "missing column 'vector'")
    one_line_error(run("import", str(tmp_path / "none.parquet"), memory=mem), "no such file")
    one_line_error(run("import", str(bad), "--mode", "upsert", memory=mem), "unknown import mode 'upsert'")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1\x00garbage")
    one_line_error(run("import", str(junk), memory=mem), "junk.parquet: not a readable parquet file")
    assert ExperienceStore(mem).version == version


def test_import_with_reembed_and_dry_run(mem: Path, tmp_path: Path, embedder):
    path = tmp_path / "m.parquet"
    run("export", str(path), memory=mem)
    other = tmp_path / "other"
    data = json.loads(run("import", str(path), "--dry-run", "--json", memory=other).stdout)
    assert data["dry_run"] and data["inserted"] == 8 and ExperienceStore(other).count() == 0
    data = json.loads(run("import", str(path), "--reembed", "--json", memory=other).stdout)
    assert data["reembedded"] == 8
    got = ExperienceStore(other).get("id02" + "0" * 28)
    assert np.asarray(got.vector) == pytest.approx(embedder.encode_one(got.task), abs=1e-5)


def test_undo_and_compact_and_stats(mem: Path):
    one_line_error(run("undo", "--to", "no-such-point", memory=mem), "no restore point named 'no-such-point'")
    store = ExperienceStore(mem)
    store.optimize_every = 0
    for e in store.all():
        store.modify(e.id, change_towards(1.0))
    fragments = store.fragment_count()
    data = json.loads(run("compact", "--json", memory=mem).stdout)
    assert data["fragments_before"] == fragments and data["fragments_after"] == 1
    result = run("compact", memory=mem)
    assert result.exit_code == 0 and "compacted: 1 -> 1 fragments" in result.stdout
    versions = data["versions"]
    assert versions > 2  # create, add, the fold of the 8 logged ratings, compaction (ratings make no versions)
    data = json.loads(run("compact", "--keep-days", "0", "--json", memory=mem).stdout)
    assert data["versions"] < versions
    one_line_error(run("undo", memory=mem), "nothing to undo")
    stats = json.loads(run("stats", "--json", memory=mem).stdout)
    assert stats["experiences"] == 8
    fresh = ExperienceStore(tmp := mem.parent / "fresh")
    assert fresh.count() == 0
    one_line_error(run("undo", memory=tmp), "nothing to undo")


def test_imports_a_rememberer_pool_from_the_cli(memory_dir: Path, tmp_path: Path, embedder):
    from test_memory_transfer import REMEMBERER_POOL

    path = tmp_path / "pool.yaml"
    path.write_text(REMEMBERER_POOL)
    data = json.loads(run("import", str(path), "--json", memory=memory_dir).stdout)
    assert data["format"] == "rememberer" and data["inserted"] == 3
    data = json.loads(run("list", "--kind", "shop", "--json", memory=memory_dir).stdout)
    assert len(data["rows"]) == 3
