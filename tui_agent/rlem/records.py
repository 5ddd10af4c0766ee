"""RLEM records: keys, action tables, λ-scored retrieval and exemplar choice (pure, no I/O).

Source: REMEMBERER (Zhang et al., 2023, §3.2–3.3) and OpenDFM/Rememberer
``history.py`` (``HistoryReplay._record``, ``__getitem__``, ``LambdaMatcher``)
and ``agent_protos.py`` (``HistoryReplayClient._get_examplars``).

* A **record** is one observation key — (task, observation, available
  actions), :class:`RecordKey` — with an **action table**: for each
  :class:`ActionKey` = (action, reason), as the reference keys its actions,
  an :class:`ActionValue` (Q, N, mean immediate reward). The record also keeps
  the action history that led to it (the reference's ``other_info``).
* **Retrieval** scores every record against a query with
  ``score = λ·f_task + (1−λ)·f_obs`` (λ = 0.5 in the paper), f_task and f_obs
  being pluggable similarity functions of a :class:`Similarity` (the shop:
  instruction-embedding dot product and page type; chat: question and
  context embeddings). Records are sorted by (score, visits) descending, ties
  kept in insertion order, as the reference's ``sorted(..., reverse=True)``.
* **Exemplars**: the first ``m`` records (best first) whose rendered text
  fits the remaining budget; the prompt shows them most similar *last*.

Rows of the experience table map to records with :func:`records_from_rows`:
one row per (record, action, reason).
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

DEFAULT_LAMBDA = 0.5

__all__ = [
    "DEFAULT_LAMBDA",
    "ActionKey",
    "ActionValue",
    "Record",
    "RecordKey",
    "Scored",
    "ScoredList",
    "Similarity",
    "actions_json",
    "choose_exemplars",
    "history_json",
    "parse_history",
    "dot_similarity",
    "records_from_rows",
    "score_records",
]


def actions_json(available_actions: Sequence[str]) -> str:
    """Available actions as the compact JSON list stored in a row's ``available_actions``."""
    return json.dumps(list(available_actions), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class RecordKey:
    """(task, observation, available actions as a JSON list): what makes two steps the same record."""

    task: str
    observation: str
    available_actions: str = ""

    @classmethod
    def of(cls, task: str, observation: str, available_actions: Sequence[str] | str = "") -> RecordKey:
        acts = available_actions if isinstance(available_actions, str) else actions_json(available_actions)
        return cls(task, observation, acts)

    @property
    def actions(self) -> list[str]:
        """The available actions as a list ([] when none are recorded; the JSON is parsed once per text)."""
        return list(_parse_actions(self.available_actions)) if self.available_actions else []


@functools.lru_cache(maxsize=65_536)
def _parse_actions(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


@dataclass(frozen=True)
class ActionKey:
    """(action, reason), the reference's action key: one action taken for two reasons is two entries."""

    action: str
    reason: str = ""


@dataclass
class ActionValue:
    """One entry of an action table.

    ``q``: the Q-value estimate (a return; any finite float — shop rewards are
    in [0, 1], chat feedback ±1); ``n`` ≥ 0: updates so far; ``mean_reward``:
    running mean of the immediate rewards; ``row_id``: the experience row that
    stores it (None until stored); ``row``: the stored row object, if any.
    """

    q: float = 0.0
    n: int = 0
    mean_reward: float = 0.0
    row_id: str | None = None
    row: Any = None


@dataclass
class Record:
    """A record: its key, the task embedding, the action table and the action history.

    ``vector``: float32 ``(dim,)`` L2-normalised task embedding (None when the
    domain's f_task does not need it). ``actions`` keeps insertion order.
    ``action_history``: the actions taken before this observation in the
    episode that created it (the reference keeps the shortest seen). The
    reference's other ``other_info`` fields (last / total reward, count) are
    used by no prompt of its WebShop agent and are not kept.
    """

    key: RecordKey
    vector: np.ndarray | None = None
    actions: dict[ActionKey, ActionValue] = field(default_factory=dict)
    action_history: list[ActionKey] = field(default_factory=list)

    @property
    def visits(self) -> int:
        """Σ N over the record's actions (the reference's retrieval tie-breaker)."""
        return sum(v.n for v in self.actions.values())

    @property
    def max_q(self) -> float:
        """max_a Q(o, a) over the action table; 0.0 for an empty table."""
        return max((v.q for v in self.actions.values()), default=0.0)

    def ranked(self) -> list[tuple[ActionKey, ActionValue]]:
        """The action table best Q first (ties: insertion order, as the reference's stable sort)."""
        return sorted(self.actions.items(), key=lambda kv: kv[1].q, reverse=True)

    def find(self, action: str) -> tuple[ActionKey, ActionValue] | None:
        """The entry of ``action`` under any reason (the one with most updates), or None."""
        entries = [(k, v) for k, v in self.actions.items() if k.action == action]
        return max(entries, key=lambda kv: kv[1].n) if entries else None


@dataclass
class Scored:
    """A record with its similarity to a query: ``score = λ·f_task + (1−λ)·f_obs``."""

    record: Record
    f_task: float
    f_obs: float
    score: float


F = Callable[[Any, Sequence[Record]], np.ndarray]


_stacked: list[Any] = [None, None]  # (the records tuple, its (n, dim) matrix): the last one stacked


def dot_similarity(query_vector: np.ndarray, records: Sequence[Record]) -> np.ndarray:
    """f_task as the paper computes it: dot products of L2-normalised embeddings, in [−1, 1].

    For a ``tuple`` of records (what :meth:`~tui_agent.rlem.replay.HistoryReplay.retrieve` passes
    while its records do not change) the stacked ``(n, dim)`` matrix is kept and reused.

    Raises:
        ValueError: a record without its task embedding (``vector=None``).
    """
    if not records:
        return np.zeros(0, dtype=np.float32)
    if isinstance(records, tuple) and _stacked[0] is records:
        matrix = _stacked[1]
    else:
        vectors = [r.vector for r in records if r.vector is not None]
        if len(vectors) != len(records):
            raise ValueError("f_task needs every record's task embedding; a record has vector=None")
        matrix = np.stack(vectors).astype(np.float32, copy=False)
        if isinstance(records, tuple):
            _stacked[:] = [records, matrix]
    return matrix @ np.asarray(query_vector, dtype=np.float32)


@dataclass(frozen=True)
class Similarity:
    """Pluggable retrieval similarity: ``score = lam·f_task(q, records) + (1 − lam)·f_obs(q, records)``.

    ``f_task`` / ``f_obs`` take the domain's query object and the records and
    return one float per record (NumPy array). λ ∈ [0, 1].
    """

    f_task: F
    f_obs: F
    lam: float = DEFAULT_LAMBDA

    def __post_init__(self) -> None:
        if not 0.0 <= self.lam <= 1.0:
            raise ValueError(f"lambda must be in [0, 1], got {self.lam}")


class ScoredList(Sequence[Scored]):
    """The result of :func:`score_records`: a read-only sequence of :class:`Scored`, best first, made on
    access — callers read the first few (exemplars, the top-k of an estimate), so the 10k objects of a
    full list are not built (measured: ~40 % of a shop step at 10k records under load)."""

    __slots__ = ("_records", "_order", "_f_task", "_f_obs", "_scores", "_order_np")

    def __init__(self, records: Sequence[Record], order: np.ndarray, f_task: np.ndarray, f_obs: np.ndarray,
                 scores: np.ndarray) -> None:
        self._records, self._order_np, self._order = records, order, order.tolist()
        self._f_task, self._f_obs, self._scores = f_task, f_obs, scores

    def _order_array(self) -> np.ndarray:
        return self._order_np

    def _at(self, i: int) -> Scored:
        return Scored(self._records[i], float(self._f_task[i]), float(self._f_obs[i]), float(self._scores[i]))

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> Scored: ...

    @overload
    def __getitem__(self, index: slice) -> list[Scored]: ...

    def __getitem__(self, index: int | slice) -> Scored | list[Scored]:
        if isinstance(index, slice):
            return [self._at(i) for i in self._order[index]]
        return self._at(self._order[index])

    def __iter__(self) -> Iterator[Scored]:
        return (self._at(i) for i in self._order)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ScoredList({len(self)} records)"


def score_records(similarity: Similarity, query: Any, records: Sequence[Record]) -> Sequence[Scored]:
    """All ``records`` scored against ``query``, sorted by (score, visits) descending, ties in given order.

    Returns a :class:`ScoredList` (a sequence; ``list(...)`` for a list). Source:
    ``HistoryReplay.__getitem__`` (the reference sorts by (score, Σ N) with reverse=True).
    """
    if not records:
        return []
    lam = similarity.lam
    f_task = np.asarray(similarity.f_task(query, records), dtype=np.float64) if lam > 0 \
        else np.zeros(len(records))
    f_obs = np.asarray(similarity.f_obs(query, records), dtype=np.float64) if lam < 1 \
        else np.zeros(len(records))
    scores = lam * f_task + (1.0 - lam) * f_obs
    order = np.argsort(-scores, kind="stable")  # best first, ties in given order
    ordered = scores[order]
    tied = np.flatnonzero(ordered[1:] == ordered[:-1])
    if tied.size:  # only runs of equal scores need visits (Σ N), the second sort key
        starts = np.flatnonzero(np.diff(np.concatenate(([-2], tied))) != 1)
        for run in np.split(tied, starts[1:]) if starts.size else []:
            lo, hi = int(run[0]), int(run[-1]) + 2
            run_idx = order[lo:hi]
            visits = np.array([records[i].visits for i in run_idx])
            order[lo:hi] = run_idx[np.argsort(-visits, kind="stable")]
    return ScoredList(records, order, f_task, f_obs, scores)


def choose_exemplars(candidates: Sequence[Scored], m: int, budget: int,
                     render: Callable[[Scored, int], str], length: Callable[[str], int] = len,
                     min_cost: Callable[[Record], int] | None = None) -> list[tuple[Scored, str]]:
    """The first ``m`` candidates (best first) whose text fits the remaining budget, most similar *last*.

    ``render(scored, index)`` gives an exemplar's text (index 0 = the best);
    ``length(text)`` its cost (characters by default; the reference counts
    tokens, +1 for the separator). Records without actions are skipped.
    Source: ``_get_examplars`` + ``"\\n".join(reversed(examplars))``.

    ``min_cost(record)``: optional lower bound of ``length(render(...)) + 1`` for any index; a
    candidate whose bound is over the remaining budget is passed over without being rendered
    (the same candidates are chosen, but what ``render`` draws at random is not drawn for it).
    The bounds of a :class:`ScoredList`'s records are computed once per records tuple, so a walk
    through 10k candidates that do not fit costs a few array operations, not 10k renders.
    """
    chosen: list[tuple[Scored, str]] = []
    if min_cost is not None and isinstance(candidates, ScoredList) and m > 0:
        bounds = _bounds(candidates._records, min_cost)[candidates._order_array()]
        position = 0
        while len(chosen) < m:
            fits = np.flatnonzero(bounds[position:] <= budget)
            if not fits.size:
                break
            position += int(fits[0])
            scored = candidates[position]
            position += 1
            if not scored.record.actions:
                continue
            text = render(scored, len(chosen))
            cost = length(text) + 1
            if cost <= budget:
                chosen.append((scored, text))
                budget -= cost
        return list(reversed(chosen))
    for scored in candidates:
        if len(chosen) >= m:
            break
        if not scored.record.actions:
            continue
        if min_cost is not None and min_cost(scored.record) > budget:
            continue
        text = render(scored, len(chosen))
        cost = length(text) + 1
        if cost <= budget:
            chosen.append((scored, text))
            budget -= cost
    return list(reversed(chosen))


_bounds_cache: list[Any] = [None, None, None]  # (records, min_cost, bounds): the last records tuple's bounds


def _bounds(records: Sequence[Record], min_cost: Callable[[Record], int]) -> np.ndarray:
    """``min_cost`` of every record, int64 ``(n,)``; kept for the last records tuple and bound function."""
    last, same_fn, kept = _bounds_cache
    if isinstance(records, tuple) and last is records and same_fn == min_cost:
        return kept
    if (isinstance(records, tuple) and same_fn == min_cost and last is not None and len(last) <= len(records)
            and all(map(operator.is_, last, records[:len(last)]))):  # records appended (a learning step)
        extra = np.fromiter((min_cost(r) for r in records[len(last):]), dtype=np.int64,
                            count=len(records) - len(last))
        bounds = np.concatenate([kept, extra])
    else:
        bounds = np.fromiter((min_cost(r) for r in records), dtype=np.int64, count=len(records))
    if isinstance(records, tuple):
        _bounds_cache[:] = [records, min_cost, bounds]
    return bounds


def history_json(history: Iterable[ActionKey]) -> str:
    """An action history as stored in a row: JSON ``[[action, reason], ...]``, ``""`` when empty."""
    pairs = [[a.action, a.reason] for a in history]
    return json.dumps(pairs, ensure_ascii=False) if pairs else ""


def parse_history(text: str) -> list[ActionKey]:
    """The inverse of :func:`history_json`; ``[]`` for ``""`` or text that is not such a list."""
    if not text:
        return []
    try:
        pairs = json.loads(text)
    except ValueError:
        return []
    if not isinstance(pairs, list):
        return []
    return [ActionKey(str(p[0]), str(p[1]) if len(p) > 1 else "") for p in pairs
            if isinstance(p, list) and p]


def records_from_rows(rows: Iterable[Any]) -> list[Record]:
    """Group experience rows (one per record, action, reason) into records, oldest record first.

    A row has ``task``, ``observation``, ``available_actions``, ``action``,
    ``reason``, ``q``, ``n``, ``mean_reward``, ``id``, ``episode_id``,
    ``step``, ``created_at`` and ``vector`` attributes. Two rows with the same
    (record, action, reason) keep the one with most updates. The action
    history of a record is its oldest row's ``action_history`` (JSON list of
    ``[action, reason]``, as stored since schema v2 and by pool imports), else
    that of the row's episode (the actions of the same ``episode_id`` at
    earlier steps), else empty.
    """
    rows = sorted(rows, key=lambda e: (e.created_at, e.step, e.id))
    records: dict[RecordKey, Record] = {}
    episodes: dict[str, dict[int, ActionKey]] = {}
    origin: dict[RecordKey, Any] = {}
    for row in rows:
        key = RecordKey(row.task, row.observation or "", row.available_actions or "")
        rec = records.get(key)
        if rec is None:
            vec = np.asarray(row.vector, dtype=np.float32) if row.vector is not None else None
            rec = records[key] = Record(key, vec)
            origin[key] = row
        akey = ActionKey(row.action, row.reason or "")
        old = rec.actions.get(akey)
        if old is None or (row.n, row.q) > (old.n, old.q):
            rec.actions[akey] = ActionValue(float(row.q), int(row.n), float(row.mean_reward), row.id, row)
        if row.episode_id:
            episodes.setdefault(row.episode_id, {}).setdefault(int(row.step), akey)
    for key, rec in records.items():
        first = origin[key]
        stored = parse_history(getattr(first, "action_history", "") or "")
        steps = episodes.get(first.episode_id, {}) if first.episode_id else {}
        rec.action_history = stored or [steps[s] for s in sorted(steps) if s < first.step]
    return list(records.values())
