"""Pilot tests of the memory browser (tui_agent.tui.memory_screen): search, sort, edit Q, delete, undo."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App

from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.tui.memory_dialogs import ConfirmScreen, EditQScreen, ExperienceScreen
from tui_agent.tui.memory_screen import MemoryScreen


def unit(seed: int) -> list[float]:
    v = np.random.default_rng(seed).normal(size=384).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()


class MemoryApp(App):
    """A tiny app that shows only the memory screen."""

    def __init__(self, store: ExperienceStore, embedder=None) -> None:
        super().__init__()
        self.store, self.embedder = store, embedder
        self.closed = False

    def on_mount(self) -> None:
        self.push_screen(MemoryScreen(self.store, self.embedder), lambda _=None: setattr(self, "closed", True))


async def settle(pilot, screen: MemoryScreen | None = None, loads: int | None = None) -> None:
    """Wait for workers and the UI updates they post (and, given ``loads``, for that many pages)."""
    for _ in range(200):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if screen is None or loads is None or screen.loads >= loads:
            if not any(w.is_running for w in pilot.app.workers):
                return
    raise AssertionError("the memory screen did not settle")


def fill(store: ExperienceStore, count: int = 30) -> list[Experience]:
    rows = [
        Experience(task=f"question {i} about [bold]markup[/bold]" if i % 7 == 0 else f"question {i}",
                   action=f"answer {i}", kind="shop" if i % 3 == 0 else "chat",
                   q=(i % 10) / 10, n=i, vector=unit(i), source="correction" if i % 5 == 0 else "model")
        for i in range(count)
    ]
    store.add(rows)
    return rows


def cell_texts(screen: MemoryScreen, column: str) -> list[str]:
    table = screen.table
    return [table.get_cell_at((r, table.get_column_index(column))).plain for r in range(table.row_count)]


async def test_lists_experiences_with_version_and_count(store: ExperienceStore):
    fill(store)
    app = MemoryApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MemoryScreen)
        await settle(pilot, screen, 1)
        assert screen.table.row_count == 30
        status = str(screen.query_one("#mem-status").render())
        assert f"version {store.version}" in status and "30 experiences" in status
        # markup in user text is shown literally
        assert any("[bold]markup[/bold]" in t for t in cell_texts(screen, "task"))
        await pilot.press("escape")
        await pilot.pause()
        assert app.closed


async def test_text_search_filters_and_sort(store: ExperienceStore):
    fill(store)
    app = MemoryApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen, 1)
        await pilot.press("slash")
        await pilot.press(*"question 1")
        await pilot.press("enter")
        await settle(pilot, screen, 2)
        tasks = cell_texts(screen, "task")
        assert sorted(tasks) == sorted(["question 1", *(f"question {i}" for i in range(10, 20) if i % 7),
                                        "question 14 about [bold]markup[/bold]"])
        screen.sort_by("q")  # as a header click does
        await settle(pilot, screen, 3)
        qs = [float(t) for t in cell_texts(screen, "q")]
        assert qs == sorted(qs, reverse=True)
        screen.sort_by("q")
        await settle(pilot, screen, 4)
        qs = [float(t) for t in cell_texts(screen, "q")]
        assert qs == sorted(qs)
        # filter by kind and source through the selectors
        screen.query_one("#mem-kind").value = "shop"
        await settle(pilot, screen, 5)
        assert set(cell_texts(screen, "kind")) == {"shop"}
        screen.query_one("#mem-source").value = "correction"
        await settle(pilot, screen, 6)
        assert set(cell_texts(screen, "source")) == {"correction"}
        assert set(cell_texts(screen, "task")) == {"question 15"}


async def test_open_edit_q_delete_and_undo(store: ExperienceStore):
    rows = fill(store, 12)
    app = MemoryApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen, 1)
        target = screen.current_id()
        assert target is not None
        version0 = store.version

        # open it in full: a modal with every field, text not interpreted as markup
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExperienceScreen)
        assert app.screen.experience.id == target
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen

        # edit Q: a bad value is refused with a message, a good one saved
        loads = screen.loads
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditQScreen)
        kind = store.get(target).kind
        edit = app.screen.query_one("#q-input")
        edit.value = "inf"  # any finite Q is valid; infinity is not
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EditQScreen)
        assert "must be finite" in str(app.screen.query_one("#q-error").render())
        edit.value = "0.25"
        await pilot.press("enter")
        await settle(pilot, screen, loads + 1)
        assert app.screen is screen
        assert store.get(target).q == pytest.approx(0.25)
        assert kind in ("chat", "shop")
        assert store.version == version0 and store.ratings.count() == 1  # logged, not a table version (issue 11)
        row = screen.table.get_row_index(target)
        assert screen.table.get_cell_at((row, screen.table.get_column_index("q"))).plain == "+0.250"

        # delete, with confirmation
        loads = screen.loads
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, screen, loads + 1)
        assert store.get(target) is None
        assert store.count() == len(rows) - 1
        assert screen.table.row_count == len(rows) - 1

        # undo brings the row back, then undo restores the old Q
        loads = screen.loads
        await pilot.press("u")
        await settle(pilot, screen, loads + 1)
        assert store.get(target) is not None and store.get(target).q == pytest.approx(0.25)
        assert screen.table.row_count == len(rows)
        loads = screen.loads
        await pilot.press("u")
        await settle(pilot, screen, loads + 1)
        original = next(r for r in rows if r.id == target)
        assert store.get(target).q == pytest.approx(original.q)
        status = str(screen.query_one("#mem-status").render())
        assert f"version {store.version}" in status


async def test_undo_with_nothing_to_undo_warns(memory_dir):
    store = ExperienceStore(memory_dir)
    app = MemoryApp(store)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        await settle(pilot, screen, 1)
        await pilot.press("u")
        await settle(pilot)
        assert store.version == 1
        assert any("nothing to undo" in str(n.message) for n in app._notifications)


async def test_semantic_search_with_real_embedder(store: ExperienceStore, embedder):
    texts = [
        "How do I bake sourdough bread at home?",
        "What is the capital of France?",
        "How can I fix a flat bicycle tyre?",
        "Explain how vaccines train the immune system.",
        "Recommend a good beginner guitar.",
    ]
    vectors = embedder.encode(texts)
    store.add([Experience(task=t, action=f"answer to: {t}", vector=v.tolist()) for t, v in zip(texts, vectors)])
    app = MemoryApp(store, embedder)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen, 1)
        await pilot.press("ctrl+t")  # semantic search
        await settle(pilot, screen, 2)
        assert screen.mode == "semantic"
        await pilot.press("slash")
        await pilot.press(*"baking a loaf of bread")
        await pilot.press("enter")
        await settle(pilot, screen, 3)
        assert screen.page.semantic
        tasks = cell_texts(screen, "task")
        assert tasks[0] == texts[0]
        sims = [float(s) for s in cell_texts(screen, "similarity")]
        assert sims == sorted(sims, reverse=True)
        assert "semantic search" in str(screen.query_one("#mem-status").render())


async def test_f2_in_the_chat_app_opens_the_memory_screen(memory_dir, embedder):
    from tui_agent.chat.agent import ChatAgent
    from tui_agent.config.settings import load_settings
    from tui_agent.tui.app import ChatApp

    settings = load_settings(memory_dir=memory_dir)
    agent = ChatAgent(settings, embedder=embedder)
    app = ChatApp(settings, agent=agent)
    async with app.run_test(size=(140, 40)) as pilot:
        await app.ready.wait()
        agent.store.add([Experience(task="from the chat", action="hello", vector=unit(1))])
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MemoryScreen)
        await settle(pilot, screen, 1)
        assert cell_texts(screen, "task") == ["from the chat"]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MemoryScreen)


async def test_cursor_stays_on_the_edited_row_and_goes_to_top_on_a_new_search(store: ExperienceStore):
    fill(store, 10)
    app = MemoryApp(store)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = app.screen
        await settle(pilot, screen, 1)
        screen.table.move_cursor(row=4)
        target = screen.current_id()
        loads = screen.loads
        screen.run_write("set", lambda: store.set_q(target, 0.5))  # the row moves to the top (newest update)
        await settle(pilot, screen, loads + 1)
        assert screen.current_id() == target and screen.table.cursor_row == 0
        screen.table.move_cursor(row=6)
        screen.search("question")
        await settle(pilot, screen, loads + 2)
        assert screen.table.cursor_row == 0
