"""Where conformance tests find the reference projects' own numbers.

``$TUI_AGENT_REFERENCE_DIR`` when set (so other vector sets of the same format
can be checked with the same tests), else the copy shipped with the tests,
``tests/data/reference/`` (its README says how the files were made). A missing
file fails the test: a conformance check never passes silently.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

DEFAULT_DIR = Path(__file__).resolve().parent / "data" / "reference"


def reference_dir() -> Path:
    """``$TUI_AGENT_REFERENCE_DIR``, else :data:`DEFAULT_DIR` (``tests/data/reference``)."""
    return Path(os.environ.get("TUI_AGENT_REFERENCE_DIR") or DEFAULT_DIR)


def load_reference(name: str) -> Any:
    path = reference_dir() / name
    if not path.is_file():
        pytest.fail(f"reference file {path} is missing (set TUI_AGENT_REFERENCE_DIR)")
    return json.loads(path.read_text(encoding="utf-8"))
