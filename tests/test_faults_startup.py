"""Row 6 of issue 24: the files read at start-up (themes, state.toml, config.toml) through one bounded reader.

Deep nesting was a RecursionError traceback, a FIFO blocked start-up forever, a theme symlinked to /dev/zero
read until the machine ran out of memory. Each is now a one-line reason and the usual fallback. The cases that
hung or ate memory run in a child process with a time and memory limit, so a regression fails instead of hanging.
"""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from child import run_child
from tui_agent.config.base import config_dir, load_state
from tui_agent.storage.files import UserFileError, read_bounded, read_toml

NESTED = "x = " + "[" * 2000 + "]" * 2000 + "\n"  # 4 KB
NESTED_THEME = 'name = "deep"\nprimary = "#ff0000"\n[variables]\n' + NESTED.replace("x =", "a =")
DOTTED = ".".join(f"k{i}" for i in range(300)) + " = 1\n"  # deep without a single bracket


@pytest.fixture
def themes_dir():
    folder = config_dir() / "themes"
    folder.mkdir(parents=True)
    return folder


def test_a_deeply_nested_theme_is_skipped_with_one_line(themes_dir):
    from tui_agent.tui.themes import load_themes

    (themes_dir / "deep.toml").write_text(NESTED_THEME)
    (themes_dir / "dotted.toml").write_text('name = "dotted"\nprimary = "#ff0000"\n' + DOTTED)
    themes, errors = load_themes([themes_dir])
    assert themes == [] and len(errors) == 2
    assert all("nested more than" in e and "\n" not in e for e in errors)


@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "folder"])
def test_a_theme_that_is_no_regular_file_is_skipped_at_once(themes_dir, target):
    path = themes_dir / "odd.toml"
    if target == "fifo":
        os.mkfifo(path)
    elif target == "folder":
        path.mkdir()
    else:
        path.symlink_to(target)
    (themes_dir / "good.toml").write_text('name = "good"\nprimary = "#123456"\n')
    done = run_child(f"""
        from pathlib import Path
        from tui_agent.tui.themes import load_themes
        themes, errors = load_themes([Path({str(themes_dir)!r})])
        print([t.name for t in themes], errors)
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "['good']" in done.stdout and "odd.toml: not a readable TOML file" in done.stdout
    assert "not a regular file" in done.stdout


def test_a_deeply_nested_state_file_is_treated_as_empty():
    config_dir().mkdir(parents=True)
    (config_dir() / "state.toml").write_text('theme = "x"\n' + NESTED)
    assert load_state() == {}
    (config_dir() / "state.toml").write_text('theme = "x"\n' + DOTTED)
    assert load_state() == {}
    (config_dir() / "state.toml").write_text('theme = "x"\n')
    assert load_state() == {"theme": "x"}


def test_a_fifo_state_file_does_not_block():
    config_dir().mkdir(parents=True)
    os.mkfifo(config_dir() / "state.toml")
    done = run_child("from tui_agent.config.base import load_state; print(load_state())")
    assert done.returncode == 0 and done.stdout.strip() == "{}", done.stderr[-2000:]


@pytest.mark.parametrize("kind", ["nested", "dotted", "fifo", "/dev/zero"])
def test_a_bad_config_file_is_one_line_on_every_command(kind):
    from tui_agent.cli import app

    config_dir().mkdir(parents=True)
    path = config_dir() / "config.toml"
    if kind == "nested":
        path.write_text(NESTED)
    elif kind == "dotted":
        path.write_text(DOTTED)
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind)
    if kind in ("fifo", "/dev/zero"):  # a child process: a regression blocks or eats memory, not this run
        done = run_child("from tui_agent.cli import main; import sys; sys.argv = ['tui-agent', 'keys']; main()")
        assert done.returncode == 1, done.stderr[-2000:]
        lines = done.stderr.strip().splitlines()
    else:
        result = CliRunner().invoke(app, ["keys"])
        assert result.exit_code == 1 and not isinstance(result.exception, RecursionError), result.exception
        lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tui-agent: error: config file"), lines
    assert "config.toml" in lines[0]


def test_the_bounded_reader(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text("a = [[1], [2]]\n[t]\nb = 'x'\n")
    assert read_toml(path) == {"a": [[1], [2]], "t": {"b": "x"}}
    with pytest.raises(UserFileError, match="nested more than 1 levels"):
        read_toml(path, max_depth=1)
    with pytest.raises(UserFileError, match="larger than 10 bytes"):
        read_bounded(path, 10)
    with pytest.raises(FileNotFoundError):
        read_toml(tmp_path / "missing.toml")
    path.write_bytes(b"\xff = 1")
    with pytest.raises(UserFileError, match="not UTF-8"):
        read_toml(path)
