"""CLI behaviour that needs no model: options, errors, stats."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tui_agent.cli import app

runner = CliRunner()


def test_group_options_reach_the_command(tmp_path, monkeypatch):
    monkeypatch.delenv("TUI_AGENT_MEMORY_DIR", raising=False)
    result = runner.invoke(app, ["--memory-dir", str(tmp_path / "m1"), "memory", "stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["path"] == str(tmp_path / "m1")
    result = runner.invoke(app, ["memory", "stats", "--json", "--memory-dir", str(tmp_path / "m2")])
    assert json.loads(result.output)["path"] == str(tmp_path / "m2")


def test_rate_unknown_id_is_a_one_line_error(tmp_path):
    result = runner.invoke(app, ["rate", "nope", "up", "--memory-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == "tui-agent: error: no experience with id 'nope'"


def test_rate_bad_verdict(tmp_path):
    result = runner.invoke(app, ["rate", "x", "sideways", "--memory-dir", str(tmp_path)])
    assert result.exit_code == 2 and "verdict must be 'up' or 'down'" in result.output


def test_bad_setting_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_AGENT_TIMEOUT_S", "-3")
    result = runner.invoke(app, ["memory", "stats", "--memory-dir", str(tmp_path)])
    assert result.exit_code == 1 and "setting timeout_s" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_unwritable_memory_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = runner.invoke(app, ["memory", "stats", "--memory-dir", str(blocker / "memory")])
    assert result.exit_code == 1 and "cannot create memory directory" in result.output


def test_ask_rejects_an_empty_question_from_stdin(tmp_path):
    result = runner.invoke(app, ["ask", "-", "--memory-dir", str(tmp_path)], input="  \n")
    assert result.exit_code == 2 and "the question is empty" in result.output
