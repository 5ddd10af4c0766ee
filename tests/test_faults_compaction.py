"""Row 3 of issue 24: a restore point never blocks compaction, and a failing compaction backs off.

Before: once an import's restore-point tag was older than the third compaction's base, LanceDB's
cleanup raised "tagged version(s) have been marked for cleanup"; every later compaction failed as
"cannot write memory", automatic compaction retried at every rating, and versions and disk grew
without bound (782 versions, 22 → 95 MB after 300 ratings on 208 rows).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import lance
import pytest
from typer.testing import CliRunner

from tui_agent.cli import app
from tui_agent.memory import compaction, versions
from tui_agent.memory.errors import MemoryStoreError
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.memory.transfer import export_memory, import_memory
from vectors import unit

runner = CliRunner()
EVERY = 10  # automatic compaction every 10 writes (the app: 100)


def rows(prefix: str, count: int) -> list[Experience]:
    return [Experience(id=f"{prefix}{i:031d}", task=f"question {prefix} {i}", action=f"answer {i}", kind="chat",
                       vector=unit(i)) for i in range(count)]


def imported(tmp_path: Path) -> tuple[ExperienceStore, str]:
    """A memory of 30 rows plus an import of 8 (so one restore point, on the 30-row version)."""
    source = ExperienceStore(tmp_path / "source")
    source.add(rows("x", 8))
    export_memory(source, tmp_path / "export.jsonl")
    store = ExperienceStore(tmp_path / "memory")
    store.optimize_every = EVERY
    store.add(rows("a", 30))
    report = import_memory(store, tmp_path / "export.jsonl")
    assert report.restore_point and store.count() == 38
    return store, report.restore_point


def rate(store: ExperienceStore, count: int) -> None:
    ids = sorted(e.id for e in store.all())
    for k in range(count):
        store.update_values(ids[k % len(ids)], lambda q, n, m: (0.9 * q + 0.1, n + 1, m))


def test_compaction_keeps_working_after_an_import(tmp_path, caplog):
    store, tag = imported(tmp_path)
    caplog.set_level(logging.WARNING, logger="tui_agent")
    rate(store, 15 * EVERY)  # 15 automatic compactions: the tag is far older than the third
    assert not [r for r in caplog.records if "compaction" in r.getMessage()], caplog.text
    result = store.compact()
    assert result["versions"] <= 3 * EVERY + 5  # before: every rating made ~4 versions (~500 here)
    assert store.ratings.count() == 0 and store.fragment_count() <= 3
    listed = runner.invoke(app, ["memory", "undo", "--list", "--memory-dir", str(store.path)])
    assert listed.exit_code == 0 and tag in listed.output
    back = runner.invoke(app, ["memory", "undo", "--to", tag, "--memory-dir", str(store.path)])
    assert back.exit_code == 0, back.output
    assert ExperienceStore(store.path).count() == 30  # as before the import


def test_an_expired_restore_point_says_so(tmp_path, monkeypatch):
    store, tag = imported(tmp_path)
    monkeypatch.setattr(versions, "KEEP_RESTORE_POINT_AGE", timedelta(0))
    store.compact()
    assert versions.restore_points(store) == []
    with pytest.raises(MemoryStoreError, match="expired"):
        versions.restore(store, tag)
    back = runner.invoke(app, ["memory", "undo", "--to", tag, "--memory-dir", str(store.path)])
    assert back.exit_code == 1 and "expired" in back.stderr and "Traceback" not in back.output


def test_a_failing_compaction_names_its_step_and_backs_off(tmp_path, monkeypatch, caplog):
    store, _tag = imported(tmp_path)
    calls = []

    def broken(self, *args, **kwargs):
        calls.append(1)
        raise RuntimeError("lance error: injected cleanup failure")

    monkeypatch.setattr(lance.LanceDataset, "cleanup_old_versions", broken)
    caplog.set_level(logging.WARNING, logger="tui_agent")
    rate(store, 8 * EVERY)
    assert 1 <= len(calls) <= 5, len(calls)  # 10, 20, 40, 80 ratings; before: every rating after the 10th
    failures = [r.getMessage() for r in caplog.records if "automatic compaction failed" in r.getMessage()]
    assert len(failures) == len(calls) and "removing old versions" in failures[0]
    with pytest.raises(compaction.CompactionError, match="failed while removing old versions: lance error: inj"):
        store.compact()  # on demand it always tries
    result = runner.invoke(app, ["memory", "compact", "--memory-dir", str(store.path)])
    err = result.stderr.strip()
    assert result.exit_code == 1 and "compaction of memory" in err and "cannot write" not in err, err
    assert compaction.last_failure(store)["failures"] >= 2

    monkeypatch.undo()  # the cause is gone: the next compaction works and the back-off is forgotten
    assert store.compact()["versions"] <= 3 * EVERY + 5
    assert compaction.last_failure(store) is None and not (store.path / compaction.BACKOFF_NAME).exists()
