"""The stats figures drawn with plotext: return per episode, success rate, Q-values per kind.

Every ``draw_*`` function draws on ``plt``, a plotext figure: the ``plt`` of a textual-plotext ``PlotextPlot``
in the TUI, or the ``plotext`` module itself in the CLI. This module imports neither (the caller owns the
library), so the curves are drawn the same way on both.

plotext draws its legend inside the canvas, over the data at the top left; so the figures draw no legend
and no title. Each returns its :class:`Key` entries instead, and :func:`heading` makes the line the caller
shows above the plot (title and keys, as ``(text, Rich style)`` pieces). Series differ by marker as well as
colour, so they stay apart without colour (a pipe, ``NO_COLOR``). Labels that may hold user text (kinds,
run fields) pass through :func:`tui_agent.text.terminal.visible`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tui_agent.text.terminal import visible

SUCCESS_LIMITS = (0.0, 1.0)
LINE = "hd"  # half-block marker: 2×2 dots a cell, drawn the same in every terminal font and in SVG screenshots
PALETTE = ((0, 130, 200), (60, 180, 75), (230, 25, 75), (245, 130, 48), (145, 30, 180), (70, 240, 240))
"""Series colours (RGB): textual-plotext's own sequence, readable on light and dark themes."""
BAR_MARKERS = ("█", "▒", "▚", "░", "▞", "▓")
"""Bar fills per kind, so stacked kinds stay apart without colour."""
KIND_ORDER = ("chat", "shop", "docqa", "note", "wikihow")
"""Known kinds keep their colour and fill (and place in the stack, first at the bottom) from memory to memory."""


@dataclass(frozen=True)
class Key:
    """One legend entry: the ``symbol`` drawn, its ``color`` (RGB, ``None`` without colour) and ``label``."""

    symbol: str
    color: tuple[int, int, int] | None
    label: str


def heading(title: str, keys: list[Key]) -> list[tuple[str, str]]:
    """The line above a plot: ``title  ● key  ▬ key`` as ``(text, Rich style)`` pieces (``Text.assemble``)."""
    pieces = [(visible(title), "bold")]
    for key in keys:
        style = f"rgb({key.color[0]},{key.color[1]},{key.color[2]})" if key.color else ""
        pieces += [("  ", ""), (key.symbol, style), (" " + visible(key.label), "")]
    return pieces


def _color(index: int, colored: bool) -> tuple[int, int, int] | None:
    return PALETTE[index % len(PALETTE)] if colored else None


def _kw(color: tuple[int, int, int] | None) -> dict[str, Any]:
    return {"color": color} if color else {}


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


def draw_returns(plt: Any, curve: dict[str, Any], colored: bool = True) -> list[Key]:
    """Each episode's return G as dots, and its moving mean over ``curve["window"]`` episodes as a line."""
    plt.clear_data()
    dots, line = _color(0, colored), _color(1, colored)
    keys = [Key("•", dots, "G"), Key("▬", line, f"mean of {curve['window']}")]
    x = curve["episode"]
    if not x:
        return keys
    plt.scatter(x, curve["return"], marker="dot", **_kw(dots))
    plt.plot(x, curve["return_avg"], marker=LINE, **_kw(line))
    lo, hi = min(curve["return"]), max(curve["return"])
    if hi - lo < 1e-9:  # a flat curve: give it room so it is not drawn on the frame
        lo, hi = lo - 0.5, hi + 0.5
    plt.ylim(lo, hi)
    _axis(plt, (x[0], x[-1]), (lo, hi))
    return keys


def draw_success(plt: Any, curve: dict[str, Any], colored: bool = True) -> list[Key]:
    """Moving share of successful episodes (window ``curve["window"]``) as a line, the share so far as dots."""
    plt.clear_data()
    moving, so_far = _color(1, colored), _color(0, colored)
    keys = [Key("▬", moving, f"last {curve['window']}"), Key("•", so_far, "so far")]
    x = curve["episode"]
    if not x:
        return keys
    plt.plot(x, curve["success_rate"], marker=LINE, **_kw(moving))
    plt.plot(x, curve["success_cum"], marker="dot", **_kw(so_far))
    plt.ylim(*SUCCESS_LIMITS)
    _axis(plt, (x[0], x[-1]), SUCCESS_LIMITS)
    return keys


def draw_q(plt: Any, hist: dict[str, Any], colored: bool = True) -> list[Key]:
    """Rows per Q-value bin over ``hist["edges"]``, stacked by kind (one colour and fill per kind)."""
    plt.clear_data()
    counts = hist["counts"]
    slots = {k: i for i, k in enumerate(KIND_ORDER)}
    for k in sorted(counts):
        slots.setdefault(k, len(slots))
    kinds = sorted(counts, key=slots.__getitem__)
    keys = [Key(BAR_MARKERS[slots[k] % len(BAR_MARKERS)], _color(slots[k], colored), k) for k in kinds]
    if not counts:
        return keys
    edges = hist["edges"]
    bins = len(edges) - 1
    # Bars at bin numbers 0 … bins−1 (the ticks name Q-values), stacked by hand: for each kind from the top of
    # the stack down, a bar as high as the stack up to that kind, only where that kind has rows — plotext's own
    # stacked_bar paints a zero-height layer as a blank over the cell beneath it.
    tops = [0] * bins
    stacks = []
    for kind in kinds:
        tops = [t + c for t, c in zip(tops, counts[kind])]
        stacks.append(tops)
    for kind, key, top in reversed(list(zip(kinds, keys, stacks))):
        used = [i for i in range(bins) if counts[kind][i]]
        # plotext makes a bar `width` × the mean spacing of the x given: scale it to 0.9 of a bin
        span = used[-1] - used[0]
        plt.bar(used, [top[i] for i in used], marker=key.symbol, width=0.9 * (len(used) - 1) / span if span else 0.9,
                **_kw(key.color))
    plt.xlim(-0.5, bins - 0.5)
    lo, hi = edges[0], edges[-1]
    ticks = nice_ticks(lo, hi)
    plt.xticks([(t - lo) / (hi - lo) * bins - 0.5 for t in ticks], [tick_label(t) for t in ticks])
    tallest = max(stacks[-1])
    y = nice_ticks(0, tallest, count=4, integer=True)
    plt.yticks(y, [tick_label(t) for t in y])
    return keys


def run_title(run: Any) -> str:
    """``env · algo/policy · N episodes · success 0.40`` for a :class:`~tui_agent.runs.RunInfo`."""
    return (f"{run.env} · {run.label} · {run.episodes} episodes · success {run.success_rate:.2f} · "
            f"mean G {run.mean_return:+.2f}")
