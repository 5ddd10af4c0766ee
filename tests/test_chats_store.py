"""Saved chats on disk (SQLite): create, list, search, rename, delete, ratings, schema upgrades, bad files,
Markdown / JSON export and the ``tui-agent chats`` commands."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from tui_agent.chats.export import to_json, to_markdown
from tui_agent.chats.store import MIGRATIONS, SCHEMA_VERSION, ChatStore, ChatStoreError, default_path, title_for
from tui_agent.cli import app

EXEMPLAR = {"id": "x1", "task": "What is the capital of Zorbania?", "answer": "Quellport.", "q": 1.0, "n": 1,
            "similarity": 0.93, "f_task": 0.91, "role": "recalled"}


def filled(store: ChatStore) -> str:
    chat = store.create("What is the capital of Zorbania? [b]literal[/b]", "local/smollm2")
    store.add_message(chat.id, "user", "What is the capital of Zorbania? [b]literal[/b]")
    first = store.add_message(chat.id, "assistant", "It is **Paris**.", model="local/smollm2", experience_id="e1",
                              mode="generate")
    store.set_rating(first, False, -1.0, 1)
    store.set_correction(first, "Quellport.")
    store.add_message(chat.id, "assistant", "Quellport.", model="memory", experience_id="e2", mode="recall",
                      exemplars=[EXEMPLAR])
    return chat.id


def test_chat_round_trip_on_disk(tmp_path):
    path = tmp_path / "chats.sqlite3"
    chat_id = filled(ChatStore(path))
    chat = ChatStore(path).get(chat_id[:6])  # a fresh connection; an id prefix is enough
    assert chat.title == "What is the capital of Zorbania? [b]literal[/b]" and chat.model == "memory"
    user, wrong, recalled = chat.messages
    assert (user.role, wrong.rating, wrong.q, wrong.n, wrong.correction) == ("user", -1, -1.0, 1, "Quellport.")
    assert (recalled.mode, recalled.model, recalled.exemplars) == ("recall", "memory", [EXEMPLAR])


def test_list_search_rename_delete(tmp_path):
    store = ChatStore(tmp_path / "c.db")
    zorbania = filled(store)
    other = store.create("Tell me a joke", "local/smollm2")
    store.add_message(other.id, "user", "Tell me a joke about 100% cotton_shirts")
    assert [c.id for c in store.list()] == [other.id, zorbania]  # most recent first
    assert [c.count for c in store.list()] == [1, 3]
    assert [c.id for c in store.list("quellport")] == [zorbania]  # message text, case-insensitive
    assert [c.id for c in store.list("100%")] == [other.id] and store.list("100%x") == []  # % and _ are literal
    assert [c.id for c in store.list("cotton_s")] == [other.id] and store.list("cottonXs") == []
    store.rename(zorbania, "Zorbania\nfacts")
    assert store.get(zorbania).title == "Zorbania facts"
    with pytest.raises(ValueError):
        store.rename(zorbania, "  ")
    store.delete(other.id)
    assert [c.id for c in store.list()] == [zorbania]
    with pytest.raises(KeyError):
        store.get(other.id)
    assert sqlite3.connect(store.path).execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 3  # cascade


def test_titles_are_one_bounded_line():
    assert title_for("  a\n b  ") == "a b" and len(title_for("x" * 500)) == 60 and title_for(" ") == "untitled"


def test_upgrade_from_version_1_keeps_the_chats(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    db.execute("INSERT INTO chats VALUES ('abc', 'old chat', 1.0, 2.0, 'local/smollm2')")
    db.execute("INSERT INTO messages (chat_id, role, content, created) VALUES ('abc', 'user', 'hello', 1.5)")
    db.execute("INSERT INTO messages (chat_id, role, content, created, policy) VALUES ('abc', 'assistant', 'hi', 1.6, "
               "'recall')")
    db.commit()
    db.close()
    store = ChatStore(path)
    assert store.version == SCHEMA_VERSION == 3
    chat = store.get("abc")
    assert (chat.title, chat.system_prompt, [m.content for m in chat.messages]) == ("old chat", None, ["hello", "hi"])
    assert chat.messages[1].mode == "recall"  # version 3 renamed the column (policy → mode), keeping its values
    store.set_system_prompt("abc", "Answer in French.")
    assert store.get("abc").system_prompt == "Answer in French."


def test_bad_files_give_one_line_and_are_left_alone(tmp_path):
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database\x00" * 100)
    with pytest.raises(ChatStoreError) as err:
        ChatStore(garbage)
    assert "\n" not in str(err.value) and str(garbage) in str(err.value)
    assert garbage.read_bytes() == b"this is not a database\x00" * 100

    newer = tmp_path / "newer.sqlite3"
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}").connection.close()
    with pytest.raises(ChatStoreError, match=f"schema version {SCHEMA_VERSION + 1}; this tui-agent reads up to {SCHEMA_VERSION}"):
        ChatStore(newer)

    foreign = tmp_path / "foreign.sqlite3"
    sqlite3.connect(foreign).execute("CREATE TABLE something (x)").connection.close()
    with pytest.raises(ChatStoreError, match="holds other tables"):
        ChatStore(foreign)


def test_markdown_and_json_export(tmp_path):
    store = ChatStore(tmp_path / "c.db")
    chat = store.get(filled(store))
    md = to_markdown(chat)
    assert md.startswith("# What is the capital of Zorbania? [b]literal[/b]\n")
    assert "## Assistant · local/smollm2 · 👎 · Q = -1.00 (N = 1)\n\nIt is **Paris**." in md
    assert "> **correction:** Quellport." in md
    assert "## Assistant · memory · from memory\n" in md and "> - recalled Q=+1.00 N=1 sim=0.93" in md
    data = to_json(chat)
    assert data["schema_version"] == SCHEMA_VERSION and data["chat"]["count"] == 3
    assert data["chat"]["messages"][1]["rating"] == -1 and data["chat"]["created"].endswith("+00:00")
    json.dumps(data)


def test_chats_commands(agent_home):
    chat_id = filled(ChatStore())  # the default file, under TUI_AGENT_HOME
    assert default_path().is_file()
    run = CliRunner().invoke
    listed = run(app, ["chats", "list"])
    assert listed.exit_code == 0 and chat_id in listed.output and "memory" in listed.output
    assert json.loads(run(app, ["chats", "list", "--json"]).output)[0]["messages"] == 3
    assert "no saved chats matching 'nothing'" in run(app, ["chats", "list", "--search", "nothing"]).output
    shown = run(app, ["chats", "show", chat_id[:5]])
    assert shown.exit_code == 0 and "> **correction:** Quellport." in shown.output
    exported = run(app, ["chats", "export", chat_id, "--format", "json"])
    assert json.loads(exported.output)["chat"]["id"] == chat_id
    out = agent_home / "chat.md"
    written = run(app, ["chats", "export", chat_id, "--format", "md", "-o", str(out)])
    assert written.exit_code == 0 and out.read_text().startswith("# What is the capital")
    bad = run(app, ["chats", "export", chat_id, "--format", "pdf"])
    assert bad.exit_code == 2 and "unknown format 'pdf'" in bad.output
    missing = run(app, ["chats", "show", "zzz"])
    assert missing.exit_code == 1 and missing.output.strip() == "tui-agent: error: no chat with id 'zzz'"
    assert run(app, ["chats", "rename", chat_id, "Zorbania"]).exit_code == 0
    assert run(app, ["chats", "delete", chat_id, "--yes"]).exit_code == 0
    assert "no saved chats" in run(app, ["chats", "list"]).output


def test_corrupt_chats_file_in_the_cli(agent_home):
    default_path().parent.mkdir(parents=True)
    default_path().write_text("not sqlite")
    result = CliRunner().invoke(app, ["chats", "list"])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith("tui-agent: error: chats file ") and "cannot be opened" in result.output


def test_keys_command_prints_the_table(agent_home):
    result = CliRunner().invoke(app, ["keys", "--markdown"])
    assert result.exit_code == 0 and "| Everywhere | F1 / ? |" in result.output
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[keys]\ncopy_answer = "y"\nbogus = "x"\n')
    result = CliRunner().invoke(app, ["keys"])
    assert "  Y " not in result.output and " y " in result.output and "copy_answer" in result.output
    assert "tui-agent: warning: [keys] bogus: unknown action" in result.output


def test_task_and_doc_runs_are_kept_with_their_outcome(tmp_path):
    store = ChatStore(tmp_path / "chats.sqlite3")
    chat = store.create("What is 2+2?")
    store.add_message(chat.id, "user", "What is 2+2?")
    store.add_message(chat.id, "assistant", "4", model="m")
    store.add_message(chat.id, "user", "/task red shoes")
    run = store.add_run(chat.id, "task", "web task: red shoes\n1. search[red shoes]\nreward 1.00 · success ✓", model="m")
    store.add_message(chat.id, "user", "/doc")
    store.add_run(chat.id, "doc", "✗ task failed: boom")
    store.add_message(chat.id, "user", "And 3+3?")
    store.add_message(chat.id, "assistant", "6", model="m")
    store.set_rating(run, True, 0.75, 4)  # 👍 on the episode: mean Q of its 4 rated steps
    reopened = ChatStore(tmp_path / "chats.sqlite3").get(chat.id)
    assert [m.kind for m in reopened.messages] == [None, None, None, "task", None, "doc", None, None]
    assert reopened.messages[3].id == run and reopened.messages[3].content.endswith("success ✓")
    assert reopened.turns() == [("What is 2+2?", "4"), ("And 3+3?", "6")]
    assert "## /task run · 👍\n" in to_markdown(reopened) and "## /doc run\n" in to_markdown(reopened)
    assert (reopened.messages[3].rating, reopened.messages[3].q, reopened.messages[3].n) == (1, 0.75, 4)
    assert to_json(reopened)["chat"]["messages"][3]["kind"] == "task"
    with pytest.raises(ValueError, match="run kind"):
        store.add_run(chat.id, "shell", "x")
