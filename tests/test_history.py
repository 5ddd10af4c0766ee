"""Input history: ↑ / ↓ in the input, kept across restarts, bounded, robust to a damaged file."""

from __future__ import annotations

from pilots import make_light_app, submit
from tui_agent.tui.history import InputHistory, history_file
from tui_agent.tui.widgets import ChatInput

SIZE = (100, 30)


def test_browse_back_and_forth_keeps_the_draft(tmp_path):
    h = InputHistory(tmp_path / "h.jsonl")
    for text in ("one", "two", "two", "three"):
        h.add(text)
    assert h.entries == ["one", "two", "three"]  # no repeat in a row
    assert [h.previous("draft"), h.previous(""), h.previous(""), h.previous("")] == ["three", "two", "one", None]
    assert [h.next(), h.next(), h.next(), h.next()] == ["two", "three", "draft", None]


def test_kept_across_restarts_bounded_and_multiline(tmp_path):
    path = tmp_path / "h.jsonl"
    h = InputHistory(path, limit=5)
    for i in range(12):
        h.add(f"message {i}\nsecond line")
    again = InputHistory(path, limit=5)
    assert again.entries == [f"message {i}\nsecond line" for i in range(7, 12)]
    assert len(path.read_text().splitlines()) <= 10  # rewritten at twice the bound


def test_damaged_lines_are_skipped(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_bytes(b'"good"\nnot json\n\xff\xfe\n42\n"also good"\n')
    assert InputHistory(path).entries == ["good", "also good"]


def test_unwritable_history_keeps_working_for_the_session(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    h = InputHistory(blocker / "h.jsonl")
    h.add("hello")
    assert h.entries == ["hello"] and h.error and "not saved" in h.error


async def test_up_brings_back_the_last_question_after_a_restart(memory_dir):
    app = make_light_app(memory_dir, mock_response="Answer.")
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "What is the capital of Zorbania?")
        await submit(pilot, "And its population?")
        await app.workers.wait_for_complete()
    assert history_file().is_file()
    again = make_light_app(memory_dir, mock_response="Answer.")
    async with again.run_test(size=SIZE) as pilot:
        await again.ready.wait()
        box = again.query_one(ChatInput)
        box.focus()
        await pilot.press(*"draft")
        await pilot.press("up")
        assert box.text == "And its population?"
        await pilot.press("up")
        assert box.text == "What is the capital of Zorbania?"
        await pilot.press("down", "down")
        assert box.text == "draft"


async def test_up_moves_the_cursor_inside_a_multiline_message(memory_dir):
    app = make_light_app(memory_dir, mock_response="Answer.")
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "earlier")
        await app.workers.wait_for_complete()
        box = app.query_one(ChatInput)
        box.focus()
        await pilot.press(*"line one", "ctrl+j", *"line two")
        await pilot.press("up")  # second line → first line: cursor moves, history untouched
        assert box.text == "line one\nline two" and box.cursor_location[0] == 0
        await pilot.press("up")
        assert box.text == "earlier"
