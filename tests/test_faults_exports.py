"""Row 1 of issue 24: every export writes user-named files one safe way (tui_agent/storage/files.write_new).

``chats export -o FILE`` and ``notes export FILE`` replaced an existing file without asking (an empty notes
export wiped one); ``memory export`` already refused without ``--force``. Now all three refuse, write a temporary
file in the same folder and rename it, and leave the old file whole when writing fails.
"""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from tui_agent.chats.store import ChatStore
from tui_agent.cli import app
from tui_agent.storage.files import UserFileError, write_new

PRECIOUS = "PRECIOUS\n"


def chat_id() -> str:
    store = ChatStore()
    chat = store.create("Zorbania", "local/smollm2")
    store.add_message(chat.id, "user", "What is the capital of Zorbania?")
    return chat.id


EXPORTS = {
    "chats-md": lambda out, mem: ["chats", "export", chat_id(), "-o", str(out)],
    "chats-json": lambda out, mem: ["chats", "export", chat_id(), "--format", "json", "-o", str(out)],
    "notes-jsonl": lambda out, mem: ["notes", "export", str(out.with_suffix(".jsonl")), "--memory-dir", mem],
    "notes-parquet": lambda out, mem: ["notes", "export", str(out.with_suffix(".parquet")), "--memory-dir", mem],
    "memory-jsonl": lambda out, mem: ["memory", "export", str(out.with_suffix(".jsonl")), "--memory-dir", mem],
}


@pytest.mark.parametrize("name", EXPORTS)
def test_an_export_never_replaces_a_file_without_force(tmp_path, name):
    folder = tmp_path / "out"
    folder.mkdir()
    args = EXPORTS[name](folder / "a.md", str(tmp_path / "mem"))
    target = folder / os.path.basename(args[-1] if args[0] == "chats" else args[2])
    target.write_text(PRECIOUS)
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1, refused.output
    assert refused.stderr.strip() == f"tui-agent: error: {target} exists; pass --force to overwrite it"
    assert target.read_text() == PRECIOUS
    written = CliRunner().invoke(app, [*args, "--force"])
    assert written.exit_code == 0, written.output
    assert target.read_bytes() != PRECIOUS.encode()
    if name == "chats-json":
        assert json.loads(target.read_text())["chat"]["title"] == "Zorbania"
    assert sorted(p.name for p in folder.iterdir()) == [target.name]  # no temporary file left


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a.md"
    target.write_text(PRECIOUS)

    def half(tmp):
        tmp.write_text("half of it")
        raise OSError(28, "No space left on device")

    with pytest.raises(UserFileError, match="cannot write .*No space left on device"):
        write_new(target, half, overwrite=True)
    assert target.read_text() == PRECIOUS and os.listdir(tmp_path) == ["a.md"]


def test_a_file_that_appears_while_writing_is_not_replaced(tmp_path):
    target = tmp_path / "a.md"

    def racing(tmp):
        tmp.write_text("mine")
        target.write_text(PRECIOUS)  # another program creates the file meanwhile

    with pytest.raises(UserFileError, match="exists; pass --force"):
        write_new(target, racing)
    assert target.read_text() == PRECIOUS and os.listdir(tmp_path) == ["a.md"]


def test_a_new_file_and_its_errors(tmp_path):
    assert write_new(tmp_path / "n.txt", lambda tmp: tmp.write_text("x")).read_text() == "x"
    with pytest.raises(UserFileError, match="is a directory"):
        write_new(tmp_path, lambda tmp: None, overwrite=True)
    with pytest.raises(UserFileError, match="does not exist"):
        write_new(tmp_path / "missing" / "n.txt", lambda tmp: None)
    dangling = tmp_path / "link.txt"
    dangling.symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(UserFileError, match="exists"):  # a dangling symlink is not written through
        write_new(dangling, lambda tmp: tmp.write_text("x"))
    assert not (tmp_path / "nowhere.txt").exists()
