"""``train --env docqa``, ``eval --env docqa`` and ``doc`` from the command line (real embedder and memory,
no model: the constant scorer and the random policy)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tui_agent.cli.main import app

runner = CliRunner()


def test_train_then_eval_docqa(tmp_path):
    mem, out = str(tmp_path / "mem"), tmp_path / "train.json"
    result = runner.invoke(app, ["train", "--env", "docqa", "--episodes", "6", "--scorer", "constant", "--test-tasks",
                                 "4", "--test-every", "3", "--memory-dir", mem, "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "episodic-control: 6 training episodes, success rate" in result.output
    assert "after 3 episodes: 4 test questions" in result.output and "after 6 episodes" in result.output
    report = json.loads(out.read_text())
    assert len(report["returns"]) == 6 and [p["train_episodes"] for p in report["curve"]] == [3, 6]
    assert "docqa experiences" in result.output
    result = runner.invoke(app, ["eval", "--env", "docqa", "--tasks", "3", "--policy", "random", "--memory-dir", mem])
    assert result.exit_code == 0, result.output
    assert "random: 3 test questions, success rate" in result.output and "average return" in result.output


def test_doc_prints_steps_and_answer(tmp_path):
    result = runner.invoke(app, ["doc", "How do I remove a prefix from a string?", "--policy", "random",
                                 "--memory-dir", str(tmp_path / "mem")])
    assert result.exit_code == 0, result.output
    assert " 1. [results] " in result.output
    assert "answer: " in result.output or "no answer within the step limit" in result.output


def test_bad_docqa_options(tmp_path):
    for args, message in ((["eval", "--env", "docqa", "--split", "eval"], "unknown split 'eval' for docqa"),
                          (["train", "--env", "docqa", "--algo", "dqn"], "unknown algo 'dqn'"),
                          (["train", "--env", "docqa", "--answerer", "oracle"], "unknown answerer 'oracle'")):
        result = runner.invoke(app, [*args, "--memory-dir", str(tmp_path)])
        assert result.exit_code == 2 and message in result.output, result.output


def test_doc_over_the_users_notes_table(tmp_path):
    from tests.vectors import HashEmbedder
    from tui_agent.notes.add import remember
    from tui_agent.notes.store import NoteStore

    mem = tmp_path / "mem"
    result = runner.invoke(app, ["doc", "What colour is the shed?", "--corpus", "notes", "--memory-dir", str(mem)])
    assert result.exit_code == 1 and "notes table is empty" in result.output
    store = NoteStore(mem)
    remember(store, HashEmbedder(), "The garden shed is painted dark green. It was built in 1998.")
    remember(store, HashEmbedder(), "The kitchen has a blue door.")
    result = runner.invoke(app, ["doc", "What colour is the garden shed?", "--corpus", "notes", "--scorer", "constant",
                                 "--memory-dir", str(mem)])
    assert result.exit_code == 0, result.output
    assert " 1. [results] read[1]" in result.output
    assert "answer: The garden shed is painted dark green." in result.output


def test_docqa_training_is_in_the_run_log(tmp_path):
    result = runner.invoke(app, ["train", "--env", "docqa", "--episodes", "3", "--scorer", "constant",
                                 "--memory-dir", str(tmp_path / "mem")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    assert '"docqa"' in result.output and '"rlem"' in result.output
