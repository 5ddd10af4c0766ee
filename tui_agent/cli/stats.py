"""``tui-agent stats``: the training runs table, one run's learning curves and the memory's Q-values.

Prints the runs (newest first), then for the chosen run (``--run ID``, default the newest) its return per
episode with a moving mean and its success rate, and a histogram of the memory's Q-values per kind, drawn
in the terminal with plotext. ``--json`` prints the same figures as one JSON object instead.

Training commands record their runs with :func:`training_run` (a :class:`tui_agent.runs.RunLog` run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from tui_agent.cli.common import MemoryDirOption, echo, fail, print_json, settings_for

PLOT_HEIGHT = 12
MAX_WIDTH = 120


def stats_command(
    run_id: Annotated[str | None, typer.Option("--run", help="Run id or its prefix (default: the newest run).",
                                               show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print runs, curves and Q histogram as one JSON object.")]
    = False,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Draw the figures (text mode).")] = True,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Runs listed in the table.")] = 20,
    memory_dir: MemoryDirOption = None,
) -> None:
    """Training runs and their learning curves (return, success rate) and the memory's Q distribution."""
    from tui_agent.runs import RunLog, RunLogError
    from tui_agent.runs.curves import learning_curve, q_histogram

    try:
        log = RunLog(create=False)
        runs = log.runs(limit=limit)
        chosen = log.get(run_id) if run_id else (runs[0] if runs else None)
        episodes = log.episodes(chosen.id) if chosen else []
    except RunLogError as exc:
        fail(str(exc))
    except KeyError as exc:
        fail(str(exc.args[0]))
    curve = learning_curve(episodes) if chosen else None
    memory = settings_for(memory_dir, None).resolved_memory_dir()
    hist = q_histogram(_q_values(memory))
    if as_json:
        print_json({"log": str(log.path), "runs": [r.to_json() for r in runs],
                    "run": chosen.to_json() if chosen else None, "curve": curve,
                    "memory": str(memory), "q_histogram": hist})
        return
    if not runs:
        echo(f"no training runs in {log.path} yet (tui-agent train --env shop records one)")
    else:
        _print_table(runs, chosen)
    if not plots:
        return
    import plotext

    width = min(MAX_WIDTH, shutil.get_terminal_size((80, 24)).columns)
    colored = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    from tui_agent.runs.figures import draw_q, draw_returns, draw_success, run_title

    if chosen and curve:
        echo("")
        echo(f"run {chosen.id}: {run_title(chosen)}")
        _show(plotext, draw_returns, curve, width, "Return per episode", colored)
        _show(plotext, draw_success, curve, width, "Success rate", colored)
    echo("")
    if hist["counts"]:
        echo(f"memory {memory}: " + ", ".join(f"{k} {n}" for k, n in hist["total"].items()))
        _show(plotext, draw_q, hist, width, "Q-values in memory", colored)
    else:
        echo(f"memory {memory}: no experiences")


def _q_values(memory: Path) -> dict[str, list[float]]:
    """Q-values per kind of the memory at ``memory`` (empty when there is no memory there: none is created)."""
    if not (memory / "experiences.lance").exists():
        return {}
    from tui_agent.memory.store import ExperienceStore, MemoryStoreError
    from tui_agent.runs.curves import q_values

    try:
        return q_values(ExperienceStore(memory))
    except MemoryStoreError as exc:
        fail(str(exc))
        raise


def _print_table(runs: list[Any], chosen: Any) -> None:
    """One line a run, under 80 columns: the id (its start, UTC), env, algo/policy, episodes, success rate, mean
    return, and ``open`` for a run not finished (still running, or cut off); ``*`` marks the run drawn."""
    echo(f"  {'run (started, UTC)':22} {'env':5} {'algo/policy':16} {'episodes':>8} {'success':>7} {'mean G':>6}")
    for r in runs:
        mark = "*" if chosen and r.id == chosen.id else " "
        echo(f"{mark} {r.id:22} {r.env[:5]:5} {r.label[:16]:16} {r.episodes:>8} {r.success_rate:>7.2f} "
             f"{r.mean_return:>+6.2f}" + ("" if r.ended_at else "  open"))


def _show(plt: Any, draw: Any, data: Any, width: int, title: str, colored: bool) -> None:
    """Print ``title`` with the figure's keys, then the figure drawn with the plotext module (colour only on a
    terminal without NO_COLOR)."""
    from rich.console import Console
    from rich.text import Text

    plt.clear_figure()
    plt.plotsize(width, PLOT_HEIGHT)
    if not colored:
        plt.theme("clear")
    keys = draw(plt, data, colored=colored)
    from tui_agent.runs.figures import heading

    Console(width=width, no_color=not colored, highlight=False).print(Text.assemble(*heading(title, keys)))
    typer.echo(plt.build())


def register(app: typer.Typer) -> None:
    """Add ``stats`` to the main app."""
    app.command("stats")(stats_command)


@contextlib.contextmanager
def training_run(env: str, algo: str, settings: dict[str, Any], policy: str | None = None) -> Iterator[Any]:
    """A new run in the run log for a training command (``with training_run("shop", "rlem", {...}) as run:
    ... run.episode(...)``); the run is finished on exit. A run-log error ends the command with a one-line
    message (exit 1) instead of a traceback."""
    from tui_agent.runs import RunLog, RunLogError

    try:
        with RunLog() as log, log.start(env, algo, settings, policy=policy) as run:
            yield run
    except RunLogError as exc:
        fail(str(exc))
