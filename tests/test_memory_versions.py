"""Undo (a stack over LanceDB versions), restore points, and compaction (automatic and on demand)."""

from __future__ import annotations

import numpy as np
import pytest

from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.memory.transfer import memory_table
from tui_agent.memory.versions import (
    JOURNAL_NAME,
    NothingToUndo,
    create_restore_point,
    list_versions,
    restore,
    restore_points,
    undo,
)
from tui_agent.rlem.learning import change_towards
from vectors import unit


def test_nothing_to_undo_on_a_new_memory(store: ExperienceStore):
    with pytest.raises(NothingToUndo, match="nothing to undo"):
        undo(store)
    assert store.version == 1


def test_undo_is_a_stack_of_changes(store: ExperienceStore):
    a = Experience(task="a", action="A", vector=unit(1))
    b = Experience(task="b", action="B", vector=unit(2))
    states = [memory_table(store)]
    store.add([a, b])
    states.append(memory_table(store))
    store.modify(a.id, change_towards(1.0))
    states.append(memory_table(store))
    store.set_q(b.id, -0.5)
    states.append(memory_table(store))
    store.delete(a.id)
    states.append(memory_table(store))
    for expected in reversed(states[:-1]):
        result = undo(store)
        assert memory_table(store).equals(expected)
        assert result.new_version == store.version
    with pytest.raises(NothingToUndo):
        undo(store)


def test_a_change_after_undo_is_undone_first(store: ExperienceStore):
    a = Experience(task="a", action="A", vector=unit(1))
    store.add([a])
    store.set_q(a.id, 0.3)
    undo(store)  # back to q = 0
    store.set_q(a.id, 0.7)
    undo(store)
    assert store.get(a.id).q == 0.0
    undo(store)  # the add
    assert store.count() == 0


def test_undo_skips_compaction_versions(store: ExperienceStore):
    exps = [Experience(task=f"t{i}", action="x", vector=unit(i)) for i in range(5)]
    for e in exps:  # one fragment each (ratings are logged, not written as fragments: issue 11)
        store.add([e])
    for i, e in enumerate(exps):
        store.set_q(e.id, i / 10)
    result = store.compact()
    assert result["version_after"] > result["version_before"]
    assert result["fragments_after"] < result["fragments_before"]
    notes = {v.version: v.note for v in list_versions(store)}
    assert all(notes[v] == "compact" for v in range(result["version_before"] + 1, result["version_after"] + 1))
    undo(store)
    assert store.get(exps[4].id).q == 0.0  # the last real change, not the compaction, was undone
    assert store.get(exps[3].id).q == pytest.approx(0.3)


def test_automatic_compaction_every_n_writes(store: ExperienceStore):
    store.optimize_every = 10
    exps = [Experience(task=f"t{i}", action="x", vector=unit(i)) for i in range(30)]
    store.add(exps)
    for e in exps:
        store.modify(e.id, change_towards(1.0))
    # 31 writes: compacted after the 10th, 20th and 30th; at most one small fragment since
    assert store.fragment_count() <= 2
    assert sum(1 for v in list_versions(store) if v.note == "compact") >= 3
    before = [h.experience.id for h in store.search(np.array(unit(3)), limit=5)]
    store.compact()
    assert [h.experience.id for h in store.search(np.array(unit(3)), limit=5)] == before
    undo(store)
    assert store.get(exps[-1].id).n == 0 and store.get(exps[-2].id).n == 1


def test_compaction_can_be_switched_off(store: ExperienceStore):
    store.optimize_every = 0
    exps = [Experience(task=f"t{i}", action="x", vector=unit(i)) for i in range(12)]
    store.add(exps)
    for e in exps:
        store.modify(e.id, change_towards(1.0))
    assert store.ratings.count() == 12  # all still in the ratings log: nothing folded or compacted
    assert not any(v.note == "compact" for v in list_versions(store))


def test_restore_points_and_restore(store: ExperienceStore):
    a = Experience(task="a", action="A", vector=unit(1))
    store.add([a])
    with store.locked():
        name = create_restore_point(store, "manual")
    assert (name, store.version) in restore_points(store)
    store.delete(a.id)
    new_version = restore(store, name)
    assert store.version == new_version and store.get(a.id) is not None
    undo(store)  # a restore is a change like any other
    assert store.get(a.id) is None
    restore(store, str(new_version - 1))  # by number
    assert store.get(a.id) is None
    with pytest.raises(Exception, match="no restore point named"):
        restore(store, "nope")
    with pytest.raises(Exception, match="no version 999"):
        restore(store, 999)
    with pytest.raises(ValueError):
        create_restore_point(store, "bad name/with slash")


def test_undo_sees_other_processes_writes(memory_dir):
    one, two = ExperienceStore(memory_dir), ExperienceStore(memory_dir)
    a = Experience(task="a", action="A", vector=unit(1))
    one.add([a])
    two.set_q(a.id, 0.9)
    undo(one)
    assert two.get(a.id).q == 0.0
    undo(two)
    assert one.count() == 0


def test_journal_garbage_is_ignored(store: ExperienceStore):
    a = Experience(task="a", action="A", vector=unit(1))
    store.add([a])
    store.set_q(a.id, 0.5)
    (store.path / JOURNAL_NAME).write_text('not json\n{"version": "x"}\n{"version": 2, "same_as": 9, "ts": "?"}\n')
    undo(store)
    assert store.get(a.id).q == 0.0


def test_add_missing_inserts_only_new_ids(store: ExperienceStore):
    a = Experience(task="a", action="A", vector=unit(1))
    b = Experience(task="b", action="B", vector=unit(2))
    assert store.add_missing([a]) == [a.id]
    assert store.add_missing([a, b, b]) == [b.id]
    assert store.add_missing([]) == []
    assert store.count() == 2
    with pytest.raises(ValueError):
        store.add_missing([Experience(task="c", action="C", vector=[0.0] * 3)])


def test_undo_texts_say_what_happened():
    from tui_agent.memory.versions import UndoResult

    rating = UndoResult(undone=10, restored=10, new_version=10, rows_before=22, rows_after=22, rating=True)
    assert rating.describe() == "undid the last rating: its experience's Q and N are as before (22 experiences)"
    change = UndoResult(undone=10, restored=9, new_version=12, rows_before=21, rows_after=22)
    assert change.describe() == ("undid the change made in version 10: the experiences are as in version 9 again "
                                 "(+1 experience, now 22); saved as version 12")
    assert "(−3 experiences, now 5)" in UndoResult(4, 3, 5, 8, 5).describe()
    assert "(still 8 experiences)" in UndoResult(4, 3, 5, 8, 8).describe()
