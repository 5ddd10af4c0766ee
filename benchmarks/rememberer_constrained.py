"""The paper's ``rememberer`` policy on the bundled model, with and without constrained advice (issue 22).

Both rows evaluate the same test goals 0..N-1 with the same seed, each on its own fresh memory (the
bundled initial pool only, memory frozen), by one CLI command each, run in a subprocess:

* ``constrained``: ``tui-agent eval --env shop --policy rememberer`` (the default: a llama.cpp grammar
  makes the advice one ``action -> Q reason`` line whose action is one of the page's valid actions);
* ``unconstrained``: the same with ``--unconstrained`` (the paper's free-text advice, parsed; unreadable
  advice is no action, an invalid step).

Figures per row: share of valid actions (steps whose action the page offered), success rate, mean
score, and seconds per step (the run's wall time over its steps: the model's prompt and generation
dominate). The JSON of each run goes to ``docs/shop_results/rememberer-<row>.json`` and the table to
``docs/rememberer_constrained.md`` (``--report-only`` rebuilds it from those files).

Usage::

    python benchmarks/rememberer_constrained.py [--tasks 10] [--seed 0] [--rows constrained,unconstrained]
                                                [--report-only]

On 2 shared CPU cores a step costs tens of seconds (a ~1,500-token prompt), so 10 goals take about an
hour per row; run the rows in parallel only if the cores are free (the seconds per step count it).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "shop_results"
REPORT = ROOT / "docs" / "rememberer_constrained.md"
ROWS = {"constrained": [], "unconstrained": ["--unconstrained"]}
NO_ACTION = "NOTHINGG"


def command(row: str, tasks: int, seed: int, memory: Path) -> list[str]:
    return ["eval", "--env", "shop", "--tasks", str(tasks), "--policy", "rememberer", "--seed", str(seed),
            "--memory-dir", str(memory), "--model", "local/smollm2",
            "--output", str(RESULTS / f"rememberer-{row}.json"), *ROWS[row]]


def figures(report: dict) -> dict:
    """Per-run figures from an eval report: steps, valid share, success, mean score, seconds per step."""
    steps = [s for r in report["results"] for s in r["steps"]]
    valid = sum(1 for s in steps if s.get("valid", True) and s["action"] != NO_ACTION)
    n = len(report["results"])
    return {"goals": n, "steps": len(steps), "valid": valid, "valid_share": valid / max(len(steps), 1),
            "success": sum(1 for r in report["results"] if r["success"]) / max(n, 1),
            "score": sum(float(r["reward"] or 0.0) for r in report["results"]) / max(n, 1),
            "seconds_per_step": float(report.get("seconds", 0.0)) / max(len(steps), 1)}


def write_report() -> str:
    lines = ["# `rememberer` on the bundled model: constrained vs free-text advice", "",
             "Written by `benchmarks/rememberer_constrained.py` from `docs/shop_results/rememberer-*.json`",
             "(test goals 0..N-1, seed 0, bundled initial pool, memory frozen; SmolLM2-135M, 2 shared CPU cores).",
             "", "| advice | goals | steps | valid actions | success | mean score | s / step |",
             "|---|---|---|---|---|---|---|"]
    for row in ROWS:
        path = RESULTS / f"rememberer-{row}.json"
        if not path.is_file():
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        f = figures(report)
        lines.append(f"| {row} | {f['goals']} | {f['steps']} | {f['valid']} / {f['steps']} = "
                     f"{100 * f['valid_share']:.0f} % | {100 * f['success']:.0f} % | {f['score']:.3f} | "
                     f"{f['seconds_per_step']:.1f} |")
    lines += ["", "Commands:", "", "```"]
    for row in ROWS:
        path = RESULTS / f"rememberer-{row}.json"
        if path.is_file():
            lines.append(json.loads(path.read_text(encoding="utf-8")).get("command", ""))
    lines += ["```", ""]
    text = "\n".join(lines)
    REPORT.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=10, help="test goals 0..N-1 (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated: " + ", ".join(ROWS))
    parser.add_argument("--report-only", action="store_true", help="rebuild the table from the saved JSON")
    args = parser.parse_args(argv)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        parser.error(f"unknown rows {unknown}; expected {', '.join(ROWS)}")
    if not args.report_only:
        RESULTS.mkdir(parents=True, exist_ok=True)
        for row in rows:
            cmd = command(row, args.tasks, args.seed, Path(tempfile.mkdtemp(prefix=f"rememberer-{row}-")))
            print("$ tui-agent " + shlex.join(cmd), flush=True)
            subprocess.run([sys.executable, "-m", "tui_agent", *cmd], cwd=ROOT, check=True)
    print(write_report())


if __name__ == "__main__":
    main()
