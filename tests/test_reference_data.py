"""The reference numbers shipped with the tests (tests/data/reference) are read by default and can be overridden."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import reference

FILES = ("rememberer_nstep.json", "webshop_reward.json", "rememberer-pools/init_pool.wq.yaml")


def test_the_shipped_copy_is_the_default(monkeypatch):
    monkeypatch.delenv("TUI_AGENT_REFERENCE_DIR", raising=False)
    assert reference.reference_dir() == Path(__file__).parent / "data" / "reference"
    for name in FILES:
        assert (reference.reference_dir() / name).is_file(), name
    assert len(reference.load_reference("rememberer_nstep.json")["cases"]) == 8


def test_the_environment_variable_overrides_it(tmp_path, monkeypatch):
    (tmp_path / "rememberer_nstep.json").write_text('{"cases": []}', encoding="utf-8")
    monkeypatch.setenv("TUI_AGENT_REFERENCE_DIR", str(tmp_path))
    assert reference.load_reference("rememberer_nstep.json") == {"cases": []}
    with pytest.raises(pytest.fail.Exception, match="webshop_reward.json is missing"):
        reference.load_reference("webshop_reward.json")


def test_the_copy_matches_the_shared_folder_when_there_is_one():
    shared = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
    if not shared.is_dir():
        pytest.skip("no ../shared/reference beside this checkout (a plain clone): nothing to compare")
    for path in sorted(p for p in shared.rglob("*") if p.is_file() and p.name != "README.md"):
        copy = reference.DEFAULT_DIR / path.relative_to(shared)
        assert copy.is_file(), f"{copy} is missing: copy {path}"
        assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(path.read_bytes()).digest(), copy
