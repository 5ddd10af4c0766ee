"""The experience memory of RLEM: retrieval and learning in one object, the only writer of learned Q.

Source: OpenDFM/Rememberer ``history.py``, ``HistoryReplay`` (``update``,
``_clear_buffer``, ``_insert_key``, ``_update_action_record``, ``__getitem__``).
:class:`HistoryReplay` (named after the reference's class) plays its role for every domain (chat, shop): it
holds the records in RAM, scores them with the domain's :class:`Similarity`,
turns steps into n-step targets (:class:`~tui_agent.rlem.learning.NStepBuffer`)
and applies them in the reference's order:

1. the record being updated is inserted if new (with its action history),
   and its action entry is created (Q = 0, N = 0)
   if new, then counted (N + 1);
2. only then is the bootstrap ``max_a Q(o_{t+n}, a)`` read: from o_{t+n}'s own
   record, else from the most similar record by (score, visits) — which may be
   the record just inserted;
3. Q and the mean reward move towards their targets (``update_mode`` "mean":
   α = 1/N; "const": α fixed).

Persistence goes through a :class:`RowSink` (the LanceDB store behind a small
adapter in the domain code, or :class:`InMemoryRows`): new entries are
inserted, existing ones changed with a read-modify-write that the sink runs
atomically on the stored values, so updates from several processes are all
counted. This module does no I/O of its own.

Who writes Q. Every *learning* update (a reward moving Q towards a target, N + 1) is made here,
through the sink (:class:`tui_agent.bridge.store_rows.StoreRows` for the LanceDB store); that
includes the chat's ratings and corrections, the notes' retrieval learning and training episodes.
Q also changes in the store by these writers, none of which learns anything, so they do not
go through this object:

* the memory browser's hand edit (``ExperienceStore.set_q``, the TUI's Q dialog): a user override
  of one row's Q, N and mean reward unchanged; it has no reward or target for an update to use;
* imports: rows that come with a Q learned elsewhere, from a memory file or REMEMBERER's pools
  (``memory.transfer.import_memory``) or the shop's initial pool (``ShopAgent.ensure_initial_pool``,
  ``add_missing``); an import's ``merge`` pools two estimates of one row by
  ``rlem.learning.pooled_value`` (the N-weighted mean: with α = 1/N, the mean of both rows'
  targets) and sums N;
* undo and restore (``memory.versions``): put back values stored earlier (a table version, or
  drop the newest ratings-log entry);
* the ratings log's fold and compaction (``memory.compaction``): copy logged values into the
  table unchanged.

A replay sees them at its next use: with its records in RAM, the sink's :meth:`RowSink.version`
changes with every stored change and :meth:`HistoryReplay.sync` reloads; without (the chat), its
records come from a fresh search each time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from tui_agent.rlem.learning import LearningConfig, NStepBuffer, PendingUpdate, change_towards
from tui_agent.rlem.records import ActionKey, ActionValue, Record, RecordKey, Scored, Similarity, score_records

__all__ = ["Change", "Episode", "ExperienceReplay", "HistoryReplay", "InMemoryRows", "RowSink", "Update"]

Change = Callable[[float, int, float], tuple[float, int, float]]
"""``(q, n, mean_reward) -> (q, n, mean_reward)``: one update, run by the sink on the stored values."""


class RowSink(Protocol):
    """Where the replay's action entries are stored (one row per record, action, reason)."""

    def version(self) -> Hashable:
        """A token that changes whenever the stored rows change (any process); only compared with ``==``.

        An ``int`` for a single counter, or a tuple (``StoreRows``: the table version and the
        ratings-log sequence).
        """

    def load(self) -> list[Record]:
        """All stored records (for :meth:`HistoryReplay.sync`)."""

    def insert(self, key: RecordKey, action: ActionKey, value: ActionValue, info: dict[str, Any]) -> str:
        """Store a new entry; returns its row id. ``info``: episode id, step, … for the row."""

    def modify(self, row_id: str, change: Change) -> tuple[float, int, float]:
        """Apply ``change`` to the stored (q, n, mean_reward) atomically; returns the new values.

        Raises:
            KeyError: no row with that id.
        """


@dataclass
class Update:
    """What one update did: the entry's new Q and N, its target G and the bootstrap value used."""

    key: RecordKey
    action: ActionKey
    row_id: str | None
    q: float
    n: int
    target: float
    bootstrap: float | None = None
    t: int = 0


@dataclass
class Episode:
    """One running episode: its n-step buffer and the info stored with its rows."""

    buffer: NStepBuffer
    info: dict[str, Any] = field(default_factory=dict)


