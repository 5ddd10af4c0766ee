"""WikiHow's runners: ``train`` / ``eval --env wikihow`` (parsed in :mod:`tui_agent.cli.train`).

``train --env wikihow --train-set S0 --epochs 3 --test-tasks 70`` runs the REMEMBERER protocol (memory
updated every step, tested after every epoch); ``eval --env wikihow --tasks 70 --policy random|
episodic-control|rememberer`` evaluates with the memory frozen. The initial memory is whatever
``wikihow`` rows the memory holds: ``tui-agent memory import init_pool.q.yaml`` brings in the
reference's pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


from tui_agent.agents.factory import RunOptions
from tui_agent.cli.common import build_agent, echo, fail, settings_for, user_errors
from tui_agent.cli.runner import EpisodeBar, RunFlags, write_report

__all__ = ["WikiHowOptions", "wikihow_eval", "wikihow_train"]


@dataclass(frozen=True)
class WikiHowOptions(RunFlags):
    """A WikiHow run's options: ``tasks`` (eval: tasks 0..N-1 of ``split``), ``train_set`` "S0" | "S1",
    ``epochs``, ``split`` "test" | "train", the advice's ablations, ``unconstrained`` (the rememberer's
    free-text advice) and ``credit`` ("path" | "episode"; None: WikiHow's default, path)."""

    DEFAULT_SCORER = "constant"

    tasks: int = 70
    train_set: str | None = "S0"
    epochs: int = 3
    split: str = "test"
    no_random: bool = False
    no_discouraged: bool = False
    unconstrained: bool = False
    credit: str | None = None

    def run_options(self) -> RunOptions:
        return RunOptions(gamma=self.gamma, n=self.horizon, update_mode=self.update_mode,
                          random_fill=not self.no_random, discouraged=not self.no_discouraged, seed=self.seed,
                          constrained=not self.unconstrained, credit=self.credit)


def _policy(o: WikiHowOptions) -> str:
    from tui_agent.wikihow.agent import policy_name

    try:
        return policy_name(o.policy or settings_for(o.memory_dir, o.model).policy)
    except ValueError as exc:
        fail(str(exc), 2)
        raise


def _goals(name: str) -> list[int]:
    from tui_agent.envs.wikihow.tasks import training_set

    try:
        return training_set(name)
    except ValueError as exc:
        fail(str(exc), 2)
        raise


def _line(summary: dict[str, Any]) -> str:
    return (f"{summary['episodes']} tasks: reward {summary['reward']:.2f}, steps done {summary['score']:.2f}, "
            f"success rate {summary['success_rate']:.2f}, {summary.get('episodes_per_second', 0.0):.2f} episodes/s")


def wikihow_train(o: WikiHowOptions) -> dict[str, Any]:
    """``train --env wikihow``: the protocol on training set ``o.train_set``; prints a line per epoch or the
    report. Exits 2 on an unknown training set or policy, or Ray options (not supported here)."""
    from tui_agent.envs.wikihow.env import WikiHowEnv
    from tui_agent.wikihow.protocol import train

    if o.workers > 1 or o.ray_address:
        fail("--workers / --ray-address: WikiHow episodes run here, one after another", 2)
    goals = _goals(str(o.train_set or "S0"))
    policy = _policy(o)
    agent = build_agent("wikihow", o.memory_dir, o.model, o.run_options())
    with user_errors(), EpisodeBar(f"train {policy}") as bar:
        report = train(agent, WikiHowEnv(split="train"), goals, o.epochs, policy, on_episode=bar,
                       test_env=WikiHowEnv(split="test") if o.test_tasks else None, test_tasks=o.test_tasks)
    if write_report(report, o.output, o.as_json):
        return report
    for e in report["epochs"]:
        test = e.get("test")
        echo(f"epoch {e['epoch']}: train {_line(e)}" + (f"; test {_line(test)}" if test else ""))
    echo(f"memory: {agent.store.count('wikihow')} wikihow experiences in {agent.store.path}")
    return report


def wikihow_eval(o: WikiHowOptions) -> dict[str, Any]:
    """``eval --env wikihow``: tasks 0..``o.tasks``-1 of ``o.split`` (or training set ``o.train_set``) with the
    memory frozen. Exits 2 on an unknown policy, split or training set."""
    from tui_agent.envs.wikihow.env import WikiHowEnv
    from tui_agent.wikihow.protocol import evaluate

    policy = _policy(o)
    split, goals = o.split, None
    if split not in ("test", "train"):
        fail(f"unknown split {split!r}; expected test or train", 2)
    if o.train_set is not None:
        goals, split = _goals(o.train_set), "train"
    agent = build_agent("wikihow", o.memory_dir, o.model, o.run_options())
    with user_errors(), EpisodeBar(f"eval {policy}") as bar:
        try:
            report = evaluate(agent, WikiHowEnv(split=split), o.tasks, policy, split, on_episode=bar, goals=goals)
        except ValueError as exc:
            fail(str(exc), 2)
    write_report(report, o.output)
    echo(f"{policy}: {split} " + _line(report) + (f" (results in {o.output})" if o.output else ""))
    return report
