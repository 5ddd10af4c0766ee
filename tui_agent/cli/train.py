"""The ``train`` and ``eval`` commands: parse the flags, build the domain's options and hand them to its runner.

``--env shop`` → :mod:`tui_agent.cli.shop` (:class:`~tui_agent.cli.shop.ShopOptions`), ``--env docqa`` →
:mod:`tui_agent.cli.docqa` (:class:`~tui_agent.cli.docqa.DocQAOptions`), ``--env wikihow`` →
:mod:`tui_agent.cli.wikihow` (:class:`~tui_agent.cli.wikihow.WikiHowOptions`), ``--env docqa --algo ppo`` →
:mod:`tui_agent.cli.ppo`. :func:`register` adds these two and the domains' own commands (``task``,
``serve-shop``, ``doc``) to the main app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_agent.cli.common import MemoryDirOption, ModelOption, PolicyOption, fail
from tui_agent.cli.docqa import (AlwaysAnswerOption, AnswererOption, DocQAOptions, TimeoutRewardOption, doc_command,
                                 docqa_eval, docqa_train)
from tui_agent.cli.rollouts import RayAddressOption, WorkersOption
from tui_agent.cli.shop import ShopOptions, serve_shop_command, shop_eval, shop_train, task_command
from tui_agent.cli.wikihow import WikiHowOptions, wikihow_eval, wikihow_train

__all__ = ["ENVS", "eval_command", "register", "train_command"]

ENVS = ("shop", "docqa", "wikihow")
ALGOS = ("rlem", "ppo")
EnvOption = Annotated[str, typer.Option("--env", help="Environment: shop | docqa (DocumentQA-v0) | wikihow (WikiHow-v0).")]
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
    "--scorer", help="How episodic-control breaks ties: llm (the model's log-likelihoods) | constant (first candidate). "
    "Default: llm on the shop, constant on docqa (measured there: the model's tie-breaks cost success).",
    show_default=False)]
CreditOption = Annotated[str | None, typer.Option(
    "--credit", help="wikihow: path (default: a detour back to a screen already seen earns nothing) | episode "
    "(REMEMBERER's full-episode return).", show_default=False)]
LearnerOption = Annotated[str, typer.Option(
    "--learner", help="shop episodic-control learner: reference (REMEMBERER's) | fit-cells (what a purchase "
    "taught reaches similar items of new goals: docs/shop_transfer.md).")]
UnconstrainedOption = Annotated[bool, typer.Option(
    "--unconstrained", help="shop rememberer: let the model write free-text advice, as in the paper (default: "
    "constrained to the page's valid actions by a grammar, or structured output for hosted models that support it).")]
UpdateModeOption = Annotated[str, typer.Option("--update-mode", help="Q update: mean (α = 1/N) | const (α = 0.1).")]
QuestionFeaturesOption = Annotated[str, typer.Option(
    "--question-features", help="ppo: none (similarity features only) | embedding (plus the question's embedding: "
    "the question identity the memory policy retrieves by, for a like-for-like comparison).")]
EnvRunnersOption = Annotated[int, typer.Option(
    "--env-runners", min=0, help="ppo: RLlib env runner processes that sample (0: sample in the driver).")]
WarmStartOption = Annotated[Path | None, typer.Option(
    "--warm-start", help="ppo: imitate the LLM planner before PPO (behaviour cloning) from this demonstrations "
    "file; recorded there first (--warm-start-steps steps of the llm policy, train questions) when it does "
    "not exist.", show_default=False)]
WarmStartStepsOption = Annotated[int, typer.Option(
    "--warm-start-steps", min=1, help="ppo: planner steps to record for a new --warm-start file.")]


def _check_env(env: str) -> None:
    if env not in ENVS:
        fail(f"unknown env {env!r}; expected one of {', '.join(ENVS)}", 2)


def train_command(
    ctx: typer.Context,
    env: EnvOption = "shop",
    tasks: Annotated[int, typer.Option("--tasks", min=1,
                                       help="Training goals drawn with --seed (with --train-set random).")] = 10,
    train_set: Annotated[str, typer.Option(
        "--train-set", help="S0 | S1 (the paper's fixed sets of 10 train goals) | random (--tasks goals; shop).")] = "S0",
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the training goals.")] = 3,
    seed: SeedOption = 0,
    gamma: GammaOption = 1.0,
    n: NOption = None,
    no_bootstrap: NoBootstrapOption = False,
    no_random: NoRandomOption = False,
    no_discouraged: NoDiscouragedOption = False,
    no_analogy: NoAnalogyOption = False,
    unconstrained: UnconstrainedOption = False,
    learner: LearnerOption = "reference",
    credit: CreditOption = None,
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
    timeout_reward: TimeoutRewardOption = "abstain",
    question_features: QuestionFeaturesOption = "none",
    env_runners: EnvRunnersOption = 1,
    warm_start: WarmStartOption = None,
    warm_start_steps: WarmStartStepsOption = 300,
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
    baseline on Ray RLlib instead of RLEM (`--question-features embedding`: like for like with the memory
    policy; `--warm-start FILE`: imitate the LLM planner first; `--env-runners N`: sampling processes).
    `--timeout-reward failure` counts the time-out as a wrong answer (−1) instead of 0. `--env wikihow`:
    WikiHow-v0 (REMEMBERER's second setting), training set S0 / S1 of 10 tasks; its initial memory is an
    imported pool (`tui-agent memory import init_pool.q.yaml`).
    """
    _check_env(env)
    if credit is not None and env != "wikihow":
        fail("--credit: wikihow only", 2)
    if algo not in ALGOS:
        fail(f"unknown algo {algo!r}; expected {' or '.join(ALGOS)}", 2)
    if algo == "ppo" and env == "wikihow":
        fail("--algo ppo is for --env docqa", 2)
    if algo == "ppo":
        if workers > 1 or ray_address:
            fail("--workers / --ray-address are for RLEM training (PPO samples with RLlib's own env runners)", 2)
        from tui_agent.cli.ppo import ppo_train

        ppo_train(env, DocQAOptions.from_params(ctx.params))
    elif env == "docqa":
        docqa_train(ctx, DocQAOptions.from_params(ctx.params))
    elif env == "wikihow":
        wikihow_train(WikiHowOptions.from_params(ctx.params))
    else:
        shop_train(ctx, ShopOptions.from_params(ctx.params))


def eval_command(
    ctx: typer.Context,
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
    unconstrained: UnconstrainedOption = False,
    learner: LearnerOption = "reference",
    scorer: ScorerOption = None,
    answerer: AnswererOption = "extractive",
    always_answer: AlwaysAnswerOption = False,
    timeout_reward: TimeoutRewardOption = "abstain",
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Evaluate a policy with the memory frozen: shop goals (average score, success rate), with
    `--env docqa` questions 0..N-1 of the split (success rate, average return), with `--env wikihow` tasks
    0..N-1 of the split (steps done, success rate)."""
    _check_env(env)
    if env == "docqa":
        docqa_eval(DocQAOptions.from_params(ctx.params))
    elif env == "wikihow":
        wikihow_eval(WikiHowOptions.from_params(ctx.params))
    else:
        shop_eval(ShopOptions.from_params(ctx.params))


def register(app: typer.Typer) -> None:
    """Add ``train``, ``eval``, ``task``, ``serve-shop`` and ``doc`` to the main app."""
    app.command("train")(train_command)
    app.command("eval")(eval_command)
    app.command("task")(task_command)
    app.command("serve-shop")(serve_shop_command)
    app.command("doc")(doc_command)