class InMemoryRows:
    """A :class:`RowSink` in RAM (tests, conformance checks, static exemplar pools)."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[RecordKey, ActionKey, ActionValue, dict[str, Any]]] = {}
        self._version = 0

    def version(self) -> int:
        return self._version

    def load(self) -> list[Record]:
        records: dict[RecordKey, Record] = {}
        for row_id, (key, action, value, _info) in self.rows.items():
            rec = records.setdefault(key, Record(key))
            rec.actions[action] = ActionValue(value.q, value.n, value.mean_reward, row_id)
        return list(records.values())

    def insert(self, key: RecordKey, action: ActionKey, value: ActionValue, info: dict[str, Any]) -> str:
        row_id = f"r{len(self.rows)}"
        self.rows[row_id] = (key, action, ActionValue(value.q, value.n, value.mean_reward, row_id), dict(info))
        self._version += 1
        return row_id

    def modify(self, row_id: str, change: Change) -> tuple[float, int, float]:
        key, action, value, info = self.rows[row_id]
        value.q, value.n, value.mean_reward = change(value.q, value.n, value.mean_reward)
        self._version += 1
        return value.q, value.n, value.mean_reward


class HistoryReplay:
    """Records in RAM, λ-scored retrieval and the Q updates (see the module docstring).

    Args:
        similarity: the domain's f_task / f_obs and λ.
        query_of: ``RecordKey -> query`` for ``similarity`` (used for the
            bootstrap's "most similar record" lookup of an unseen observation).
        vector_of: ``RecordKey -> float32 (dim,)`` task embedding stored with a
            new record, or None.
        sink: where entries are stored (None: RAM only).
        config: γ, n, update mode (:class:`~tui_agent.rlem.learning.LearningConfig`).
        records: initial records (else loaded from ``sink`` on first use).
        in_ram: keep the records in RAM (the shop). False (chat): records come
            from the caller's own search each time (:meth:`rank`), nothing is
            loaded, and an update only stores its row.
    """

    def __init__(self, similarity: Similarity, query_of: Callable[[RecordKey], Any],
                 vector_of: Callable[[RecordKey], np.ndarray | None] = lambda _k: None,
                 sink: RowSink | None = None, config: LearningConfig | None = None,
                 records: Sequence[Record] | None = None, in_ram: bool = True) -> None:
        self.similarity, self.query_of, self.vector_of = similarity, query_of, vector_of
        self.sink, self.config = sink, config or LearningConfig()
        self.records: dict[RecordKey, Record] = {}
        self._synced: Hashable | None = None
        self._listed: tuple[tuple[int, int], tuple[Record, ...]] | None = None
        self.in_ram = in_ram
        if records is not None:
            self.records = {r.key: r for r in records}
            self._synced = sink.version() if sink is not None else None

    # --- reading ----------------------------------------------------------------

    def sync(self) -> dict[RecordKey, Record]:
        """Reload the records when the sink changed outside this object; returns them."""
        if self.sink is not None and self.in_ram:
            version = self.sink.version()
            if version != self._synced:
                self.records = {r.key: r for r in self.sink.load()}
                self._synced = version
        return self.records

    def retrieve(self, query: Any) -> Sequence[Scored]:
        """Every record scored against ``query``, best first by (score, visits)."""
        records = self.sync()
        if self._listed is None or self._listed[0] != (id(records), len(records)):
            self._listed = ((id(records), len(records)), tuple(records.values()))  # reused while unchanged
        return score_records(self.similarity, query, self._listed[1])

    def rank(self, query: Any, records: Sequence[Record]) -> Sequence[Scored]:
        """``records`` (e.g. the nearest rows of a vector search) scored against ``query``, best first."""
        return score_records(self.similarity, query, records)

    def max_q(self, key: RecordKey) -> float:
        """max_a Q(key, a): from the key's record, else from the most similar record; 0.0 when empty."""
        records = self.records
        if key in records:
            return records[key].max_q
        if not records:
            return 0.0
        return score_records(self.similarity, self.query_of(key), list(records.values()))[0].record.max_q

    # --- learning ---------------------------------------------------------------

    def begin_episode(self, **info: Any) -> Episode:
        """Start an episode; ``info`` (episode id, model, …) is stored with its new rows."""
        self.sync()
        return Episode(NStepBuffer(self.config.gamma, self.config.n), dict(info))

    def step(self, episode: Episode, key: RecordKey, action: ActionKey, reward: float,
             next_key: RecordKey | None, any_reason: bool = False) -> list[Update]:
        """Record one transition (o_t = ``key``, a_t = ``action``, r_{t+1} = ``reward``, o_{t+1} = ``next_key``,
        None when the episode ended) and apply the updates that became ready.

        ``any_reason``: the policy gives no reason of its own, so an existing
        entry of the same action under any reason is updated (else the exact
        (action, reason) entry, created if new).
        """
        self.sync()
        ready = episode.buffer.push(key, (action, any_reason), reward, next_key)
        return [self._apply(u, episode) for u in ready]

    def end_episode(self, episode: Episode) -> list[Update]:
        """Apply the remaining terminal updates of ``episode`` (call once, after its last :meth:`step`)."""
        self.sync()
        return [self._apply(u, episode) for u in episode.buffer.finish()]

    def learn(self, key: RecordKey, action: ActionKey, target: float, reward: float | None = None,
              any_reason: bool = False, **info: Any) -> Update:
        """One terminal update of (key, action) towards ``target`` — feedback (👍/👎 = ±1) or a
        demonstration (a correction: +1). The entry is created if new."""
        self.sync()
        r = target if reward is None else reward
        return self._apply(PendingUpdate(int(info.get("step", 0)), key, (action, any_reason), r, target, []),
                           Episode(NStepBuffer(), dict(info)))

    def learn_episode(self, taken: Iterable[tuple[RecordKey, ActionKey, int]], target: float,
                      any_reason: bool = False, **info: Any) -> list[Update]:
        """A user's 👍/👎 (``target`` = +1/−1) on a whole episode: one terminal update of each distinct
        (record, action) it took, in order; ``taken`` = ``(key, action, step index)`` per step. An action
        taken twice from the same record is updated once; entries not in memory yet are created.
        Returns the updates (row id, Q, N)."""
        updates, seen = [], set()
        for key, action, t in taken:
            if (key, action.action) in seen:
                continue
            seen.add((key, action.action))
            updates.append(self.learn(key, action, target, any_reason=any_reason, step=t, **info))
        return updates

    def learn_row(self, row_id: str, target: float, reward: float | None = None) -> tuple[float, int]:
        """One terminal update of a stored row by id (chat ratings); returns (Q, N).

        Raises:
            KeyError: no row with that id.
            RuntimeError: the replay has no sink.
        """
        if self.sink is None:
            raise RuntimeError("learn_row needs a sink")
        q, n, _ = self.sink.modify(row_id, self._change(target, target if reward is None else reward))
        for rec in self.records.values():
            for value in rec.actions.values():
                if value.row_id == row_id:
                    value.q, value.n = q, n
        self._synced = self.sink.version()
        return q, n

    def add_unrated(self, key: RecordKey, action: ActionKey, **info: Any) -> str:
        """Store an action that has no update yet (Q = 0, N = 0), e.g. a fresh chat answer; returns its row id."""
        if self.sink is None:
            raise RuntimeError("add_unrated needs a sink")
        row_id = self.sink.insert(key, action, ActionValue(), dict(info))
        self._synced = None  # reload on next use
        return row_id

    def _change(self, target: float, reward: float) -> Change:
        return change_towards(target, reward, self.config.update_mode, self.config.learning_rate)

    def _apply(self, u: PendingUpdate, episode: Episode) -> Update:
        action, any_reason = u.action
        hist = [a for a, _ in u.history]
        created_record = u.key not in self.records
        if created_record:
            rec = self.records[u.key] = Record(u.key, self.vector_of(u.key), action_history=hist)
        else:
            rec = self.records[u.key]
            if len(hist) <= len(rec.action_history):  # the reference's "shortest" history
                rec.action_history = hist
        found = rec.find(action.action) if any_reason and action not in rec.actions else None
        if found is not None:
            action = found[0]
        created_entry = action not in rec.actions
        entry = rec.actions.setdefault(action, ActionValue())
        count = entry.n
        entry.n = count + 1  # counted before the bootstrap lookup, as the reference
        try:
            bootstrap = self.max_q(u.bootstrap_key) if u.bootstrap_key is not None else None
            target = u.target(bootstrap or 0.0)
            change = self._change(target, u.reward)
            if self.sink is None:
                entry.q, entry.n, entry.mean_reward = change(entry.q, count, entry.mean_reward)
            elif entry.row_id is None:
                q, n, mr = change(entry.q, count, entry.mean_reward)
                entry.row_id = self.sink.insert(u.key, action, ActionValue(q, n, mr),
                                                {**episode.info, "step": u.t, "action_history": hist})
                entry.q, entry.n, entry.mean_reward = q, n, mr
            else:
                entry.q, entry.n, entry.mean_reward = self.sink.modify(entry.row_id, change)
        except BaseException:
            entry.n = count
            if created_entry:
                del rec.actions[action]
            if created_record:
                del self.records[u.key]
            raise
        if self.sink is not None:
            self._synced = self.sink.version()
        if not self.in_ram:
            self.records.clear()
        return Update(u.key, action, entry.row_id, entry.q, entry.n, target, bootstrap, u.t)


ExperienceReplay = HistoryReplay
"""This class's earlier name (kept for code that imports it; RL readers take "replay" for a training buffer)."""
