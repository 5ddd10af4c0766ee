"""Start-up figures: a cold ``tui-agent ask`` end to end, and the TUI's first paint in tmux.

Usage::

    .venv/bin/python benchmarks/perf_startup.py                         # both, 2 runs each
    .venv/bin/python benchmarks/perf_startup.py --only ask --runs 1     # one cold ask (plus the warm-up)
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from perf_common import emit, interleaved, log, p50

QUESTION = "What is the capital of France?"
BIN = Path(sys.executable).parent
MINIMAL_APP = (
    "from textual.app import App\nfrom textual.widgets import Static\n"
    "class A(App):\n    def compose(self):\n        yield Static('minimal app painted')\nA().run()\n"
)


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def cold_ask(runs: int) -> None:
    """``tui-agent ask`` in a new process (bundled model, a memory of a few rows) vs ``python -c pass``."""
    home = tempfile.mkdtemp(prefix="perf-ask-")
    env = {**os.environ, "TUI_AGENT_HOME": home}
    ask = [str(BIN / "tui-agent"), "ask", QUESTION]
    try:
        log("cold ask: warm-up run (creates the memory; exports the ONNX model if not cached)")
        _run(ask, env)
        values, refs = interleaved(runs, lambda: _run(ask, env), lambda: _run([sys.executable, "-c", "pass"], env))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    emit("cold_ask", p50(values), "s", "python -c pass", p50(refs), "<= 2.0 s", runs=runs, max=max(values))


_runs = itertools.count()


def _passed_env() -> str:
    """``PYTHONPATH`` and ``TUI_AGENT_EMBED_BACKEND`` for the command in tmux (to measure another checkout)."""
    import shlex

    names = ("PYTHONPATH", "TUI_AGENT_EMBED_BACKEND")
    return "".join(f"{n}={shlex.quote(os.environ[n])} " for n in names if os.environ.get(n))


def _paint(command: str, marker: tuple[str, ...], env_home: str, timeout: float = 60.0) -> float:
    session = f"perf{os.getpid()}-{next(_runs)}"
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "110", "-y", "30",
                    f"env TUI_AGENT_HOME={env_home} {_passed_env()}{command}"], check=True)
    try:
        while time.perf_counter() - start < timeout:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout
            if any(m in screen for m in marker):
                return time.perf_counter() - start
            time.sleep(0.005)
        return float("nan")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def first_paint(runs: int) -> None:
    """Time from launching ``tui-agent`` in tmux until its first screen is visible, vs a minimal Textual app."""
    if not shutil.which("tmux"):
        log("first paint: tmux not found, skipped")
        return
    home = tempfile.mkdtemp(prefix="perf-paint-")
    keepalive = f"perf{os.getpid()}-keepalive"  # the tmux server would exit (and race new sessions) between runs
    subprocess.run(["tmux", "new-session", "-d", "-s", keepalive, "sleep 3600"], check=False)
    script = Path(home) / "minimal_app.py"
    script.write_text(MINIMAL_APP)
    app = str(BIN / "tui-agent")
    try:
        values, refs = interleaved(
            runs,
            lambda: _paint(app, ("starting", "⏳", "experiences", "loading"), home),
            lambda: _paint(f"{sys.executable} {script}", ("minimal app painted",), home),
        )
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keepalive], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
    emit("tui_first_paint", p50(values), "s", "minimal Textual app in tmux", p50(refs), "<= 0.3 s", runs=runs,
         max=max(values))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs of each figure and of its reference")
    parser.add_argument("--only", choices=("ask", "paint"), default=None, help="one figure only")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.only in (None, "ask"):
        cold_ask(args.runs)
    if args.only in (None, "paint"):
        first_paint(args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
