"""Web-task commands: ``train``, ``eval``, ``task`` and ``serve-shop`` (the shop environment).

``train --env shop --tasks 10 --epochs 3`` runs the REMEMBERER protocol (memory
updated every step); ``eval --env shop --tasks N --policy random|llm|rememberer|q-driven``
evaluates with the memory frozen and writes per-task results as JSON;
``task "GOAL"`` runs one episode and prints its steps; ``serve-shop`` serves
the shop as HTML on localhost.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tui_agent.agents.factory import RunOptions
from tui_agent.cli.common import (
    MemoryDirOption,
    ModelOption,
    PolicyOption,
    ProgressBar,
    build_agent,
    echo,
    fail,
    print_json,
    rollout_worker,
    settings_for,
    user_errors,
)
from tui_agent.cli.rollouts import RayAddressOption, WorkersOption, start_ray, start_workers
from tui_agent.cli.docqa import AlwaysAnswerOption, AnswererOption, doc_command

ENVS = ("shop", "docqa")
EnvOption = Annotated[str, typer.Option("--env", help="Environment: shop | docqa (DocumentQA-v0).")]
AlgoOption = Annotated[str, typer.Option(
    "--algo", help="rlem (experience memory) | ppo (Ray RLlib baseline; --env docqa, needs the 'rl' extra).")]
EpisodesOption = Annotated[int, typer.Option(
    "--episodes", min=1, help="docqa: training episodes (train questions in a seeded shuffled order, cycling).")]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed for goal sampling and the advice's random fill.")]
GammaOption = Annotated[float, typer.Option("--gamma", min=0.0, max=1.0, help="Discount γ.")]
NOption = Annotated[int | None, typer.Option(
    "--n", min=1, help="n-step horizon (default: the rest of the episode).", show_default=False)]
NoBootstrapOption = Annotated[bool, typer.Option("--no-bootstrap", help="Ablation: one-step targets (n = 1).")]
NoRandomOption = Annotated[bool, typer.Option("--no-random", help="Ablation: no random fill in the advice.")]
NoDiscouragedOption = Annotated[bool, typer.Option("--no-discouraged", help="Ablation: no discouraged actions.")]
NoAnalogyOption = Annotated[bool, typer.Option(
    "--no-analogy", help="Q from memory only for identical action strings (no action roles).")]
ScorerOption = Annotated[str | None, typer.Option(
    "--scorer", help="How q-driven breaks ties: llm (the model's log-likelihoods) | constant (first candidate). "
    "Default: llm on the shop, constant on docqa (measured there: the model's tie-breaks cost success).",
    show_default=False)]
UpdateModeOption = Annotated[str, typer.Option("--update-mode", help="Q update: mean (α = 1/N) | const (α = 0.1).")]


def _check_env(env: str) -> None:
    if env not in ENVS:
        fail(f"unknown env {env!r}; expected one of {', '.join(ENVS)}", 2)


def resolve_policy(policy: str | None, memory_dir: Path | None, model: str | None) -> str:
    """``--policy``, else the configured ``policy`` setting; exits 2 on an unknown name."""
    from tui_agent.shop.agent import policy_name

    try:
        return policy_name(policy or settings_for(memory_dir, model).policy)
    except ValueError as exc:
        fail(str(exc), 2)
        raise


class _Bar(ProgressBar):
    """Episodes done as a progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.title = title

    def __call__(self, result: Any, done: int, total: int) -> None:
        mark = "✓" if result.success else "·"
        index = getattr(result, "goal_index", getattr(result, "question_index", -1))
        desc = f"{self.title} {mark} {result.split}#{index} reward {float(result.reward or 0):.2f}"
        if self.live:
            self.progress.update(self.task, completed=done, total=total, description=desc)
        else:
            print(f"[{done}/{total}] {desc} ({len(result.steps)} steps)", file=sys.stderr, flush=True)


