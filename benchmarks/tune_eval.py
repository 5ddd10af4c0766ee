"""``tui-agent tune`` end to end through the CLI: teach, tune, ask again; retrieval vs tuned model vs both.

On a fresh memory (``$TUI_AGENT_HOME`` in a temporary directory):

1. **teach** every fact of ``tui_agent/tune/data/tune_eval.json`` (the first ``--facts`` of 60): ``ask --json
   QUESTION`` then ``rate ID down --correction ANSWER`` — with ``--processes`` each command is its own
   process; by default they run in one child process through typer's runner (the same command code, without
   ~20 s of process start per command on a loaded 2-core machine);
2. **tune**: ``tui-agent tune --json`` in its own process (wall time measured);
3. **ask again**, for each mode in a new process on a copy of the taught memory: every fact's question
   (exact), its natural and far rewordings, the 20 general and the 24 near-miss questions, each with
   ``ask --json`` in a new chat. Modes: ``base`` (the model as shipped, no memory: ``--policy llm``,
   tuned models off), ``retrieval`` (the memory alone: default policy, tuned models off), ``tuned``
   (the tuned model alone: ``--policy llm``), ``both`` (default policy with the tuned model).

An answer states a fact when it contains the fact's key (tui_agent.tune.data.states); a near-miss
question counts as answered with a taught fact when its answer contains any taught key; "general lost"
counts general questions the base mode answered right and this mode did not.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/tune_eval.py [--facts 60] [--epochs N] [--lr X] [--contrast N] [--max-minutes 10]
        [--modes base retrieval tuned both] [--processes] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODES = {  # mode -> (TUI_AGENT_TUNED_MODEL, TUI_AGENT_POLICY or None for the default)
    "base": ("false", "llm"),
    "retrieval": ("false", None),
    "tuned": ("true", "llm"),
    "both": ("true", None),
}


def _env(home: Path, tuned: str = "true", policy: str | None = None) -> dict[str, str]:
    env = {**os.environ, "TUI_AGENT_HOME": str(home), "TUI_AGENT_TUNED_MODEL": tuned, "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("TUI_AGENT_POLICY", None)
    if policy:
        env["TUI_AGENT_POLICY"] = policy
    return env


def _cli_runner():
    from typer.testing import CliRunner

    from tui_agent.cli.main import app

    runner = CliRunner()
    return lambda args: runner.invoke(app, args, catch_exceptions=False)


def child_teach(facts_file: str) -> None:
    """Child process: ask + rate --correction every fact, through the CLI commands."""
    invoke = _cli_runner()
    for fact in json.loads(Path(facts_file).read_text()):
        out = invoke(["ask", "--json", fact["question"]])
        answer_id = json.loads(out.stdout.strip().splitlines()[-1])["id"]
        invoke(["rate", answer_id, "down", "--correction", fact["answer"]])


def child_answer(questions_file: str, out_file: str) -> None:
    """Child process: ``ask --json`` every question in a new chat; writes the answers (and the tuned model)."""
    invoke = _cli_runner()
    answers, tuned = [], None
    for question in json.loads(Path(questions_file).read_text()):
        result = invoke(["ask", "--json", question])
        data = json.loads(result.stdout.strip().splitlines()[-1])
        answers.append(data["answer"])
        tuned = data.get("tuned_model")
    Path(out_file).write_text(json.dumps({"answers": answers, "tuned_model": tuned}))


def teach(facts: list[dict], home: Path, processes: bool) -> float:
    started = time.monotonic()
    if processes:
        for fact in facts:
            out = subprocess.run([sys.executable, "-m", "tui_agent", "ask", "--json", fact["question"]],
                                 env=_env(home), capture_output=True, text=True, check=True)
            answer_id = json.loads(out.stdout.strip().splitlines()[-1])["id"]
            subprocess.run([sys.executable, "-m", "tui_agent", "rate", answer_id, "down", "--correction",
                            fact["answer"]], env=_env(home), capture_output=True, text=True, check=True)
    else:
        path = home.parent / "facts.json"
        path.write_text(json.dumps(facts))
        subprocess.run([sys.executable, __file__, "--child-teach", str(path)], env=_env(home), check=True)
    return time.monotonic() - started


def questions_of(facts: list[dict], data: dict) -> dict[str, list[tuple[str, str]]]:
    """kind -> [(question, key)]; near-miss keys are every taught key."""
    any_key = "|".join(f["key"] for f in facts)
    return {"exact": [(f["question"], f["key"]) for f in facts],
            "natural": [(f["natural"], f["key"]) for f in facts],
            "far": [(f["far"], f["key"]) for f in facts],
            "general": [(g["question"], g["key"]) for g in data["general"]],
            "near_miss": [(n["question"], any_key) for n in data["near_miss"]]}


def ask_all(mode: str, taught_home: Path, work: Path, asked: dict[str, list[tuple[str, str]]]) -> dict:
    home = work / f"home-{mode}"
    shutil.copytree(taught_home, home)
    flat = [q for kind in asked.values() for q, _ in kind]
    qfile, ofile = work / f"questions-{mode}.json", work / f"answers-{mode}.json"
    qfile.write_text(json.dumps(flat))
    tuned, policy = MODES[mode]
    started = time.monotonic()
    subprocess.run([sys.executable, __file__, "--child-answer", str(qfile), str(ofile)],
                   env=_env(home, tuned, policy), check=True)
    out = json.loads(ofile.read_text())
    out["seconds"] = round(time.monotonic() - started, 1)
    return out


def score(asked: dict[str, list[tuple[str, str]]], answers: list[str]) -> dict[str, list[bool]]:
    from tui_agent.tune.data import states

    out, i = {}, 0
    for kind, items in asked.items():
        out[kind] = [states(answers[i + j], key) for j, (_, key) in enumerate(items)]
        i += len(items)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--facts", type=int, default=60, help="how many of the 60 facts to teach")
    parser.add_argument("--epochs", type=int, default=None, help="tune's --epochs (default: tune's)")
    parser.add_argument("--lr", type=float, default=None, help="tune's --lr (default: tune's)")
    parser.add_argument("--contrast", type=int, default=None, help="tune's --contrast (default: tune's)")
    parser.add_argument("--max-minutes", type=float, default=10.0, help="tune's training budget")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--processes", action="store_true", help="teach with one process per ask / rate")
    parser.add_argument("--out", help="write the figures as JSON here")
    parser.add_argument("--keep", help="keep the work directory here (default: a temporary one, removed)")
    parser.add_argument("--child-teach", help=argparse.SUPPRESS)
    parser.add_argument("--child-answer", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_teach:
        child_teach(args.child_teach)
        return
    if args.child_answer:
        child_answer(*args.child_answer)
        return

    from tui_agent.tune.data import eval_set

    data = eval_set()
    facts = data["facts"][:args.facts]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tune-eval-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "home"
    home.mkdir(exist_ok=True)
    report: dict = {"facts": len(facts), "load_average_at_start": os.getloadavg(), "cpus": os.cpu_count()}
    try:
        report["teach_seconds"] = round(teach(facts, home, args.processes), 1)
        print(f"taught {len(facts)} facts in {report['teach_seconds']} s", flush=True)
        started = time.monotonic()
        extra = [arg for name in ("epochs", "lr", "contrast") if getattr(args, name) is not None
                 for arg in (f"--{name}", str(getattr(args, name)))]
        tuned = subprocess.run([sys.executable, "-m", "tui_agent", "tune", "--json", "--max-minutes",
                                str(args.max_minutes), *extra], env=_env(home), capture_output=True, text=True)
        report["tune_wall_seconds"] = round(time.monotonic() - started, 1)
        report["load_average_after_tune"] = os.getloadavg()
        if tuned.returncode != 0:
            sys.exit(f"tune failed ({tuned.returncode}): {tuned.stderr[-2000:]}")
        manifest = json.loads(tuned.stdout.strip().splitlines()[-1])
        report["tune"] = {k: manifest[k] for k in ("id", "passed", "reason", "train", "eval", "hyper")}
        print(f"tune {manifest['id']}: {report['tune_wall_seconds']} s, passed={manifest['passed']} "
              f"{manifest['reason']}", flush=True)
        if not manifest["passed"]:
            subprocess.run([sys.executable, "-m", "tui_agent", "tune", "--use", manifest["id"]], env=_env(home),
                           check=True, capture_output=True)  # measure it anyway
        asked = questions_of(facts, data)
        results = {}
        for mode in args.modes:
            out = ask_all(mode, home, work, asked)
            results[mode] = {"hits": score(asked, out["answers"]), "tuned_model": out["tuned_model"],
                             "seconds": out["seconds"], "answers": out["answers"]}
            print(f"{mode}: asked {len(out['answers'])} in {out['seconds']} s", flush=True)
        report["modes"] = {}
        base_general = results.get("base", {}).get("hits", {}).get("general")
        print("\n| mode | exact | natural | far | general right | general lost vs base | near-miss answered with a taught fact |")
        print("|---|---|---|---|---|---|---|")
        for mode, res in results.items():
            hits = res["hits"]
            row = {k: [sum(v), len(v)] for k, v in hits.items()}
            row["general_lost"] = (sum(1 for b, t in zip(base_general, hits["general"]) if b and not t)
                                   if base_general else None)
            row["tuned_model"], row["seconds"] = res["tuned_model"], res["seconds"]
            report["modes"][mode] = {**row, "answers": res["answers"]}

            def pct(k: str, row: dict = row) -> str:
                return f"{row[k][0]}/{row[k][1]} ({100 * row[k][0] / max(row[k][1], 1):.0f} %)"

            print(f"| {mode} | {pct('exact')} | {pct('natural')} | {pct('far')} | {row['general'][0]}/"
                  f"{row['general'][1]} | {row['general_lost'] if row['general_lost'] is not None else '-'} | "
                  f"{pct('near_miss')} |")
        print(f"\ntune wall time {report['tune_wall_seconds']} s (training {manifest['train']['train_seconds']} s); "
              f"load average {report['load_average_at_start'][0]:.1f} at start, "
              f"{report['load_average_after_tune'][0]:.1f} after the tune, on {report['cpus']} CPUs")
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
