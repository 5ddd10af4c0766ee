"""Run a WikiHow policy on a fixed subset of test tasks, one JSON line per step, and print the figures.

Usage: ``python scripts/wikihow_subset.py LOG.jsonl [--policy rememberer] [--tasks 10] [--max-steps 20]
[--unconstrained]``. Memory: the configured one (set ``TUI_AGENT_HOME``; import the pools into it first
with ``tui-agent memory import <pool> --mode merge`` for the "with the pools" row), frozen. Made for the
bundled model, whose steps take seconds to minutes on a loaded machine: every step is written to
``LOG.jsonl`` as it happens (``{"task", "t", "action", "valid", "reward", "seconds"}``), every finished task as
``{"task", "pattern", "reward", "steps_total", "success", "steps"}``, so a run cut short still has its figures.
Prints: tasks, valid-action share, success rate, mean reward (steps completed), seconds per step.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any


def summary(lines: list[dict[str, Any]]) -> dict[str, float]:
    """Figures from a log's lines: finished tasks, valid share and s/step over every logged step."""
    steps = [x for x in lines if "t" in x]
    tasks = [x for x in lines if "success" in x]
    return {"tasks": len(tasks), "steps": len(steps),
            "valid_share": sum(x["valid"] for x in steps) / len(steps) if steps else 0.0,
            "success": sum(x["success"] for x in tasks) / len(tasks) if tasks else 0.0,
            "reward": sum(x["reward"] for x in tasks) / len(tasks) if tasks else 0.0,
            "seconds_per_step": sum(x["seconds"] for x in steps) / len(steps) if steps else 0.0}


def main() -> None:
    from tui_agent.agents import factory
    from tui_agent.config.settings import load_settings
    from tui_agent.envs.wikihow.env import WikiHowEnv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--policy", default="rememberer")
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--unconstrained", action="store_true")
    args = parser.parse_args()
    settings = load_settings()
    options = factory.RunOptions(constrained=not args.unconstrained, seed=0)
    agent = factory.build_agent("wikihow", settings, factory.agent_config("wikihow", settings, options))
    print(f"memory: {agent.store.count('wikihow')} wikihow rows", flush=True)
    env = WikiHowEnv(split="test", max_steps=args.max_steps)
    lines: list[dict[str, Any]] = []
    with args.log.open("a", encoding="utf-8") as log:
        def write(entry: dict[str, Any]) -> None:
            lines.append(entry)
            log.write(json.dumps(entry) + "\n")
            log.flush()

        for task in range(args.tasks):
            clock = [time.perf_counter()]

            def on_step(step: Any, task: int = task, clock: list[float] = clock) -> None:
                now = time.perf_counter()
                write({"task": task, "t": step.t, "action": step.action, "valid": step.valid,
                       "reward": step.reward, "seconds": now - clock[0]})
                clock[0] = now

            result = agent.run_episode(env, {"split": "test", "task_index": task}, args.policy, learn=False,
                                       on_step=on_step)
            write({"task": task, "pattern": result.pattern, "reward": result.reward or 0.0,
                   "steps_total": result.steps_total, "success": result.success, "steps": len(result.steps)})
            print(json.dumps(lines[-1]), flush=True)
    print(json.dumps(summary(lines)))


if __name__ == "__main__":
    main()
