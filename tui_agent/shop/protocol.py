"""The paper's train / evaluate protocol for the shop, and free-text goal matching.

Source: REMEMBERER §4.1 (WebShop setting): memory initialised with one
annotated successful trajectory (the initial pool: ours, or whatever shop
experiences the memory already holds, e.g. an imported REMEMBERER pool);
10 training tasks × 3 epochs with the memory updated at every step, tasks solved in the first
epoch skipped in the later ones (the reference's ``main.py`` training loop);
then the memory is frozen and the agent is evaluated on test tasks (the
reference tests after every epoch: ``train(..., test_tasks=N)``); score =
mean reward, success rate = share of episodes with reward 1.

Training sets: the reference trains on one of two fixed sets of 10 goals
(``launchw.sh`` ``--trainseta/--trainsetb``: goals 500–509 and 510–519 of
its mapping, the paper's S0 and S1) and tests on goals [0, 100). Ours,
:data:`TRAINING_SETS`, are train-split goals 0–10 and 11–20 (goal 2, the
initial pool's own task, left out); the test split is separate.

These functions drive any agent with ``run_episode(env, options, policy,
learn) -> EpisodeResult`` (:class:`tui_agent.shop.agent.ShopAgent`) on a
``ShopEnv``; they do no I/O of their own.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_agent.envs.shop.initial_pool import INITIAL_TASK
from tui_agent.rlem.batched import EpisodeJob, episode_seed

FREE_TEXT_MATCH = 90.0  # rapidfuzz token_set_ratio (0-100) for a free-text goal to get a reward

__all__ = [
    "FREE_TEXT_MATCH",
    "GoalMatch",
    "evaluate",
    "match_goal",
    "summarize",
    "train",
    "TRAINING_SETS",
    "training_goals",
    "training_set",
]

OnEpisode = Callable[[Any, int, int], Any]

TRAINING_SETS: dict[str, list[int]] = {
    "S0": [i for i in range(11) if i != INITIAL_TASK["goal_index"]],
    "S1": list(range(11, 21)),
}
"""The paper's two fixed training sets (train-split goal indices), 10 goals each."""


