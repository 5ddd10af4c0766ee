"""The LanceDB experience store: schema, inserts, search, atomic Q updates, persistence."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from tui_agent.memory.schema import META_EMBEDDING_DIM, META_SCHEMA_VERSION, Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.rlem.learning import change_towards
from vectors import unit


def test_schema_is_explicit_and_versioned(store: ExperienceStore):
    schema = store.table.schema
    assert schema.field("vector").type == pa.list_(pa.float32(), 384)
    assert schema.field("q").type == pa.float64()
    assert schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert schema.metadata[META_SCHEMA_VERSION] == b"2"
    assert schema.metadata[META_EMBEDDING_DIM] == b"384"


def test_add_get_search(store: ExperienceStore):
    a = Experience(task="a", action="A", vector=unit(1))
    b = Experience(task="b", action="B", vector=unit(2), kind="shop")
    store.add([a, b])
    assert store.count() == 2 and store.count("chat") == 1
    assert store.get(a.id).action == "A"
    hits = store.search(np.array(unit(1)), limit=2)
    assert hits[0].experience.id == a.id and hits[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert [h.experience.id for h in store.search(np.array(unit(1)), kind="shop")] == [b.id]


def test_update_q_is_running_mean_of_targets(store: ExperienceStore):
    e = Experience(task="t", action="x", vector=unit(3))
    store.add([e])
    targets = [1.0, -1.0, 1.0, 1.0]
    for t in targets:
        store.modify(e.id, change_towards(t))
    got = store.get(e.id)
    assert got.n == 4
    assert got.q == pytest.approx(sum(targets) / 4)
    assert got.mean_reward == pytest.approx(0.5)
    assert got.updated_at >= got.created_at


def test_update_rejects_bad_input(store: ExperienceStore):
    e = Experience(task="t", action="x", vector=unit(4))
    store.add([e])
    with pytest.raises(ValueError):
        store.modify(e.id, change_towards(math.nan))
    with pytest.raises(KeyError):
        store.modify("missing", change_towards(1.0))
    with pytest.raises(ValueError):
        store.add([Experience(task="t", action="x", vector=[0.0] * 3)])
    assert store.get(e.id).n == 0


def test_quotes_in_ids_and_text_are_safe(store: ExperienceStore):
    e = Experience(task="it's", action="O'Brien", vector=unit(5), id="a'b")
    store.add([e])
    store.modify("a'b", change_towards(1.0))
    assert store.get("a'b").q == 1.0


def test_persists_across_reopen(memory_dir):
    s1 = ExperienceStore(memory_dir)
    e = Experience(task="t", action="x", vector=unit(6))
    s1.add([e])
    s1.modify(e.id, change_towards(1.0))
    s2 = ExperienceStore(memory_dir)
    assert s2.get(e.id).q == 1.0
    s2.modify(e.id, change_towards(-1.0))
    assert s1.get(e.id).n == 2  # the first connection sees the other one's write


def test_stats_and_touch(store: ExperienceStore):
    assert store.stats()["experiences"] == 0
    e1 = Experience(task="t", action="x", vector=unit(7), q=1.0, n=1)
    e2 = Experience(task="t", action="y", vector=unit(8), q=-0.5, n=2, source="correction")
    store.add([e1, e2])
    store.touch([e1.id])
    s = store.stats()
    assert s["experiences"] == 2 and s["mean_q"] == pytest.approx(0.25) and s["rated"] == 2
    assert s["by_source"] == {"correction": 1, "model": 1}
    assert store.get(e1.id).last_used_at is not None and store.get(e2.id).last_used_at is None


def test_set_q_is_a_hand_edit_not_an_update(store: ExperienceStore):
    e = Experience(task="t", action="x", q=0.25, n=3, mean_reward=0.5, vector=unit(4))
    store.add([e])
    store.set_q(e.id, -0.75)
    got = store.get(e.id)
    assert (got.q, got.n, got.mean_reward) == (-0.75, 3, 0.5)  # N and the mean reward as they were
    store.set_q("no-such-id", 1.0)  # a row deleted meanwhile: nothing changes
    assert store.count() == 1
    with pytest.raises(ValueError, match="finite"):
        store.set_q(e.id, math.inf)
