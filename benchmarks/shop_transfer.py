"""Shop transfer benchmark: does training on 10 goals raise success on goals never trained on?

For each learner variant, training set (S0, S1) and seed, two runs on fresh memories:

* **trained**: the paper's protocol (:func:`tui_agent.shop.protocol.train`): the 10 goals × 3 epochs,
  memory updated every step, goals solved in epoch 1 skipped later; after every epoch the memory is
  frozen and the unseen test goals are run;
* **frozen** (the ablation): the same policy and episodes with the memory never updated, i.e. the
  initial pool only.

After the last epoch both runs are also evaluated on their own training goals (seen). The seed sets
the order of the training goals (seed 0: the set's own order); the ``q-driven`` policy with the
constant scorer is otherwise deterministic (``--check-seeds`` shows that the seed alone changes
nothing). Gains are trained − frozen per goal, averaged over seeds, with a paired bootstrap 95 % CI
over goals (numpy, 10,000 resamples, generator seed 0).

Variants: ``main`` (the learner as before: Q̂ by action role and retrieval score), ``fit`` (the
same with the fit kernel of :mod:`tui_agent.shop.fit` and optimism where the fit-weighted support is
low, :class:`~tui_agent.shop.policy.PolicyConfig` ``fit_scale`` / ``explore_unsure``) and ``cells``
(fit-keyed roles: Q̂ of a role refined by the fit cell of the candidate's target, shrunk towards the
role's mean, ``fit_bins``) and ``cells-succ-q`` (the same learning success, 1 or 0, instead of the
reward, with ``q_min`` 0.2); ``cells4``, ``cells-explore``, ``cells-eps``, ``cells-succ`` and
``cells-p05`` are the variants tried on the dev goals only (4 bins, optimism for untried cells,
ε-greedy training, success as the reward at ``q_min`` 0.5, ``cell_prior`` 0.5; ``docs/shop_transfer.md``).

Usage::

    python benchmarks/shop_transfer.py [--variants main,fit] [--sets S0,S1] [--seeds 0,1,2]
        [--test-start 0] [--test-tasks 100] [--workers 2] [--json docs/shop_transfer.json]
        [--report docs/shop_transfer.md] [--merge docs/shop_transfer/runs.json] [--check-seeds]

``--test-start 100`` runs the dev goals 100–199 of the test split (what the settings were chosen
on); the reported goals are 0–99. No model is loaded (constant scorer): ~1 min per run on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VARIANTS = {  # name: PolicyConfig overrides
    "main": {},
    "fit": {"fit_scale": 0.2, "explore_unsure": True, "top_k": 200},
    "cells": {"fit_bins": 3, "top_k": 200, "explore_cells": False},
    # = tui_agent.shop.policy.LEARNERS["fit-cells"] (`train|eval --learner fit-cells`; tests/test_shop_fit.py)
    "cells-succ-q": {"fit_bins": 3, "top_k": 200, "explore_cells": False, "success_reward": True, "q_min": 0.2},
    # tried on the dev goals (docs/shop_transfer.md), not reported on the test goals:
    "cells4": {"fit_bins": 4, "top_k": 200, "explore_cells": False},
    "cells-explore": {"fit_bins": 3, "top_k": 200},
    "cells-eps": {"fit_bins": 3, "top_k": 200, "explore_cells": False, "epsilon": 0.2},
    "cells-succ": {"fit_bins": 3, "top_k": 200, "explore_cells": False, "success_reward": True},
    "cells-p05": {"fit_bins": 3, "top_k": 200, "explore_cells": False, "cell_prior": 0.5},
}


def run_one(variant: str, train_set: str, seed: int, learn: bool, test: tuple[int, int], epochs: int) -> dict:
    """One run: per-goal success on the unseen goals after every epoch and on the seen goals at the end."""
    from tui_agent.embedding.encoder import shared_embedder
    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.shop.agent import ShopAgent, ShopConfig
    from tui_agent.shop.policy import PolicyConfig
    from tui_agent.shop.protocol import evaluate, train, training_set

    goals = training_set(train_set)
    if seed:
        random.Random(seed).shuffle(goals)
    config = ShopConfig(scorer="constant", seed=seed, policy=PolicyConfig(**VARIANTS[variant]))
    agent = ShopAgent(ExperienceStore(tempfile.mkdtemp(prefix="shop-transfer-")), shared_embedder(), None, config)
    agent.ensure_initial_pool()
    started = time.time()
    report = train(agent, ShopEnv(split="train"), epochs=epochs, seed=seed, goals=goals, learn=learn,
                   test_env=ShopEnv(split="test"), test_tasks=test[1], test_start=test[0])
    seen = evaluate(agent, ShopEnv(split="train"), goals=sorted(goals), split="train")

    def per_goal(ev: dict) -> dict[int, bool]:
        return {r["goal_index"]: bool(r["success"]) for r in ev["results"]}

    return {"variant": variant, "train_set": train_set, "seed": seed, "learn": learn, "goals": goals,
            "train_success": [e["success_rate"] for e in report["epochs"]],
            "unseen": [per_goal(e["test"]) for e in report["epochs"]], "seen": per_goal(seen),
            "seconds": time.time() - started}


def bootstrap(diff: np.ndarray, n: int = 10_000) -> tuple[float, float]:
    """Paired bootstrap 95 % CI of the mean of per-goal differences (resampling goals; :mod:`benchmarks.stats`)."""
    from benchmarks.stats import paired_bootstrap

    ci = paired_bootstrap(diff, resamples=n)
    return ci.low, ci.high


def _success(runs: list[dict], key: str, epoch: int = -1) -> np.ndarray:
    """(goals,) success per goal averaged over the runs' seeds."""
    tables = [r[key][epoch] if key == "unseen" else r[key] for r in runs]
    goals = sorted(tables[0], key=int)
    return np.array([[t[g] for g in goals] for t in tables], dtype=float).mean(axis=0)


