"""Dependencies point one way (pyproject.toml ``[tool.importlinter]``): checked with import-linter.

face (cli, tui) → domains (chat, shop) → bridge → rlem (pure) → memory, llm, envs → embedding, config,
text, storage.
The second test proves the check bites: the same contracts on a copy of the
package with one back-edge added must fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") >= 4


def test_a_back_edge_breaks_the_contracts(tmp_path):
    shutil.copytree(ROOT / "tui_agent", tmp_path / "tui_agent", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    records = tmp_path / "tui_agent" / "rlem" / "records.py"
    records.write_text(records.read_text() + "\nimport tui_agent.memory.store  # back-edge\n")
    result = lint(tmp_path)
    assert result.returncode != 0
    assert "tui_agent.rlem.records -> tui_agent.memory.store" in result.stdout
