"""DocumentQA's runners and command: ``train`` / ``eval --env docqa`` (parsed in :mod:`tui_agent.cli.train`)
and ``doc QUESTION`` (one episode, its steps printed).

``train --env docqa --episodes 300`` runs RLEM (memory updated every step) on train questions;
``eval --env docqa --policy episodic-control|rememberer|llm|random --tasks 196`` evaluates on test questions
with the memory frozen. Reports: success rate (answered correctly), average return, steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from tui_agent.agents.factory import RunOptions
from tui_agent.cli.common import (MemoryDirOption, ModelOption, PolicyOption, build_agent, echo, fail, print_json,
                                  rollout_worker, settings_for, user_errors)
from tui_agent.cli.runner import EpisodeBar, RunFlags, write_report

AnswererOption = Annotated[str, typer.Option(
    "--answerer", help="How answers are written: extractive (a passage sentence, no model) | llm.")]
AlwaysAnswerOption = Annotated[bool, typer.Option(
    "--always-answer", help="docqa episodic-control: answer even where answering unknown notes has mostly failed "
    "(default: keep reading, since a time-out costs less than a wrong answer).")]
TimeoutRewardOption = Annotated[str, typer.Option(
    "--timeout-reward", help="docqa: what the 8-step time-out adds: abstain (0: never answering scores -0.08) | "
    "failure (-1, like a wrong answer) | a number in [-1, 0].")]

__all__ = ["DocQAOptions", "TimeoutRewardOption", "build_docqa_agent", "doc_command", "docqa_eval", "docqa_train"]


@dataclass(frozen=True)
class DocQAOptions(RunFlags):
    """A DocumentQA run's options (:class:`~tui_agent.cli.runner.RunFlags` and docqa's own flags; the PPO
    baseline reads ``episodes``, ``seed``, ``answerer``, ``test_tasks``, ``output``, ``as_json``, ``model``).

    ``episodes`` ≥ 1: training episodes; ``test_every`` ≥ 0: test every N training episodes (0: at the end
    only); ``tasks`` ≥ 1 / ``split`` ("test" | "train"): eval's questions 0..N-1; ``answerer``:
    "extractive" | "llm"; ``always_answer``: answer even where answering unknown notes has mostly failed;
    ``timeout_reward``: the env's time-out reward as given ("abstain", "failure" or a number in [−1, 0];
    :attr:`timeout_value` parses it, exit 2 when it cannot). PPO only: ``question_features`` ("none" |
    "embedding"), ``env_runners`` ≥ 0, ``warm_start`` (a demonstrations file, recorded with
    ``warm_start_steps`` steps of the LLM planner when it does not exist).
    ``scorer`` defaults to "constant" (measured: the model's tie-breaks cost success here).
    """

    DEFAULT_SCORER = "constant"

    episodes: int = 196
    test_every: int = 0
    tasks: int = 100
    split: str = "test"
    answerer: str = "extractive"
    always_answer: bool = False
    timeout_reward: str = "abstain"
    question_features: str = "none"
    env_runners: int = 1
    warm_start: Path | None = None
    warm_start_steps: int = 300

    @property
    def timeout_value(self) -> float:
        """``timeout_reward`` as a number in [−1, 0] (exit 2 when it is neither a variant name nor such a number)."""
        from tui_agent.envs.docqa.env import parse_timeout_reward

        try:
            return parse_timeout_reward(self.timeout_reward)
        except ValueError as exc:
            fail(f"--timeout-reward: {exc}", 2)

    def run_options(self) -> RunOptions:
        """The agent's learning options (seed included)."""
        return RunOptions(gamma=self.gamma, n=self.horizon, update_mode=self.update_mode, scorer=self.scorer,
                          answerer=self.answerer, always_answer=self.always_answer, seed=self.seed,
                          timeout_reward=self.timeout_value)


def build_docqa_agent(memory_dir: Path | None, model: str | None, **options: Any) -> Any:
    """A DocQAAgent over the configured memory (:func:`tui_agent.cli.common.build_agent` with ``options`` as
    :class:`~tui_agent.agents.factory.RunOptions`; seed 0 unless given)."""
    return build_agent("docqa", memory_dir, model, RunOptions(**{"seed": 0, **options}))


def _policy(policy: str | None) -> str:
    from tui_agent.docqa.agent import docqa_policy

    try:
        return docqa_policy(policy or "episodic-control")
    except ValueError as exc:
        fail(str(exc), 2)


def docqa_train(ctx: typer.Context, o: DocQAOptions) -> dict[str, Any]:
    """``train --env docqa``: RLEM training episodes, then (``o.test_tasks``) a frozen test; prints a summary
    or (``o.as_json``) the report.

    ``o.workers`` > 1 or ``o.ray_address``: episodes on Ray workers (:mod:`tui_agent.cli.rollouts`). Exits 2
    on an unknown policy or an option out of range, 1 on a store or model error."""
    from tui_agent.cli.rollouts import start_ray, start_workers
    from tui_agent.cli.stats import training_run
    from tui_agent.docqa.protocol import train
    from tui_agent.envs.docqa.env import DocQAEnv

    with EpisodeBar(f"train {o.policy or 'episodic-control'}") as bar:
        policy = _policy(o.policy)
        rollouts = start_ray(ctx, o.workers, o.ray_address)  # before the memory opens: Ray forks its daemons
        agent = build_agent("docqa", o.memory_dir, o.model, o.run_options())
        start_workers(rollouts, rollout_worker("docqa", agent, o.memory_dir, o.model, policy) if rollouts else None)
        run_settings = {"episodes": o.episodes, "seed": o.seed, "gamma": o.gamma, "n": o.horizon,
                        "update_mode": o.update_mode, "scorer": o.scorer, "answerer": o.answerer,
                        "timeout_reward": o.timeout_value,
                        "workers": o.workers, "memory": str(agent.store.path),
                        "model": getattr(agent.llm, "model", o.model)}
        with user_errors(), training_run("docqa", "rlem", run_settings, policy) as run:
            def logged(result: Any, done: int, total: int) -> None:
                bar(result, done, total)
                run.episode(return_=result.ret, reward=result.reward, success=result.correct,
                            steps=len(result.steps), info={"split": result.split, "question_index": result.question_index})

            env = DocQAEnv(split="train", timeout_reward=o.timeout_value)
            report = train(agent, env, o.episodes, o.seed, policy, on_episode=logged,
                           test_env=env if o.test_tasks else None, test_questions=o.test_tasks,
                           test_every=o.test_every, rollouts=rollouts)
    if write_report(report, o.output, o.as_json):
        return report
    t = report["train"]
    echo(f"{policy}: {t['episodes']} training episodes, success rate {t['success_rate']:.2f}, "
         f"average return {t['avg_return']:+.3f}, {report['seconds']:.0f} s")
    for point in report["curve"]:
        echo(f"  after {point['train_episodes']} episodes: {point['episodes']} test questions, "
             f"success rate {point['success_rate']:.2f}, average return {point['avg_return']:+.3f}")
    echo(f"memory: {agent.store.count('docqa')} docqa experiences in {agent.store.path}")
    return report


def docqa_eval(o: DocQAOptions) -> dict[str, Any]:
    """``eval --env docqa``: questions [0, ``o.tasks``) of ``o.split`` with the memory frozen; prints the
    success rate, average return and steps. Exits 2 on an unknown policy or split."""
    from tui_agent.docqa.protocol import evaluate
    from tui_agent.envs.docqa.env import DocQAEnv

    with EpisodeBar(f"eval {o.policy or 'episodic-control'}") as bar:
        policy = _policy(o.policy)
        if o.split not in ("test", "train"):
            fail(f"unknown split {o.split!r} for docqa; expected test or train", 2)
        agent = build_agent("docqa", o.memory_dir, o.model, o.run_options())
        with user_errors():
            report = evaluate(agent, DocQAEnv(split=o.split, timeout_reward=o.timeout_value), o.tasks, policy,
                              o.split, on_episode=bar)
    write_report(report, o.output)
    echo(f"{policy}: {report['episodes']} {o.split} questions, success rate {report['success_rate']:.2f}, "
         f"average return {report['avg_return']:+.3f}, {report['avg_steps']:.1f} steps"
         + (f" (results in {o.output})" if o.output else ""))
    return report


def _notes_corpus(memory_dir: Path | None, model: str | None) -> Any:
    """The user's notes table as a corpus; exits 1 when it holds no notes."""
    from tui_agent.envs.docqa.corpus import NotesCorpus
    from tui_agent.notes.store import NoteStore, NoteStoreError

    try:
        store = NoteStore(settings_for(memory_dir, model).resolved_memory_dir())
        count = store.count()
    except NoteStoreError as exc:
        fail(str(exc))
    if count == 0:
        fail("your notes table is empty: add documents with `tui-agent notes add PATH` first")
    return NotesCorpus(store)


def doc_command(
    question: Annotated[str | None, typer.Argument(help="The question (default: a random test question).")] = None,
    policy: PolicyOption = None,
    answerer: AnswererOption = "extractive",
    corpus: Annotated[str, typer.Option(
        "--corpus", help="builtin (the bundled Python docs) | notes (your notes table: tui-agent notes add)")] = "builtin",
    scorer: Annotated[str, typer.Option(
        "--scorer", help="How ties are broken: constant (the first: answer once a passage is read, else the "
        "top result) | llm (the model's log-likelihoods).")] = "constant",
    as_json: Annotated[bool, typer.Option("--json", help="Print the episode as JSON.")] = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Answer QUESTION by searching, reading and answering over documents (one DocumentQA episode).

    With `--corpus notes` the episode searches your notes table and QUESTION is required (no gold answer:
    the memory is not updated)."""
    import random

    from tui_agent.envs.docqa.env import DocQAEnv

    policy = _policy(policy)
    if corpus not in ("builtin", "notes"):
        fail(f"unknown corpus {corpus!r}; expected builtin or notes", 2)
    if corpus == "notes" and not question:
        fail("--corpus notes needs a QUESTION (the bundled questions are about the bundled docs)", 2)
    agent = build_docqa_agent(memory_dir, model, answerer=answerer, scorer=scorer, always_answer=True)
    with user_errors():
        env = DocQAEnv(split="test", corpus=_notes_corpus(memory_dir, model) if corpus == "notes" else None)
        options = ({"question": question} if question
                   else {"split": "test", "question_index": random.randrange(len(env.questions("test")))})

        def show(step: Any) -> None:
            if not as_json:
                echo(f"{step.t + 1:>2}. [{step.state}] {step.action}   ({step.chosen_by}: {step.reason})")

        result = agent.run_episode(env, options, policy, on_step=show)
    if as_json:
        print_json(result.to_json())
    elif result.answer is None:
        echo("no answer within the step limit")
    else:
        echo(f"answer: {result.answer}" + (f"\n{'correct' if result.correct else 'wrong'} (gold: {result.gold_answer})"
                                           if result.gold_answer else ""))
