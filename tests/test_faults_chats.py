"""Row 8 of issue 24: ``tui-agent chats`` on damaged, busy or odd chats files, and Markdown export's controls.

Before: ``chats list`` on a file with a damaged page raised an uncaught ChatStoreError; ``chats rename`` /
``delete`` while another writer held the lock over 5 s gave a traceback; ``chats show`` / ``export`` of a
message whose exemplar ``q`` is not a number raised ValueError; a Markdown export kept raw control
characters. After: one line, exit 1, saying what to do; odd stored values read as unknown; controls visible.
"""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

import tui_agent.chats.store as chats_store
from tui_agent.chats.store import ChatStore, default_path
from tui_agent.cli import app

OSC = "\x1b]0;OWNED\x07"


def run(*args):
    return CliRunner().invoke(app, list(args))


def one_line_error(result, *words):
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.output.startswith("tui-agent: error: chats file ") and result.output.count("\n") == 1
    for word in words:
        assert word in result.output


def test_list_on_a_damaged_page(agent_home):
    store = ChatStore()
    for i in range(200):
        chat = store.create(f"chat {i} " + "x" * 50)
        store.add_message(chat.id, "user", "hello " * 100)
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(default_path().read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[page:len(data)] = b"\xff" * (len(data) - page)  # every page after the first (header, schema)
    default_path().write_bytes(bytes(data))
    one_line_error(run("chats", "list"), "damaged", "move it aside")


@pytest.mark.parametrize("command", [["rename", "{id}", "New title"], ["delete", "{id}", "--yes"]])
def test_rename_and_delete_while_another_writer_holds_the_lock(agent_home, monkeypatch, command):
    monkeypatch.setattr(chats_store, "BUSY_TIMEOUT_S", 0.2, raising=False)
    chat = ChatStore().create("busy")
    other = sqlite3.connect(default_path(), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        result = run("chats", *[a.format(id=chat.id) for a in command])
    finally:
        other.execute("ROLLBACK")
        other.close()
    one_line_error(result, "another tui-agent is writing it", "try again")
    assert ChatStore().get(chat.id).title == "busy"


def _odd_chat() -> str:
    store = ChatStore()
    chat = store.create("odd")
    store.add_message(chat.id, "user", "hi")
    mid = store.add_message(chat.id, "assistant", "answer " + OSC, model="m", mode="recall",
                            exemplars=[{"q": "abc", "n": "lots", "similarity": None, "task": OSC, "answer": "a"}])
    store.set_rating(mid, True, 0.5, 1)
    store._db.execute("UPDATE messages SET q = 'not a number', n = 'x', created = 'yesterday' WHERE id = ?", (mid,))
    return chat.id


@pytest.mark.parametrize("command", [["show"], ["export"], ["export", "--format", "json"], ["show", "--json"]])
def test_show_and_export_of_odd_stored_values(agent_home, command):
    chat_id = _odd_chat()
    result = run("chats", command[0], chat_id, *command[1:])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output


def test_markdown_export_to_a_file_makes_controls_visible(agent_home):
    chat_id = _odd_chat()
    out = agent_home / "chat.md"
    result = run("chats", "export", chat_id, "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\x07" not in text
    assert "␛]0;OWNED␇" in text
    assert "Q=? N=lots sim=?" in text
