"""The experience store as the RLEM replay's row sink (the one bridge between ``rlem`` and ``memory``).

:class:`StoreRows` lets :class:`tui_agent.rlem.replay.HistoryReplay` keep its
records in a LanceDB :class:`~tui_agent.memory.store.ExperienceStore`: one row
per (record, action, reason) of one ``kind`` ("chat", "shop", "docqa", "note"). Inserts go
through ``add`` and updates through ``update_values`` (a locked read-modify-write),
so ``rlem`` does no I/O and ``memory`` knows no learning rule.

This is the path of every learned Q. The store's other Q writers (the browser's hand edit
``set_q``, imports, undo) learn nothing and do not come through here; they are listed, with
why, in :mod:`tui_agent.rlem.replay`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tui_agent.memory.schema import Experience
from tui_agent.rlem.records import ActionKey, ActionValue, Record, RecordKey, history_json, records_from_rows
from tui_agent.rlem.replay import Change

__all__ = ["StoreRows"]


class StoreRows:
    """A :class:`~tui_agent.rlem.replay.RowSink` over an experience store.

    Args:
        store: the :class:`~tui_agent.memory.store.ExperienceStore`.
        kind: the experience kind of the rows ("chat", "shop").
        vector_of: ``RecordKey -> float32 (384,)`` task embedding for new rows.
        model: the model name stored with new rows.
        source: the ``source`` of new rows ("model", "correction", …), overridable per insert via ``info``.
    """

    def __init__(self, store: Any, kind: str, vector_of: Callable[[RecordKey], Any],
                 model: str = "", source: str = "model") -> None:
        self.store, self.kind, self.vector_of = store, kind, vector_of
        self.model, self.source = model, source

    def version(self) -> tuple[int, int]:
        """Changes with every stored change, ratings included (``ExperienceStore.change_token``)."""
        return self.store.change_token

    def load(self) -> list[Record]:
        return records_from_rows(self.store.all(kind=self.kind))

    def insert(self, key: RecordKey, action: ActionKey, value: ActionValue, info: dict[str, Any]) -> str:
        vector = info.get("vector")
        if vector is None:
            vector = self.vector_of(key)
        exp = Experience(task=key.task, action=action.action, kind=self.kind, observation=key.observation,
                         available_actions=key.available_actions, reason=action.reason, q=float(value.q),
                         n=int(value.n), mean_reward=float(value.mean_reward),
                         model=str(info.get("model", self.model) or ""),
                         source=str(info.get("source", self.source)), episode_id=str(info.get("episode_id", "")),
                         step=int(info.get("step", 0)), vector=[float(x) for x in np.asarray(vector)],
                         action_history=history_json(info.get("action_history") or ()))
        return self.store.add([exp])[0]

    def modify(self, row_id: str, change: Change) -> tuple[float, int, float]:
        return self.store.update_values(row_id, change)
