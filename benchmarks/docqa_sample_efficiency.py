"""Sample efficiency on DocumentQA-v0: success rate and average return on the test questions against
the number of training episodes, for PPO (Ray RLlib) and the RLEM policies, same seeds, with wall time.

Methods (``--methods``):

* ``ppo`` — :mod:`tui_agent.rl.ppo`: one PPO run per (seed, budget) from scratch (the batch size
  follows the budget), then its greedy policy on the test questions.
* ``ppo-bc`` — the same, warm-started by imitating the LLM planner (the blog's suggestion): behaviour
  cloning on ``--bc-steps`` steps of the ``llm`` policy (bundled model, train questions, seed 0; recorded
  once into ``<out>.planner-demos.json``), then PPO (:mod:`tui_agent.rl.imitation`).
* ``q-driven`` / ``rememberer`` — :class:`tui_agent.docqa.agent.DocQAAgent` on a fresh LanceDB memory
  per seed, trained along the seeded order of :func:`tui_agent.docqa.protocol.training_order` (memory
  updated every step) and tested with the memory frozen when the episode count reaches each budget.
  ``--scorer constant`` (default) lets q-driven break ties without the model (fast); ``llm`` uses the
  bundled model's likelihoods. The rememberer always asks the model.
* ``q-driven-answer`` — the ablation of q-driven's per-kind (generic) estimates: it always answers
  (``--always-answer``), so the row isolates what holding back blind answers adds.
* ``random`` / ``llm`` — no memory, so no training: one test per seed, drawn as flat lines.

Every policy answers with the same extractive answerer (the passage sentence with the most question
words), so the methods differ only in what they read and when they answer. Reward: +1 correct, −1
wrong, −0.01 a step, 0 at the 8-step time-out (a policy that never answers scores −0.08).

Rows are cached in ``<out>.json`` as they finish (a rerun skips them; ``--report-only`` only rebuilds
``<out>.md`` and ``<out>.png`` from it). Usage::

    .venv/bin/python benchmarks/docqa_sample_efficiency.py [--methods ppo,q-driven,random]
        [--budgets 10,30,100,300,1000] [--seeds 0,1,2] [--test-questions 196] [--scorer constant]
        [--out docs/docqa_sample_efficiency] [--report-only] [--include other_run.json,...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("ppo", "ppo-bc", "q-driven", "q-driven-answer", "rememberer", "random", "llm")
STATIC = ("random", "llm")  # no training: budget-independent


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def load_rows(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["rows"] if path.exists() else []


def save_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rows": rows}, indent=1), encoding="utf-8")


def row_key(r: dict[str, Any]) -> tuple:
    return r["method"], r["budget"], r["seed"], r["test_questions"], r.get("scorer", "")


def git_commit() -> str:
    """The checked-out commit, with "+dirty" when the package has uncommitted changes (the code the rows ran)."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "tui_agent"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + ("+dirty" if dirty else "")


def load_avg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# --- PPO -----------------------------------------------------------------------------------------

def run_ppo(budget: int, seed: int, test_questions: int, warm_start: Path | None = None) -> dict[str, Any]:
    from tui_agent.rl.ppo import PPOSettings, evaluate, train

    t0 = time.perf_counter()
    report, policy = train(PPOSettings(episodes=budget, seed=seed, warm_start=str(warm_start) if warm_start else None))
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    test = evaluate(policy, "test", test_questions)
    eval_s = time.perf_counter() - t1
    sampled = evaluate(policy.sampler(seed), "test", test_questions)
    returns = [round(c["return_mean"], 4) for c in report["curve"]]
    return {"train_episodes": report["episodes"], "iterations": len(report["curve"]),
            "iteration_returns": returns, "success_rate": test["success_rate"], "return_mean": test["return_mean"],
            "answered": test["answered"], "steps_mean": test["steps_mean"],
            "sampled_success_rate": sampled["success_rate"], "sampled_return_mean": sampled["return_mean"],
            "sampled_answered": sampled["answered"],
            "train_s": round(train_s, 1), "eval_s": round(eval_s, 1),
            **({"warm_start": report["warm_start"]} if "warm_start" in report else {})}


def planner_demos(path: Path, steps: int) -> Path:
    """The LLM planner's demonstrations for ppo-bc (made once, seed 0, cached in ``path``)."""
    from tui_agent.rl.imitation import planner_demonstrations, save_demonstrations

    if path.exists():
        return path
    log(f"recording {steps} steps of the llm planner (bundled model) for ppo-bc → {path}")
    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="docqa-planner-") as tmp:
        agent = rlem_agent(Path(tmp) / "memory", 0, "llm")
        demos = planner_demonstrations(agent, steps, seed=0, policy="llm",
                                       on_episode=lambda e: log(f"  planner episode {e['episode']}: return "
                                                                f"{e['return']:+.2f}, {e['steps']} steps so far"))
    demos["seconds"] = round(time.perf_counter() - t, 1)
    save_demonstrations(demos, path)
    return path


