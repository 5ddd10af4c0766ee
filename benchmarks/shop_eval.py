"""Shop benchmark: random vs LLM-only vs RLEM on test goals after 10 × 3 training (REMEMBERER §4).

Runs the CLI commands in subprocesses on a fresh memory directory:

1. ``tui-agent eval --policy llm``   (static exemplars = the initial pool, no memory)
   — started first, in parallel with training (it does not read the memory);
2. ``tui-agent train --env shop --tasks 10 --epochs 3 --seed S``;
3. ``tui-agent eval --policy random`` and ``tui-agent eval --policy rlem`` (memory frozen);

then writes ``docs/shop_results.md`` (the table and the exact commands) and the
per-task JSON files next to it (``docs/shop_results/``).

Usage::

    python benchmarks/shop_eval.py [--tasks 100] [--train-tasks 10] [--epochs 3] [--seed 0]
                                   [--model local/smollm2] [--out docs] [--ablations]

Takes hours on 2 CPU cores with the bundled model (the LLM-only run is the
slowest: its episodes wander to the 15-step limit). ``--ablations`` also
evaluates RLEM without action roles and RLEM with only the initial pool.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui_agent", *args]


def shown(cmd: list[str]) -> str:
    return "tui-agent " + " ".join(shlex.quote(a) for a in cmd[3:])


def run(cmd: list[str], log: Path) -> subprocess.Popen:
    print("$", shown(cmd), flush=True)
    return subprocess.Popen(cmd, cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait(proc: subprocess.Popen, what: str) -> None:
    if proc.wait() != 0:
        raise SystemExit(f"{what} failed (exit {proc.returncode}); see its log")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=100)
    ap.add_argument("--train-tasks", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default="local/smollm2")
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--memory-dir", type=Path, default=None, help="default: a new temporary directory")
    ap.add_argument("--ablations", action="store_true")
    ap.add_argument("--report-only", action="store_true", help="rewrite the report from the saved results")
    args = ap.parse_args()

    results_dir = args.out / "shop_results"
    results_dir.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        # Each eval JSON records the command that wrote it; run.json (if the whole script
        # ran) adds the training command and the wall time.
        saved = json.loads(p.read_text()) if (p := results_dir / "run.json").exists() else {}
        rows = {n: json.loads((results_dir / f"{n}.json").read_text()) for n in LABELS
                if (results_dir / f"{n}.json").exists()}
        train_report = json.loads((results_dir / "train.json").read_text())
        trained = shlex.split(rows["rlem"]["command"])
        memory_dir = trained[trained.index("--memory-dir") + 1] if "--memory-dir" in trained else "MEMORY"
        commands = saved.get("commands") or {
            "train": "tui-agent " + shlex.join(["train", "--env", "shop", "--tasks", str(args.train_tasks),
                                                "--epochs", str(args.epochs), "--seed", str(args.seed),
                                                "--json", "--memory-dir", memory_dir, "--model", args.model]),
            **{n: rows[n]["command"].replace(f"{ROOT}/", "") for n in rows}}
        return write_report(args, commands, rows, train_report, saved.get("elapsed"))
    memory = args.memory_dir or Path(tempfile.mkdtemp(prefix="shop-bench-"))
    empty = Path(tempfile.mkdtemp(prefix="shop-bench-pool-"))  # RLEM with only the initial pool
    common = ["--memory-dir", str(memory), "--model", args.model]
    started = time.time()

    def eval_cmd(policy: str, name: str, mem: Path = memory, *extra: str) -> list[str]:
        return cli("eval", "--env", "shop", "--tasks", str(args.tasks), "--policy", policy,
                   "--seed", str(args.seed), "--output", str(results_dir / f"{name}.json"),
                   "--memory-dir", str(mem), "--model", args.model, *extra)

    commands: dict[str, list[str]] = {}
    commands["llm"] = eval_cmd("llm", "llm", empty)
    llm = run(commands["llm"], results_dir / "llm.log")
    commands["train"] = cli("train", "--env", "shop", "--tasks", str(args.train_tasks), "--epochs",
                            str(args.epochs), "--seed", str(args.seed), "--json", *common)
    train = run(commands["train"], results_dir / "train.log")
    wait(train, "training")
    train_report = json.loads((results_dir / "train.log").read_text().strip().splitlines()[-1])
    (results_dir / "train.json").write_text(json.dumps(train_report, indent=1))
    for name, policy, extra in [("random", "random", ()), ("rlem", "rlem", ())] + (
            [("rlem_no_analogy", "rlem", ("--no-analogy",))] if args.ablations else []):
        commands[name] = eval_cmd(policy, name, memory, *extra)
        wait(run(commands[name], results_dir / f"{name}.log"), name)
    if args.ablations:
        commands["rlem_pool_only"] = eval_cmd("rlem", "rlem_pool_only", empty)
        wait(run(commands["rlem_pool_only"], results_dir / "rlem_pool_only.log"), "rlem_pool_only")
    wait(llm, "LLM-only evaluation")
    elapsed = time.time() - started

    rows = {}
    for name in commands:
        if name != "train":
            rows[name] = json.loads((results_dir / f"{name}.json").read_text())
    (results_dir / "run.json").write_text(json.dumps({"commands": commands, "elapsed": elapsed}, indent=1))
    write_report(args, commands, rows, train_report, elapsed)


METHOD = """## What the rows are

