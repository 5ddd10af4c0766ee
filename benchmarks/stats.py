"""Confidence intervals for the benchmarks' comparisons: the one paired bootstrap every results table uses.

Method: **percentile bootstrap of a mean of paired differences.** The same n items (goals, facts,
questions) are measured under two conditions A and B (trained vs frozen memory, a learner vs hybrid
retrieval, the recall bands vs the one-threshold rule), giving per-item differences d_i = a_i − b_i
(already averaged over seeds by the caller when an item ran in several seeds). Each of ``resamples``
(default 10,000) bootstrap samples draws n items with replacement and takes the mean of their d; the
interval is the (1 − level)/2 and (1 + level)/2 percentiles of those means (default level 0.95: the
2.5th and 97.5th). Pairing keeps what the two conditions share (an item hard for both) out of the
interval.

**Clusters** (``groups``): when items come in groups that are not independent (the three rewordings of
one taught fact), whole groups are drawn with replacement (a cluster bootstrap) and the statistic is
the mean over all items of the drawn groups, so the interval is not narrowed by counting one fact's
rewordings as separate evidence.

The generator is ``numpy.random.default_rng(seed)`` (seed 0 by default, or a generator passed in), so
a table is reproducible to the digit. numpy only: importing this module loads no heavy library.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 10_000
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean difference and its bootstrap interval, in the units of the inputs (e.g. success 0–1).

    ``n`` items (``clusters`` groups of them; = n without groups), ``resamples`` draws, ``level`` in (0, 1).
    """

    mean: float
    low: float
    high: float
    n: int
    clusters: int
    resamples: int
    level: float

    def excludes_zero(self) -> bool:
        """True when the whole interval lies above or below 0."""
        return self.low > 0 or self.high < 0

    def text(self, scale: float = 1.0, digits: int = 3) -> str:
        """``"+0.073 [+0.021, +0.123]"`` (values × ``scale``, signed, ``digits`` decimals)."""
        f = f"{{:+.{digits}f}}"
        return f"{f.format(self.mean * scale)} [{f.format(self.low * scale)}, {f.format(self.high * scale)}]"


def paired_bootstrap(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray | None = None, *,
                     groups: Sequence[Hashable] | None = None, resamples: int = RESAMPLES, level: float = LEVEL,
                     seed: int | np.random.Generator = 0) -> Interval:
    """Mean of ``a − b`` over items and its percentile-bootstrap interval (the module docstring gives the method).

    Args:
        a: per-item values under condition A, shape ``(n,)``, finite (e.g. success 0/1, or a seed mean).
        b: per-item values under condition B, same shape and item order; None: ``a`` already holds the
            differences.
        groups: per-item cluster label, length n (items with one label are drawn together); None: every
            item is its own cluster.
        resamples: bootstrap draws, ≥ 100.
        level: the interval's coverage, in (0, 1).
        seed: generator seed, or a ``numpy.random.Generator`` to draw from (its state advances).

    Returns:
        :class:`Interval` with the observed mean difference, the interval bounds, n and the settings used.

    Raises:
        ValueError: no items, ``a`` and ``b`` (or ``groups``) of different lengths, values not finite or not
            one-dimensional, ``resamples`` < 100, or ``level`` outside (0, 1).
    """
    d = np.asarray(a, dtype=np.float64)
    if b is not None:
        other = np.asarray(b, dtype=np.float64)
        if other.shape != d.shape:
            raise ValueError(f"a and b must pair item by item: shapes {d.shape} and {other.shape}")
        d = d - other
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"need a non-empty one-dimensional list of items, got shape {d.shape}")
    if not np.all(np.isfinite(d)):
        raise ValueError("values must be finite (no NaN or infinity)")
    if resamples < 100:
        raise ValueError(f"resamples must be ≥ 100, got {resamples}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if groups is None:
        means = d[rng.integers(0, d.size, size=(resamples, d.size))].mean(axis=1)
        clusters = d.size
    else:
        if len(groups) != d.size:
            raise ValueError(f"groups must label every item: {len(groups)} labels for {d.size} items")
        labels = {g: k for k, g in enumerate(dict.fromkeys(groups))}
        index = np.array([labels[g] for g in groups])
        clusters = len(labels)
        sums = np.bincount(index, weights=d, minlength=clusters)
        sizes = np.bincount(index, minlength=clusters).astype(np.float64)
        draw = rng.integers(0, clusters, size=(resamples, clusters))
        means = sums[draw].sum(axis=1) / sizes[draw].sum(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(means, [tail, 100 - tail])
    return Interval(float(d.mean()), float(low), float(high), int(d.size), int(clusters), resamples, level)
