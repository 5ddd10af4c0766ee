"""Lint and type-check the package: ``ruff check`` on the repository, ``mypy`` on ``tui_agent`` against a baseline.

Usage (from anywhere; ``.ci/run`` runs it before the tests)::

    python scripts/typecheck.py          # check
    python scripts/typecheck.py --sync   # rewrite .mypy-baseline.txt after fixing errors (it may only shrink)
    python scripts/typecheck.py --sync --grow   # record new errors too (say why in the commit)

Exit status 0: ruff finds nothing, and mypy reports exactly the errors recorded in ``.mypy-baseline.txt``
(compared per file and message, line numbers left out, by mypy-baseline). Exit status 1: ruff findings; a
mypy error not in the baseline; a baseline entry that no longer occurs (fixed: run ``--sync`` so the baseline
shrinks); or a baseline entry in a package that must stay clean (:data:`CLEAN`). Prints mypy's error count
per package and the baseline's size. Settings: ``[tool.ruff]``, ``[tool.mypy]`` and ``[tool.mypy-baseline]``
in pyproject.toml. Takes ~10 s with mypy's cache, about a minute without.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".mypy-baseline.txt"

CLEAN = ("tui_agent/rlem/", "tui_agent/memory/", "tui_agent/notes/", "tui_agent/chats/", "tui_agent/llm/",
         "tui_agent/bridge/", "tui_agent/storage/", "tui_agent/embedding/", "tui_agent/parallel/",
         "tui_agent/shop/", "tui_agent/docqa/", "tui_agent/envs/", "tui_agent/rl/", "tui_agent/agents/",
         "tui_agent/runs/", "tui_agent/config/", "tui_agent/text/")
"""Packages with no mypy error: an error there fails even if ``--sync`` would record it."""

PENDING: tuple[str, ...] = ()
"""Files of :data:`CLEAN` packages whose errors are baselined while they are rewritten on other branches."""

_ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+: error: ")


def package_of(path: str) -> str:
    """``tui_agent/memory/store.py`` -> ``memory``; a module at the package root -> its file name."""
    parts = Path(path).parts
    return parts[1] if len(parts) > 2 else Path(path).name


def run_ruff() -> int:
    """``ruff check`` on the repository (rules in pyproject.toml); its exit status."""
    print("== ruff check", flush=True)
    return subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT).returncode


def run_mypy() -> tuple[str, int]:
    """mypy's report (one line per error / note) and its exit status (0 clean, 1 errors, 2 crash)."""
    from mypy import api

    stdout, stderr, status = api.run(["--no-color-output", "--no-error-summary", "--hide-error-context"])
    if status > 1:
        raise SystemExit(f"mypy failed to run (exit {status}):\n{stderr}{stdout}")
    return stdout, status


def baseline_command(command: str, report: str) -> int:
    """Run mypy-baseline's ``filter`` / ``sync`` over ``report``; prints its output, returns its status."""
    from mypy_baseline import main

    out = io.StringIO()
    status = main([command, "--no-colors"], stdin=io.StringIO(report), stdout=out)
    text = out.getvalue().strip()
    if text:
        print(text)
    return status


def per_package(report: str) -> Counter[str]:
    """Error counts (notes left out) per package of ``tui_agent``."""
    return Counter(package_of(m["path"]) for m in map(_ERROR.match, report.splitlines()) if m)


def unclean_entries(baseline: list[str]) -> list[str]:
    """Baseline entries in :data:`CLEAN` packages outside :data:`PENDING`."""
    return [e for e in baseline if e.startswith(CLEAN) and not e.startswith(PENDING)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sync", action="store_true", help="rewrite the baseline with mypy's current errors")
    parser.add_argument("--grow", action="store_true", help="with --sync: also record errors not in the baseline")
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # pyproject.toml's settings; paths in the report relative to the repository

    failed = run_ruff() != 0
    print("== mypy", flush=True)
    report, _ = run_mypy()
    counts = per_package(report)
    total = sum(counts.values())
    print(f"mypy errors: {total}" + ("".join(f"\n  {pkg:<20} {n:>4}" for pkg, n in sorted(counts.items()))))
    if args.sync:
        before = BASELINE.read_text(encoding="utf-8") if BASELINE.exists() else ""
        if total == 0:
            BASELINE.write_text("", encoding="utf-8")  # mypy-baseline's sync leaves the file as it was on no errors
        else:
            baseline_command("sync", report)
        added = Counter(BASELINE.read_text(encoding="utf-8").splitlines()) - Counter(before.splitlines())
        if added and not args.grow:
            BASELINE.write_text(before, encoding="utf-8")
            print("not synced: the baseline may only shrink; fix these (or pass --grow):\n  " + "\n  ".join(added))
            failed = True
    elif baseline_command("filter", report) != 0:
        print("mypy: errors differ from the baseline (above). New ones: fix them. Fixed ones: run "
              "`python scripts/typecheck.py --sync` so the baseline shrinks.")
        failed = True
    entries = [line for line in BASELINE.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if BASELINE.exists() else []
    print(f"baseline: {len(entries)} entries in {BASELINE.name}")
    unclean = unclean_entries(entries)
    if unclean:
        print("these packages must stay free of mypy errors (scripts/typecheck.py CLEAN); fix instead:\n  "
              + "\n  ".join(unclean))
        failed = True
    print("typecheck: FAILED" if failed else "typecheck: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
