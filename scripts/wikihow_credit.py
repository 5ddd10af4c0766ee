"""Episodic control on WikiHow-v0 under the two credits: success per task pattern, before / after.

Usage: ``python scripts/wikihow_credit.py [--split dev|test] [--seeds 0 1 2 3 4] [--gamma 1.0]
[--credit episode path]``. For each credit and seed: a fresh memory in RAM (the bundled embedder, no
store), ``train`` on S0 (train tasks 0–9) for 3 epochs, then the memory frozen on ``dev`` (train tasks
20–99: in neither S0 nor S1, where the defaults were chosen) or ``test`` (the 70 held-out tasks).
Prints per credit: success per pattern summed over seeds, and success / reward mean ± standard
deviation over seeds, and episodes per second of the evaluation.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import time
from typing import Any

DEV = list(range(20, 100))


def run(credit: str, seed: int, gamma: float, split: str) -> dict[str, Any]:
    """One seed: train on S0 × 3, evaluate frozen; the evaluation's report."""
    from tui_agent.agents import factory
    from tui_agent.config.settings import Settings
    from tui_agent.embedding.encoder import shared_embedder
    from tui_agent.envs.wikihow.env import WikiHowEnv
    from tui_agent.envs.wikihow.tasks import training_set
    from tui_agent.wikihow.protocol import evaluate, train

    settings = Settings()
    options = factory.RunOptions(gamma=gamma, seed=seed, credit=credit)
    agent = factory.build_agent("wikihow", settings, factory.agent_config("wikihow", settings, options), store=None,
                                embedder=shared_embedder(), llm=None)
    train(agent, WikiHowEnv(split="train"), training_set("S0"), 3, "episodic-control")
    if split == "dev":
        return evaluate(agent, WikiHowEnv(split="train"), policy="episodic-control", split="train", goals=DEV)
    return evaluate(agent, WikiHowEnv(split="test"), 70, "episodic-control")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--gamma", type=float, default=1.0)
    parser.add_argument("--credit", nargs="+", default=["episode", "path"])
    args = parser.parse_args()
    for credit in args.credit:
        per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
        success, reward, speed = [], [], []
        for seed in args.seeds:
            began = time.perf_counter()
            report = run(credit, seed, args.gamma, args.split)
            for r in report["results"]:
                per[r["pattern"]][0] += bool(r["success"])
                per[r["pattern"]][1] += 1
            success.append(report["success_rate"])
            reward.append(report["reward"])
            speed.append(report.get("episodes_per_second", 0.0))
            print(json.dumps({"credit": credit, "seed": seed, "success": round(report["success_rate"], 4),
                              "reward": round(report["reward"], 4), "seconds": round(time.perf_counter() - began, 1)}),
                  flush=True)
        sd = statistics.stdev if len(args.seeds) > 1 else (lambda xs: 0.0)
        print(f"{credit} (γ {args.gamma}, {args.split}, seeds {args.seeds}): success {statistics.fmean(success):.3f} ± "
              f"{sd(success):.3f}, reward {statistics.fmean(reward):.2f} ± {sd(reward):.2f}, "
              f"{statistics.fmean(speed):.1f} episodes/s")
        print("  per pattern: " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(per.items())), flush=True)


if __name__ == "__main__":
    main()
