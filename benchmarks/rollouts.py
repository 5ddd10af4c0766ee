"""Rollouts on Ray (issue 13): training episodes per second here (sequential), and on 1 and 2 Ray workers.

Usage::

    .venv/bin/python benchmarks/rollouts.py                                   # shop, q-driven, bundled model
    .venv/bin/python benchmarks/rollouts.py --policy random --scorer constant # no model: Ray's own overhead
    .venv/bin/python benchmarks/rollouts.py --env docqa --episodes 40
    .venv/bin/python benchmarks/rollouts.py --ray-address auto --workers 1,2,4,8   # on a cluster

Every configuration trains the same episodes (same goals, same per-episode seeds) into a fresh memory:
``sequential`` is today's path (``--workers 1``: episodes here, memory updated every step); ``ray-N``
runs them on N Ray actors (:class:`tui_agent.parallel.rollouts.RayRollouts`, batches of N; ``ray-N-async`` without
batches, ``--modes batch,async``). Start-up (Ray,
actors loading the embedder and the model) is timed apart from the episodes.

Lines (JSON, as ``benchmarks/perf.py``): ``{"name", "value" (episodes/s), "unit", "reference",
"reference_value", "ratio", "load", ...}``; ``ray-N``'s reference is ``ray-1`` (ratio = speed-up) and
``ray-1``'s is ``sequential``. Extras: ``startup_s`` (ray.init + actors ready), ``worker_episode_s``
(mean time of an episode on a worker), ``apply_s`` / ``snapshot_s`` (the driver's updates per episode /
snapshot refresh per batch), ``barrier_idle_s`` (worker-seconds per episode spent waiting for the
slowest episode of a batch), ``overhead_s`` (wall time per episode not explained by the workers'
episode time spread over N workers: scheduling, transfer, the driver's applies and batch barriers),
``cpu_per_wall`` (the episode process's CPU seconds per wall second: below the threads it runs — 1 for
the bundled model here — it waited for a core), ``cpus`` (cores here) and ``load`` (1-minute load average; other jobs may share the machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from perf_common import emit, log


def jobs(env: str, episodes: int, policy: str, seed: int = 0) -> list:
    from tui_agent.rlem.batched import EpisodeJob, episode_seed

    if env == "shop":
        from tui_agent.envs.shop.initial_pool import INITIAL_TASK

        goals = [g for g in range(100) if g != INITIAL_TASK["goal_index"]]
        return [EpisodeJob({"split": "train", "goal_index": goals[i % len(goals)]}, policy, episode_seed(seed, i))
                for i in range(episodes)]
    return [EpisodeJob({"split": "train", "question_index": i % 196}, policy, episode_seed(seed, i))
            for i in range(episodes)]


def build(env: str, memory: Path, scorer: str):
    """The driver's agent and env, and the worker factory (same configuration)."""
    from tui_agent.embedding.encoder import shared_embedder
    from tui_agent.memory.store import ExperienceStore

    from tui_agent.agents.factory import AgentWorker, build_agent, make_env
    from tui_agent.docqa.agent import DocQAConfig
    from tui_agent.shop.agent import ShopConfig

    config = ShopConfig(scorer=scorer) if env == "shop" else DocQAConfig(scorer=scorer)
    agent = build_agent(env, None, config, store=ExperienceStore(memory), embedder=shared_embedder(), llm=None)
    return agent, make_env(env, split="train"), AgentWorker(env, config)


def run_sequential(args, memory: Path) -> dict:
    agent, env, _ = build(args.env, memory, args.scorer)
    t0 = time.perf_counter()
    agent.embedder.load()
    if args.scorer == "llm":
        from tui_agent.llm.local import runtime

        runtime().llama  # noqa: B018
    startup = time.perf_counter() - t0
    todo = jobs(args.env, args.episodes, args.policy)
    if hasattr(agent, "ensure_initial_pool"):
        agent.ensure_initial_pool()
    times, cpu = [], []
    start = time.perf_counter()
    for job in todo:
        agent.rng.seed(job.seed)
        t, c = time.perf_counter(), time.process_time()
        agent.run_episode(env, dict(job.options), job.policy, learn=True)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    wall = time.perf_counter() - start
    return {"eps": len(todo) / wall, "wall_s": wall, "startup_s": startup, "worker_episode_s": statistics.fmean(times),
            "cpu_per_wall": sum(cpu) / sum(times)}


