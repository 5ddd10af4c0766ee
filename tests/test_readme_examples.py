"""The README's own document-question examples answer right (issue 23: "How do I remove a prefix from a
string?" was answered from the argparse page).

Each ``tui-agent doc "…"`` line of the README over the bundled docs is run as written (BM25 and the
extractive answerer: no model, no embeddings) and its answer checked against :data:`EXPECTED`. A README
example without an entry there fails, so a new example comes with its answer.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui_agent.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
EXPECTED = {
    # question: a text of the right passage the answer must quote (str.removeprefix's own documentation)
    "How do I remove a prefix from a string?": "string[len(prefix):]",
}
NOTES_EXPECTED = {
    # `notes search` query: the heading and a text of the first note found
    "remove a prefix from a string": ("String Methods", "removeprefix"),
}


def readme_commands(command: str) -> list[list[str]]:
    """The README's ``tui-agent COMMAND …`` lines inside code blocks, as argument lists (comments dropped)."""
    out = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if re.match(rf"^(TUI_AGENT_HOME=\S+ )?tui-agent {command} ", line):
            args = shlex.split(line, comments=True)
            out.append(args[args.index("tui-agent") + 1:])
    return out


def doc_examples() -> list[list[str]]:
    return [args for args in readme_commands("doc") if "--corpus" not in args]  # notes: the user's own table


def test_the_readme_has_the_examples():
    assert [args[1] for args in doc_examples()] == list(EXPECTED)
    assert [args[2] for args in readme_commands("notes") if args[1] == "search"] == list(NOTES_EXPECTED)


@pytest.mark.parametrize("args", doc_examples(), ids=lambda args: args[1])
def test_readme_doc_example_answers_right(args, memory_dir):
    result = CliRunner().invoke(app, [*args, "--json", "--memory-dir", str(memory_dir)])
    assert result.exit_code == 0, result.output
    episode = json.loads(result.stdout)
    assert EXPECTED[args[1]] in (episode["answer"] or ""), episode["answer"]


def notes_examples() -> list[list[str]]:
    return [args for args in readme_commands("notes") if args[1] == "search"]


@pytest.mark.model
@pytest.mark.parametrize("args", notes_examples(), ids=lambda args: args[2])
def test_readme_notes_search_example_finds_the_right_note(args, memory_dir, embedder):
    """Over the two builtin pages the issue saw confused (str methods and argparse; 647 notes, real MiniLM
    vectors — the whole builtin set takes ~10 min to embed), the README's search finds str.removeprefix."""
    from tui_agent.notes.add import add_files
    from tui_agent.notes.builtin import builtin_files
    from tui_agent.notes.store import NoteStore

    pages = [f for f in builtin_files("python-docs") if f[1].endswith(("/stdtypes.rst", "/argparse.rst"))]
    assert len(pages) == 2
    add_files(NoteStore(memory_dir), embedder, pages)
    result = CliRunner().invoke(app, [*args, "--json", "--memory-dir", str(memory_dir)])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)[0]
    heading, text = NOTES_EXPECTED[args[2]]
    assert first["heading"].endswith(heading) and text in first["text"], first
