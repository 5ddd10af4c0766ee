"""Multi-step RLEM for web tasks: records, retrieval similarity, bootstrap, n-step bookkeeping.

Pure Python + numpy, no I/O. Source: REMEMBERER (Zhang et al., 2023, §3.2–3.3)
and its released code OpenDFM/Rememberer, ``history.py`` (``HistoryReplay``:
``__getitem__``, ``update``, ``_clear_buffer``, ``_update_action_record``;
``PagePatMatcher``) and ``webshop_agent.py`` (the WebShop key).

Record. One *record* is one observation key with a table of actions. For the
shop the key is (task instruction, observation text, available actions); in
the experience table every (record, action) pair is one row of kind "shop"
(``Experience.task``, ``.observation``, ``.available_actions`` = JSON list,
``.action``, ``.q``, ``.n``, ``.mean_reward``, ``.reason``), and
:func:`group_records` puts the rows of one key back together.

Retrieval. ``score = λ·f_task + (1−λ)·f_obs`` with ``f_task`` = dot product of
the L2-normalised instruction embeddings (cosine, in [−1, 1]) and ``f_obs`` =
:func:`~tui_agent.envs.shop.pagetype.page_type_similarity` of the page types
(1 same type, 0.3 item↔item sub-page, else 0). λ = 0.5 in the paper. Records
are sorted by (score, visits), visits = Σ N over the record's actions, as the
reference sorts them.

Update. For step t of an episode (o_t, a_t, r_{t+1}) the target is
``G_t = Σ_{i<m} γ^i r_{t+1+i} + γ^n · max_a Q(o_{t+n}, a)`` (the bootstrap term
only when the episode has not ended by step t+n), then ``N += 1;
Q += (G − Q)/N`` (done by ``ExperienceStore.update_q``). ``max_a Q(o_{t+n}, ·)``
comes from o_{t+n}'s own record, or — when it has none — from the most
similar record (the reference's ``reference_q_table[end_step][0]``).
:class:`NStepBuffer` says *when* each step can be updated: with ``n`` set,
step t as soon as o_{t+n} is seen (memory updated every step); the rest, and
every step when ``n`` is None (full-episode return), when the episode ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_agent.envs.shop.pagetype import page_type_of, page_type_similarity
from tui_agent.memory.schema import Experience
from tui_agent.rlem.nstep import nstep_target

DEFAULT_LAMBDA = 0.5

__all__ = [
    "DEFAULT_LAMBDA",
    "NStepBuffer",
    "PendingUpdate",
    "RecordKey",
    "ScoredRecord",
    "ShopRecord",
    "actions_json",
    "bootstrap_value",
    "find_record",
    "group_records",
    "record_key",
    "score_records",
]


def actions_json(available_actions: Sequence[str]) -> str:
    """The available actions as the compact JSON list stored in ``Experience.available_actions``."""
    return json.dumps(list(available_actions), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class RecordKey:
    """(task, observation, available actions JSON): what makes two steps the same record."""

    task: str
    observation: str
    available_actions: str

    @classmethod
    def of(cls, task: str, observation: str, available_actions: Sequence[str] | str) -> RecordKey:
        acts = available_actions if isinstance(available_actions, str) else actions_json(available_actions)
        return cls(task, observation, acts)

    @property
    def actions(self) -> list[str]:
        return list(json.loads(self.available_actions)) if self.available_actions else []

    @property
    def page_type(self) -> str:
        return page_type_of(self.actions)


def record_key(exp: Experience) -> RecordKey:
    """The record key of a shop experience row."""
    return RecordKey(exp.task, exp.observation, exp.available_actions)


@dataclass
class ShopRecord:
    """One record: its key, the task embedding and one experience row per action taken.

    ``rows`` maps action → :class:`Experience`. ``vector`` is the float32
    ``(384,)`` instruction embedding (from the rows).
    """

    key: RecordKey
    vector: np.ndarray
    rows: dict[str, Experience] = field(default_factory=dict)

    @property
    def page_type(self) -> str:
        return self.key.page_type

    @property
    def visits(self) -> int:
        """Σ N over the record's actions (the reference's tie-breaker)."""
        return sum(e.n for e in self.rows.values())

    @property
    def max_q(self) -> float:
        """max_a Q(o, a) over the actions tried; 0.0 for a record with no actions."""
        return max((e.q for e in self.rows.values()), default=0.0)

    def ranked_actions(self) -> list[Experience]:
        """The rows best Q first (ties: more updates first)."""
        return sorted(self.rows.values(), key=lambda e: (e.q, e.n), reverse=True)

    def origin(self) -> Experience:
        """The row that created the record (oldest); its episode gives the action history."""
        return min(self.rows.values(), key=lambda e: (e.created_at, e.id))


def group_records(experiences: Iterable[Experience]) -> list[ShopRecord]:
    """Group shop rows by record key. Duplicate (key, action) rows keep the one with most updates."""
    records: dict[RecordKey, ShopRecord] = {}
    for exp in experiences:
        if exp.kind != "shop" or exp.vector is None:
            continue
        key = record_key(exp)
        rec = records.get(key)
        if rec is None:
            rec = records[key] = ShopRecord(key, np.asarray(exp.vector, dtype=np.float32))
        old = rec.rows.get(exp.action)
        if old is None or (exp.n, exp.q) > (old.n, old.q):
            rec.rows[exp.action] = exp
    return list(records.values())


@dataclass
class ScoredRecord:
    """A record with its similarity to the current step: f_task ∈ [−1, 1], f_obs ∈ [0, 1], score."""

    record: ShopRecord
    f_task: float
    f_obs: float
    score: float


def score_records(records: Sequence[ShopRecord], task_vector: np.ndarray, page_type: str,
                  lam: float = DEFAULT_LAMBDA) -> list[ScoredRecord]:
    """All records scored against (instruction embedding, page type), best first.

    Args:
        records: the memory's records.
        task_vector: float32 ``(384,)``, L2-normalised embedding of the current instruction.
        page_type: the current page type (``page_type_of(available_actions)``).
        lam: λ ∈ [0, 1].

    Returns:
        ``ScoredRecord`` list sorted by (score, visits) descending.
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lambda must be in [0, 1], got {lam}")
    if not records:
        return []
    matrix = np.stack([r.vector for r in records])
    f_task = matrix @ np.asarray(task_vector, dtype=np.float32)
    out = []
    for rec, ft in zip(records, f_task):
        fo = page_type_similarity(page_type, rec.page_type)
        out.append(ScoredRecord(rec, float(ft), fo, lam * float(ft) + (1.0 - lam) * fo))
    out.sort(key=lambda s: (s.score, s.record.visits), reverse=True)
    return out


