"""REMEMBERER's own history pools (``$TUI_AGENT_REFERENCE_DIR/rememberer-pools``): every one imports, with the
row counts, Q, N, rewards, reasons and action histories of the YAML; export → import → export is lossless for
every kind, negative Q included; a v1 memory is upgraded in place."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
import yaml

from reference import reference_dir
from vectors import HashEmbedder
from tui_agent.memory.schema import META_SCHEMA_VERSION, Experience, experience_schema, rows_to_table
from tui_agent.memory.store import ExperienceStore
from tui_agent.memory.transfer import export_memory, import_memory
from tui_agent.rlem.learning import pooled_value
from tui_agent.rlem.records import ActionKey, records_from_rows

POOLS = sorted(p.name for p in (reference_dir() / "rememberer-pools").glob("*.yaml"))


embed = HashEmbedder().encode  # 384-dim unit vectors from a text hash: no model needed here


def load_pool(name: str) -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("tag:yaml.org,2002:python/tuple", lambda ld, n: tuple(ld.construct_sequence(n, deep=True)))
    return yaml.load((reference_dir() / "rememberer-pools" / name).read_text(encoding="utf-8"), Loader=Loader)


def test_all_seven_pools_are_there():
    assert len(POOLS) == 7


@pytest.mark.parametrize("name", POOLS)
def test_pool_imports_with_the_yamls_values(tmp_path, name):
    pool = load_pool(name)
    store = ExperienceStore(tmp_path / "mem")
    report = import_memory(store, reference_dir() / "rememberer-pools" / name, embed=embed)
    expected = [(key, action, stats, rec["other_info"]["action_history"])
                for key, rec in pool.items() for action, stats in rec["action_dict"].items()]
    assert report.inserted == len(expected) == store.count()
    rows = store.all()
    webshop = name.endswith(".wq.yaml")
    assert {r.kind for r in rows} == {"shop" if webshop else "wikihow"}
    by_key = {(r.observation, r.action, r.reason, r.step_instruction): r for r in rows}
    for key, (action, reason), stats, history in expected:
        row = by_key[(key[0], action, reason, "" if webshop else key[2])]
        assert (row.q, row.n, row.mean_reward) == (stats["qvalue"], stats["number"], stats["reward"])
        if webshop:
            assert key[1] == "Instruction:" + row.task or key[1] == "Instruction: " + row.task
            assert json.loads(row.available_actions) == key[2].splitlines()
        else:
            assert (row.task, row.step_instruction, row.available_actions) == (key[1], key[2], "")
        assert row.step == len(history)
        assert json.loads(row.action_history or "[]") == [list(h) for h in history]


def test_imported_records_carry_their_action_history_for_exemplars(tmp_path):
    store = ExperienceStore(tmp_path / "mem")
    import_memory(store, reference_dir() / "rememberer-pools" / "init_pool.wq.yaml", embed=embed)
    records = records_from_rows(store.all("shop"))
    item = next(r for r in records if "Price:" in r.key.observation and "You have clicked" not in r.key.observation)
    assert item.action_history[0] == ActionKey("search[3 ounce bottle bright citrus deodorant sensitive skin]", "")
    assert item.action_history[1].action == "click[b078gwrc1j]" and item.action_history[1].reason


@pytest.mark.parametrize("name", POOLS)
@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_export_import_export_is_byte_identical(tmp_path, name, fmt):
    first = ExperienceStore(tmp_path / "a")
    import_memory(first, reference_dir() / "rememberer-pools" / name, embed=embed)
    out1, out2 = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
    export_memory(first, out1)
    second = ExperienceStore(tmp_path / "b")
    import_memory(second, out1, embed=embed)
    export_memory(second, out2)
    assert out1.read_bytes() == out2.read_bytes()


@pytest.mark.parametrize("kind, q", [("shop", -0.33), ("chat", -1.0), ("wikihow", 4.0), ("shop", 2.5)])
def test_any_finite_q_round_trips(tmp_path, kind, q):
    store = ExperienceStore(tmp_path / "a")
    store.add([Experience(task="t", action="a", kind=kind, q=q, n=3, vector=embed(["t"])[0].tolist(),
                          action_history='[["search[x]", ""]]', step_instruction="s" if kind == "wikihow" else "")])
    out = tmp_path / "x.jsonl"
    export_memory(store, out)
    back = ExperienceStore(tmp_path / "b")
    import_memory(back, out, mode="merge", embed=embed, pool=pooled_value)
    row = back.all()[0]
    assert (row.kind, row.q, row.n, row.action_history) == (kind, q, 3, '[["search[x]", ""]]')
    out2 = tmp_path / "y.jsonl"
    export_memory(back, out2)
    assert out.read_bytes() == out2.read_bytes()


def test_a_v1_memory_is_upgraded_in_place(tmp_path):
    import lancedb

    v2 = experience_schema()
    v1 = pa.schema([f for f in v2 if f.name not in ("step_instruction", "action_history")],
                   metadata={**v2.metadata, META_SCHEMA_VERSION: b"1"})
    db = lancedb.connect(str(tmp_path / "mem"))
    old = rows_to_table([Experience(task="q", action="a", vector=embed(["q"])[0].tolist())])
    db.create_table("experiences", data=old.select(v1.names).cast(v1))
    store = ExperienceStore(tmp_path / "mem")
    assert {"step_instruction", "action_history"} <= set(store.table.schema.names)
    assert [(e.task, e.step_instruction, e.action_history) for e in store.all()] == [("q", "", "")]
    store.add([Experience(task="q2", action="b", vector=embed(["q2"])[0].tolist(), action_history="[]")])
    assert store.count() == 2
