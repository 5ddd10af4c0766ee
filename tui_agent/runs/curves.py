"""Learning curves as numbers: moving averages of return and success over a run's episodes, and histograms of
Q-values per kind. Pure Python (no numpy, no plotting library): the same figures feed the TUI's plots, the
CLI's terminal plots and ``tui-agent stats --json``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Q_BINS = 20


def default_window(episodes: int) -> int:
    """The moving-average window for a run of ``episodes``: a tenth of the run, between 1 and 100 episodes."""
    return max(1, min(100, round(episodes / 10)))


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean over the last ``window`` values (fewer at the start): same length as ``values``.

    Raises:
        ValueError: ``window`` < 1.
    """
    if window < 1:
        raise ValueError(f"window must be ≥ 1, got {window}")
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def learning_curve(episodes: Sequence[Any], window: int | None = None) -> dict[str, Any]:
    """Per-episode series of a run, from rows with ``index``, ``return_`` and ``success`` (:class:`EpisodeRow`).

    Returns ``{"window", "episode": [1, 2, …], "return": [G per episode], "return_avg": [moving mean of G],
    "success_rate": [moving share of successes in [0, 1]], "success_cum": [share so far]}``; the window is
    :func:`default_window` of the run's length unless given.
    """
    returns = [float(e.return_) for e in episodes]
    successes = [1.0 if e.success else 0.0 for e in episodes]
    w = window or default_window(len(returns))
    cumulative, total = [], 0.0
    for i, s in enumerate(successes):
        total += s
        cumulative.append(total / (i + 1))
    return {"window": w, "episode": [int(e.index) + 1 for e in episodes], "return": returns,
            "return_avg": moving_average(returns, w), "success_rate": moving_average(successes, w),
            "success_cum": cumulative}


def q_histogram(q_by_kind: Mapping[str, Iterable[float]], bins: int = Q_BINS) -> dict[str, Any]:
    """Histogram of Q-values per kind on shared bins.

    Args:
        q_by_kind: ``{kind: Q-values}`` (non-finite values are skipped).
        bins: number of equal-width bins over [min Q, max Q] of all kinds (at least [−1, 1] when
            every value lies inside it, so chat's ±1 scale reads the same from run to run).

    Returns ``{"edges": [bins + 1 floats], "counts": {kind: [bins ints]}, "total": {kind: rows}}``; kinds
    without values are left out.
    """
    values = {k: [float(q) for q in qs if math.isfinite(float(q))] for k, qs in q_by_kind.items()}
    values = {k: v for k, v in sorted(values.items()) if v}
    every = [q for v in values.values() for q in v]
    lo, hi = min([-1.0, *every]), max([1.0, *every])
    width = (hi - lo) / bins
    edges = [lo + i * width for i in range(bins)] + [hi]
    counts = {}
    for kind, qs in values.items():
        row = [0] * bins
        for q in qs:
            row[min(bins - 1, int((q - lo) / width))] += 1
        counts[kind] = row
    return {"edges": edges, "counts": counts, "total": {k: len(v) for k, v in values.items()}}


def q_values(store: Any) -> dict[str, list[float]]:
    """``{kind: [Q-values]}`` of every experience in ``store`` (an :class:`~tui_agent.memory.store.ExperienceStore`,
    read with its ratings log laid over). One read of two columns; call it off the UI thread."""
    table = store.read_arrow(["kind", "q"])
    out: dict[str, list[float]] = {}
    for kind, q in zip(table.column("kind").to_pylist(), table.column("q").to_pylist()):
        if q is not None:
            out.setdefault(str(kind), []).append(float(q))
    return out
