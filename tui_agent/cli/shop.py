"""The shop's runners and commands: ``train`` / ``eval --env shop`` (parsed in :mod:`tui_agent.cli.train`),
``task`` and ``serve-shop``.

``train --env shop --tasks 10 --epochs 3`` runs the REMEMBERER protocol (memory updated every step);
``eval --env shop --tasks N --policy random|llm|rememberer|episodic-control`` evaluates with the memory frozen and
writes per-task results as JSON; ``task "GOAL"`` runs one episode and prints its steps; ``serve-shop``
serves the shop as HTML on localhost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from tui_agent.agents.factory import RunOptions
from tui_agent.cli.common import (
    MemoryDirOption,
    ModelOption,
    PolicyOption,
    build_agent,
    echo,
    fail,
    print_json,
    rollout_worker,
    settings_for,
    user_errors,
)
from tui_agent.cli.rollouts import start_ray, start_workers
from tui_agent.cli.runner import EpisodeBar, RunFlags, write_report

__all__ = ["ShopOptions", "resolve_policy", "serve_shop_command", "shop_eval", "shop_train", "task_command"]


@dataclass(frozen=True)
class ShopOptions(RunFlags):
    """A shop run's options (:class:`~tui_agent.cli.runner.RunFlags` and the shop's own flags).

    ``tasks`` ≥ 1: train: goals drawn with ``seed`` (``train_set`` "random"); eval: goals 0..N-1 of
    ``split`` ("test" | "eval" | "train"). ``train_set``: "S0" | "S1" | "random" (train), "S0" | "S1" |
    None (eval: the set's goals instead of ``split``'s). ``epochs`` ≥ 1: passes over the training goals.
    ``no_random`` / ``no_discouraged`` / ``no_analogy``: the advice's ablations; ``unconstrained``: the
    rememberer's advice as free text (the paper's), not constrained to the page's valid actions;
    ``learner``: the episodic-control learner preset ("reference" | "fit-cells").
    """

    tasks: int = 10
    train_set: str | None = "S0"
    epochs: int = 3
    split: str = "test"
    no_random: bool = False
    no_discouraged: bool = False
    no_analogy: bool = False
    unconstrained: bool = False
    learner: str = "reference"

    def run_options(self) -> RunOptions:
        """The agent's learning and ablation options."""
        return RunOptions(gamma=self.gamma, n=self.horizon, update_mode=self.update_mode,
                          random_fill=not self.no_random, discouraged=not self.no_discouraged,
                          analogy=not self.no_analogy, scorer=self.scorer, seed=self.seed,
                          constrained=not self.unconstrained, learner=self.learner)

    def log_settings(self) -> dict[str, Any]:
        """The run log's record of the training flags (``tui-agent stats``)."""
        return {"tasks": self.tasks, "train_set": self.train_set, "epochs": self.epochs, "seed": self.seed,
                "gamma": self.gamma, "n": self.n, "no_bootstrap": self.no_bootstrap, "no_random": self.no_random,
                "no_discouraged": self.no_discouraged, "no_analogy": self.no_analogy, "scorer": self.scorer,
                "unconstrained": self.unconstrained, "learner": self.learner,
                "update_mode": self.update_mode}


def resolve_policy(policy: str | None, memory_dir: Path | None, model: str | None) -> str:
    """``--policy``, else the configured ``policy`` setting; exits 2 on an unknown name."""
    from tui_agent.shop.agent import policy_name

    try:
        return policy_name(policy or settings_for(memory_dir, model).policy)
    except ValueError as exc:
        fail(str(exc), 2)
        raise


def _training_set(name: str) -> list[int]:
    """The goals of training set ``name``; exits 2 on an unknown set."""
    from tui_agent.shop.protocol import training_set

    try:
        return training_set(name)
    except ValueError as exc:
        fail(str(exc), 2)


