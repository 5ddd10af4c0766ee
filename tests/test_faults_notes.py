"""Rows 2, 5 and 12 of issue 24: what ``notes add`` may read, its progress bar's text, the notes commands' ranges.

2. ``notes add FOLDER`` followed symlinks out of the folder (``docs/passwd.txt -> /etc/passwd``): the secret
   became a note, and a later ``ask`` with a hosted model sent it in the prompt. Now only regular files whose
   real path stays under the folder are read (unless ``--follow-links``); the summary lists what was skipped.
5. On a terminal the progress bar printed file names raw: an OSC sequence in a name set the window title.
12. ``notes search -n 99999999999`` raised OverflowError; ``notes list -n -3`` showed "4 of 7".
"""

from __future__ import annotations

import io
import json
import os
import sys

import pytest
from typer.testing import CliRunner

from vectors import HashEmbedder

from tui_agent.cli import app

SECRET = "hunter2-top-secret"


@pytest.fixture(autouse=True)
def hash_embedder(monkeypatch):
    import tui_agent.embedding.encoder

    monkeypatch.setattr(tui_agent.embedding.encoder, "shared_embedder", lambda: HashEmbedder())


@pytest.fixture
def docs(tmp_path):
    """A folder with one real note, links out of it (file and folder), a link inside it and a FIFO."""
    outside = tmp_path / "outside"
    (outside / "more").mkdir(parents=True)
    (outside / "credentials").write_text(f"aws_secret = {SECRET}\n")
    (outside / "passwd").write_text(f"root:{SECRET}:0:0\n")
    (outside / "more" / "x.md").write_text(f"# More\n\n{SECRET}\n")
    d = tmp_path / "docs"
    (d / "sub").mkdir(parents=True)
    (d / "good.md").write_text("# Good\n\nThe cat is called Biscuit.\n")
    (d / "sub" / "deep.txt").write_text("Loam drains well.\n")
    (d / "passwd.txt").symlink_to(outside / "passwd")
    (d / "readme.md").symlink_to(outside / "credentials")
    (d / "linked-out").symlink_to(outside / "more")
    (d / "alias.md").symlink_to(d / "good.md")  # inside the folder: read (once)
    (d / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    os.mkfifo(d / "pipe.md")
    return d


def mem(tmp_path):
    return ["--memory-dir", str(tmp_path / "mem")]


def test_notes_add_reads_nothing_outside_the_folder(tmp_path, docs):
    runner = CliRunner()
    out = runner.invoke(app, ["notes", "add", str(docs), "--json", *mem(tmp_path)])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert sorted(os.path.basename(s) for s in report["added"]) == ["deep.txt", "good.md"]
    why = {os.path.basename(line.split(": ", 1)[0]): line.split(": ", 1)[1] for line in report["skipped"]}
    assert set(why) == {"passwd.txt", "readme.md", "linked-out", "dangling.md", "pipe.md"}
    assert "outside" in why["passwd.txt"] and "--follow-links" in why["passwd.txt"]
    assert str(tmp_path / "outside" / "credentials") in why["readme.md"]
    assert "folder" in why["linked-out"] and "FIFO" in why["pipe.md"] and "broken" in why["dangling.md"]
    listed = runner.invoke(app, ["notes", "list", "--json", "-n", "0", *mem(tmp_path)])
    assert SECRET not in listed.stdout
    sources = runner.invoke(app, ["notes", "list", "--sources", *mem(tmp_path)]).stdout
    assert "outside" not in sources and "good.md" in sources


def test_the_summary_says_what_was_left_out_and_why(tmp_path, docs):
    out = CliRunner().invoke(app, ["notes", "add", str(docs), *mem(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "5 left out" in out.stdout
    skipped = [line for line in out.stderr.splitlines() if line.startswith("tui-agent: skipped ")]
    assert len(skipped) == 5 and any("passwd.txt: symbolic link to" in line for line in skipped)


def test_follow_links_reads_them_when_asked(tmp_path, docs):
    (docs / "pipe.md").unlink()
    (docs / "dangling.md").unlink()
    (docs / "loop").symlink_to(docs)  # a link back to the folder is walked once
    out = CliRunner().invoke(app, ["notes", "add", str(docs), "--follow-links", "--json", *mem(tmp_path)])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert sorted(os.path.basename(s) for s in report["added"]) == ["credentials", "deep.txt", "good.md", "passwd",
                                                                    "x.md"]
    assert report["skipped"] == []


def test_a_file_named_on_the_command_line_is_read_and_a_fifo_is_not(tmp_path, docs):
    out = CliRunner().invoke(app, ["notes", "add", str(docs / "readme.md"), str(docs / "pipe.md"), "--json",
                                   *mem(tmp_path)])
    report = json.loads(out.stdout)
    assert [os.path.basename(s) for s in report["added"]] == ["credentials"]  # the user named it
    assert len(report["skipped"]) == 1 and "not a regular file (a FIFO)" in report["skipped"][0]


# --- row 5: the progress bar's text -------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_bar_shows_file_names_inert(tmp_path, monkeypatch):
    d = tmp_path / "in"
    d.mkdir()
    hostile = "c\x1b]0;OWNED\x1b\\d.md"
    (d / hostile).write_text("# Owned\n\nA note.\n")
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    with pytest.raises(SystemExit) as done:
        app(["notes", "add", str(d), *mem(tmp_path)], standalone_mode=True)
    assert done.value.code == 0
    shown = screen.getvalue()
    assert "OWNED" in shown  # the bar ran and showed the name ...
    assert "\x1b]0;OWNED" not in shown and "\x1b\\" not in shown  # ... with its controls inert
    assert "␛]0;OWNED␛\\d.md" in shown


# --- row 12: ranges -----------------------------------------------------------------------------------


@pytest.fixture
def seven_notes(tmp_path):
    d = tmp_path / "seven"
    d.mkdir()
    for i in range(7):
        (d / f"n{i}.txt").write_text(f"note number {i}\n")
    assert CliRunner().invoke(app, ["notes", "add", str(d), *mem(tmp_path)]).exit_code == 0


@pytest.mark.parametrize("args", [
    ["search", "note", "-n", "99999999999"],
    ["search", "note", "--mode", "text", "-n", "0"],
    ["search", "note", "-n", "-1"],
    ["search", "note", "-n", "1001"],
    ["list", "-n", "-3"],
])
def test_out_of_range_counts_are_refused_as_usage_errors(tmp_path, seven_notes, args):
    out = CliRunner().invoke(app, ["notes", *args, *mem(tmp_path)])
    assert out.exit_code == 2, (out.output, out.exception)
    assert "Invalid value for '--limit' / '-n'" in out.stderr


def test_counts_in_range_still_work(tmp_path, seven_notes):
    runner = CliRunner()
    shown = runner.invoke(app, ["notes", "list", "-n", "3", *mem(tmp_path)])
    assert shown.exit_code == 0 and "(3 of 7 notes)" in shown.stderr
    everything = runner.invoke(app, ["notes", "list", "-n", "0", *mem(tmp_path)])
    assert "(7 of 7 notes)" in everything.stderr
    found = runner.invoke(app, ["notes", "search", "note", "--mode", "text", "-n", "1000", "--json",
                                *mem(tmp_path)])
    assert found.exit_code == 0 and len(json.loads(found.stdout)) == 7
