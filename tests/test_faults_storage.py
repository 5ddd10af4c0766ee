"""Item 2 of issue 10: full disk and read-only memory give one-line errors and lose nothing.

Where this process may mount (root in CI), a real 3 MB tmpfs filled to the last byte and a
read-only bind mount are used; everywhere, the same failures are also injected (the OSError /
LanceDB RuntimeError the storage layer raises), so the tests run without privileges too.
"""

from __future__ import annotations

import errno
import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fake_llm import FakeEmbedder, FakeLLMServer
from tui_agent.cli import app
from tui_agent.memory.errors import storage_error
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from vectors import unit

runner = CliRunner()
IDS = [f"{i:032d}" for i in range(20)]
WRITES = [["rate", IDS[1], "up"], ["memory", "compact"], ["memory", "undo"], ["memory", "import", "{export}"]]
READS = [["memory", "stats"], ["memory", "list"], ["memory", "show", IDS[1]], ["memory", "export", "{out}"]]


def seed(path: Path) -> Path:
    store = ExperienceStore(path)
    store.add([Experience(id=i, task=f"question {n}", action=f"answer {n}", kind="chat", vector=unit(n))
               for n, i in enumerate(IDS)])
    store.set_q(IDS[1], 0.5)
    return path


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def prepare_export(tmp_path: Path) -> None:
    """The file ``memory import`` reads (made before any failure is injected)."""
    src = seed(tmp_path / "export-src")
    assert runner.invoke(app, ["memory", "export", str(tmp_path / "export.jsonl"), "--memory-dir", str(src)]).exit_code == 0


def cli(args: list[str], memory: Path, tmp_path: Path):
    export = tmp_path / "export.jsonl"
    args = [a.replace("{export}", str(export)).replace("{out}", str(tmp_path / "out.jsonl")) for a in args]
    return runner.invoke(app, [*args, "--memory-dir", str(memory)])


def assert_one_line(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    err = result.stderr.strip()
    assert err.startswith("tui-agent: error: ") and "\n" not in err and "Traceback" not in result.output, err
    for needle in needles:
        assert needle in err, err


def snapshot(memory: Path) -> list[tuple]:
    return sorted((e.id, e.q, e.n) for e in ExperienceStore(memory).all())


# --- read-only ------------------------------------------------------------------------------


@pytest.fixture(params=["bind-ro", "injected"])
def read_only_memory(request, tmp_path, monkeypatch):
    prepare_export(tmp_path)
    memory = seed(tmp_path / "memory")
    if request.param == "bind-ro":
        ro = tmp_path / "ro"
        ro.mkdir()
        if not (mount("--bind", str(memory), str(ro)) and mount("-o", "remount,bind,ro", str(ro))):
            umount(ro)
            pytest.skip("cannot bind-mount read-only here (not root)")
        yield ro
        umount(ro)
        return
    import filelock

    def refuse(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(memory / ".write.lock"))

    monkeypatch.setattr(filelock.BaseFileLock, "acquire", refuse)
    yield memory


@pytest.mark.parametrize("args", READS, ids=lambda a: " ".join(a[:2]))
def test_reads_work_on_a_read_only_memory(read_only_memory, tmp_path, args):
    result = cli(args, read_only_memory, tmp_path)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args", WRITES, ids=lambda a: " ".join(a[:2]))
def test_writes_on_a_read_only_memory_are_one_line(read_only_memory, tmp_path, args):
    before = snapshot(read_only_memory)
    assert_one_line(cli(args, read_only_memory, tmp_path), str(read_only_memory), "read-only", "--memory-dir")
    assert snapshot(read_only_memory) == before


# --- full disk ------------------------------------------------------------------------------


@pytest.fixture(params=["tmpfs", "injected"])
def full_memory(request, tmp_path, monkeypatch):
    prepare_export(tmp_path)
    if request.param == "tmpfs":
        fs = tmp_path / "fs"
        fs.mkdir()
        if not mount("-t", "tmpfs", "-o", "size=3m", "tmpfs", str(fs)):
            pytest.skip("cannot mount a tmpfs here (not root)")
        memory = seed(fs / "memory")
        filler = fs / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=16k"], capture_output=True)
        yield memory
        umount(fs)
        return
    memory = seed(tmp_path / "memory")
    import lancedb.table

    def full(*args, **kwargs):
        raise RuntimeError("lance error: LanceError(IO): Generic LocalFileSystem error: Unable to write "
                           "/x/data/abc.lance: No space left on device (os error 28), /rustc/…/writer.rs:258:9")

    for name in ("add", "update", "delete", "optimize", "merge_insert", "restore", "create_tag"):
        monkeypatch.setattr(lancedb.table.LanceTable, name, full, raising=False)
    import sqlite3

    from tui_agent.memory import ratings

    class FullLog:  # the ratings log (SQLite): reads work, every write finds the disk full
        def __init__(self, db):
            self.db = db

        def __getattr__(self, name):
            return getattr(self.db, name)

        def execute(self, sql, *args):
            if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "CREATE")):
                raise sqlite3.OperationalError("database or disk is full")
            return self.db.execute(sql, *args)

    real_db = ratings.RatingsLog._db
    monkeypatch.setattr(ratings.RatingsLog, "_db", lambda self, create: (lambda db: db and FullLog(db))(
        real_db(self, create)))
    yield memory


