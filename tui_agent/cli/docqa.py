"""DocumentQA commands: ``train --env docqa``, ``eval --env docqa`` (dispatched from ``cli/shop.py``)
and ``doc QUESTION`` (one episode, its steps printed).

``train --env docqa --episodes 300`` runs RLEM (memory updated every step) on train questions;
``eval --env docqa --policy q-driven|rememberer|llm|random --tasks 196`` evaluates on test questions
with the memory frozen. Reports: success rate (answered correctly), average return, steps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tui_agent.cli.common import (MemoryDirOption, ModelOption, build_agent, echo, fail, print_json, rollout_worker,
                                  settings_for, user_errors)

AnswererOption = Annotated[str, typer.Option(
    "--answerer", help="How answers are written: extractive (a passage sentence, no model) | llm.")]
AlwaysAnswerOption = Annotated[bool, typer.Option(
    "--always-answer", help="docqa q-driven: answer even where answering unknown notes has mostly failed "
    "(default: keep reading, since a time-out costs less than a wrong answer).")]

__all__ = ["build_docqa_agent", "doc_command", "docqa_eval", "docqa_train"]


def build_docqa_agent(memory_dir: Path | None, model: str | None, **options: Any) -> Any:
    """A DocQAAgent over the configured memory (:func:`tui_agent.cli.common.build_agent` with ``options`` as
    :class:`~tui_agent.agents.factory.RunOptions`; seed 0 unless given)."""
    from tui_agent.agents.factory import RunOptions

    return build_agent("docqa", memory_dir, model, RunOptions(**{"seed": 0, **options}))


def _policy(policy: str | None) -> str:
    from tui_agent.docqa.agent import docqa_policy

    try:
        return docqa_policy(policy or "q-driven")
    except ValueError as exc:
        fail(str(exc), 2)


def _write(report: dict[str, Any], output: Path | None) -> None:
    report["command"] = " ".join(["tui-agent", *sys.argv[1:]])
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def docqa_train(*, episodes: int, seed: int, policy: str | None, scorer: str, answerer: str, gamma: float,
                n: int | None, update_mode: str, test_questions: int, test_every: int, output: Path | None,
                as_json: bool, memory_dir: Path | None, model: str | None, on_episode: Any,
                ctx: Any = None, workers: int = 1, ray_address: str | None = None,
                always_answer: bool = False) -> dict[str, Any]:
    """``train --env docqa``: RLEM training episodes, then (``--test-tasks``) a frozen test; prints a summary.

    ``workers`` > 1 or ``ray_address``: episodes on Ray workers (:mod:`tui_agent.cli.rollouts`)."""
    from tui_agent.cli.rollouts import start_ray, start_workers
    from tui_agent.docqa.protocol import train
    from tui_agent.envs.docqa.env import DocQAEnv

    policy = _policy(policy)
    rollouts = start_ray(ctx, workers, ray_address)  # before the memory opens: Ray forks its daemons
    agent = build_docqa_agent(memory_dir, model, seed=seed, gamma=gamma, n=n, update_mode=update_mode,
                              scorer=scorer, answerer=answerer, always_answer=always_answer)
    if rollouts is not None:
        start_workers(rollouts, rollout_worker("docqa", agent, memory_dir, model, policy))
    from tui_agent.cli.stats import training_run

    run_settings = {"episodes": episodes, "seed": seed, "gamma": gamma, "n": n, "update_mode": update_mode,
                    "scorer": scorer, "answerer": answerer, "workers": workers, "memory": str(agent.store.path),
                    "model": getattr(agent.llm, "model", model)}
    with user_errors(), training_run("docqa", "rlem", run_settings, policy) as run:
        def logged(result: Any, done: int, total: int) -> None:
            if on_episode is not None:
                on_episode(result, done, total)
            run.episode(return_=result.ret, reward=result.reward, success=result.correct, steps=len(result.steps),
                        info={"split": result.split, "question_index": result.question_index})

        env = DocQAEnv(split="train")
        report = train(agent, env, episodes, seed, policy, on_episode=logged,
                       test_env=env if test_questions else None, test_questions=test_questions,
                       test_every=test_every, rollouts=rollouts)
    _write(report, output)
    if as_json:
        print_json(report)
        return report
    t = report["train"]
    echo(f"{policy}: {t['episodes']} training episodes, success rate {t['success_rate']:.2f}, "
         f"average return {t['avg_return']:+.3f}, {report['seconds']:.0f} s")
    for point in report["curve"]:
        echo(f"  after {point['train_episodes']} episodes: {point['episodes']} test questions, "
             f"success rate {point['success_rate']:.2f}, average return {point['avg_return']:+.3f}")
    echo(f"memory: {agent.store.count('docqa')} docqa experiences in {agent.store.path}")
    return report


def docqa_eval(*, tasks: int, split: str, policy: str | None, scorer: str, answerer: str, seed: int,
               output: Path | None, memory_dir: Path | None, model: str | None, on_episode: Any,
               always_answer: bool = False) -> dict[str, Any]:
    """``eval --env docqa``: questions [0, tasks) of ``split`` with the memory frozen."""
    from tui_agent.docqa.protocol import evaluate
    from tui_agent.envs.docqa.env import DocQAEnv

    policy = _policy(policy)
    if split not in ("test", "train"):
        fail(f"unknown split {split!r} for docqa; expected test or train", 2)
    agent = build_docqa_agent(memory_dir, model, seed=seed, scorer=scorer, answerer=answerer,
                              always_answer=always_answer)
    with user_errors():
        report = evaluate(agent, DocQAEnv(split=split), tasks, policy, split, on_episode=on_episode)
    _write(report, output)
    echo(f"{policy}: {report['episodes']} {split} questions, success rate {report['success_rate']:.2f}, "
         f"average return {report['avg_return']:+.3f}, {report['avg_steps']:.1f} steps"
         + (f" (results in {output})" if output else ""))
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
    policy: Annotated[str | None, typer.Option("--policy", help="q-driven | rememberer | llm | random")] = None,
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
