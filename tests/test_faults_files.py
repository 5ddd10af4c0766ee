"""Items 6, 7 and 8 of issue 10: hostile pool files, spreadsheet-safe CSV, write limits = import limits."""

from __future__ import annotations

import csv
import time

import pytest

from tui_agent.memory.errors import RowLimitError
from tui_agent.memory.formats import MemoryFileError, neutralise_cell, restore_cell
from tui_agent.memory.rememberer import read_history_pool
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import MAX_N, ExperienceStore
from tui_agent.memory.transfer import export_memory, import_memory
from tui_agent.rlem.learning import pooled_value
from child import run_child
from vectors import unit

ACT = '{? !!python/tuple ["search[x]", "r"] : {qvalue: 1.0, number: 1, reward: 0.0}}'


def laughs(levels: int = 8) -> str:
    """A ~700-byte pool whose action history expands to ~280 million nodes."""
    lines = ['? !!python/tuple ["obs", "Instruction: x", "search[x]"]', ": action_dict: " + ACT, "  other_info:",
             '    l0: &a0 ["' + "lol" * 10 + '", "r"]']
    lines += [f"    l{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines + [f"    action_history: *a{levels}"]) + "\n"


def aliased_rows(records: int = 3000, actions: int = 1000) -> str:
    """A ~325 KB pool whose records all alias one 1,000-action table: 3 million rows once expanded."""
    table = "{" + ", ".join(f'? !!python/tuple ["click[{i}]", "r"] : {{qvalue: 0.5, number: 1, reward: 0.0}}'
                            for i in range(actions)) + "}"
    lines = ['? !!python/tuple ["obs0", "Instruction: t0", "search[x]"]', ": action_dict: &ad " + table]
    for r in range(1, records):
        lines += [f'? !!python/tuple ["obs{r}", "Instruction: t{r}", "search[x]"]', ": action_dict: *ad"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("make, needle", [(laughs, "YAML nodes"), (aliased_rows, "YAML nodes")])
def test_alias_amplification_is_refused_quickly(tmp_path, make, needle):
    path = tmp_path / "pool.wq.yaml"
    path.write_text(make())
    start = time.monotonic()
    with pytest.raises(MemoryFileError, match=needle) as info:
        read_history_pool(path)
    assert time.monotonic() - start < 30  # generous; was 60 s and 2.2 GB for aliased_rows
    assert "\n" not in str(info.value)


def test_a_small_alias_is_still_fine(tmp_path):
    path = tmp_path / "pool.wq.yaml"
    path.write_text('? !!python/tuple ["obs", "Instruction: x", "search[x]"]\n: action_dict: &t ' + ACT +
                    '\n? !!python/tuple ["obs2", "Instruction: y", "search[x]"]\n: action_dict: *t\n')
    raw, _ = read_history_pool(path)
    assert raw.num_rows == 2


def test_too_large_pool_file_is_refused_before_reading(tmp_path, monkeypatch):
    import tui_agent.memory.rememberer as rememberer

    monkeypatch.setattr(rememberer, "MAX_YAML_BYTES", 1000)
    path = tmp_path / "pool.wq.yaml"
    path.write_text("# pad\n" * 500)
    with pytest.raises(MemoryFileError, match="larger than"):
        read_history_pool(path)


def test_pool_with_too_many_rows_is_refused(tmp_path, monkeypatch):
    import tui_agent.memory.rememberer as rememberer

    monkeypatch.setattr(rememberer, "MAX_POOL_ROWS", 10)
    path = tmp_path / "pool.wq.yaml"
    path.write_text(aliased_rows(records=3, actions=5))
    with pytest.raises(MemoryFileError, match="at most 10"):
        read_history_pool(path)


# --- recursive aliases (issue 24 row 4) ---------------------------------------------------
# The guard measured the graph with no "visiting" mark, so a cycle was pushed again and again: the 11-byte
# `a: &a [*a]` grew by 25 MB/s under `memory import --dry-run`. Run in a child so a regression fails, not hangs.

CYCLES = {
    "self": "a: &a [*a]\n",
    "self-mapping": "a: &a {x: *a}\n",
    "mutual": "a: &a [&b [*a, *b]]\n",
    "three": "a: &a [&b {x: &c [*a, *b, *c]}]\n",
    "in-a-pool": '? !!python/tuple ["obs", "Instruction: x", "search[x]"]\n: action_dict: ' + ACT +
                 "\n  other_info:\n    action_history: &h [&g [*h, *g]]\n",
}


@pytest.mark.parametrize("name", CYCLES)
def test_a_recursive_alias_is_measured_once(tmp_path, name):
    path = tmp_path / "pool.wq.yaml"
    path.write_text(CYCLES[name])
    done = run_child(f"""
        import time
        from tui_agent.memory.formats import MemoryFileError
        from tui_agent.memory.rememberer import read_history_pool
        start = time.monotonic()
        try:
            raw, _ = read_history_pool({str(path)!r})
            print("rows", raw.num_rows)
        except MemoryFileError as exc:
            print("refused", exc)
        assert time.monotonic() - start < 5
    """, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    if name == "in-a-pool":
        assert done.stdout.strip() == "rows 1"
    else:
        assert done.stdout.startswith("refused pool.wq.yaml: record 1: no action_dict")


def test_the_measure_counts_each_node_of_a_cycle_once():
    done = run_child("""
        import yaml
        from tui_agent.memory.safe_yaml import _expanded_size
        for text in ["a: &a [*a]", "a: &a [&b [*a, *b]]", "a: &a [x, y]\\nb: *a"]:
            print(_expanded_size(yaml.compose(text)))
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    # mapping + key + list; one more for the inner list; a shared list (no cycle) still counts as two copies
    assert done.stdout.split("\n")[:3] == ["(3, 1)", "(4, 1)", "(9, 6)"]


def test_memory_import_dry_run_of_a_recursive_pool_ends_with_one_line(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a: &a [*a]\n")
    assert path.stat().st_size == 11
    done = run_child(f"""
        import sys
        from tui_agent.cli import main
        sys.argv = ["tui-agent", "memory", "import", {str(path)!r}, "--dry-run", "--memory-dir",
                    {str(tmp_path / "mem")!r}]
        main()
    """, timeout=120)
    assert done.returncode == 1 and done.stderr.strip() == "tui-agent: error: a.yaml: record 1: no action_dict"


# --- CSV ---------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)", "\t=1+1", "\r=1+1", "'=already quoted", "'", "plain", ""]


@pytest.mark.parametrize("text", FORMULAS)
def test_neutralise_is_reversible(text):
    assert restore_cell(neutralise_cell(text)) == text
    assert not neutralise_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_csv_export_is_spreadsheet_safe_and_round_trips(tmp_path):
    store = ExperienceStore(tmp_path / "a")
    rows = [Experience(id=f"{i:032d}", task=t or "empty", action=t or "empty", reason=t, observation=t, kind="chat",
                       vector=unit(i)) for i, t in enumerate(FORMULAS)]
    rows += [Experience(id=f"v{i:031d}", task=f"row {i}", action="a", kind="chat", vector=unit(100 + i))
             for i in range(400)]  # ~1.4 % of base64 vectors start with '+'
    store.add(rows)
    path = tmp_path / "out.csv"
    export_memory(store, path, "csv")
    with open(path, newline="", encoding="utf-8") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    back = ExperienceStore(tmp_path / "b")
    import_memory(back, path, mode="append", embed=None)
    got = {e.id: e for e in back.all()}
    for e in rows:
        g = got[e.id]
        assert (g.task, g.action, g.reason, g.observation) == (e.task, e.action, e.reason, e.observation)
        assert list(g.vector) == list(e.vector)


# --- item 6: the app writes only what its importer accepts; merge arithmetic bounded ---------------


def test_the_store_refuses_rows_its_importer_would_refuse(tmp_path):
    store = ExperienceStore(tmp_path / "m")
    with pytest.raises(RowLimitError, match="too long"):
        store.add([Experience(id="x" * 32, task="t", action="z" * 824_499, kind="chat", vector=unit(1))])
    with pytest.raises(RowLimitError, match="id"):
        store.add([Experience(id="x" * 129, task="t", action="a", kind="chat", vector=unit(1))])
    assert store.count() == 0


def test_merge_with_counts_near_2_63_saturates(tmp_path):
    store = ExperienceStore(tmp_path / "m")
    store.add([Experience(id="x" * 32, task="t", action="a", kind="chat", q=0.5, n=2**62 + 5, vector=unit(1))])
    path = tmp_path / "e.jsonl"
    export_memory(store, path, "jsonl")
    import_memory(store, path, mode="merge", embed=None, pool=pooled_value)
    row = store.get("x" * 32)
    assert row.n == MAX_N and row.q == 0.5
    assert store.modify("x" * 32, lambda q, n, r: (q, n + 1, r)).n == MAX_N  # a rating saturates too


@pytest.mark.parametrize("q1, n1, q2, n2", [(0.5, 2**63 - 1, -0.83, 2**63 - 1), (1e308, 2**62, 1e308, 2**62),
                                             (-1e308, 3, 1e308, 2**63), (0.1, 0, 0.7, 0), (1.0, 1, -1.0, 1)])
def test_pooled_value_is_bounded(q1, n1, q2, n2):
    value = pooled_value(q1, n1, q2, n2)
    assert min(q1, q2) <= value <= max(q1, q2)
