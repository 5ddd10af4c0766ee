"""Training stats: a run's learning curves and the memory's Q-values, drawn with textual-plotext.

Pushed by the chat app (F8, or "Training stats" in the command palette) as ``StatsScreen(store)``. Shows the
newest run of the run log (:mod:`tui_agent.runs`) by default: return per episode with its moving mean, the
success rate (moving and so far), and a histogram of the memory's Q-values stacked by kind. Keys: ← older
run, → newer run, ``r`` reload, Escape close (tui_agent/tui/keymap.py). A run still being written (a training
in another process) is followed: the screen reloads every :data:`FOLLOW_S` seconds while it is shown.

The run log and the memory are read in a worker thread; plotext is imported with this module, which the app
imports only when the screen is opened (the first paint does not load it). Run fields (env, algo, policy)
are shown through :func:`tui_agent.tui.safe.plain` / :func:`tui_agent.text.terminal.visible`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from rich.text import Text
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from tui_agent.runs import RunInfo, RunLog
from tui_agent.runs.curves import learning_curve, q_histogram, q_values
from tui_agent.runs.figures import Key, draw_q, draw_returns, draw_success, heading, run_title
from tui_agent.tui.keymap import bindings
from tui_agent.tui.safe import plain

NO_RUNS = "no training runs yet — tui-agent train --env shop records one"
FOLLOW_S = 5.0
"""While the shown run is open (a training still writing it), the screen reloads every this many seconds."""


@dataclass
class StatsData:
    """What one load read: the runs (newest first), the shown run's position and curve, the Q histogram."""

    runs: list[RunInfo] = field(default_factory=list)
    position: int = 0
    curve: dict[str, Any] | None = None
    hist: dict[str, Any] | None = None
    memory_error: str | None = None


class StatsScreen(Screen[None]):
    """Learning curves of one training run and the Q distribution of the memory.

    Args:
        store: the :class:`~tui_agent.memory.store.ExperienceStore` whose Q-values are shown (``None``: the
            memory is not loaded yet; the histogram says so).
        log_path: the run log file (default: :func:`tui_agent.runs.default_path`).
    """

    DEFAULT_CSS = """
    StatsScreen { layout: vertical; }
    StatsScreen #stats-status { height: 1; padding: 0 1; background: $boost; }
    StatsScreen #stats-top { height: 1fr; }
    StatsScreen #stats-bottom { height: 1fr; }
    StatsScreen .stats-figure { width: 1fr; }
    StatsScreen .stats-heading { height: 1; padding: 0 1; }
    """

    BINDINGS = bindings("stats")  # keys: tui_agent/tui/keymap.py (the user's [keys] remap them)

    def __init__(self, store: Any = None, log_path: Path | None = None) -> None:
        super().__init__()
        self.store = store
        self.log_path = log_path
        self.data = StatsData()
        self.run_id: str | None = None
        """The shown run (``None``: the newest)."""
        self.loads = 0
        """Number of loads shown so far (tests wait on it)."""
        self._follow: Any = None
        """The reload timer while an open run is shown."""

    def compose(self) -> ComposeResult:
        yield Static(plain("training stats · loading…"), id="stats-status")
        with Vertical(id="stats-top", classes="stats-figure"):
            yield Static("", id="stats-return-heading", classes="stats-heading")
            yield PlotextPlot(id="stats-return")
        with Horizontal(id="stats-bottom"):
            with Vertical(classes="stats-figure"):
                yield Static("", id="stats-success-heading", classes="stats-heading")
                yield PlotextPlot(id="stats-success")
            with Vertical(classes="stats-figure"):
                yield Static("", id="stats-q-heading", classes="stats-heading")
                yield PlotextPlot(id="stats-q")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    # --- loading --------------------------------------------------------------------

    def reload(self) -> None:
        self.load(self.run_id)

    @work(thread=True, exclusive=True, group="stats-load")
    def load(self, run_id: str | None) -> None:
        """Read the runs, the chosen run's episodes and the memory's Q-values (off the UI thread)."""
        data = StatsData()
        try:
            with RunLog(self.log_path, create=False) as log:
                data.runs = log.runs()
                ids = [r.id for r in data.runs]
                data.position = ids.index(run_id) if run_id in ids else 0
                if data.runs:
                    data.curve = learning_curve(log.episodes(data.runs[data.position].id))
        except Exception as exc:  # noqa: BLE001 - shown; the screen keeps working
            self.app.call_from_thread(self._failed, f"run log: {exc}")
            return
        if self.store is None:
            data.memory_error = "memory still loading"
        else:
            try:
                data.hist = q_histogram(q_values(self.store))
            except Exception as exc:  # noqa: BLE001
                data.memory_error = f"memory: {exc}"
        self.app.call_from_thread(self.show, data)

    def _failed(self, message: str) -> None:
        self.query_one("#stats-status", Static).update(plain(message))
        self.notify(message, severity="error", markup=False)

    def show(self, data: StatsData) -> None:
        """Draw ``data`` on the three plots and name the run in the status line."""
        self.data = data
        run = data.runs[data.position] if data.runs else None
        self.run_id = run.id if run else None
        empty = {"window": 1, "episode": [], "return": [], "return_avg": [], "success_rate": [], "success_cum": []}
        curve = data.curve or empty
        status = (f"run {data.position + 1}/{len(data.runs)} · {run_title(run)}" if run else NO_RUNS)
        self.query_one("#stats-status", Static).update(plain(status))
        self._figure("return", draw_returns(self._plt("#stats-return"), curve),
                     f"Return per episode · {run.id}" if run else "Return per episode")
        self._figure("success", draw_success(self._plt("#stats-success"), curve), "Success rate")
        hist = data.hist or {"counts": {}, "edges": [], "total": {}}
        title = "Q-values" if data.hist and data.hist["counts"] else (
            f"Q-values: {data.memory_error}" if data.memory_error else "Q-values: memory empty")
        self._figure("q", draw_q(self._plt("#stats-q"), hist), title)
        for plot in self.query(PlotextPlot):
            plot.refresh()
        self.loads += 1
        following = run is not None and run.ended_at is None
        if following and self._follow is None:
            self._follow = self.set_interval(FOLLOW_S, self.reload)
        elif not following and self._follow is not None:
            self._follow.stop()
            self._follow = None

    def _figure(self, name: str, keys: list[Key], title: str) -> None:
        """The line above a plot: its title and what each colour / marker stands for."""
        self.query_one(f"#stats-{name}-heading", Static).update(Text.assemble(*heading(title, keys)))

    def _plt(self, selector: str) -> Any:
        return self.query_one(selector, PlotextPlot).plt

    # --- actions --------------------------------------------------------------------

    def _step(self, delta: int) -> None:
        runs = self.data.runs
        if not runs:
            return
        position = min(max(self.data.position + delta, 0), len(runs) - 1)
        if position != self.data.position:
            self.load(runs[position].id)

    def action_older(self) -> None:
        """The run before the shown one."""
        self._step(+1)

    def action_newer(self) -> None:
        """The run after the shown one."""
        self._step(-1)

    def action_reload(self) -> None:
        self.reload()

    def action_close(self) -> None:
        self.dismiss(None)
