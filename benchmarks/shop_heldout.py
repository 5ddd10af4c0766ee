"""Shop results on seen (training) vs unseen (test) goals, with seeds and bootstrap CIs, from saved reports.

Reads the JSON reports of ``tui-agent train --env shop`` / ``tui-agent eval --env shop`` (and
``benchmarks/shop_pool_eval.py``) under ``docs/shop_results/`` — they keep every episode — and prints
for each row:

* **seen**: success on the row's 10 training goals during training (the paper's protocol: a goal
  counts as solved after epoch k when it was solved in any epoch ≤ k; solved goals are skipped
  later), after epoch 1 and after the last epoch;
* **unseen**: success on the test goals (never trained on) with the memory frozen after epoch 1 and
  after the last epoch (an ``eval`` row: its one run);
* **unseen gain**: last epoch − epoch 1 on the same test goals, paired per goal.

A row may have several reports (seeds): each goal's success is first averaged over them. Intervals:
:mod:`benchmarks.stats` (bootstrap over goals, 10,000 resamples, 95 %, seed 0; for a single success
rate the interval of its mean). Rows with one report are marked single-seed.

Usage::

    python benchmarks/shop_heldout.py [--row NAME=FILE[,FILE…] …] [--report docs/shop_results/heldout.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "docs" / "shop_results"
DEFAULT_ROWS = {  # row name: report stems under docs/shop_results (seed 0 first)
    "random": ["random", "random-seed1", "random-seed2"],
    "llm": ["llm"],
    "rememberer, bundled initial pool only": ["rememberer-pool"],
    "q-driven, S0": ["q-driven"],
    "q-driven, S1": ["q-driven-s1"],
    "q-driven, S0, REMEMBERER's init_pool": ["q-driven-refpool"],
    "q-driven, constant scorer, S0": ["q-driven-constant", "q-driven-constant-seed1", "q-driven-constant-seed2"],
    "rememberer-initpool-follower": ["rememberer-initpool-follower"],
    "rememberer-initpool-local-smollm2": ["rememberer-initpool-local-smollm2"],
}


def per_goal(results: list[dict]) -> dict[int, float]:
    """Goal index → success (0/1) of an evaluation's episodes."""
    return {int(r["goal_index"]): float(r["success"]) for r in results}


