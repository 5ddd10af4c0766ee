"""The paper's train / test protocol on WikiHow-v0.

Source: REMEMBERER §4.1 and OpenDFM/Rememberer ``wikihow.py`` / ``launch.sh``: the memory starts from
an initial pool (``--load-replay history-pools/init_pool.q.yaml``; here: whatever ``wikihow`` rows the
memory holds, e.g. ``tui-agent memory import init_pool.q.yaml``), trains on a fixed training set of
tasks for 3 epochs with the memory updated every step, and is tested with the memory frozen after
every epoch. Measures: average reward (steps completed, 0–4), success rate (every step done), and the
completed share of steps. Training sets S0 / S1: train tasks 0–9 / 10–19 (:mod:`~tui_agent.envs.wikihow.tasks`).

These functions drive any agent with ``run_episode(env, options, policy, learn)``; no I/O of their own.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["evaluate", "summarize", "train"]

OnEpisode = Callable[[Any, int, int], Any]


def summarize(results: Sequence[Any], seconds: float | None = None) -> dict[str, float]:
    """``{"episodes", "reward", "score", "success_rate"[, "episodes_per_second"]}``: mean steps completed,
    mean share of the task's steps completed (0–1), share of fully completed tasks."""
    rewards = [float(r.reward or 0.0) for r in results]
    shares = [float(r.reward or 0.0) / max(r.steps_total, 1) for r in results]
    out: dict[str, float] = {"episodes": len(results), "reward": statistics.fmean(rewards) if rewards else 0.0,
                             "score": statistics.fmean(shares) if shares else 0.0,
                             "success_rate": sum(bool(r.success) for r in results) / len(results) if results else 0.0}
    if seconds is not None and seconds > 0:
        out["episodes_per_second"] = len(results) / seconds
    return out


def evaluate(agent: Any, env: Any, tasks: int = 70, policy: str = "episodic-control", split: str = "test",
             start: int = 0, on_episode: OnEpisode | None = None, goals: Sequence[int] | None = None) -> dict[str, Any]:
    """Tasks ``start .. start+tasks-1`` of ``split`` (or ``goals``) with the memory frozen.

    Returns ``{"policy", "split", "goals", **summarize(...), "results": [...]}``.

    Raises:
        ValueError: tasks out of the split's range.
    """
    size = env.tasks.split_size(split)
    if goals is None:
        if not 0 < tasks <= size - start:
            raise ValueError(f"tasks must be in 1..{size - start} for split {split!r}, got {tasks}")
        goals = range(start, start + tasks)
    goals = list(goals)
    if not goals or not all(0 <= g < size for g in goals):
        raise ValueError(f"task indices must be non-empty and in 0..{size - 1} of split {split!r}")
    results, began = [], time.perf_counter()
    for i in goals:
        results.append(agent.run_episode(env, {"split": split, "task_index": i}, policy, learn=False))
        if on_episode is not None:
            on_episode(results[-1], len(results), len(goals))
    return {"policy": policy, "split": split, "goals": goals, **summarize(results, time.perf_counter() - began),
            "results": [r.to_json() for r in results]}


def train(agent: Any, env: Any, goals: Sequence[int], epochs: int = 3, policy: str = "episodic-control",
          on_episode: OnEpisode | None = None, test_env: Any = None, test_tasks: int = 0,
          learn: bool = True) -> dict[str, Any]:
    """``epochs`` passes over train tasks ``goals``, memory updated every step; tasks fully solved in epoch 0
    are skipped later (the reference's loop). With ``test_tasks``, test tasks 0..N-1 after every epoch.

    Returns ``{"goals", "epochs": [summary per epoch (+ "test")], "episodes": [per-episode dicts]}``.
    """
    goals = list(goals)
    solved: set[int] = set()
    per_epoch, episodes, done = [], [], 0
    for epoch in range(epochs):
        todo = [g for g in goals if epoch == 0 or g not in solved]
        results, began = [], time.perf_counter()
        for g in todo:
            result = agent.run_episode(env, {"split": "train", "task_index": g}, policy, learn=learn)
            if epoch == 0 and result.success:
                solved.add(g)
            results.append(result)
            episodes.append({"epoch": epoch, "task_index": g, "reward": result.reward, "success": result.success,
                             "steps": len(result.steps)})
            done += 1
            if on_episode is not None:
                later = sum(1 for x in goals if x not in solved) * (epochs - epoch - 1)
                on_episode(result, done, done + len(todo) - len(results) + later)
        summary: dict[str, Any] = {"epoch": epoch, **summarize(results, time.perf_counter() - began)}
        if test_tasks and test_env is not None:
            summary["test"] = evaluate(agent, test_env, test_tasks, policy)
        per_epoch.append(summary)
    return {"goals": goals, "epochs": per_epoch, "episodes": episodes}