def shop_train(ctx: typer.Context, o: ShopOptions) -> dict[str, Any]:
    """``train --env shop``: the REMEMBERER protocol over ``o.epochs`` passes (tested on ``o.test_tasks``
    goals after each), recorded in the run log; prints a summary per epoch or (``o.as_json``) the report.

    Exits 2 on an unknown training set or policy or an option out of range, 1 on a store or model error.
    """
    from tui_agent.cli.stats import training_run
    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.shop.protocol import train

    random_set = str(o.train_set).lower() == "random"
    if not random_set:
        _training_set(str(o.train_set))
    policy = resolve_policy(o.policy, o.memory_dir, o.model)
    rollouts = start_ray(ctx, o.workers, o.ray_address)  # before the memory opens: Ray forks its daemons
    agent = build_agent("shop", o.memory_dir, o.model, o.run_options())
    run_settings = {**o.log_settings(), "memory": str(agent.store.path),
                    "model": getattr(agent.llm, "model", o.model)}
    start_workers(rollouts, rollout_worker("shop", agent, o.memory_dir, o.model, policy) if rollouts else None)
    with user_errors(), EpisodeBar(f"train {policy}") as bar, \
            training_run("shop", "rlem", run_settings, policy) as run:
        def on_episode(result: Any, done: int, total: int) -> None:
            bar(result, done, total)
            run.episode(return_=sum(s.reward for s in result.steps), reward=result.reward, success=result.success,
                        steps=len(result.steps), info={"split": result.split, "goal_index": result.goal_index})

        report = train(agent, ShopEnv(split="train"), o.tasks, o.epochs, o.seed, policy, on_episode=on_episode,
                       test_env=ShopEnv(split="test") if o.test_tasks else None, test_tasks=o.test_tasks,
                       train_set=None if random_set else str(o.train_set).upper(), rollouts=rollouts)
    if write_report(report, o.output, o.as_json):
        return report
    for e in report["epochs"]:
        test = e.get("test")
        echo(f"epoch {e['epoch']}: {e['episodes']} episodes, score {e['score']:.3f}, "
             f"success rate {e['success_rate']:.2f}"
             + (f"; test {test['episodes']} goals: score {test['score']:.3f}, "
                f"success rate {test['success_rate']:.2f}" if test else ""))
    echo(f"memory: {agent.store.count('shop')} shop experiences in {agent.store.path}")
    return report


def shop_eval(o: ShopOptions) -> dict[str, Any]:
    """``eval --env shop``: goals 0..``o.tasks``-1 of ``o.split`` (or training set ``o.train_set``) with
    the memory frozen; prints the average score and success rate. Exits 2 on an unknown policy, split or
    training set."""
    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.shop.protocol import evaluate

    policy = resolve_policy(o.policy, o.memory_dir, o.model)
    split = o.split
    if split not in ("test", "eval", "train"):
        fail(f"unknown split {split!r}", 2)
    goals = None
    if o.train_set is not None:
        goals, split = _training_set(o.train_set), "train"
    agent = build_agent("shop", o.memory_dir, o.model, o.run_options())
    with user_errors(), EpisodeBar(f"eval {policy}") as bar:
        report = evaluate(agent, ShopEnv(split=split), o.tasks, policy, split, on_episode=bar, goals=goals)
    write_report(report, o.output)
    echo(f"{policy}: {report['episodes']} {split} goals, average score {report['score']:.3f}, "
         f"success rate {report['success_rate']:.2f}" + (f" (results in {o.output})" if o.output else ""))
    return report


def task_command(
    goal: Annotated[str | None, typer.Argument(help="The goal in words (default: a random test goal).")] = None,
    policy: PolicyOption = None,
    learn: Annotated[bool, typer.Option("--learn/--no-learn", help="Update the memory with the reward.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the episode as JSON.")] = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Run one shop episode for GOAL and print each step (free text is scored against the closest catalog goal)."""
    import random

    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.shop.protocol import match_goal

    policy = resolve_policy(policy, memory_dir, model)
    agent = build_agent("shop", memory_dir, model)
    env = ShopEnv(split="test")
    if goal:
        match = match_goal(goal, env.catalog)
        options, has_reward = match.options, match.has_reward
    else:
        options, has_reward = {"split": "test", "goal_index": random.randrange(env.catalog.split_size("test"))}, True

    def show(step: Any) -> None:
        if not as_json:
            echo(f"{step.t + 1:>2}. [{step.page_type}] {step.action}   ({step.chosen_by}: {step.reason})")

    with user_errors():
        result = agent.run_episode(env, options, policy, learn=learn, on_step=show, has_reward=has_reward,
                                   explore=False)
    if as_json:
        print_json(result.to_json())
    elif result.reward is None:
        echo("no reward: free-text goal (no catalog goal close enough)")
    else:
        echo(f"reward {result.reward:.2f}{' (success)' if result.success else ''}")


def serve_shop_command(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0 = any free port).")] = 8765,
    split: Annotated[str, typer.Option("--split", help="Goals of new sessions: test | eval | train.")] = "test",
    goal: Annotated[int | None, typer.Option("--goal", help="Always this goal index.", show_default=False)] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a browser.")] = False,
) -> None:
    """Serve the shop as HTML pages on localhost, to browse what the agent sees."""
    from tui_agent.envs.shop.server import serve

    try:
        serve(host, port, split=split, goal_index=goal, open_browser=open_browser)
    except (OSError, ValueError) as exc:
        fail(str(exc))

