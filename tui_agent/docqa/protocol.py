"""Train / evaluate protocol for DocumentQA (the shop's, counted in episodes for sample efficiency).

* Training: ``episodes`` episodes on train questions, in a seeded shuffled order, cycling when
  ``episodes`` > 196 (so 1,000 episodes ≈ 5 passes); the memory is updated every step
  (``learn=True``). A test over test questions [0, ``test_questions``) with the memory frozen can run
  every ``test_every`` episodes (a learning curve).
* Evaluation: questions [0, n) of a split, memory frozen, no exploration; reports success rate
  (share answered correctly), average return and steps.

Drives any agent with ``run_episode(env, options, policy, learn) -> DocQAResult``; no I/O of its own.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tui_agent.rlem.batched import EpisodeJob, episode_seed

OnEpisode = Callable[[Any, int, int], Any]

__all__ = ["evaluate", "summarize", "train", "training_order"]


def summarize(results: Sequence[Any]) -> dict[str, Any]:
    """Success rate in [0, 1], average return, average steps, and the episodes' count."""
    n = len(results)
    return {"episodes": n,
            "success_rate": sum(r.correct for r in results) / n if n else 0.0,
            "avg_return": statistics.fmean(r.ret for r in results) if n else 0.0,
            "avg_steps": statistics.fmean(len(r.steps) for r in results) if n else 0.0,
            "answered": sum(r.answer is not None for r in results) / n if n else 0.0}


def training_order(n_questions: int, episodes: int, seed: int) -> list[int]:
    """The train question of each training episode: seeded shuffles of [0, n) concatenated."""
    rng = random.Random(seed)
    out: list[int] = []
    while len(out) < episodes:
        order = list(range(n_questions))
        rng.shuffle(order)
        out.extend(order)
    return out[:episodes]


def evaluate(agent: Any, env: Any, n: int, policy: str, split: str = "test",
             on_episode: OnEpisode | None = None) -> dict[str, Any]:
    """Questions [0, n) of ``split`` with the memory frozen; the summary plus per-episode results."""
    n = min(n, len(env.questions(split)))
    results, start = [], time.perf_counter()
    for i in range(n):
        r = agent.run_episode(env, {"split": split, "question_index": i}, policy, learn=False)
        results.append(r)
        if on_episode is not None:
            on_episode(r, i + 1, n)
    return {**summarize(results), "policy": policy, "split": split, "seconds": time.perf_counter() - start,
            "results": [r.to_json() for r in results]}


def train(agent: Any, env: Any, episodes: int, seed: int, policy: str, on_episode: OnEpisode | None = None,
          test_env: Any = None, test_questions: int = 0, test_every: int = 0, rollouts: Any = None) -> dict[str, Any]:
    """``episodes`` learning episodes (module docstring); tests every ``test_every`` episodes and at the end
    when ``test_questions`` > 0. Returns ``{"train": summary, "curve": [{"train_episodes", test summary}], ...}``.

    ``rollouts`` (a started :class:`tui_agent.parallel.rollouts.RayRollouts`) runs the episodes on parallel workers,
    the memory frozen per batch, their updates applied here in order (batched RLEM,
    :mod:`tui_agent.rlem.batched`; episode ``i``'s random generator seeded with ``episode_seed(seed, i)``);
    episodes lost with their worker are listed under ``"failed"`` and not counted."""
    order = training_order(len(env.questions("train")), episodes, seed)
    results, curve, start = [], [], time.perf_counter()
    for done, r in enumerate(_episodes(agent, env, order, seed, policy, rollouts), 1):
        results.append(r)
        if on_episode is not None:
            on_episode(r, done, episodes)
        if test_env is not None and test_questions and (done == episodes or (test_every and done % test_every == 0)):
            test = evaluate(agent, test_env, test_questions, policy)
            test.pop("results")
            curve.append({**test, "train_episodes": done})
    return {"train": summarize(results), "policy": policy, "episodes": episodes, "seed": seed,
            "seconds": time.perf_counter() - start, "curve": curve,
            "returns": [round(r.ret, 4) for r in results], "successes": [bool(r.correct) for r in results],
            **({"workers": rollouts.workers, "failed": [{"options": job.options, "error": error}
                                                        for job, error in rollouts.failed]} if rollouts else {})}


def _episodes(agent: Any, env: Any, order: list[int], seed: int, policy: str, rollouts: Any) -> Iterator[Any]:
    """The learned episode of each train question in ``order``: here, or on ``rollouts``' workers."""
    if rollouts is None:
        for index in order:
            yield agent.run_episode(env, {"split": "train", "question_index": index}, policy, learn=True)
        return
    jobs = [EpisodeJob({"split": "train", "question_index": index}, policy, episode_seed(seed, i))
            for i, index in enumerate(order)]
    for _job, result in rollouts.run(agent, jobs):
        yield result
