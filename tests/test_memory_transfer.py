"""Export and import of the experience memory: round trips, metadata, modes, re-embedding, REMEMBERER pools."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tui_agent.memory.formats import FORMATS, MemoryFileError, read_file, write_table
from tui_agent.memory.schema import (
    META_EMBEDDING_DIM,
    META_EMBEDDING_MODEL,
    META_SCHEMA_VERSION,
    SCHEMA_VERSION,
    Experience,
    rows_to_table,
)
from tui_agent.memory.store import ExperienceStore
from tui_agent.memory.transfer import combine, export_memory, import_memory, load_file, memory_table
from tui_agent.memory.versions import restore_points, undo
from tui_agent.rlem.learning import pooled_value
from vectors import unit


T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def varied_experiences() -> list[Experience]:
    """Rows that stress the formats: markup, quotes, commas, newlines, U+2028, emoji, empty fields, nulls."""
    texts = ["plain", "with, comma and \"quotes\"", "line one\nline two\r\nthree", "[bold]not markup[/bold]",
             "unicode \u2028 separator and 👍 emoji", "tab\there", "", "x" * 5000]
    rows = []
    for i, text in enumerate(texts):
        rows.append(Experience(
            id=f"exp{i:02d}",
            task=f"task {i}: {text}" if text else f"task {i}",
            action=f"action {i}: {text}" if text else "a",
            kind="shop" if i % 2 else "chat",
            observation=text, available_actions=json.dumps(["click[a]", text]) if i % 2 else "",
            reason=text, q=[0.0, 0.5, -0.25, 1.0, 1 / 3, 0.1, -1.0, 0.9][i],
            n=i * 3, mean_reward=0.125 * (i % 3), model="local/smollm2" if i % 3 else "",
            source=("model", "correction", "initial", "import", "demonstration")[i % 5],
            episode_id=f"ep{i // 2}" if i % 2 else "", step=i % 4, vector=unit(100 + i),
            created_at=T0 + timedelta(seconds=i), updated_at=T0 + timedelta(seconds=i, microseconds=7),
            last_used_at=None if i % 3 == 0 else T0 + timedelta(days=1, microseconds=i),
        ))
    return rows


@pytest.fixture
def filled(store: ExperienceStore) -> ExperienceStore:
    store.add(varied_experiences())
    return store


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_gives_identical_rows(filled: ExperienceStore, tmp_path: Path, fmt: str):
    first = tmp_path / f"first.{fmt}"
    second = tmp_path / f"second.{fmt}"
    assert export_memory(filled, first).rows == 8
    empty = ExperienceStore(tmp_path / "other")
    report = import_memory(empty, first)
    assert (report.inserted, report.renamed, report.reembedded) == (8, 0, 0)
    export_memory(empty, second)
    original, copied = memory_table(filled), memory_table(empty)
    assert copied.equals(original), "rows differ after export → import"
    a, b = load_file(first)[0], load_file(second)[0]
    assert a.equals(b) and a.equals(original)
    assert first.read_bytes() == second.read_bytes(), "the second export is not byte-identical"
    got = {e.id: e for e in empty.all()}
    for exp in varied_experiences():
        assert got[exp.id].task == exp.task and got[exp.id].q == exp.q and got[exp.id].vector == pytest.approx(exp.vector)


@pytest.mark.parametrize("fmt", FORMATS)
def test_files_carry_model_metadata_and_no_machine_path(filled: ExperienceStore, tmp_path: Path, fmt: str):
    path = tmp_path / f"out.{fmt}"
    export_memory(filled, path)
    raw, meta = read_file(path, fmt)
    assert (meta.schema_version, meta.embedding_model, meta.embedding_dim) == (
        SCHEMA_VERSION, "sentence-transformers/all-MiniLM-L6-v2", 384)
    data = path.read_bytes()
    assert str(filled.path).encode() not in data and str(tmp_path).encode() not in data
    assert b"api_key" not in data.lower() and b"/home" not in data and b"/tmp" not in data
    if fmt == "parquet":
        kv = pq.read_metadata(path).metadata
        ours = {k for k in kv if k.startswith(b"tui_agent.")}
        assert ours == {META_SCHEMA_VERSION, META_EMBEDDING_MODEL, META_EMBEDDING_DIM}
        assert pq.read_schema(path).field("vector").type == pa.list_(pa.float32(), 384)


def test_jsonl_has_header_iso_times_and_null_for_nan(tmp_path: Path):
    exp = Experience(task="t", action="a", vector=unit(1), created_at=T0, updated_at=T0, last_used_at=None)
    table = rows_to_table([exp])
    table = table.set_column(table.schema.get_field_index("mean_reward"), "mean_reward",
                             pa.array([float("nan")], pa.float64()))
    path = tmp_path / "x.jsonl"
    write_table(table, path, "jsonl")
    header, row = (json.loads(line) for line in path.read_text().splitlines())
    assert header == {"format": "tui-agent-experiences", "schema_version": SCHEMA_VERSION,
                      "embedding_model": "sentence-transformers/all-MiniLM-L6-v2", "embedding_dim": 384}
    assert row["created_at"] == "2025-03-01T12:00:00.123456+00:00"
    assert row["mean_reward"] is None and row["last_used_at"] is None
    assert len(row["vector"]) == 384
    assert "NaN" not in path.read_text()


def test_csv_encodes_vectors_as_base64_and_repeats_metadata(filled: ExperienceStore, tmp_path: Path):
    import base64
    import csv

    path = tmp_path / "x.csv"
    export_memory(filled, path)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8
    assert {r["embedding_model"] for r in rows} == {"sentence-transformers/all-MiniLM-L6-v2"}
    assert {r["embedding_dim"] for r in rows} == {"384"} and {r["schema_version"] for r in rows} == {str(SCHEMA_VERSION)}
    vec = np.frombuffer(base64.b64decode(rows[0]["vector"]), dtype="<f4")
    assert vec.shape == (384,)


def test_csv_with_empty_vector_cells_is_reembedded_from_the_task(filled: ExperienceStore, tmp_path: Path, embedder):
    import csv

    path = tmp_path / "edited.csv"
    export_memory(filled, path)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("vector")
    task_col = rows[0].index("task")
    rows[1][task_col] = "How do I bake sourdough bread?"  # edited in a spreadsheet, vector cleared
    rows[1][col] = ""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(MemoryFileError, match="vector is empty"):
        load_file(path)
    table, reembedded, _ = load_file(path, embed=embedder.encode)
    assert reembedded == 1
    got = np.asarray(table.column("vector")[0].as_py(), dtype=np.float32)
    assert got == pytest.approx(embedder.encode_one("How do I bake sourdough bread?"), abs=1e-5)
    assert np.asarray(table.column("vector")[1].as_py()) == pytest.approx(
        np.asarray(memory_table(filled).column("vector")[1].as_py()))


def test_file_from_another_embedding_model_is_refused_or_reembedded(filled: ExperienceStore, tmp_path: Path, embedder):
    table = memory_table(filled)
    meta = dict(table.schema.metadata)
    meta[META_EMBEDDING_MODEL] = b"intfloat/e5-base-v2"
    meta[META_EMBEDDING_DIM] = b"768"
    vectors = pa.array([[0.036] * 768] * table.num_rows, pa.list_(pa.float32(), 768))
    other = table.set_column(table.schema.get_field_index("vector"), "vector", vectors).replace_schema_metadata(meta)
    path = tmp_path / "e5.parquet"
    pq.write_table(other, path)
    target = ExperienceStore(tmp_path / "target")
    with pytest.raises(MemoryFileError) as info:
        import_memory(target, path)
    message = str(info.value)
    assert "e5-base-v2" in message and "768" in message and "--reembed" in message and "\n" not in message
    assert target.count() == 0 and target.version == 1
    report = import_memory(target, path, embed=embedder.encode, reembed=True)
    assert report.reembedded == 8 and target.count() == 8
    got = target.get(varied_experiences()[3].id)
    assert np.asarray(got.vector) == pytest.approx(embedder.encode_one(got.task), abs=1e-5)


def test_merge_sums_n_weights_q_and_keeps_newest_text(store: ExperienceStore, tmp_path: Path):
    old = Experience(task="q1", action="ans", q=0.5, n=2, mean_reward=0.5, vector=unit(1), reason="old reason",
                     created_at=T0, updated_at=T0)
    by_key = Experience(task="q2", observation="ctx", action="ans2", q=-1.0, n=1, mean_reward=-1.0, vector=unit(2),
                        created_at=T0, updated_at=T0)
    untouched = Experience(task="q3", action="x", vector=unit(3))
    store.add([old, by_key, untouched])
    incoming = [
        Experience(id=old.id, task="q1", action="ans", q=1.0, n=6, mean_reward=1.0, vector=unit(11),
                   reason="new reason", created_at=T0 + timedelta(days=1), updated_at=T0 + timedelta(days=2)),
        Experience(task="q2", observation="ctx", action="ans2", q=1.0, n=3, mean_reward=1.0, vector=unit(12),
                   created_at=T0 - timedelta(days=1), updated_at=T0 - timedelta(days=1), reason="older"),
        Experience(task="q2", observation="ctx", action="ans2", q=0.0, n=0, vector=unit(13)),  # folds in too
        Experience(task="brand new", action="y", q=0.25, n=1, vector=unit(14)),
    ]
    path = tmp_path / "in.parquet"
    write_table(rows_to_table(incoming), path, "parquet")
    version = store.version
    report = import_memory(store, path, mode="merge", pool=pooled_value)
    assert (report.inserted, report.merged) == (1, 2)
    assert store.version == version + 1  # one commit
    assert store.count() == 4
    a = store.get(old.id)
    assert a.n == 8 and a.q == pytest.approx((0.5 * 2 + 1.0 * 6) / 8) and a.mean_reward == pytest.approx(0.875)
    assert a.reason == "new reason" and a.vector == pytest.approx(unit(11))
    assert a.created_at == T0 and a.updated_at == T0 + timedelta(days=2)
    b = store.get(by_key.id)
    assert b.n == 4 and b.q == pytest.approx((-1.0 * 1 + 1.0 * 3) / 4)
    # the newest row among the three wins the text: the n=0 one (updated now)
    assert b.vector == pytest.approx(unit(13))
    assert store.get(untouched.id).n == 0
    # merging the same file again sums N again (idempotence is not promised: N counts updates)
    import_memory(store, path, mode="merge", pool=pooled_value)
    assert store.get(old.id).n == 14 and store.count() == 4


def test_combine_with_zero_counts_takes_the_newer_q():
    a = Experience(task="t", action="a", q=0.3, n=0, vector=unit(1), updated_at=T0).to_row()
    b = Experience(task="t", action="a", q=0.7, n=0, vector=unit(2), updated_at=T0 + timedelta(1)).to_row()
    out = combine(a, b, pooled_value)
    assert out["q"] == 0.7 and out["n"] == 0 and out["id"] == a["id"]


def test_append_gives_fresh_ids_on_clash_and_replace_replaces(filled: ExperienceStore, tmp_path: Path):
    path = tmp_path / "m.arrow"
    export_memory(filled, path)
    report = import_memory(filled, path, mode="append")
    assert report.renamed == 8 and filled.count() == 16
    ids = [e.id for e in filled.all()]
    assert len(ids) == len(set(ids))
    report = import_memory(filled, path, mode="replace")
    assert report.removed == 16 and filled.count() == 8
    assert memory_table(filled).equals(load_file(path)[0])


def test_import_makes_a_restore_point_and_can_be_undone(filled: ExperienceStore, tmp_path: Path):
    path = tmp_path / "m.jsonl"
    export_memory(filled, path)
    before_rows, before_version = memory_table(filled), filled.version
    report = import_memory(filled, path, mode="replace")
    assert report.restore_point in dict(restore_points(filled))
    assert dict(restore_points(filled))[report.restore_point] == before_version
    import_memory(filled, path, mode="append")
    assert filled.count() == 16
    undo(filled)
    assert filled.count() == 8
    undo(filled)
    assert memory_table(filled).equals(before_rows)


def test_dry_run_writes_nothing(filled: ExperienceStore, tmp_path: Path):
    path = tmp_path / "m.parquet"
    export_memory(filled, path)
    version = filled.version
    report = import_memory(filled, path, mode="merge", dry_run=True, pool=pooled_value)
    assert report.dry_run and report.merged == 8 and filled.version == version
    assert restore_points(filled) == []


def test_export_refuses_to_overwrite_and_unknown_formats(filled: ExperienceStore, tmp_path: Path):
    path = tmp_path / "m.parquet"
    export_memory(filled, path)
    with pytest.raises(MemoryFileError, match="--force"):
        export_memory(filled, path)
    export_memory(filled, path, overwrite=True)
    with pytest.raises(MemoryFileError, match="format"):
        export_memory(filled, tmp_path / "m.xlsx")
    with pytest.raises(MemoryFileError, match="unknown format"):
        export_memory(filled, tmp_path / "m.bin", "excel")
    assert export_memory(filled, tmp_path / "noext").format == "parquet"
    assert export_memory(filled, tmp_path / "forced.dat", "jsonl").format == "jsonl"
    assert export_memory(filled, tmp_path / "shop.csv", kind="shop").rows == 4


REMEMBERER_POOL = textwrap.dedent('''\
    ? !!python/tuple
    - |
      WebShop
      Instruction:
      Find me quick drying women's activewear with long sleeve, and price lower than 40.00 dollars
      [button] Search [button_]
    - "Instruction: Find me quick drying women's activewear with long sleeve, and price lower than 40.00 dollars"
    - search
    : action_dict:
        ? !!python/tuple
        - search[quick drying women activewear long sleeve]
        - ''
        : number: 1
          qvalue: 1.0
          reward: 0.0
        ? !!python/tuple
        - click[search]
        - The search button shouldn't be clicked.
        : number: 2
          qvalue: 0.0
          reward: 0.0
      other_info:
        action_history: []
        last_reward: 0.0
        number: 1
        total_reward: 0.0
      id: 0
    ? !!python/tuple
    - |
      Instruction:
      Find me quick drying women's activewear with long sleeve, and price lower than 40.00 dollars
      [button] Back to Search [button_]
      [button] B08JD14GJF [button_]
      COOrun Women's UPF 50+ Sun Protection Shirts Quick Dry Long Sleeve Shirts
      $9.98 to $16.98
    - "Instruction: Find me quick drying women's activewear with long sleeve, and price lower than 40.00 dollars"
    - |
      back to search
      next >
      b08jd14gjf
    : action_dict:
        ? !!python/tuple
        - click[b08jd14gjf]
        - b08jd14gjf offers a women's quick dry long sleeve shirt which conforms to the instruction.
        : number: 3
          qvalue: 0.75
          reward: 0.5
      other_info:
        action_history:
        - !!python/tuple
          - search[quick drying women activewear long sleeve]
          - ''
        last_reward: 0.0
        number: 1
        total_reward: 0.0
      id: 1
    ''')


def test_imports_a_rememberer_history_pool(store: ExperienceStore, tmp_path: Path, embedder):
    path = tmp_path / "init_pool.wq.yaml"
    path.write_text(REMEMBERER_POOL, encoding="utf-8")
    report = import_memory(store, path, embed=embedder.encode)
    assert report.format == "rememberer" and report.inserted == 3 and report.reembedded == 3
    rows = {e.action: e for e in store.all()}
    first = rows["search[quick drying women activewear long sleeve]"]
    assert first.kind == "shop" and first.q == 1.0 and first.n == 1 and first.step == 0
    assert first.task.startswith("Find me quick drying") and not first.task.startswith("Instruction")
    assert json.loads(first.available_actions) == ["search"]
    assert rows["click[search]"].reason == "The search button shouldn't be clicked." and rows["click[search]"].n == 2
    item = rows["click[b08jd14gjf]"]
    assert (item.q, item.n, item.mean_reward, item.step) == (0.75, 3, 0.5, 1)
    assert json.loads(item.available_actions) == ["back to search", "next >", "b08jd14gjf"]
    assert "[button] B08JD14GJF [button_]" in item.observation
    assert np.asarray(item.vector) == pytest.approx(embedder.encode_one(item.task), abs=1e-5)
    # page type from the imported available actions, as RLEM's f_obs reads it
    from tui_agent.envs.shop.pagetype import page_type_of

    assert page_type_of(json.loads(item.available_actions)) == "results"
    # the same pool merged again: same ids, N summed
    import_memory(store, path, mode="merge", embed=embedder.encode, pool=pooled_value)
    assert store.count() == 3 and store.get(item.id).n == 6


def test_rememberer_pool_errors_are_one_line(store: ExperienceStore, tmp_path: Path):
    cases = {
        "evil.yaml": "!!python/object/apply:os.system ['echo hi']\n",
        "nomap.yaml": "- just\n- a list\n",
        "noq.yaml": "? !!python/tuple [obs, 'Instruction: t', search]\n: action_dict:\n    search[x]: {number: 1}\n",
        "badq.yaml": "? !!python/tuple [obs, 'Instruction: t', search]\n"
                     ": action_dict:\n    search[x]: {number: 1, qvalue: .inf}\n",
        "broken.yaml": "? !!python/tuple [obs\n: {",
    }
    expected = {"evil.yaml": "python/object", "nomap.yaml": "mapping of records", "noq.yaml": "missing qvalue",
                "badq.yaml": "q is infinite", "broken.yaml": "not a readable history pool"}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(MemoryFileError) as info:
            import_memory(store, path, embed=lambda texts: np.tile(np.asarray(unit(0), np.float32), (len(texts), 1)))
        assert expected[name] in str(info.value) and "\n" not in str(info.value), (name, str(info.value))
    assert store.count() == 0 and store.version == 1


@pytest.mark.parametrize("mode", ["append", "merge", "replace"])
def test_a_failed_write_leaves_the_memory_and_restore_points_as_they_were(
        filled: ExperienceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str):
    from tui_agent.memory.store import MemoryStoreError

    path = tmp_path / "m.parquet"
    export_memory(filled, path)
    before, version, points = memory_table(filled), filled.version, restore_points(filled)

    def broken(*args, **kwargs):
        raise RuntimeError("lance error: No space left on device\nmore detail")

    monkeypatch.setattr(filled.table, "add", broken)
    monkeypatch.setattr(filled.table, "merge_insert", broken)
    with pytest.raises(MemoryStoreError) as info:
        import_memory(filled, path, mode=mode, pool=pooled_value)
    assert str(info.value).startswith(f"cannot write memory {filled.path}: the disk is full")  # one line, what to do
    assert "\n" not in str(info.value)
    monkeypatch.undo()
    assert filled.version == version and restore_points(filled) == points
    assert memory_table(filled).equals(before)
