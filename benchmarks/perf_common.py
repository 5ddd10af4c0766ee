"""Shared parts of the performance suite (``benchmarks/perf.py``): JSON lines, timing, load.

Every figure is printed as one JSON line::

    {"name", "value", "unit", "reference", "reference_value", "ratio", "goal", "load", ...}

``ratio`` = value / reference_value (lower is better for times), ``load`` the 1-minute load
average when the figure was taken (this machine has 2 cores; other jobs may run).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def load_average() -> float:
    """The 1-minute load average (``os.getloadavg()[0]``)."""
    return round(os.getloadavg()[0], 2)


def emit(name: str, value: float, unit: str, reference: str, reference_value: float | None,
         goal: str = "", **extra) -> dict:
    """Print (and return) one result line; ``ratio`` is value / reference_value when both exist."""
    ratio = None
    if reference_value not in (None, 0) and value is not None:
        ratio = round(value / reference_value, 3)
    line = {"name": name, "value": _round(value), "unit": unit, "reference": reference,
            "reference_value": _round(reference_value), "ratio": ratio, "goal": goal, "load": load_average()}
    line.update({k: _round(v) for k, v in extra.items()})
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line


def _round(value):
    if isinstance(value, float):
        return round(value, 4 if abs(value) < 10 else 2)
    return value


def p50(values: list[float]) -> float:
    return statistics.median(values)


def interleaved(runs: int, subject: Callable[[], float], reference: Callable[[], float]) -> tuple[list[float], list[float]]:
    """Run ``subject`` and ``reference`` alternately ``runs`` times each; returns both lists of timings."""
    a, b = [], []
    for _ in range(runs):
        a.append(subject())
        b.append(reference())
    return a, b


def timed(fn: Callable[[], object]) -> float:
    """Wall time of ``fn()`` in milliseconds."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


def du(path: Path) -> int:
    """Bytes in the files under ``path``."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def size(n: int) -> str:
    """``1000000`` → ``1M``, ``10000`` → ``10k``, ``600`` → ``600``."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)
