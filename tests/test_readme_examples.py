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