def train_command(
    ctx: typer.Context,
    env: EnvOption = "shop",
    tasks: Annotated[int, typer.Option("--tasks", min=1,
                                       help="Training goals drawn with --seed (with --train-set random).")] = 10,
    train_set: Annotated[str, typer.Option(
        "--train-set", help="S0 | S1 (the paper's fixed sets of 10 train goals) | random (--tasks goals).")] = "S0",
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the training goals.")] = 3,
    seed: SeedOption = 0,
    gamma: GammaOption = 1.0,
    n: NOption = None,
    no_bootstrap: NoBootstrapOption = False,
    no_random: NoRandomOption = False,
    no_discouraged: NoDiscouragedOption = False,
    no_analogy: NoAnalogyOption = False,
    policy: PolicyOption = None,
    scorer: ScorerOption = None,
    update_mode: UpdateModeOption = "mean",
    test_tasks: Annotated[int, typer.Option(
        "--test-tasks", min=0, help="Test on goals 0..N-1 after every epoch (memory frozen), as the reference.")] = 0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report as JSON here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the training report as JSON.")] = False,
    algo: AlgoOption = "rlem",
    episodes: EpisodesOption = 196,
    answerer: AnswererOption = "extractive",
    test_every: Annotated[int, typer.Option(
        "--test-every", min=0, help="docqa: test every N training episodes (a learning curve).")] = 0,
    always_answer: AlwaysAnswerOption = False,
    workers: WorkersOption = 1,
    ray_address: RayAddressOption = None,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Train RLEM on shop goals (REMEMBERER protocol: memory updated every step; goals solved in epoch 0 skipped).

    The initial pool is the memory's shop experiences if it has any (e.g. a REMEMBERER pool brought in with
    `tui-agent memory import init_pool.wq.yaml`), else the bundled one.

    `--env docqa`: DocumentQA-v0, `--episodes` training episodes on train questions (`--test-tasks N`:
    test on N test questions at the end and every `--test-every` episodes); `--algo ppo` trains the PPO
    baseline on Ray RLlib instead of RLEM.
    """
    _check_env(env)
    scorer = scorer or ("constant" if env == "docqa" else "llm")
    if algo not in ("rlem", "ppo"):
        fail(f"unknown algo {algo!r}; expected rlem or ppo", 2)
    if algo == "ppo" and (workers > 1 or ray_address):
        fail("--workers / --ray-address are for RLEM training (PPO samples with RLlib's own env runners)", 2)
    if algo == "ppo":
        from tui_agent.cli.ppo import ppo_train

        ppo_train(env=env, episodes=episodes, seed=seed, answerer=answerer, test_questions=test_tasks or None,
                  output=output, as_json=as_json, model=model)
        return
    if env == "docqa":
        from tui_agent.cli.docqa import docqa_train

        with _Bar(f"train {policy or 'q-driven'}") as bar:
            docqa_train(episodes=episodes, seed=seed, policy=policy, scorer=scorer, answerer=answerer, gamma=gamma,
                        n=1 if no_bootstrap else n, update_mode=update_mode, test_questions=test_tasks,
                        test_every=test_every, output=output, as_json=as_json, memory_dir=memory_dir, model=model,
                        on_episode=bar, ctx=ctx, workers=workers, ray_address=ray_address,
                        always_answer=always_answer)
        return
    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.shop.protocol import train, training_set

    if train_set.lower() != "random":
        try:
            training_set(train_set)
        except ValueError as exc:
            fail(str(exc), 2)

    policy = resolve_policy(policy, memory_dir, model)
    rollouts = start_ray(ctx, workers, ray_address)  # before the memory opens: Ray forks its daemons
    agent = build_agent("shop", memory_dir, model, RunOptions(
        gamma=gamma, n=1 if no_bootstrap else n, update_mode=update_mode, random_fill=not no_random,
        discouraged=not no_discouraged, analogy=not no_analogy, scorer=scorer, seed=seed))
    from tui_agent.cli.stats import training_run

    run_settings = {"tasks": tasks, "train_set": train_set, "epochs": epochs, "seed": seed, "gamma": gamma, "n": n,
                    "no_bootstrap": no_bootstrap, "no_random": no_random, "no_discouraged": no_discouraged,
                    "no_analogy": no_analogy, "scorer": scorer, "update_mode": update_mode,
                    "memory": str(agent.store.path), "model": getattr(agent.llm, "model", model)}
    start_workers(rollouts, rollout_worker("shop", agent, memory_dir, model, policy) if rollouts else None)
    with user_errors(), _Bar(f"train {policy}") as bar, training_run("shop", "rlem", run_settings, policy) as run:
        def on_episode(result: Any, done: int, total: int) -> None:
            bar(result, done, total)
            run.episode(return_=sum(s.reward for s in result.steps), reward=result.reward, success=result.success,
                        steps=len(result.steps), info={"split": result.split, "goal_index": result.goal_index})

        report = train(agent, ShopEnv(split="train"), tasks, epochs, seed, policy, on_episode=on_episode,
                       test_env=ShopEnv(split="test") if test_tasks else None, test_tasks=test_tasks,
                       train_set=None if train_set.lower() == "random" else train_set.upper(), rollouts=rollouts)
    report["command"] = " ".join(["tui-agent", *sys.argv[1:]])
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if as_json:
        print_json(report)
        return
    for e in report["epochs"]:
        test = e.get("test")
        echo(f"epoch {e['epoch']}: {e['episodes']} episodes, score {e['score']:.3f}, "
                   f"success rate {e['success_rate']:.2f}"
                   + (f"; test {test['episodes']} goals: score {test['score']:.3f}, "
                      f"success rate {test['success_rate']:.2f}" if test else ""))
    echo(f"memory: {agent.store.count('shop')} shop experiences in {agent.store.path}")


def eval_command(
    env: EnvOption = "shop",
    tasks: Annotated[int, typer.Option("--tasks", min=1, help="Goals 0..N-1 of the split.")] = 100,
    policy: PolicyOption = None,
    split: Annotated[str, typer.Option("--split", help="test | eval | train")] = "test",
    train_set: Annotated[str | None, typer.Option(
        "--train-set", help="Evaluate on training set S0 or S1 (train split) instead of --split goals.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write per-task results as JSON here.")] = None,
    seed: SeedOption = 0,
    no_random: NoRandomOption = False,
    no_discouraged: NoDiscouragedOption = False,
    no_analogy: NoAnalogyOption = False,
    scorer: ScorerOption = None,
    answerer: AnswererOption = "extractive",
    always_answer: AlwaysAnswerOption = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Evaluate a policy with the memory frozen: shop goals (average score, success rate) or, with
    `--env docqa`, questions 0..N-1 of the split (success rate, average return)."""
    _check_env(env)
    scorer = scorer or ("constant" if env == "docqa" else "llm")
    if env == "docqa":
        from tui_agent.cli.docqa import docqa_eval

        with _Bar(f"eval {policy or 'q-driven'}") as bar:
            docqa_eval(tasks=tasks, split=split, policy=policy, scorer=scorer, answerer=answerer, seed=seed,
                       output=output, memory_dir=memory_dir, model=model, on_episode=bar,
                       always_answer=always_answer)
        return
    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.shop.protocol import evaluate, training_set

    policy = resolve_policy(policy, memory_dir, model)
    if split not in ("test", "eval", "train"):
        fail(f"unknown split {split!r}", 2)
    goals = None
    if train_set is not None:
        try:
            goals, split = training_set(train_set), "train"
        except ValueError as exc:
            fail(str(exc), 2)
    agent = build_agent("shop", memory_dir, model, RunOptions(
        random_fill=not no_random, discouraged=not no_discouraged, analogy=not no_analogy, scorer=scorer, seed=seed))
    with user_errors(), _Bar(f"eval {policy}") as bar:
        report = evaluate(agent, ShopEnv(split=split), tasks, policy, split, on_episode=bar, goals=goals)
    report["command"] = " ".join(["tui-agent", *sys.argv[1:]])
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    echo(f"{policy}: {report['episodes']} {split} goals, average score {report['score']:.3f}, "
               f"success rate {report['success_rate']:.2f}" + (f" (results in {output})" if output else ""))


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


def register(app: typer.Typer) -> None:
    """Add ``train``, ``eval``, ``task``, ``serve-shop`` and ``doc`` to the main app."""
    app.command("train")(train_command)
    app.command("eval")(eval_command)
    app.command("task")(task_command)
    app.command("serve-shop")(serve_shop_command)
    app.command("doc")(doc_command)
