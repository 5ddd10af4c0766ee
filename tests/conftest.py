"""Test isolation: every test runs with its own TUI_AGENT_HOME and no network model downloads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
for name in list(os.environ):
    if name.startswith("TUI_AGENT_") and name != "TUI_AGENT_REFERENCE_DIR":  # where conformance data lives
        del os.environ[name]


@pytest.fixture(autouse=True)
def agent_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private TUI_AGENT_HOME (config, state and default memory) for each test.

    The whole environment is restored afterwards: in-process CLI runs set
    TUI_AGENT_* variables (the group options hand themselves on that way).
    """
    saved = dict(os.environ)
    home = tmp_path / "home"
    monkeypatch.setenv("TUI_AGENT_HOME", str(home))
    yield home
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def embedder():
    """The real bundled embedding model, loaded once for the session."""
    from tui_agent.embedding.encoder import shared_embedder

    emb = shared_embedder()
    emb.load()
    return emb


@pytest.fixture
def memory_dir(tmp_path: Path) -> Path:
    return tmp_path / "memory"


@pytest.fixture
def store(memory_dir: Path):
    from tui_agent.memory.store import ExperienceStore

    return ExperienceStore(memory_dir)
