"""n-step bootstrapped Q-learning targets for RLEM (pure Python, no I/O).

Source: REMEMBERER (Zhang et al., 2023), released code OpenDFM/Rememberer,
``history.py`` (``HistoryReplay.update``, ``_clear_buffer`` and
``_update_action_record`` with ``update_mode="mean"``).

Indexing. An episode of ``T`` steps is ``o_0, a_0, r_1, o_1, a_1, r_2, ...,
a_{T-1}, r_T, o_T``: ``rewards[t]`` is ``r_{t+1}``, the reward received after
action ``a_t``, so ``len(rewards) == T``. ``bootstrap_values[k]`` is
``max_a Q(o_k, a)`` from the experience memory (the caller looks it up; the
reference takes the most similar record when ``o_k`` has none), or ``None``
when unknown (treated as 0). Index ``T`` (the final observation) is never
read: an episode's end is terminal.

The target for ``(o_t, a_t)``, ``t = 0 .. T-1``::

    G_t = sum_{i=0}^{m-1} gamma^i * r_{t+1+i}  +  gamma^n * max_a Q(o_{t+n}, a)   if t + n < T
    G_t = sum_{i=0}^{T-t-1} gamma^i * r_{t+1+i}                                    otherwise

with ``m = min(n, T - t)``. ``n=None`` means "the rest of the episode"
(Monte-Carlo return, the released runs' default, with gamma = 1); ``n=1`` is
one-step Q-learning (the paper's "w/o bootstrap" ablation uses n = 1).

The record is then updated as a running mean (``update_mode="mean"``, step
size 1/N): ``N += 1; Q += (G - Q) / N``. The reference also has
``update_mode="const"`` (fixed learning rate): ``constant_step_update``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = [
    "nstep_target",
    "nstep_targets",
    "incremental_mean_update",
    "constant_step_update",
]

BootstrapValues = Sequence[float | None] | Callable[[int], float | None]


def _check(gamma: float, n: int | None) -> None:
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    if n is not None and n < 1:
        raise ValueError(f"n must be >= 1 or None, got {n}")


def _value(bootstrap_values: BootstrapValues, k: int) -> float:
    v = bootstrap_values(k) if callable(bootstrap_values) else bootstrap_values[k]
    return 0.0 if v is None else float(v)


def nstep_target(rewards: Sequence[float], t: int,
                 bootstrap_values: BootstrapValues | None = None,
                 gamma: float = 1.0, n: int | None = None) -> float:
    """The n-step target ``G_t`` for step ``t`` (0 <= t < len(rewards)) of one episode.

    Args:
        rewards: ``[r_1, ..., r_T]``, floats (any range; the shop gives [0, 1],
            chat feedback -1/+1).
        t: index of the (observation, action) pair to compute the target for.
        bootstrap_values: ``max_a Q(o_k, a)`` for k = 0..T (a sequence of length
            >= T, or a callable ``k -> value``); ``None`` entries count as 0.
            Only index ``t + n`` is read, and only when ``t + n < T``. May be
            omitted when ``n`` is None.
        gamma: discount in [0, 1]; the reference default is 1.
        n: bootstrap horizon >= 1, or None for the Monte-Carlo return.

    Returns:
        ``G_t`` as a float.
    """
    _check(gamma, n)
    T = len(rewards)
    if not 0 <= t < T:
        raise IndexError(f"t={t} outside an episode of {T} steps")
    horizon = T - t if n is None else min(n, T - t)
    target = 0.0
    discount = 1.0
    for i in range(horizon):
        target += discount * float(rewards[t + i])
        discount *= gamma
    if n is not None and t + n < T:
        if bootstrap_values is None:
            raise ValueError("bootstrap_values are needed when t + n < T")
        target += gamma ** n * _value(bootstrap_values, t + n)
    return target


def nstep_targets(rewards: Sequence[float],
                  bootstrap_values: BootstrapValues | None = None,
                  gamma: float = 1.0, n: int | None = None) -> list[float]:
    """Targets ``[G_0, ..., G_{T-1}]`` for every step of one finished episode.

    Same arguments as :func:`nstep_target`; returns a list of ``len(rewards)``
    floats (empty for an empty episode). Example with gamma = 1, n = 1,
    rewards ``[0, 0, 1]`` and bootstrap values ``[_, 0.5, 0.8, _]``:
    ``[0 + 0.5, 0 + 0.8, 1]``.
    """
    return [nstep_target(rewards, t, bootstrap_values, gamma, n) for t in range(len(rewards))]


def incremental_mean_update(q: float, n: int, target: float) -> tuple[float, int]:
    """One running-mean update of an action record: ``N += 1; Q += (target - Q) / N``.

    Args:
        q: current Q estimate (0.0 for a new action).
        n: number of updates so far (``>= 0``; 0 for a new action).
        target: the new target ``G_t``.

    Returns:
        ``(q_new, n_new)`` with ``n_new = n + 1``; after k updates from
        (0, 0), ``q`` is the mean of the k targets. Source: ``history.py``
        ``_update_action_record`` with ``update_mode="mean"``.
    """
    if n < 0:
        raise ValueError(f"update count must be >= 0, got {n}")
    n_new = n + 1
    return q + (target - q) / n_new, n_new


def constant_step_update(q: float, n: int, target: float,
                         learning_rate: float = 0.1) -> tuple[float, int]:
    """Fixed-step update ``Q += lr * (target - Q)``, ``N += 1`` (reference ``update_mode="const"``).

    ``learning_rate`` in (0, 1]; returns ``(q_new, n + 1)``.
    """
    if not 0.0 < learning_rate <= 1.0:
        raise ValueError(f"learning_rate must be in (0, 1], got {learning_rate}")
    return q + learning_rate * (target - q), n + 1
