"""RLEM learning: the Q update rules and n-step targets (pure Python, no I/O).

Source: REMEMBERER (Zhang et al., NeurIPS 2023, §3.2) and its released code,
OpenDFM/Rememberer ``history.py``: ``HistoryReplay.update``, ``_clear_buffer``
and ``_update_action_record``. Only :class:`tui_agent.rlem.replay.HistoryReplay`
applies these to the memory; nothing else writes a learned Q (the writers that learn nothing, e.g.
a hand edit, an import, undo, are listed in :mod:`tui_agent.rlem.replay`).

Indexing. An episode of ``T`` steps is ``o_0, a_0, r_1, o_1, a_1, r_2, ...,
a_{T-1}, r_T, o_T``: ``rewards[t]`` is ``r_{t+1}``, the reward received after
action ``a_t``, so ``len(rewards) == T``. The target for ``(o_t, a_t)``::

    G_t = sum_{i<n} gamma^i * r_{t+1+i}  +  gamma^n * max_a Q(o_{t+n}, a)   if t + n < T
    G_t = sum_{i<T-t} gamma^i * r_{t+1+i}                                  otherwise (terminal)

``n=None`` is the rest of the episode (Monte-Carlo return, the released runs'
default with gamma = 1); ``n=1`` is one-step Q-learning (the paper's "w/o
bootstrap" ablation). ``max_a Q(o_{t+n}, ·)`` is read from o_{t+n}'s record or,
when it has none, from the most similar record — *after* the record being
updated has been inserted and its action counted, as the reference does
(:meth:`HistoryReplay._apply`).

Update rules (``update_mode`` of the reference): ``"mean"`` (default), step
size 1/N, so Q is the running mean of its targets: ``N += 1; Q += (G − Q)/N``;
``"const"``: ``N += 1; Q += α (G − Q)`` with a fixed α (the reference's
``learning_rate``, 0.1).

Credit (``credit``): ``"episode"`` (the reference) — every step of the episode is a transition of the
return. ``"path"`` — the episode's loops that earned nothing are cut out (:func:`loop_erased`): a
detour that comes back to a screen already seen (opening a menu and closing it, a search repeated on
its own results) is trained towards 0, and the remaining path's targets are formed as above over the
path alone, so a detour taken in a successful episode does not share its return.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = [
    "CREDITS",
    "UPDATE_MODES",
    "LearningConfig",
    "NStepBuffer",
    "PendingUpdate",
    "loop_erased",
    "update_value",
    "change_towards",
    "pooled_value",
    "nstep_target",
    "nstep_targets",
]

UPDATE_MODES = ("mean", "const")
CREDITS = ("episode", "path")
K = TypeVar("K")
A = TypeVar("A")

BootstrapValues = Sequence[float | None] | Callable[[int], float | None]


@dataclass(frozen=True)
class LearningConfig:
    """How targets are formed and applied.

    ``gamma`` ∈ [0, 1] (reference default 1); ``n`` ≥ 1 or None (full-episode
    return, the reference's released runs); ``update_mode`` "mean" (α = 1/N)
    or "const" (α = ``learning_rate`` ∈ (0, 1]); ``credit`` "episode" (the
    reference) or "path" (zero-reward loops trained towards 0, :func:`loop_erased`).

    Raises:
        ValueError: a value out of range.
    """

    gamma: float = 1.0
    n: int | None = None
    update_mode: str = "mean"
    learning_rate: float = 0.1
    credit: str = "episode"

    def __post_init__(self) -> None:
        _check(self.gamma, self.n)
        if self.credit not in CREDITS:
            raise ValueError(f"credit must be one of {CREDITS}, got {self.credit!r}")
        if self.update_mode not in UPDATE_MODES:
            raise ValueError(f"update_mode must be one of {UPDATE_MODES}, got {self.update_mode!r}")
        if not 0.0 < self.learning_rate <= 1.0:
            raise ValueError(f"learning_rate must be in (0, 1], got {self.learning_rate}")


def _check(gamma: float, n: int | None) -> None:
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    if n is not None and n < 1:
        raise ValueError(f"n must be >= 1 or None, got {n}")


def loop_erased(states: Sequence[Any], rewards: Sequence[float]) -> tuple[list[int], list[int]]:
    """Split an episode's steps into its loop-erased path and the detours cut out of it.

    ``states[t]`` is o_t for t = 0..T (``len(states) == len(rewards) + 1``; any hashable, compared by
    equality), ``rewards[t]`` is r_{t+1}. Walking forward, when o_t equals a state already on the path
    and the steps since it earned nothing (sum 0), those steps are a detour: they leave the path.
    Returns ``(path, detours)``: step indices in order; the path's steps chain (each ends where the
    next begins, the last at o_T) and their rewards sum to the episode's.

    Raises:
        ValueError: ``states`` not one longer than ``rewards``.
    """
    if len(states) != len(rewards) + 1:
        raise ValueError(f"need one more state than rewards, got {len(states)} and {len(rewards)}")
    path: list[int] = []
    detours: list[int] = []
    for t in range(len(states)):
        start = next((i for i, s in enumerate(path) if states[s] == states[t]), None)
        if start is not None and not any(rewards[s] for s in path[start:]):
            detours.extend(path[start:])
            del path[start:]
        if t < len(rewards):
            path.append(t)
    return path, sorted(detours)


def update_value(value: float, count: int, target: float, mode: str = "mean",
                 learning_rate: float = 0.1) -> float:
    """One update of an estimate that has been updated ``count`` times before.

    ``mode="mean"``: ``value + (target − value)/(count + 1)`` (running mean of
    the targets); ``mode="const"``: ``value + learning_rate·(target − value)``.
    Used for Q (target = G_t) and for the mean immediate reward. The caller
    stores ``count + 1`` as the new N.

    Raises:
        ValueError: ``count`` < 0 or an unknown mode.
    """
    if count < 0:
        raise ValueError(f"update count must be >= 0, got {count}")
    if mode == "mean":
        return value + (target - value) / (count + 1)
    if mode == "const":
        return value + learning_rate * (target - value)
    raise ValueError(f"update_mode must be one of {UPDATE_MODES}, got {mode!r}")


def change_towards(target: float, reward: float | None = None, mode: str = "mean",
                   learning_rate: float = 0.1) -> Callable[[float, int, float], tuple[float, int, float]]:
    """The update of one stored entry as a function ``(q, n, mean_reward) -> (q, n + 1, mean_reward')``.

    Q moves towards ``target`` and the mean reward towards ``reward`` (default:
    ``target``) with :func:`update_value`. The store runs it on the latest
    stored values under its lock (``ExperienceStore.modify``).
    """
    r = target if reward is None else reward

    def change(q: float, n: int, mean_reward: float) -> tuple[float, int, float]:
        return update_value(q, n, target, mode, learning_rate), n + 1, update_value(mean_reward, n, r, mode,
                                                                                   learning_rate)

    return change


def pooled_value(q1: float, n1: int, q2: float, n2: int) -> float:
    """Two running means of one estimate as one: the N-weighted mean (exact for ``mode="mean"``).

    Used when a memory file is merged into a memory that holds the same
    experience. With ``n1 + n2 == 0`` returns ``q2`` (the newer side). Bounded for
    any counts (e.g. near 2**63) and any finite Q: computed from the weights
    ``n_i / (n1 + n2)``, never from ``q·n``, and the result is kept between ``q1``
    and ``q2`` (no overflow, no rounding outside the two values).
    """
    n = n1 + n2
    if n <= 0:
        return q2
    w2 = n2 / n  # exact int division into a float in [0, 1], for counts of any size
    value = math.fsum((q1 * (1.0 - w2), q2 * w2))
    return min(max(value, min(q1, q2)), max(q1, q2))


def _value(bootstrap_values: BootstrapValues, k: int) -> float:
    v = bootstrap_values(k) if callable(bootstrap_values) else bootstrap_values[k]
    return 0.0 if v is None else float(v)


def nstep_target(rewards: Sequence[float], t: int, bootstrap_values: BootstrapValues | None = None,
                 gamma: float = 1.0, n: int | None = None) -> float:
    """The n-step target ``G_t`` for step ``t`` (0 <= t < len(rewards)) of one episode.

    Args:
        rewards: ``[r_1, ..., r_T]``, floats (any range; the shop gives [0, 1],
            chat feedback −1/+1).
        t: index of the (observation, action) pair.
        bootstrap_values: ``max_a Q(o_k, a)`` for k = 0..T (a sequence or a
            callable ``k -> value``; ``None`` counts as 0). Only index ``t + n``
            is read, and only when ``t + n < T``.
        gamma: discount in [0, 1].
        n: horizon >= 1, or None for the Monte-Carlo return.

    Raises:
        ValueError: gamma / n out of range, or bootstrap values missing when needed.
        IndexError: ``t`` outside the episode.
    """
    _check(gamma, n)
    T = len(rewards)
    if not 0 <= t < T:
        raise IndexError(f"t={t} outside an episode of {T} steps")
    horizon = T - t if n is None else min(n, T - t)
    target, discount = 0.0, 1.0
    for i in range(horizon):
        target += discount * float(rewards[t + i])
        discount *= gamma
    if n is not None and t + n < T:
        if bootstrap_values is None:
            raise ValueError("bootstrap_values are needed when t + n < T")
        target += gamma ** n * _value(bootstrap_values, t + n)
    return target


def nstep_targets(rewards: Sequence[float], bootstrap_values: BootstrapValues | None = None,
                  gamma: float = 1.0, n: int | None = None) -> list[float]:
    """Targets ``[G_0, ..., G_{T-1}]`` of one finished episode (see :func:`nstep_target`).

    Example, gamma = 1, n = 1, rewards ``[0, 0, 1]``, bootstrap ``[_, 0.5, 0.8, _]``:
    ``[0.5, 0.8, 1.0]``.
    """
    return [nstep_target(rewards, t, bootstrap_values, gamma, n) for t in range(len(rewards))]


@dataclass
class PendingUpdate(Generic[K, A]):
    """One Q update that is ready for step ``t``: (``key``, ``action``) gets
    ``partial_return`` plus, when ``bootstrap_key`` is set, ``discount`` × max_a Q(bootstrap_key, a).

    ``reward`` is r_{t+1} (for the mean immediate reward); ``history`` the
    actions taken before step t in this episode (the record's action history).
    """

    t: int
    key: K
    action: A
    reward: float
    partial_return: float
    history: list[A]
    bootstrap_key: K | None = None
    discount: float = 0.0

    def target(self, bootstrap: float = 0.0) -> float:
        """G_t given ``bootstrap`` = max_a Q(o_{t+n}, a) (ignored for a terminal target)."""
        return self.partial_return + (self.discount * bootstrap if self.bootstrap_key is not None else 0.0)


class NStepBuffer(Generic[K, A]):
    """When each step of one episode can be updated, and with which partial return.

    ``push(key, action, reward, next_key)`` after every step (``next_key`` =
    the key of o_{t+1}, None when the episode ended) returns the updates now
    ready: with ``n`` set, step t as soon as o_{t+n} is seen and the episode
    goes on (the reference updates memory every step); ``finish()`` returns
    the rest with terminal (non-bootstrapped) returns, in step order, as the
    reference's ``_clear_buffer``. With ``n=None`` every step waits for the end.
    """

    def __init__(self, gamma: float = 1.0, n: int | None = None) -> None:
        _check(gamma, n)
        self.gamma, self.n = gamma, n
        self.keys: list[K] = []
        self.actions: list[A] = []
        self.rewards: list[float] = []
        self.done: set[int] = set()

    def push(self, key: K, action: A, reward: float, next_key: K | None) -> list[PendingUpdate[K, A]]:
        self.keys.append(key)
        self.actions.append(action)
        self.rewards.append(float(reward))
        if self.n is None or next_key is None:
            return []
        t = len(self.rewards) - self.n
        if t < 0 or t in self.done:
            return []
        self.done.add(t)
        partial = nstep_target(self.rewards, t, None, self.gamma, None)  # r_{t+1..t+n}, all known
        return [PendingUpdate(t, self.keys[t], self.actions[t], self.rewards[t], partial,
                              list(self.actions[:t]), next_key, self.gamma ** self.n)]

    def finish(self) -> list[PendingUpdate[K, A]]:
        """Updates for every step not updated yet, with the rest-of-episode return (terminal)."""
        out = []
        for t in range(len(self.rewards)):
            if t in self.done:
                continue
            self.done.add(t)
            partial = nstep_target(self.rewards, t, None, self.gamma, None) if self.n is None \
                else nstep_target(self.rewards, t, lambda _k: 0.0, self.gamma, self.n)
            out.append(PendingUpdate(t, self.keys[t], self.actions[t], self.rewards[t], partial,
                                     list(self.actions[:t])))
        return out

    def summary(self) -> dict[str, Any]:
        return {"steps": len(self.rewards), "return": float(sum(self.rewards))}
