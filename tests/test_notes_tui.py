"""Pilot: /remember a note, ask, see it cited under the answer; 👎 changes what is retrieved next; /forget."""

from __future__ import annotations

import sys

from pilots import make_light_app, submit
from tui_agent.tui.widgets import AnswerView

SIZE = (110, 40)
NOTE = "My cat is called [b]Biscuit[/b]."


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_remember_ask_cite_thumbs_down_forget(tmp_path):
    app = make_light_app(tmp_path / "mem", mock_response="Biscuit.")
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, f"/remember {NOTE}")
        await settle(pilot)
        assert app.agent.notes.count() == 1
        reply = str(app.query(".note-reply").last().render())
        assert "remembered" in reply and "[b]Biscuit[/b]" in reply  # shown as typed, not as markup
        await submit(pilot, NOTE)  # the hash embedder: only the same text is similar
        await settle(pilot)
        view = app.query(AnswerView).last()
        meta = str(view.query_one(".answer-meta").render())
        assert "from 1 note(s): [1] note " in meta and "[b]Biscuit[/b]" in meta  # literal, not markup
        assert "note [1]" in str(view.query_one(".memory-list").render())
        view.focus()
        await pilot.press("minus")
        await settle(pilot)
        await pilot.press("escape")
        row = [e for e in app.agent.store.all("note")]
        assert len(row) == 1 and row[0].q == -1.0 and row[0].n == 1
        await submit(pilot, NOTE)
        await settle(pilot)
        again = app.query(AnswerView).last()
        assert "note(s)" not in str(again.query_one(".answer-meta").render())  # the rated-down note is not used
        await submit(pilot, "/forget")
        await settle(pilot)
        assert app.agent.notes.count() == 0
        assert "forgot" in str(app.query(".note-reply").last().render())


def test_no_torch_imported():
    """These modules load without torch (checked in a fresh interpreter: other test files may load it here)."""
    import subprocess

    code = "import sys, tui_agent.tui.notes_screen, tui_agent.tui.notes_actions, tui_agent.tui.app; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_notes_browser_from_f2_lists_searches_and_deletes(tmp_path):
    from tui_agent.tui.notes_screen import NotesScreen

    app = make_light_app(tmp_path / "mem", mock_response="ok")
    async with app.run_test(size=SIZE) as pilot:
        for text in ("The wifi password is [red]hunter2[/red].", "The bins go out on Tuesday."):
            await submit(pilot, f"/remember {text}")
            await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NotesScreen) and len(screen.shown) == 2
        await pilot.press("slash", *"bins Tuesday", "enter")
        await settle(pilot)
        first = next(iter(screen.shown.values()))
        assert "Tuesday" in first.text
        await pilot.press("d")
        await settle(pilot)
        assert app.agent.notes.count() == 1
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, NotesScreen)
