"""Test helper: run code that once hung or ate memory in a child interpreter with a time and memory limit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

MEMORY_LIMIT = 1536 * 1024**2
"""Address space of the child, bytes: a runaway allocation ends in MemoryError, not in the machine's OOM killer."""


def run_child(code: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """``code`` (dedented) in a fresh interpreter; a child still running after ``timeout`` s fails the test."""
    prelude = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
    try:
        return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                              text=True, timeout=timeout, cwd=os.getcwd())
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {timeout} s (blocked or looping)")
