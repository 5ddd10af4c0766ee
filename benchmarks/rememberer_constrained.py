"""The paper's ``rememberer`` policy on the bundled model, with and without constrained advice (issue 22).

Both rows evaluate the same test goals 0..N-1 with the same seed, each on its own fresh memory (the
bundled initial pool only, memory frozen), as ``tui-agent eval --env shop --policy rememberer`` does
(the same agent, built by the same factory), in this process:

* ``constrained``: the default (a llama.cpp grammar makes the advice one ``action -> Q reason`` line
  whose action is one of the page's valid actions);
* ``unconstrained``: ``--unconstrained`` (the paper's free-text advice, parsed; unreadable advice is
  no action, an invalid step).

Figures per row: share of valid actions (steps whose action the page offered), success rate, mean
score, and seconds per step (wall time from one step's decision to the next, the model's prompt and
generation dominating). The JSON of each row goes to ``docs/shop_results/rememberer-<row>.json``
after every episode (an interrupted run keeps the goals it finished) and the table to
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
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "shop_results"
REPORT = ROOT / "docs" / "rememberer_constrained.md"
ROWS = ("constrained", "unconstrained")
NO_ACTION = "NOTHINGG"


def run_row(row: str, tasks: int, seed: int, memory: Path) -> None:
    """Goals 0..tasks-1 of the test split with the ``rememberer`` policy; the report is rewritten after
    every episode, with each step's seconds (``step_seconds``)."""
    from tui_agent.agents.factory import RunOptions, agent_config, build_agent
    from tui_agent.config.settings import load_settings
    from tui_agent.envs.shop.env import ShopEnv

    settings = load_settings(memory_dir=memory, model="local/smollm2")
    options = RunOptions(seed=seed, constrained=row == "constrained")
    agent = build_agent("shop", settings, agent_config("shop", settings, options))
    env = ShopEnv(split="test")
    out = RESULTS / f"rememberer-{row}.json"
    cmd = f"python benchmarks/rememberer_constrained.py --tasks {tasks} --seed {seed} --rows {row}"
    report: dict = {"policy": "rememberer", "row": row, "split": "test", "seed": seed, "command": cmd,
                    "results": [], "step_seconds": [], "seconds": 0.0}
    for goal in range(tasks):
        times: list[float] = []
        last = [time.perf_counter()]

        def on_step(_step, times=times, last=last) -> None:
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now

        result = agent.run_episode(env, {"split": "test", "goal_index": goal}, "rememberer", on_step=on_step)
        report["results"].append(result.to_json())
        report["step_seconds"].append(times)
        report["seconds"] += sum(times)
        report["goals"] = list(range(goal + 1))
        out.write_text(json.dumps(report, indent=1), encoding="utf-8")
        print(f"{row}: goal {goal}: reward {result.reward:.3f}, {len(times)} steps, {sum(times):.0f} s", flush=True)


def figures(report: dict) -> dict:
    """Per-run figures from an eval report: steps, valid share, success, mean score, seconds per step."""
    steps = [s for r in report["results"] for s in r["steps"]]
    valid = sum(1 for s in steps if s.get("valid", True) and s["action"] != NO_ACTION)
    n = len(report["results"])
    return {"goals": n, "steps": len(steps), "valid": valid, "valid_share": valid / max(len(steps), 1),
            "success": sum(1 for r in report["results"] if r["success"]) / max(n, 1),
            "score": sum(float(r["reward"] or 0.0) for r in report["results"]) / max(n, 1),
            "seconds_per_step": float(report.get("seconds", 0.0)) / max(len(steps), 1),
            "median_step_seconds": statistics.median(t for ts in report.get("step_seconds", [[0.0]]) for t in ts)}


def write_report() -> str:
    lines = ["# `rememberer` on the bundled model: constrained vs free-text advice", "",
             "Written by `benchmarks/rememberer_constrained.py` from `docs/shop_results/rememberer-*.json`",
             "(test goals 0..N-1, seed 0, bundled initial pool, memory frozen; SmolLM2-135M, 2 shared CPU cores).",
             "", "| advice | goals | steps | valid actions | success | mean score | s / step (mean, median) |",
             "|---|---|---|---|---|---|---|"]
    for row in ROWS:
        path = RESULTS / f"rememberer-{row}.json"
        if not path.is_file():
            continue
        report = json.loads(path.read_text(encoding="utf-8"))
        f = figures(report)
        lines.append(f"| {row} | {f['goals']} | {f['steps']} | {f['valid']} / {f['steps']} = "
                     f"{100 * f['valid_share']:.0f} % | {100 * f['success']:.0f} % | {f['score']:.3f} | "
                     f"{f['seconds_per_step']:.1f}, {f['median_step_seconds']:.1f} |")
    lines += ["", "Valid actions: steps whose action the page offered (unreadable advice is the reference's no-action",
              "step). Seconds per step: wall time from one decision to the next on a shared machine (other jobs ran",
              "beside it), so only the two rows' difference on the same goals means anything.",
              "", "Commands:", "", "```"]
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
            run_row(row, args.tasks, args.seed, Path(tempfile.mkdtemp(prefix=f"rememberer-{row}-")))
    print(write_report())


if __name__ == "__main__":
    main()
