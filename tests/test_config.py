"""Settings: defaults, TOML file, environment, overrides, errors; the UI state file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_agent.config.settings import config_file, load_settings, load_state, save_state


def test_defaults_live_under_home(agent_home: Path):
    s = load_settings()
    assert s.model == "local/smollm2"
    assert s.resolved_memory_dir() == agent_home / "data" / "memory"


def test_file_env_and_override_precedence(agent_home: Path, monkeypatch: pytest.MonkeyPatch):
    config_file().parent.mkdir(parents=True)
    config_file().write_text('model = "openai/from-file"\ntimeout_s = 5\napi_key_env = "MY_KEY"\n')
    assert load_settings().model == "openai/from-file"
    monkeypatch.setenv("TUI_AGENT_MODEL", "openai/from-env")
    monkeypatch.setenv("MY_KEY", "sk-test")
    s = load_settings()
    assert s.model == "openai/from-env" and s.timeout_s == 5 and s.api_key() == "sk-test"
    assert load_settings(model="ollama/llama3", memory_dir=None).model == "ollama/llama3"


def test_malformed_config_file_is_a_clear_error(agent_home: Path):
    config_file().parent.mkdir(parents=True)
    config_file().write_text("model = [unclosed\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_settings()


def test_out_of_range_value_rejected():
    with pytest.raises(ValueError):
        load_settings(similarity_lambda=1.5)


def test_state_roundtrip_and_bad_state(agent_home: Path):
    assert load_state() == {}
    save_state(theme='we"ird')
    save_state(other="x")
    assert load_state() == {"theme": 'we"ird', "other": "x"}
    (agent_home / "config" / "state.toml").write_text("garbage = [")
    assert load_state() == {}