# --- RLEM ------------------------------------------------------------------------------------------

def rlem_agent(memory: Path, seed: int, scorer: str, always_answer: bool = False) -> Any:
    """A DocQAAgent on a fresh memory; ``always_answer``: the q-driven ablation without per-kind (generic)
    estimates, so it never holds back an answer (method ``q-driven-answer``)."""
    from tui_agent.config.settings import load_settings
    from tui_agent.docqa.agent import DocQAAgent, DocQAConfig
    from tui_agent.docqa.policy import PolicyConfig
    from tui_agent.embedding.encoder import shared_embedder
    from tui_agent.llm.client import LLM
    from tui_agent.memory.store import ExperienceStore

    settings = load_settings(memory_dir=memory)
    return DocQAAgent(ExperienceStore(memory), shared_embedder(), LLM.from_settings(settings),
                      DocQAConfig(seed=seed, scorer=scorer, policy=PolicyConfig(generic=not always_answer)))


def test_rlem(agent: Any, env: Any, policy: str, n: int) -> dict[str, Any]:
    from tui_agent.docqa.protocol import evaluate

    t = time.perf_counter()
    report = evaluate(agent, env, n, policy, "test")
    return {"success_rate": report["success_rate"], "return_mean": report["avg_return"],
            "answered": report["answered"], "steps_mean": report["avg_steps"],
            "eval_s": round(time.perf_counter() - t, 1)}


def run_rlem(method: str, budgets: list[int], seed: int, test_questions: int, scorer: str,
             done: set[tuple], emit: Any) -> None:
    """One memory per seed, trained up to the largest budget; a frozen test at each budget."""
    from tui_agent.docqa.protocol import training_order
    from tui_agent.envs.docqa.env import DocQAEnv

    env = DocQAEnv(split="train")
    todo = [b for b in budgets if (method, b, seed, test_questions, scorer) not in done]
    if not todo:
        return
    with tempfile.TemporaryDirectory(prefix=f"docqa-{method}-{seed}-") as tmp:
        agent = rlem_agent(Path(tmp) / "memory", seed, scorer, always_answer=method == "q-driven-answer")
        policy = "q-driven" if method == "q-driven-answer" else method
        order = training_order(len(env.questions("train")), max(todo), seed)
        trained, train_s, returns = 0, 0.0, []
        for budget in sorted(todo):
            t = time.perf_counter()
            while trained < budget:
                r = agent.run_episode(env, {"split": "train", "question_index": order[trained]}, policy, learn=True)
                returns.append(r.ret)
                trained += 1
            train_s += time.perf_counter() - t
            row = test_rlem(agent, env, policy, test_questions)
            row.update(train_episodes=trained, train_s=round(train_s, 1),
                       train_return_last100=round(statistics.fmean(returns[-100:]), 4),
                       memory_rows=agent.store.count("docqa"))
            emit(method, budget, seed, row)


def run_static(method: str, seed: int, test_questions: int, scorer: str) -> dict[str, Any]:
    from tui_agent.envs.docqa.env import DocQAEnv

    with tempfile.TemporaryDirectory(prefix=f"docqa-{method}-") as tmp:
        agent = rlem_agent(Path(tmp) / "memory", seed, scorer)
        row = test_rlem(agent, DocQAEnv(split="test"), method, test_questions)
    return {**row, "train_episodes": 0, "train_s": 0.0}


# --- report ------------------------------------------------------------------------------------------

def _ms(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f}"


