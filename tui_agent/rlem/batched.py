"""Batched RLEM: episodes acted on a frozen snapshot of the memory, their updates applied afterwards.

Parallel rollouts (``tui-agent train … --workers N``, :mod:`tui_agent.parallel.rollouts`) run episodes in
worker processes that must not write the memory: the memory has one writer, the driver. A worker's
agent reads a :class:`RecordingReplay` — the records as of a table version, in RAM, never changed —
and its ``run_episode(…, learn=True)`` acts exactly as in training (training Q̂, exploration) while
every ``replay.step`` call is recorded instead of applied. The driver then feeds the recorded
:class:`Trajectory` through its own :class:`~tui_agent.rlem.replay.HistoryReplay` with
:func:`apply_trajectory`: the same ``begin_episode`` / ``step`` / ``end_episode`` calls, with the
same arguments, that the sequential path makes while it acts, so Q and N end up as if the episode
had been run sequentially against the driver's memory.

Named deviation from REMEMBERER (§3.2, every-step updates): within a batch the policy acts on the
memory as of the batch start (batched / asynchronous RLEM, as in distributed Q-learning with stale
actors). With ``n=None`` (full-episode return, the default) the sequential path also applies an
episode's updates only at its end, so a batch of one episode is exactly the sequential path; with
``n`` steps, updates inside the episode are deferred to its end, and episodes of one batch do not
see each other's updates.

Pure Python, no I/O (the RLEM core).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_agent.rlem.learning import NStepBuffer
from tui_agent.rlem.records import ActionKey, ActionValue, Record, RecordKey
from tui_agent.rlem.replay import Episode, HistoryReplay, Update

__all__ = ["EpisodeJob", "RecordingReplay", "Trajectory", "Transition", "apply_trajectory", "episode_seed",
           "frozen_copy", "rows_in"]


@dataclass(frozen=True)
class EpisodeJob:
    """One episode to run: ``options`` reset the environment; ``policy`` acts; ``seed`` seeds the agent's
    random generator (random fill, random policy) so the episode is the same on any worker;
    ``learn`` False runs it frozen with nothing recorded (evaluation)."""

    options: dict[str, Any]
    policy: str
    seed: int
    learn: bool = True


def episode_seed(seed: int, *parts: Any) -> int:
    """A 63-bit seed for one episode from the run's ``seed`` and e.g. (epoch, goal index); stable across
    processes (no ``hash()`` randomisation)."""
    return random.Random(repr((seed, *parts))).getrandbits(63)


@dataclass(frozen=True)
class Transition:
    """One recorded ``replay.step`` call: o_t = ``key``, a_t = ``action``, r_{t+1} = ``reward``,
    o_{t+1} = ``next_key`` (None when the episode ended), ``any_reason`` as passed."""

    key: RecordKey
    action: ActionKey
    reward: float
    next_key: RecordKey | None
    any_reason: bool = False


@dataclass
class Trajectory:
    """A recorded episode: the ``info`` given to ``begin_episode`` (episode id, …), its transitions in
    order, and whether ``end_episode`` was called (False: the episode did not finish)."""

    info: dict[str, Any] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)
    ended: bool = False


@dataclass
class _RecordingEpisode(Episode):
    """An :class:`Episode` begun by a :class:`RecordingReplay`: what its steps record into."""

    trajectory: Trajectory = field(default_factory=Trajectory)


class RecordingReplay(HistoryReplay):
    """A read-only replay over a snapshot of records that records learning calls instead of applying them.

    Retrieval (:meth:`retrieve`, :meth:`max_q`) sees ``records`` as given, unchanged for the replay's
    life (frozen Q). :meth:`begin_episode` / :meth:`step` / :meth:`end_episode` record a
    :class:`Trajectory` (``step`` returns no updates); :attr:`last` is the latest one. Any other write
    (:meth:`learn`, :meth:`learn_row`, :meth:`add_unrated`) raises ``RuntimeError``: only the driver
    writes.

    Args:
        like: the agent's own replay, whose similarity, query / vector functions and learning
            configuration are reused.
        records: the snapshot (e.g. :func:`frozen_copy` of the driver's records).
    """

    def __init__(self, like: HistoryReplay, records: Sequence[Record]) -> None:
        super().__init__(like.similarity, like.query_of, like.vector_of, None, like.config, records=records)
        self.last: Trajectory | None = None

    def begin_episode(self, **info: Any) -> Episode:
        self.last = Trajectory(dict(info))
        return _RecordingEpisode(NStepBuffer(self.config.gamma, self.config.n), dict(info), self.last)

    def step(self, episode: Episode, key: RecordKey, action: ActionKey, reward: float,
             next_key: RecordKey | None, any_reason: bool = False) -> list[Update]:
        _recording(episode).trajectory.transitions.append(Transition(key, action, float(reward), next_key, bool(any_reason)))
        return []

    def end_episode(self, episode: Episode) -> list[Update]:
        _recording(episode).trajectory.ended = True
        return []

    def learn(self, *args: Any, **kwargs: Any) -> Update:
        raise RuntimeError("a read-only memory snapshot: the driver applies the updates")

    def learn_row(self, *args: Any, **kwargs: Any) -> tuple[float, int]:
        raise RuntimeError("a read-only memory snapshot: the driver applies the updates")

    def add_unrated(self, *args: Any, **kwargs: Any) -> str:
        raise RuntimeError("a read-only memory snapshot: the driver applies the updates")


def _recording(episode: Episode) -> _RecordingEpisode:
    """``episode`` as one a :class:`RecordingReplay` began.

    Raises:
        TypeError: an episode begun by another replay.
    """
    if not isinstance(episode, _RecordingEpisode):
        raise TypeError(f"not an episode of a RecordingReplay: {type(episode).__name__}")
    return episode


def apply_trajectory(replay: HistoryReplay, trajectory: Trajectory) -> list[Update]:
    """Apply a recorded episode's updates through ``replay`` (the one writer); returns them in order.

    The calls are the ones the sequential ``run_episode(learn=True)`` makes, so the n-step targets,
    bootstraps and the order of inserts are the same. Idempotence is the caller's: applying a
    trajectory twice counts it twice.

    Raises:
        ValueError: the trajectory did not end (a worker stopped mid-episode).
    """
    if not trajectory.ended:
        raise ValueError("the episode did not finish; its trajectory is not applied")
    episode = replay.begin_episode(**trajectory.info)
    updates: list[Update] = []
    for t in trajectory.transitions:
        updates.extend(replay.step(episode, t.key, t.action, t.reward, t.next_key, any_reason=t.any_reason))
    updates.extend(replay.end_episode(episode))
    return updates


def frozen_copy(records: Iterable[Record]) -> list[Record]:
    """Plain copies of ``records`` (Q, N, mean reward, row id; no stored row objects) to ship to workers."""
    return [Record(r.key, r.vector, {k: ActionValue(v.q, v.n, v.mean_reward, v.row_id) for k, v in r.actions.items()},
                   list(r.action_history)) for r in records]


def rows_in(records: Iterable[Record]) -> int:
    """The number of action entries (memory rows) in ``records``."""
    return sum(len(r.actions) for r in records)