def read_report(path: Path) -> dict:
    """Per-goal success of one report: ``unseen`` (list per epoch; one entry for an eval), ``seen`` (per epoch
    or empty), ``train_set`` and ``command``.

    Raises:
        ValueError: the file holds neither a training report (``epochs`` with tests) nor an evaluation
            (``results``).
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if "epochs" in data:
        unseen = [per_goal(e["test"]["results"]) for e in data["epochs"] if e.get("test")]
        goals = [int(g) for g in data["goals"]]
        solved: set[int] = set()
        seen = []
        for epoch in sorted({int(e["epoch"]) for e in data["episodes"]}):
            solved |= {int(e["goal_index"]) for e in data["episodes"] if e["epoch"] == epoch and e["success"]}
            seen.append({g: float(g in solved) for g in goals})
        return {"unseen": unseen, "seen": seen, "train_set": data.get("train_set"), "command": data.get("command")}
    if "results" in data:
        return {"unseen": [per_goal(data["results"])], "seen": [], "train_set": None, "command": data.get("command")}
    raise ValueError(f"{path}: neither a training report (epochs) nor an evaluation (results)")


def mean_over_seeds(tables: list[dict[int, float]]) -> tuple[list[int], np.ndarray]:
    """Goals every table has, and their success averaged over the tables."""
    goals = sorted(set.intersection(*(set(t) for t in tables)))
    return goals, np.array([[t[g] for g in goals] for t in tables]).mean(axis=0)


def row(name: str, reports: list[dict]) -> dict:
    """The figures of one row (fractions 0–1): seen / unseen after epoch 1 and the last, the unseen gain."""
    from benchmarks.stats import paired_bootstrap

    out: dict = {"row": name, "seeds": len(reports), "train_set": reports[0]["train_set"]}
    goals, last = mean_over_seeds([r["unseen"][-1] for r in reports])
    out["unseen_goals"] = len(goals)
    out["unseen_per_seed"] = [float(np.mean([r["unseen"][-1][g] for g in goals])) for r in reports]
    ci = paired_bootstrap(last)
    out["unseen_last"] = [ci.mean, ci.low, ci.high]
    if len(reports[0]["unseen"]) > 1:
        _, first = mean_over_seeds([r["unseen"][0] for r in reports])
        out["unseen_epoch1"] = float(first.mean())
        gain = paired_bootstrap(last, first)
        out["unseen_gain"] = [gain.mean, gain.low, gain.high]
    if reports[0]["seen"]:
        _, seen_first = mean_over_seeds([r["seen"][0] for r in reports])
        _, seen_last = mean_over_seeds([r["seen"][-1] for r in reports])
        ci = paired_bootstrap(seen_last)
        out["seen_epoch1"] = float(seen_first.mean())
        out["seen_last"] = [ci.mean, ci.low, ci.high]
    return out


def pct(v: list[float] | float | None, signed: bool = False) -> str:
    """``"45 % [35, 55]"`` from [mean, low, high] (fractions), ``"45 %"`` from a number, ``"—"`` from None."""
    if v is None:
        return "—"
    f = "{:+.0f}" if signed else "{:.0f}"
    if isinstance(v, list):
        return f"{f.format(100 * v[0])} % [{f.format(100 * v[1])}, {f.format(100 * v[2])}]"
    return f"{f.format(100 * v)} %"


def table(rows: list[dict]) -> list[str]:
    lines = ["| row | seeds | seen (training goals): epoch 1 → last [95 % CI] | unseen goals | unseen: epoch 1 → last "
             "[95 % CI] | unseen gain, last − epoch 1 [95 % CI] |", "|---|---|---|---:|---|---|"]
    for r in rows:
        seeds = f"{r['seeds']}" if r["seeds"] > 1 else "1 (single-seed)"
        seen = f"{pct(r['seen_epoch1'])} → {pct(r['seen_last'])}" if "seen_last" in r else "— (not trained)"
        unseen = (f"{pct(r['unseen_epoch1'])} → " if "unseen_epoch1" in r else "") + pct(r["unseen_last"])
        if r["seeds"] > 1:
            unseen += " (seeds: " + " / ".join(f"{100 * v:.0f}" for v in r["unseen_per_seed"]) + " %)"
        lines.append(f"| {r['row']} | {seeds} | {seen} | {r['unseen_goals']} | {unseen} "
                     f"| {pct(r.get('unseen_gain'), signed=True)} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--row", action="append", default=[], metavar="NAME=FILE[,FILE…]",
                    help="A row and its reports (seeds); default: the rows of docs/shop_results.md found on disk.")
    ap.add_argument("--report", type=Path, default=None, help="Also write the table (markdown) here.")
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = ap.parse_args(argv)
    spec: dict[str, list[Path]] = {}
    for item in args.row:
        name, sep, files = item.partition("=")
        if not sep or not files:
            ap.error(f"--row {item!r}: expected NAME=FILE[,FILE…]")
        spec[name] = [Path(f) for f in files.split(",")]
    if not spec:
        spec = {name: [RESULTS / f"{s}.json" for s in stems if (RESULTS / f"{s}.json").is_file()]
                for name, stems in DEFAULT_ROWS.items()}
        spec = {k: v for k, v in spec.items() if v}
    missing = [str(p) for paths in spec.values() for p in paths if not p.is_file()]
    if missing:
        ap.error("no such report: " + ", ".join(missing))
    try:
        rows = [row(name, [read_report(p) for p in paths]) for name, paths in spec.items()]
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    lines = table(rows)
    print("\n".join(lines))
    if args.report:
        args.report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "files": {k: [str(p) for p in v] for k, v in spec.items()}},
                                        indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