def report(rows: list[dict[str, Any]], out: Path) -> None:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["method"], r.get("scorer", ""), r["budget"], r["test_questions"])].append(r)
    order = {m: i for i, m in enumerate(METHODS)}
    keys = sorted(groups, key=lambda k: (order.get(k[0], 99), k[1], k[2], k[3]))
    lines = [
        "# DocumentQA-v0: sample efficiency (PPO on Ray RLlib vs RLEM)",
        "",
        "Success rate (answered correctly) and average return of each policy on the test questions after N "
        "training episodes on the train questions; mean ± standard deviation over the seeds; wall time of the "
        "training (to reach N) and of the test, seconds. Every policy answers with the same extractive answerer. "
        "Reward: +1 correct, −1 wrong, −0.01 a step, 0 at the 8-step time-out (never answering scores −0.08).",
        "PPO is tested twice: greedy (argmax of the action logits; the main columns) and sampling its actions as "
        "in training (seeded). *answered*: share of test episodes that answered before the time-out. "
        "ppo-bc: PPO warm-started by behaviour cloning of the LLM planner (below).",
        "",
        "| method | training episodes N | seeds | test questions | success rate | average return | answered | "
        "PPO sampled: success / return / answered | train s | test s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k in keys:
        g = groups[k]
        method = k[0] + (f" ({k[1]} scorer)" if k[0].startswith("q-driven") and k[1] else "")
        ran = sorted({r["train_episodes"] for r in g})
        n = "— (no training)" if k[0] in STATIC else (
            f"{k[2]}" + (f" (ran {ran[0]}–{ran[-1]})" if len(ran) > 1 else f" (ran {ran[0]})" if ran[0] != k[2]
                         else ""))
        lines.append(
            f"| {method} | {n} | {len(g)} | {k[3]} | {_ms([r['success_rate'] for r in g])} | "
            f"{_ms([r['return_mean'] for r in g])} | {statistics.fmean(r['answered'] for r in g):.2f} | "
            + (f"{statistics.fmean(r['sampled_success_rate'] for r in g):.3f} / "
               f"{statistics.fmean(r['sampled_return_mean'] for r in g):+.3f} / "
               f"{statistics.fmean(r['sampled_answered'] for r in g):.2f} | "
               if "sampled_return_mean" in g[0] else "— | ")
            + f"{statistics.fmean(r['train_s'] for r in g):.0f} | {statistics.fmean(r['eval_s'] for r in g):.0f} |")
    for method in ("ppo", "ppo-bc"):
        ppo = [r for r in rows if r["method"] == method and r.get("iteration_returns")]
        if ppo:
            lines += ["", f"{method}: mean return of each training iteration's episodes (seed, N → returns):", ""]
            for r in sorted(ppo, key=lambda r: (r["budget"], r["seed"])):
                lines.append(f"* seed {r['seed']}, N = {r['budget']}: " + ", ".join(f"{x:+.2f}" for x in
                                                                                   r["iteration_returns"]))
    bc = [r["warm_start"] for r in rows if r.get("warm_start")]
    if bc:
        w = bc[0]
        lines += ["", f"ppo-bc warm start: behaviour cloning on {w['samples']} steps of the `{w['planner']}` planner "
                  f"({w['planner_episodes']} episodes, mean return {w['planner_return_mean']:+.3f}); cross-entropy "
                  f"{w['loss_start']:.2f} → {w['loss_end']:.2f}, accuracy on the pairs {w['accuracy']:.2f}."]
    meta = rows[-1].get("machine", "") if rows else ""
    loads = [float(r["load_avg"].split()[0]) for r in rows if r.get("load_avg", "?") != "?"]
    commands = sorted({r["command"] for r in rows if r.get("command")})
    lines += ["", f"Machine: {meta}, shared with other jobs: 1-minute load {min(loads, default=0):.1f}–"
              f"{max(loads, default=0):.1f} while rows finished, so wall times are inflated and only comparable "
              f"within a run. Rows are cached in `{out.name}.json`; the report is rebuilt with `--report-only`. "
              "Commands (`.venv/bin/python …`):", ""]
    lines += [f"* `{c}`" for c in commands]
    commits = sorted({r["commit"] for r in rows if r.get("commit")})
    lines += ["", "Rows of runs with their own `--out` are merged with `--include`. Code: "
              + (", ".join(commits) if commits else "?") + " (rows without a commit ran before it was recorded).", ""]
    md = out.with_suffix(".md")
    old = md.read_text(encoding="utf-8") if md.exists() else ""
    start, end = "<!-- docqa-heldout:start -->", "<!-- docqa-heldout:end -->"
    if start in old and end in old:  # benchmarks/docqa_heldout.py's section is kept as it is
        lines += ["", old[old.index(start):old.index(end) + len(end)], ""]
    md.write_text("\n".join(lines), encoding="utf-8")
    plot(groups, keys, out.with_suffix(".png"))


def plot(groups: dict[tuple, list[dict[str, Any]]], keys: list[tuple], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    series: dict[tuple, list[tuple]] = defaultdict(list)
    for k in keys:
        series[(k[0], k[1], k[3])].append(k)
    budgets = sorted({k[2] for k in keys if k[0] not in STATIC}) or [10, 1000]
    most = max((k[3] for k in keys), default=0)
    for (method, scorer, nq), ks in series.items():
        label = method + (f" ({scorer})" if method.startswith("q-driven") and scorer else "") + (
            f" ({nq} test questions)" if nq != most else "")
        for ax, field in zip(axes, ("success_rate", "return_mean"), strict=True):
            if method in STATIC:
                vals = [r[field] for k in ks for r in groups[k]]
                ax.hlines(statistics.fmean(vals), budgets[0], budgets[-1], linestyles="dashed", label=label,
                          colors="grey" if method == "random" else "tab:purple")
                continue
            xs = [k[2] for k in ks]
            means = [statistics.fmean(r[field] for r in groups[k]) for k in ks]
            lo = [min(r[field] for r in groups[k]) for k in ks]
            hi = [max(r[field] for r in groups[k]) for k in ks]
            line = ax.plot(xs, means, marker="o", label=label + (", greedy" if method.startswith("ppo") else ""))[0]
            ax.fill_between(xs, lo, hi, alpha=0.15, color=line.get_color())
            if method.startswith("ppo") and all("sampled_" + field in r for k in ks for r in groups[k]):
                sampled = [statistics.fmean(r["sampled_" + field] for r in groups[k]) for k in ks]
                ax.plot(xs, sampled, marker=".", linestyle=":", color=line.get_color(),
                        label=label + ", sampled actions")
    for ax, title in zip(axes, ("success rate on test questions", "average return on test questions"),
                         strict=True):
        ax.set_xscale("log")
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.minorticks_off()
        ax.set_xlabel("training episodes")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[1].axhline(-0.08, color="black", linewidth=0.6, linestyle=":")
    axes[1].annotate("never answering: −0.08", (budgets[0], -0.08), textcoords="offset points", xytext=(2, 4),
                     fontsize=7)
    axes[0].legend(fontsize=8)
    fig.suptitle("DocumentQA-v0: PPO (RLlib) vs RLEM — mean over seeds, band = min..max")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# --- main ----------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", default="ppo,q-driven,random")
    ap.add_argument("--budgets", default="10,30,100,300,1000")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--test-questions", type=int, default=196)
    ap.add_argument("--scorer", default="constant", choices=("constant", "llm"))
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "docqa_sample_efficiency")
    ap.add_argument("--bc-steps", type=int, default=300, help="ppo-bc: LLM planner steps to imitate")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--include", default="", help="comma-separated row files of other runs (e.g. run in "
                    "parallel with another --out) to merge into <out>.json")
    args = ap.parse_args()
    out = args.out
    data = out.with_suffix(".json")
    rows = load_rows(data)
    if args.include:
        known = {row_key(r) for r in rows}
        for extra in (Path(p) for p in args.include.split(",") if p):
            rows += [r for r in load_rows(extra) if row_key(r) not in known]
            known = {row_key(r) for r in rows}
        save_rows(data, rows)
    if not args.report_only:
        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
        unknown = set(methods) - set(METHODS)
        if unknown:
            ap.error(f"unknown methods {sorted(unknown)}; expected some of {', '.join(METHODS)}")
        budgets = [int(b) for b in args.budgets.split(",")]
        seeds = [int(s) for s in args.seeds.split(",")]
        done = {row_key(r) for r in rows}
        machine = f"{platform.machine()}, {os.cpu_count()} CPUs"
        commit = git_commit()

        def emit(method: str, budget: int, seed: int, row: dict[str, Any]) -> None:
            scorer = args.scorer if not method.startswith("ppo") else ""
            full = {"method": method, "budget": budget, "seed": seed, "test_questions": args.test_questions,
                    "scorer": scorer, **row, "load_avg": load_avg(), "machine": machine,
                    "command": " ".join(["benchmarks/docqa_sample_efficiency.py", *sys.argv[1:]]), "commit": commit,
                    "at": datetime.now(UTC).isoformat(timespec="seconds")}
            rows.append(full)
            save_rows(data, rows)
            log(f"{method} N={budget} seed={seed}: success {row['success_rate']:.3f}, return "
                f"{row['return_mean']:+.3f}, train {row['train_s']} s, test {row['eval_s']} s "
                f"(load {full['load_avg']})")

        demos = planner_demos(out.parent / f"{out.name}.planner-demos.json", args.bc_steps) \
            if "ppo-bc" in methods else None
        if {"ppo", "ppo-bc"} & set(methods):
            from tui_agent.rl.ppo import init_ray

            init_ray()  # one Ray instance for every PPO run of this process
        for seed in seeds:
            for method in methods:
                scorer = args.scorer if not method.startswith("ppo") else ""
                if method.startswith("ppo"):
                    for b in budgets:
                        if (method, b, seed, args.test_questions, "") not in done:
                            emit(method, b, seed, run_ppo(b, seed, args.test_questions,
                                                          demos if method == "ppo-bc" else None))
                elif method in STATIC:
                    if (method, 0, seed, args.test_questions, scorer) not in done:
                        emit(method, 0, seed, run_static(method, seed, args.test_questions, scorer))
                else:
                    run_rlem(method, budgets, seed, args.test_questions, scorer, done, emit)
    report(rows, out)
    log(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.png')} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