def run_ray(args, memory: Path, workers: int, asynchronous: bool = False) -> dict:
    import ray

    from tui_agent.parallel.rollouts import RayRollouts

    t0 = time.perf_counter()
    rollouts = RayRollouts(None, workers, args.ray_address, asynchronous=asynchronous,
                           on_status=lambda m: log(f"  {m}")).init_ray()
    agent, _env, make = build(args.env, memory, args.scorer)
    if args.policy == "random":
        make = type(make)(make.config, preload_model=False)
    try:
        rollouts.start_workers(make)
        startup = time.perf_counter() - t0
        todo = jobs(args.env, args.episodes, args.policy)
        if hasattr(agent, "ensure_initial_pool"):
            agent.ensure_initial_pool()
        start = time.perf_counter()
        done = sum(1 for _ in rollouts.run(agent, todo))
        wall = time.perf_counter() - start
    finally:
        rollouts.close()
        if ray.is_initialized() and args.ray_address is None:
            ray.shutdown()
    s = rollouts.stats
    ep = statistics.fmean(s["episode_s"])
    return {"eps": done / wall, "wall_s": wall, "startup_s": startup, "ray_init_s": s["ray_init_s"],
            "workers_start_s": s["workers_start_s"], "worker_episode_s": ep,
            "apply_s": statistics.fmean(s.get("apply_s", [0.0])), "snapshot_s": statistics.fmean(s["snapshot_s"]),
            "overhead_s": wall / done - ep / workers, "failed": len(rollouts.failed),
            "cpu_per_wall": sum(s["cpu_s"]) / sum(s["episode_s"]), "snapshots": s.get("snapshots", 0),
            "snapshot_rows": s.get("snapshot_rows", 0), "barrier_idle_s": s.get("barrier_idle_s", 0.0) / done,
            "hosts": sorted({w["host"] for w in s["workers"]})}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", choices=("shop", "docqa"), default="shop")
    parser.add_argument("--policy", default="q-driven")
    parser.add_argument("--scorer", choices=("llm", "constant"), default="llm")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--modes", default="batch", help="comma-separated: batch (snapshot per batch of N) | "
                        "async (no batch barrier)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds of all configurations, interleaved")
    parser.add_argument("--no-sequential", action="store_true")
    parser.add_argument("--ray-address", default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    counts = [int(w) for w in args.workers.split(",") if w]
    tag = f"rollouts.{args.env}.{args.policy}.{args.scorer}"
    common = {"episodes": args.episodes, "cpus": os.cpu_count()}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="tui-rollouts-") as tmp:
            seq = None
            if not args.no_sequential:
                log(f"{tag}: sequential")
                seq = run_sequential(args, Path(tmp) / "seq")
                emit(f"{tag}.sequential", seq["eps"], "episodes/s", "", None, **common,
                     **{k: v for k, v in seq.items() if k != "eps"})
            ref_name, ref = ("sequential", seq["eps"]) if seq else ("", None)
            for n in counts:
                for mode in args.modes.split(","):
                    if n == 1 and mode == "async":
                        continue  # one worker: the same as a batch of one
                    name = f"ray-{n}" + ("-async" if mode == "async" else "")
                    log(f"{tag}: {name}")
                    r = run_ray(args, Path(tmp) / name, n, asynchronous=mode == "async")
                    line = emit(f"{tag}.{name}", r["eps"], "episodes/s", ref_name, ref,
                                goal="ray-2 faster than ray-1" if n > 1 else "", workers=n, mode=mode, **common,
                                **{k: v for k, v in r.items() if k != "eps"})
                    if n == 1:
                        ref_name, ref = f"{tag}.ray-1", line["value"]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
