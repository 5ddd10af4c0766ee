"""The training stats screen (tui_agent.tui.stats_screen): runs from the run log, curves, Q histogram, keys; F8 and
the palette in the chat; plotext is not loaded for the first paint; an SVG snapshot at 80×24."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual.app import App

from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.runs import RunLog
from tui_agent.tui.stats_screen import NO_RUNS, StatsScreen
from vectors import unit

ROOT = Path(__file__).resolve().parents[1]


class StatsApp(App):
    """A tiny app that shows only the stats screen."""

    def __init__(self, store=None) -> None:
        super().__init__()
        self.store = store
        self.closed = False

    def on_mount(self) -> None:
        self.push_screen(StatsScreen(self.store), lambda _=None: setattr(self, "closed", True))


async def settle(pilot, screen: StatsScreen, loads: int) -> None:
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if screen.loads >= loads and not any(w.is_running for w in pilot.app.workers):
            return
    raise AssertionError("the stats screen did not settle")


def write_runs(episodes: int = 40) -> tuple[str, str]:
    """Two runs: an older one of 3 episodes, a newer one whose return and success rise over ``episodes``."""
    with RunLog() as log:
        old = log.start("shop", "rlem", policy="random")
        for i in range(3):
            old.episode(return_=0.1 * i, success=False, steps=15, seconds=1.0)
        old.finish()
        new = log.start("shop", "rlem", {"epochs": 3}, policy="episodic-control")
        for i in range(episodes):
            g = min(1.0, 0.2 + i / episodes + (0.3 if i % 3 == 0 else 0.0))
            new.episode(return_=round(g, 2), success=g >= 1.0, steps=6, seconds=1.0)
        new.finish()
    return old.id, new.id


def fill(store: ExperienceStore) -> None:
    store.add([Experience(task=f"t{i}", action=f"a{i}", kind=("chat", "shop", "note")[i % 3],
                          q=((i * 7) % 21) / 10 - 1.0, n=1, vector=unit(i)) for i in range(60)])


def status(screen: StatsScreen) -> str:
    return str(screen.query_one("#stats-status").render())


async def test_shows_the_newest_run_and_steps_through_runs(store):
    old, new = write_runs()
    fill(store)
    app = StatsApp(store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        await settle(pilot, screen, 1)
        assert "run 1/2" in status(screen) and "rlem/episodic-control" in status(screen) and "40 episodes" in status(screen)
        assert screen.run_id == new and len(screen.data.curve["return"]) == 40
        assert screen.data.hist["total"] == {"chat": 20, "note": 20, "shop": 20}
        await pilot.press("left")
        await settle(pilot, screen, 2)
        assert screen.run_id == old and "run 2/2" in status(screen) and "rlem/random" in status(screen)
        await pilot.press("left")  # no older run: stays
        await settle(pilot, screen, 2)
        assert screen.run_id == old
        with RunLog() as log, log.start("shop", "rlem", policy="llm") as run:  # a run written meanwhile
            run.episode(return_=1.0, success=True, steps=2)
        await pilot.press("r")  # reload keeps the run shown
        await settle(pilot, screen, 3)
        assert screen.run_id == old and "run 3/3" in status(screen)
        await pilot.press("right")
        await settle(pilot, screen, 4)
        assert screen.run_id == new and "run 2/3" in status(screen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.closed


async def test_without_runs_or_memory_it_says_so():
    app = StatsApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await settle(pilot, screen, 1)
        assert NO_RUNS in status(screen)
        assert screen.data.runs == [] and screen.data.memory_error == "memory still loading"
        await pilot.press("left", "right")  # nothing to step through: no error
        await pilot.pause()


async def test_f8_and_the_palette_open_it_from_the_chat(memory_dir):
    from pilots import make_light_app

    write_runs(5)
    app = make_light_app(memory_dir, mock_response="unused")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ready.wait()
        assert "Training stats" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("f8")  # also while the message input (a TextArea, which binds F6/F7) has the focus
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.store is app.agent.store
        await settle(pilot, screen, 1)
        assert "5 episodes" in status(screen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, StatsScreen)


def test_the_first_paint_does_not_load_plotext():
    code = """
import asyncio, sys
sys.path.insert(0, "tests")
from pathlib import Path
from pilots import make_light_app
async def main(tmp):
    app = make_light_app(Path(tmp) / "memory", mock_response="x")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ready.wait()
        await pilot.pause()
        before = sorted(m for m in ("plotext", "textual_plotext") if m in sys.modules)
        await pilot.press("f8")
        await pilot.pause()
        print(before, type(app.screen).__name__, "plotext" in sys.modules)
import tempfile, os
tmp = tempfile.mkdtemp()
os.environ["TUI_AGENT_HOME"] = tmp
asyncio.run(main(tmp))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[] StatsScreen True", out.stdout[-2000:] + out.stderr[-3000:]


def test_stats_screen_snapshot(snap_compare, memory_dir, monkeypatch):
    """80×24, fixed run ids: the curves of a rising run and the Q histogram of three kinds."""
    import itertools
    import uuid

    ids = itertools.count()
    with monkeypatch.context() as patch:
        patch.setattr("tui_agent.runs.log.time.time", lambda: 1_795_000_000.0)
        patch.setattr("tui_agent.runs.log.uuid.uuid4", lambda: uuid.UUID(int=(next(ids) + 10) << 104))
        write_runs()
    store = ExperienceStore(memory_dir)
    fill(store)
    app = StatsApp(store)

    async def run_before(pilot) -> None:
        await settle(pilot, pilot.app.screen, 1)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_an_open_run_is_followed_while_it_is_written(monkeypatch):
    monkeypatch.setattr("tui_agent.tui.stats_screen.FOLLOW_S", 0.05)
    log = RunLog()
    run = log.start("shop", "rlem", policy="episodic-control")  # not finished: a training still writing it
    run.episode(return_=0.5, success=False, steps=4)
    app = StatsApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await settle(pilot, screen, 1)
        assert len(screen.data.curve["return"]) == 1
        run.episode(return_=1.0, success=True, steps=3)
        for _ in range(400):  # the timer's reload shows it (no key pressed)
            await pilot.pause(0.02)
            if screen.data.curve and len(screen.data.curve["return"]) == 2:
                break
        assert screen.data.curve["return"] == [0.5, 1.0] and "2 episodes" in status(screen)
        run.finish()
        loads = screen.loads
        await settle(pilot, screen, loads + 1)
        for _ in range(100):
            await pilot.pause(0.02)
            if screen._follow is None:
                break
        assert screen._follow is None  # a finished run is not reloaded any more
    log.close()


async def test_run_fields_are_shown_not_acted_on():
    with RunLog() as log, log.start("shop\x1b]0;pwned\x07", "rlem[bold]x[/bold]", policy="q\x1b[2J") as run:
        run.episode(return_=1.0, success=True, steps=1)
    app = StatsApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await settle(pilot, screen, 1)
        text = status(screen)
        assert "␛]0;pwned␇" in text and "rlem[bold]x[/bold]/q␛[2J" in text and "\x1b" not in text