def find_record(records: Sequence[ShopRecord], key: RecordKey) -> ShopRecord | None:
    """The record with exactly this key, or None."""
    for rec in records:
        if rec.key == key:
            return rec
    return None


def bootstrap_value(records: Sequence[ShopRecord], key: RecordKey, task_vector: np.ndarray,
                    lam: float = DEFAULT_LAMBDA) -> tuple[float, ShopRecord | None]:
    """``max_a Q(o, a)`` for the observation ``key``, and the record it was read from.

    The record of ``key`` itself if the memory has it (with at least one
    action), else the most similar record by (score, visits); ``(0.0, None)``
    for an empty memory. Source: ``history.py`` ``_update_action_record``.
    """
    own = find_record(records, key)
    if own is not None and own.rows:
        return own.max_q, own
    candidates = [r for r in records if r.rows]
    if not candidates:
        return 0.0, None
    best = score_records(candidates, task_vector, key.page_type, lam)[0].record
    return best.max_q, best


@dataclass
class PendingUpdate:
    """One Q update that is ready: step ``t``'s (key, action) gets ``partial_return`` plus,
    when ``bootstrap_key`` is set, ``discount`` × max Q of that observation.

    ``reward`` is the immediate reward r_{t+1} (for ``mean_reward``).
    """

    t: int
    key: RecordKey
    action: str
    reward: float
    partial_return: float
    bootstrap_key: RecordKey | None = None
    discount: float = 0.0

    def target(self, bootstrap: float = 0.0) -> float:
        """G_t given ``bootstrap`` = max_a Q(o_{t+n}, a)."""
        return self.partial_return + (self.discount * bootstrap if self.bootstrap_key is not None else 0.0)


class NStepBuffer:
    """When each step of one episode can be updated, and with which n-step return.

    ``push(key, action, reward, next_key)`` after every step (``next_key`` =
    the key of o_{t+1}, None when the episode ended) returns the updates now
    ready; ``finish()`` returns the rest when the episode is over. ``n=None``
    means the full-episode return (no update until the end). Rewards can be
    any floats; ``gamma`` ∈ [0, 1], ``n`` ≥ 1 or None (see
    :mod:`tui_agent.rlem.nstep`, whose ``nstep_target`` computes the reward sums).
    """

    def __init__(self, gamma: float = 1.0, n: int | None = None) -> None:
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        if n is not None and n < 1:
            raise ValueError(f"n must be >= 1 or None, got {n}")
        self.gamma, self.n = gamma, n
        self.keys: list[RecordKey] = []
        self.actions: list[str] = []
        self.rewards: list[float] = []
        self.next_keys: list[RecordKey | None] = []
        self.done: set[int] = set()

    def push(self, key: RecordKey, action: str, reward: float,
             next_key: RecordKey | None) -> list[PendingUpdate]:
        self.keys.append(key)
        self.actions.append(action)
        self.rewards.append(float(reward))
        self.next_keys.append(next_key)
        if self.n is None or next_key is None:
            return []
        t = len(self.rewards) - self.n
        if t < 0 or t in self.done:
            return []
        self.done.add(t)
        # rewards r_{t+1..t+n} are all known; o_{t+n} = next_key is not terminal
        partial = nstep_target(self.rewards, t, None, self.gamma, None)
        return [PendingUpdate(t, self.keys[t], self.actions[t], self.rewards[t], partial,
                              next_key, self.gamma ** self.n)]

    def finish(self) -> list[PendingUpdate]:
        """Updates for every step not updated yet, with the rest-of-episode return (terminal)."""
        out = []
        for t in range(len(self.rewards)):
            if t in self.done:
                continue
            self.done.add(t)
            partial = nstep_target(self.rewards, t, None, self.gamma, None) if self.n is None \
                else nstep_target(self.rewards, t, lambda _k: 0.0, self.gamma, self.n)
            out.append(PendingUpdate(t, self.keys[t], self.actions[t], self.rewards[t], partial))
        return out

    def summary(self) -> dict[str, Any]:
        return {"steps": len(self.rewards), "return": float(sum(self.rewards))}