@pytest.mark.parametrize("args", WRITES, ids=lambda a: " ".join(a[:2]))
def test_writes_on_a_full_disk_are_one_line_and_change_nothing(full_memory, tmp_path, args):
    before = snapshot(full_memory)
    result = cli(args, full_memory, tmp_path)
    if result.exit_code == 0 and args[1] in ("compact", "undo"):
        pytest.skip("this write needed no new space")  # e.g. nothing to compact
    assert_one_line(result, str(full_memory), "disk is full", "free some space")
    assert snapshot(full_memory) == before


@pytest.mark.parametrize("args", READS[:3], ids=lambda a: " ".join(a[:2]))
def test_reads_work_on_a_full_disk(full_memory, tmp_path, args):
    assert cli(args, full_memory, tmp_path).exit_code == 0


def test_ask_on_a_full_disk_shows_the_answer_and_why_it_was_not_stored(full_memory, tmp_path, monkeypatch):
    import tui_agent.embedding.encoder

    monkeypatch.setattr(tui_agent.embedding.encoder, "shared_embedder", lambda: FakeEmbedder())
    monkeypatch.setenv("TUI_AGENT_FALLBACK_TO_LOCAL", "false")
    with FakeLLMServer("ok", answer="An answer that must not be lost.") as server:
        result = runner.invoke(app, ["ask", "What is it?", "--model", "openai/fake", "--api-base", server.url,
                                     "--memory-dir", str(full_memory)])
        as_json = runner.invoke(app, ["ask", "What is it?", "--json", "--model", "openai/fake", "--api-base",
                                      server.url, "--memory-dir", str(full_memory)])
    assert result.exit_code == 3, result.output
    assert "An answer that must not be lost." in result.stdout
    assert "answer not stored" in result.stderr and "disk is full" in result.stderr
    data = json.loads(as_json.stdout)
    assert data["id"] is None and "disk is full" in data["warning"]


@pytest.mark.parametrize("exc, needle", [
    (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), "disk is full"),
    (OSError(errno.EROFS, "Read-only file system"), "read-only"),
    (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
    (RuntimeError("lance error: LanceError(IO): … No space left on device (os error 28), writer.rs:1"), "disk is full"),
    (RuntimeError("lance error: LanceError(IO): Read-only file system (os error 30)"), "read-only"),
])
def test_storage_errors_map_to_one_line(exc, needle):
    mapped = storage_error("/m", exc)
    assert mapped is not None and needle in str(mapped) and "/m" in str(mapped) and "\n" not in str(mapped)


def test_other_errors_are_not_disguised():
    assert storage_error("/m", RuntimeError("a bug")) is None
    assert storage_error("/m", KeyError("x")) is None


def test_a_read_only_memory_still_shows_the_logged_ratings(tmp_path):
    """The ratings log is in WAL mode; once its writer has closed it, a read-only mount cannot create the WAL
    index, so the log is read as an immutable file instead of being taken for empty (Q 0.5, not 0.0)."""
    import gc

    memory = seed(tmp_path / "memory")
    gc.collect()  # the seeding store's connections closed: the WAL is checkpointed and gone
    ro = tmp_path / "ro"
    ro.mkdir()
    if not (mount("--bind", str(memory), str(ro)) and mount("-o", "remount,bind,ro", str(ro))):
        umount(ro)
        pytest.skip("cannot bind-mount read-only here (not root)")
    try:
        assert {e.id: e.q for e in ExperienceStore(ro).all()}[IDS[1]] == 0.5
    finally:
        umount(ro)
