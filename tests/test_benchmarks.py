"""Every figure's command stays runnable: each benchmark script answers ``--help`` without loading the
heavy libraries, and the benchmark commands quoted in README.md and docs/*.md (and the ``command`` a
result file under docs/ records) name scripts that exist, with flags those scripts accept.

The scripts run in subprocesses (``sys.executable``, the worktree first on ``PYTHONPATH``); the
``timeout`` only stops a script that ignores ``--help`` and starts its benchmark.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("*.py") if 'if __name__ == "__main__"' in p.read_text())
HEAVY = ("torch", "lancedb", "pyarrow", "llama_cpp", "litellm", "onnxruntime", "transformers",
         "sentence_transformers", "tokenizers", "ray", "gymnasium", "textual", "bm25s", "matplotlib")
"""Top-level packages a script may import only after its arguments are parsed."""
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCRIPT_REF = re.compile(r"benchmarks/(\w+\.py)")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
INLINE = re.compile(r"`([^`\n]+(?:\n[^`\n]+)*)`")
END_OF_COMMAND = {"&&", "||", ";", "|", ">", ">>", "2>&1"}


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> str:
    """A fresh ``TUI_AGENT_HOME``: a script that ignored ``--help`` would write there, not in the user's dirs."""
    return str(tmp_path_factory.mktemp("bench-help-home"))


@functools.cache
def run_help(script: str, home: str) -> tuple[int, str, set[str]]:
    """``(exit code, stdout + stderr, heavy packages imported)`` of ``python -X importtime script --help``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "TUI_AGENT_HOME": home}
    done = subprocess.run([sys.executable, "-X", "importtime", str(BENCHMARKS / script), "--help"], check=False,
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    messages = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("import time:"))
    return done.returncode, done.stdout + messages, imported & set(HEAVY)


def test_the_scripts_are_found():
    assert len(SCRIPTS) >= 20 and "notes_eval.py" in SCRIPTS and "perf_common.py" not in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_answers_at_once_without_heavy_imports(script, home):
    code, output, heavy = run_help(script, home)
    assert code == 0, output[-2000:]
    assert "usage:" in output and "--help" in output, output[-2000:]
    assert not heavy, f"{script} --help imports {sorted(heavy)}"


def code_segments(text: str) -> list[str]:
    """The fenced blocks (``\\``-continued lines joined) and the inline code spans (which may wrap lines)."""
    fenced = [m.group(1).replace("\\\n", " ") for m in FENCE.finditer(text)]
    rest = FENCE.sub("", text)
    return fenced + [m.group(1).replace("\n", " ") for m in INLINE.finditer(rest)]


def commands(text: str) -> list[tuple[str, list[str]]]:
    """``(script, flags)`` of every ``benchmarks/X.py …`` command in the code of a markdown text."""
    found = []
    for segment in code_segments(text):
        for line in segment.splitlines():
            for match in SCRIPT_REF.finditer(line):
                try:
                    words = shlex.split(line[match.end():], comments=True)
                except ValueError:  # an unbalanced quote in prose: read up to it
                    words = line[match.end():].split()
                flags = []
                for word in words:
                    if word in END_OF_COMMAND or SCRIPT_REF.search(word):
                        break
                    if word.startswith("--"):
                        flags.append(word.split("=", 1)[0])
                found.append((match.group(1), flags))
    return found


def test_the_command_reader_sees_flags_across_wrapped_lines():
    text = ("Run it: `python benchmarks/a.py --x 1,2\n--y 3` (slow).\n\n```bash\nX=1 python benchmarks/b.py "
            "--z 1 \\\n    --json out.json   # a comment --not\n```\nsee `benchmarks/c.py`\n")
    assert sorted(commands(text)) == [("a.py", ["--x", "--y"]), ("b.py", ["--z", "--json"]), ("c.py", [])]


def recorded_commands(value) -> list[str]:
    """The strings under a ``"command"`` key anywhere in a parsed JSON document."""
    if isinstance(value, dict):
        return [c for k, v in value.items() for c in ([v] if k == "command" and isinstance(v, str)
                                                         else recorded_commands(v))]
    return [c for v in value for c in recorded_commands(v)] if isinstance(value, list) else []


def documented() -> list[tuple[str, str]]:
    """``(file name, markdown text)`` of README.md, docs/*.md and the recorded commands of docs/**/*.json."""
    out = [(doc.name, doc.read_text(encoding="utf-8")) for doc in DOCS]
    for path in sorted((ROOT / "docs").rglob("*.json")):
        found = recorded_commands(json.loads(path.read_text(encoding="utf-8")))
        if found:
            out.append((str(path.relative_to(ROOT)), "\n".join(f"`{c}`" for c in sorted(set(found)))))
    return out


def test_documented_benchmark_commands_exist_and_take_their_flags(home):
    problems, seen = [], 0
    for name, text in documented():
        for script in sorted(set(SCRIPT_REF.findall(text))):
            if not (BENCHMARKS / script).is_file():
                problems.append(f"{name}: benchmarks/{script} does not exist")
        for script, flags in commands(text):
            if not (BENCHMARKS / script).is_file():
                continue
            seen += 1
            code, output, _heavy = run_help(script, home)
            missing = [f for f in flags if not re.search(rf"{re.escape(f)}(?![\w-])", output)]
            if code != 0 or missing:
                problems.append(f"{name}: benchmarks/{script} {' '.join(flags)}: "
                                f"{'--help exits ' + str(code) if code else 'not in --help: ' + ', '.join(missing)}")
    assert seen >= 10
    assert not problems, "\n".join(problems)