def table(runs: list[dict]) -> list[str]:
    lines = ["| learner | set | seeds | unseen: frozen (pool only) | unseen: trained, epoch 1 / 2 / 3 "
             "| unseen gain (95 % CI) | seen: frozen | seen: trained | seen gain (95 % CI) |",
             "|---|---|---|---:|---|---|---:|---:|---|"]
    keys = sorted({(r["variant"], r["train_set"]) for r in runs}, key=lambda k: (list(VARIANTS).index(k[0]), k[1]))
    for variant, train_set in keys:
        trained = [r for r in runs if (r["variant"], r["train_set"], r["learn"]) == (variant, train_set, True)]
        frozen = [r for r in runs if (r["variant"], r["train_set"], r["learn"]) == (variant, train_set, False)]
        if not trained or not frozen:
            continue
        seeds = ",".join(str(r["seed"]) for r in trained)
        f_u = _success(frozen, "unseen")
        curve = " / ".join(f"{100 * _success(trained, 'unseen', e).mean():.1f}"
                           for e in range(len(trained[0]["unseen"])))
        gain_u = _success(trained, "unseen") - f_u
        f_s, t_s = _success(frozen, "seen"), _success(trained, "seen")
        lo, hi = bootstrap(gain_u)
        slo, shi = bootstrap(t_s - f_s)
        lines.append(f"| {variant} | {train_set} | {seeds} | {100 * f_u.mean():.1f} % | {curve} % "
                     f"| {100 * gain_u.mean():+.1f} ({100 * lo:+.1f} … {100 * hi:+.1f}) "
                     f"| {100 * f_s.mean():.1f} % | {100 * t_s.mean():.1f} % "
                     f"| {100 * (t_s - f_s).mean():+.1f} ({100 * slo:+.1f} … {100 * shi:+.1f}) |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--sets", default="S0,S1")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--test-start", type=int, default=0)
    ap.add_argument("--test-tasks", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None, help="write every run's per-goal results here")
    ap.add_argument("--report", type=Path, default=None, help="write the table (markdown) here")
    ap.add_argument("--merge", type=Path, default=None,
                    help="also tabulate the runs of an earlier --json file (those of variants not run now)")
    ap.add_argument("--check-seeds", action="store_true",
                    help="also run S0 in its own order with seeds 0 and 1: the same results show the seed alone "
                         "changes nothing")
    args = ap.parse_args()
    for v in args.variants.split(","):
        if v not in VARIANTS:
            raise SystemExit(f"unknown variant {v!r}; variants: {', '.join(VARIANTS)}")
    test = (args.test_start, args.test_tasks)
    jobs = [(v, s, int(seed), learn, test, args.epochs) for v in args.variants.split(",")
            for s in args.sets.split(",") for seed in args.seeds.split(",") for learn in (True, False)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        runs = list(pool.map(run_one, *zip(*jobs)))
        if args.check_seeds:
            a, b = pool.map(_same_order, [0, 1])
            print(f"S0 in its own order, seed 0 vs 1: unseen success per goal identical: {a == b}")
    if args.merge:
        ran = {r["variant"] for r in runs}
        runs = [r for r in json.loads(args.merge.read_text())["runs"] if r["variant"] not in ran] + runs
    command = "python benchmarks/shop_transfer.py " + shlex.join(sys.argv[1:])
    lines = table(runs)
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"command": command, "runs": runs}, indent=1))
    if args.report:
        args.report.write_text("\n".join([f"<!-- {command} -->", *lines]) + "\n")


def _same_order(seed: int) -> list:
    """S0 trained in its own order with agent seed ``seed`` (the seed-sensitivity check)."""
    from tui_agent.embedding.encoder import shared_embedder
    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.shop.agent import ShopAgent, ShopConfig
    from tui_agent.shop.protocol import train

    agent = ShopAgent(ExperienceStore(tempfile.mkdtemp()), shared_embedder(), None,
                      ShopConfig(scorer="constant", seed=seed))
    report = train(agent, ShopEnv(split="train"), seed=seed, train_set="S0", test_env=ShopEnv(split="test"),
                   test_tasks=20)
    return [[r["success"] for r in e["test"]["results"]] for e in report["epochs"]]


if __name__ == "__main__":
    main()
