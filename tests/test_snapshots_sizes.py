"""Snapshots of F1 (keys), F2 (memory), F3 (saved chats) and the notes browser at 80×24 and at 120×40: the text that
identifies a row stays readable at 80 columns. Update with: pytest tests/test_snapshots_sizes.py --snapshot-update"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from vectors import unit

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
T0 = datetime(2025, 6, 15, 9, 30, tzinfo=UTC)
QUESTIONS = [
    ("How do I remove a prefix from a string in Python?", "Use str.removeprefix('pre') (Python 3.9 and later)."),
    ("Which port does the Krell server listen on by default?", "Port 7311, unless KRELL_PORT is set."),
    ("What is the capital of Zorbania?", "Quellport, on the northern coast."),
    ("Summarise the release notes of version 2.4 in three bullet points", "- faster start\n- new themes\n- fixes"),
    ("buy a pair of blue running shoes under 60 dollars", "click[Blue Runner 2000]"),
    ("Tell me a joke about [b]markup[/b]", "Why did the tag cross the road? [red]not markup[/red]"),
]
NOTES = [
    ("builtin:python-docs/library/stdtypes.rst", "Built-in Types › Text Sequence Type — str › String Methods",
     "str.removeprefix(prefix, /): If the string starts with the prefix string, return string[len(prefix):]."),
    ("builtin:python-docs/library/argparse.rst", "argparse — Parser for command-line options › ArgumentParser",
     "This method takes a single argument arg_line which is a string read from an argument file."),
    ("/home/ada/notes/krell-server-operations-handbook.md", "Krell server › Ports",
     "The Krell server listens on port 7311; set KRELL_PORT to change it."),
    ("chat", "", "My cat is called [b]Biscuit[/b]."),
]


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _fill_memory(memory_dir) -> None:
    from tui_agent.memory.schema import Experience
    from tui_agent.memory.store import ExperienceStore

    store = ExperienceStore(memory_dir)
    rows = []
    for i, (task, action) in enumerate(QUESTIONS):
        at = T0 + timedelta(hours=i)
        rows.append(Experience(task=task, action=action, kind="shop" if "buy" in task else "chat",
                               q=round(0.9 - 0.35 * i, 2), n=i + 1, vector=unit(i), source="model",
                               created_at=at, updated_at=at, last_used_at=at))
    store.add(rows)


def _fill_notes(memory_dir) -> None:
    from tui_agent.notes.schema import Note
    from tui_agent.notes.store import NoteStore

    NoteStore(memory_dir).add([Note(source=source, heading=heading, text=text, position=i, vector=unit(100 + i),
                                    created_at=T0) for i, (source, heading, text) in enumerate(NOTES)])


def _fixed_chats(monkeypatch) -> None:
    """Three saved chats with fixed times, one with a rated answer (the clock is real again afterwards)."""
    from tui_agent.chats.store import ChatStore

    store = ChatStore()
    clock = iter(range(1_750_000_000, 1_750_100_000, 3_600))
    with monkeypatch.context() as patch:
        patch.setattr("tui_agent.chats.store.time.time", lambda: float(next(clock)))
        for title, answer, rating in (("What is the capital of Zorbania? [b]not markup[/b]", "Quellport.", -1),
                                      ("Which port does the Krell server listen on?", "Port 7311.", 1),
                                      ("Tell me a joke", "Why did the chicken cross the road?", None)):
            chat = store.create(title, "local/smollm2")
            store.add_message(chat.id, "user", title)
            mid = store.add_message(chat.id, "assistant", answer, model="local/smollm2", experience_id="e" + chat.id)
            if rating is not None:
                store.set_rating(mid, rating > 0, float(rating), 1)
    store.close()


def _shot(snap_compare, memory_dir, size, *keys: str) -> bool:
    """The chat app at ``size`` after pressing ``keys`` one by one, waiting for the workers after each."""
    from pilots import make_light_app

    app = make_light_app(memory_dir, mock_response="unused")

    async def run_before(pilot) -> None:
        await app.ready.wait()
        for key in keys:
            await pilot.press(key)
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()

    return snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help_keys(snap_compare, memory_dir, size):
    assert _shot(snap_compare, memory_dir, size, "f1")


@pytest.mark.parametrize("size", SIZES)
def test_memory_browser(snap_compare, memory_dir, utc, size):
    _fill_memory(memory_dir)
    assert _shot(snap_compare, memory_dir, size, "f2", "down")


@pytest.mark.parametrize("size", SIZES)
def test_saved_chats(snap_compare, memory_dir, monkeypatch, utc, size):
    _fixed_chats(monkeypatch)
    assert _shot(snap_compare, memory_dir, size, "f3", "down")


@pytest.mark.parametrize("size", SIZES)
def test_notes_browser(snap_compare, memory_dir, size):
    _fill_notes(memory_dir)
    assert _shot(snap_compare, memory_dir, size, "f2", "n", "down", "down")
