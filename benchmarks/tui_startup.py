"""How fast the TUI paints, measured as a user sees it: start `tui-agent` in tmux and poll the screen.

Prints, over N runs, the time from launch until the first screen (status line) is visible, and until
the status line says the model and memory are loaded. Budget: first paint < 1 s.

Usage: python benchmarks/tui_startup.py [--runs 5] [--command tui-agent]
Needs tmux.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def capture(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def one_run(command: str, timeout: float = 120.0) -> tuple[float, float]:
    session = f"bench{os.getpid()}"
    home = tempfile.mkdtemp()
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "110", "-y", "30",
                    f"env TUI_AGENT_HOME={home} {command}"], check=True)
    painted = loaded = float("nan")
    try:
        while time.perf_counter() - start < timeout:
            screen = capture(session)
            now = time.perf_counter() - start
            if painted != painted and ("starting" in screen or "⏳" in screen or "experiences" in screen):
                painted = now
            if "experiences" in screen:
                loaded = now
                break
            time.sleep(0.02)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
    return painted, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--command", default="tui-agent")
    args = parser.parse_args()
    if not shutil.which("tmux"):
        raise SystemExit("tmux is required")
    runs = [one_run(args.command) for _ in range(args.runs)]
    paint = [p for p, _ in runs]
    load = [loaded for _, loaded in runs]
    print(f"runs: {args.runs}")
    print(f"first paint   median {statistics.median(paint):.2f} s  max {max(paint):.2f} s  (budget 1.00 s)")
    print(f"fully loaded  median {statistics.median(load):.2f} s  max {max(load):.2f} s")


if __name__ == "__main__":
    main()
