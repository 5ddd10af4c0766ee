"""The stats figures drawn with plotext: return per episode, success rate, Q-values per kind.

Every function draws on ``plt``, a plotext figure: the ``plt`` of a textual-plotext ``PlotextPlot`` in the
TUI, or the ``plotext`` module itself in the CLI. This module imports neither (the caller owns the library),
so the curves are drawn the same way on both. Labels that may hold user text (env, algo, policy names) pass
through :func:`tui_agent.terminal_text.visible` first.
"""

from __future__ import annotations

import math
from typing import Any

from tui_agent.terminal_text import visible

SUCCESS_LIMITS = (0.0, 1.0)
LINE = "hd"  # half-block marker: 2×2 dots a cell, drawn the same in every terminal font and in SVG screenshots


def nice_ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> list[float]:
    """About ``count`` round tick positions in [lo, hi] (steps of 1, 2 or 5 × 10^k; whole numbers if ``integer``)."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw / 1.5)  # nearest round step, ≥ 2/3 of raw
    if integer:
        step = max(1.0, round(step))
    first = math.ceil(lo / step - 1e-9) * step
    ticks, value = [], first
    while value <= hi + 1e-9 * step:
        ticks.append(0.0 if abs(value) < 1e-12 else value)
        value += step
    return ticks


def tick_label(value: float) -> str:
    """A tick as people write it: ``0``, ``0.5``, ``-1``, ``120``, ``1.2k``."""
    if abs(value) >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:.3g}"


def _axis(plt: Any, xs: tuple[float, float] | None, ys: tuple[float, float] | None, x_integer: bool = True) -> None:
    if xs is not None:
        ticks = nice_ticks(*xs, integer=x_integer)
        plt.xticks(ticks, [tick_label(t) for t in ticks])
    if ys is not None:
        ticks = nice_ticks(*ys, count=4)
        plt.yticks(ticks, [tick_label(t) for t in ticks])


def draw_returns(plt: Any, curve: dict[str, Any], title: str = "Return per episode") -> None:
    """Each episode's return G as dots, and its moving mean over ``curve["window"]`` episodes as a line."""
    plt.clear_data()
    plt.title(visible(title))
    x = curve["episode"]
    if not x:
        return
    plt.scatter(x, curve["return"], marker="dot", label="G")
    plt.plot(x, curve["return_avg"], marker=LINE, label=f"mean of {curve['window']}")
    plt.xlabel("episode")
    lo, hi = min(curve["return"]), max(curve["return"])
    if hi - lo < 1e-9:  # a flat curve: give it room so it is not drawn on the frame
        lo, hi = lo - 0.5, hi + 0.5
    plt.ylim(lo, hi)
    _axis(plt, (x[0], x[-1]), (lo, hi))


def draw_success(plt: Any, curve: dict[str, Any], title: str = "Success rate") -> None:
    """Moving share of successful episodes (window ``curve["window"]``) and the share so far, in [0, 1]."""
    plt.clear_data()
    plt.title(visible(title))
    x = curve["episode"]
    if not x:
        return
    plt.plot(x, curve["success_rate"], marker=LINE, label=f"last {curve['window']}")
    plt.plot(x, curve["success_cum"], marker=LINE, label="so far")
    plt.ylim(*SUCCESS_LIMITS)
    plt.xlabel("episode")
    _axis(plt, (x[0], x[-1]), SUCCESS_LIMITS)


def draw_q(plt: Any, hist: dict[str, Any], title: str = "Q-values in memory") -> None:
    """Rows per Q-value bin, stacked by kind (one colour per kind), over ``hist["edges"]``."""
    plt.clear_data()
    plt.title(visible(title))
    counts = hist["counts"]
    if not counts:
        return
    edges = hist["edges"]
    bins = len(edges) - 1
    kinds = list(counts)
    labels = [visible(f"{k} ({hist['total'][k]})") for k in kinds]
    # bars at bin numbers 0 … bins−1 (ticks name the Q-values); empty bins are left out, as plotext draws a
    # zero-height bar as a full cell on the baseline
    used = [i for i in range(bins) if any(c[i] for c in counts.values())]
    plt.stacked_bar(used, [[counts[k][i] for i in used] for k in kinds], labels=labels, width=0.9)
    plt.xlim(-0.5, bins - 0.5)
    lo, hi = edges[0], edges[-1]
    ticks = nice_ticks(lo, hi)
    plt.xticks([(t - lo) / (hi - lo) * bins - 0.5 for t in ticks], [tick_label(t) for t in ticks])
    tallest = max(sum(c[i] for c in counts.values()) for i in range(bins))
    y = nice_ticks(0, tallest, count=4, integer=True)
    plt.yticks(y, [tick_label(t) for t in y])
    plt.xlabel("Q")


def run_title(run: Any) -> str:
    """``env · algo/policy · N episodes · success 0.40`` for a :class:`~tui_agent.runs.RunInfo`."""
    return (f"{run.env} · {run.label} · {run.episodes} episodes · success {run.success_rate:.2f} · "
            f"mean G {run.mean_return:+.2f}")