* **random**: a random available action (never one already taken on the same page); on the
  search page every policy searches the instruction's keywords (`search_keywords`).
* **LLM-only**: the bundled model picks the action. Its output is constrained to the available
  actions: each candidate `click[...]` is scored by its log-likelihood after the prompt
  (REMEMBERER's prompt: system text, m = 2 exemplars with Encouraged/Discouraged advice, the new
  input) and the most likely one is taken. Exemplars come from the initial pool only (one
  hand-written successful trajectory), retrieved by λ·f_task + (1−λ)·f_obs; no memory, no updates.
* **RLEM**: the same model and prompt with exemplars from the experience memory, and the memory's
  Q-values choose directly (`tui_agent/rlem/shop_policy.py`): a remembered action counts for a
  candidate when it plays the same *role* on a page of the same type (result #k, an option the
  instruction names, Buy Now with / without named options still unchosen, …); Q̂ is the
  similarity-weighted mean Q of that role over the 40 most similar same-type records, shrunk
  towards 0 by a prior weight of 0.5; if the best Q̂ ≥ 0.5 with support ≥ 0.3 the memory takes it
  (the model breaks ties within 0.02), else the model chooses. Training: memory updated every
  step with full-episode returns (γ = 1), untried roles explored optimistically (at most 2 per
  episode); evaluation: memory frozen, no exploration.
* **Ablations** (with `--ablations`): *exact action strings only* turns the roles off (Q carries
  over only for identical actions such as `click[Buy Now]`); *initial pool only* is RLEM with the
  untrained memory (the hand-written trajectory alone).

Why Q chooses: the 135M model copies the exemplar's action (shown "click[Features] -> 1.0" it
clicked Features on 18 of 20 item pages), so learning must not depend on it obeying the advice
(DESIGN.md §4).
"""

LABELS = {
    "random": "random (random available action)",
    "llm": "LLM-only (static exemplars = the initial pool, no memory)",
    "rlem": "RLEM (memory after training)",
    "rlem_no_analogy": "RLEM, exact action strings only (--no-analogy)",
    "rlem_pool_only": "RLEM, initial pool only (no training)",
}


def write_report(args, commands, rows, train_report, elapsed) -> None:
    lines = ["| policy | average score | success rate | steps / episode | hit the 15-step limit |",
             "|---|---:|---:|---:|---:|"]
    for name, data in sorted(rows.items(), key=lambda kv: list(LABELS).index(kv[0]) if kv[0] in LABELS else 99):
        steps = [len(r["steps"]) for r in data["results"]]
        limit = sum(1 for r in data["results"] if len(r["steps"]) >= 15 and not r["steps"][-1]["action"].endswith(
            "[Buy Now]"))
        lines.append(f"| {LABELS.get(name, name)} | {data['score']:.3f} | {100 * data['success_rate']:.0f} % | "
                     f"{sum(steps) / len(steps):.1f} | {limit} |")
    rl, llm = rows["rlem"], rows["llm"]
    gain = 100 * (rl["success_rate"] - llm["success_rate"])
    epochs = ", ".join(f"epoch {e['epoch']}: {e['episodes']} episodes, score {e['score']:.2f}, "
                       f"success {100 * e['success_rate']:.0f} %" for e in train_report["epochs"])
    setting = (f"{args.tasks} test goals (test split, goals 0..{args.tasks - 1}), model `{args.model}` "
               f"(SmolLM2-135M-Instruct Q4_1 in llama.cpp), after {args.train_tasks} training goals × "
               f"{args.epochs} epochs (seed {args.seed}); memory frozen during evaluation; at most 15 steps "
               "an episode; success = reward 1.0.")
    verdict = (f"RLEM vs LLM-only: success rate **{gain:+.0f} points** "
               f"({100 * rl['success_rate']:.0f} % vs {100 * llm['success_rate']:.0f} %), average score "
               f"{rl['score'] - llm['score']:+.3f}.")
    if "rlem_pool_only" in rows:
        pool = rows["rlem_pool_only"]
        verdict += (f" Training adds {100 * (rl['success_rate'] - pool['success_rate']):+.0f} points of success "
                    f"over the same policy with the initial pool alone "
                    f"({100 * pool['success_rate']:.0f} %).")
    text = "\n".join([
        "# Shop results (bundled model)", "", setting, "",
        *lines, "", verdict, "",
        f"Training: {epochs}.", "",
        "Produced by:", "", "```", f"python benchmarks/shop_eval.py --tasks {args.tasks} --train-tasks "
        f"{args.train_tasks} --epochs {args.epochs} --seed {args.seed}" + (" --ablations" if args.ablations else ""),
        "```", "", "which ran (memory directories are temporary):", "", "```",
        *[cmd if isinstance(cmd, str) else shown(cmd) for cmd in commands.values()], "```", "",
        (f"Wall time {elapsed / 3600:.1f} h on 2 shared CPU cores. " if elapsed else "")
        + "Per-task results: `docs/shop_results/*.json`.",
        "", METHOD])
    (args.out / "shop_results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