def training_set(name: str) -> list[int]:
    """The goals of training set ``name`` ("S0" or "S1").

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    try:
        return list(TRAINING_SETS[name.upper()])
    except KeyError:
        raise ValueError(f"unknown training set {name!r}; expected one of {', '.join(TRAINING_SETS)}") from None


def training_goals(tasks: int, seed: int = 0, split_size: int = 100) -> list[int]:
    """``tasks`` distinct train-split goal indices drawn with ``seed`` (the initial pool's goal excluded).

    Raises:
        ValueError: more tasks than goals.
    """
    pool = [i for i in range(split_size) if i != INITIAL_TASK["goal_index"]]
    if not 0 < tasks <= len(pool):
        raise ValueError(f"tasks must be in 1..{len(pool)}, got {tasks}")
    return random.Random(seed).sample(pool, tasks)


def summarize(results: Sequence[Any]) -> dict[str, float]:
    """``{"episodes", "score", "success_rate"}``: mean reward in [0, 1] and share of reward-1 episodes."""
    rewards = [float(r.reward or 0.0) for r in results]
    return {"episodes": len(results),
            "score": statistics.fmean(rewards) if rewards else 0.0,
            "success_rate": sum(bool(r.success) for r in results) / len(results) if results else 0.0}


def train(agent: Any, env: Any, tasks: int = 10, epochs: int = 3, seed: int = 0, policy: str = "episodic-control",
          on_episode: OnEpisode | None = None, test_env: Any = None, test_tasks: int = 0,
          train_set: str | None = None, rollouts: Any = None, learn: bool = True,
          goals: Sequence[int] | None = None, test_start: int = 0) -> dict[str, Any]:
    """Train: ``epochs`` passes over the training goals, memory updated every step.

    The goals are ``goals`` (train-split indices, in this order), else training set ``train_set``
    ("S0" / "S1", see :data:`TRAINING_SETS`), else ``tasks`` train goals drawn with ``seed``.
    ``learn=False`` is the frozen-memory ablation: the same episodes with no memory update (and so
    no exploration).

    Goals solved (reward 1) in epoch 0 are skipped in later epochs. With
    ``test_tasks`` > 0, after every epoch the memory is frozen and test goals
    ``0..test_tasks-1`` of ``test_env`` are run (the reference's protocol);
    each epoch's summary then has ``"test"`` (:func:`summarize` plus the
    per-task results). Returns ``{"goals", "epochs": [summary per epoch],
    "episodes": [per-episode dicts]}``. ``on_episode(result, done, total)`` is
    called after each training episode (total counts the episodes still planned).

    ``rollouts`` (a started :class:`tui_agent.parallel.rollouts.RayRollouts`) runs each epoch's episodes on
    parallel workers with the memory frozen per batch and applies their updates here in goal order
    (batched RLEM, :mod:`tui_agent.rlem.batched`); each episode's random generator is seeded with
    :func:`~tui_agent.rlem.batched.episode_seed` (seed, epoch, goal). Episodes lost with their worker
    are listed under ``"failed"``. Without it (the default) episodes run here one after another, the
    memory updated every step.
    """
    if goals is None:
        goals = training_set(train_set) if train_set else training_goals(tasks, seed, env.catalog.split_size("train"))
    goals = list(goals)
    if rollouts is not None and not learn:
        raise ValueError("learn=False runs here, not on rollout workers")
    solved: set[int] = set()
    per_epoch, episodes = [], []
    if rollouts is not None:
        agent.ensure_initial_pool()  # here, by the one writer: workers read a snapshot
    done = 0
    for epoch in range(epochs):
        todo = [g for g in goals if epoch == 0 or g not in solved]
        results = []
        for g, result in _episodes(agent, env, todo, policy, seed, epoch, rollouts, learn):
            if epoch == 0 and result.success:
                solved.add(g)
            results.append(result)
            episodes.append({"epoch": epoch, "goal_index": g, "reward": result.reward,
                             "success": result.success, "steps": len(result.steps)})
            done += 1
            if on_episode is not None:
                remaining = sum(1 for x in goals if x not in solved) * (epochs - epoch - 1)
                on_episode(result, done, done + (len(todo) - len(results)) + remaining)
        summary: dict[str, Any] = {"epoch": epoch, **summarize(results)}
        if test_tasks and test_env is not None:
            summary["test"] = evaluate(agent, test_env, test_tasks, policy, start=test_start)
        per_epoch.append(summary)
    report = {"train_set": train_set, "goals": goals, "epochs": per_epoch, "episodes": episodes}
    if rollouts is not None:
        report["workers"] = rollouts.workers
        report["failed"] = [{"options": job.options, "error": error} for job, error in rollouts.failed]
    return report


def _episodes(agent: Any, env: Any, goals: list[int], policy: str, seed: int, epoch: int,
              rollouts: Any, learn: bool = True) -> Iterator[tuple[int, Any]]:
    """(goal, episode result) for each goal, in order: here, or on ``rollouts``' workers."""
    if rollouts is None:
        for g in goals:
            yield g, agent.run_episode(env, {"split": "train", "goal_index": g}, policy, learn=learn)
        return
    jobs = [EpisodeJob({"split": "train", "goal_index": g}, policy, episode_seed(seed, epoch, g)) for g in goals]
    for job, result in rollouts.run(agent, jobs):
        yield job.options["goal_index"], result


def evaluate(agent: Any, env: Any, tasks: int = 100, policy: str = "episodic-control", split: str = "test",
             start: int = 0, on_episode: OnEpisode | None = None, goals: Sequence[int] | None = None
             ) -> dict[str, Any]:
    """Evaluate with the memory frozen on goals ``start .. start+tasks-1`` of ``split`` (or on ``goals``).

    Returns ``{"policy", "split", "goals", **summarize(...), "results": [EpisodeResult.to_json(), ...]}``.
    """
    size = env.catalog.split_size(split)
    if goals is None:
        if not 0 < tasks <= size - start:
            raise ValueError(f"tasks must be in 1..{size - start} for split {split!r}, got {tasks}")
        goals = range(start, start + tasks)
    goals = list(goals)
    if not goals or not all(0 <= g < size for g in goals):
        raise ValueError(f"goals must be non-empty indices in 0..{size - 1} of split {split!r}")
    tasks = len(goals)
    results = []
    for i in goals:
        results.append(agent.run_episode(env, {"split": split, "goal_index": i}, policy, learn=False))
        if on_episode is not None:
            on_episode(results[-1], len(results), tasks)
    return {"policy": policy, "split": split, "goals": goals, **summarize(results),
            "results": [r.to_json() for r in results]}


@dataclass
class GoalMatch:
    """A free-text goal matched to the catalog's goals.

    ``options`` reset the env (split, goal_index, instruction = the user's
    text); ``has_reward`` is True when the closest goal's instruction scores ≥
    :data:`FREE_TEXT_MATCH` (then the reward is computed against that goal),
    else the episode runs without a reward.
    """

    text: str
    split: str
    goal_index: int
    similarity: float
    closest: str
    has_reward: bool
    options: dict[str, Any] = field(default_factory=dict)


def match_goal(text: str, catalog: Any, threshold: float = FREE_TEXT_MATCH) -> GoalMatch:
    """Match a user's goal text to the closest test / eval / train goal (rapidfuzz token_set_ratio)."""
    from rapidfuzz import fuzz, process

    choices = {(split, i): catalog.goal(split, i)["instruction"]
               for split in ("test", "eval", "train") for i in range(catalog.split_size(split))}
    keys = list(choices)
    best = process.extractOne(text.lower(), [choices[k] for k in keys], scorer=fuzz.token_set_ratio)
    (split, index), score = keys[best[2]], float(best[1])
    return GoalMatch(text, split, index, score, choices[(split, index)], score >= threshold,
                     {"split": split, "goal_index": index, "instruction": text})
