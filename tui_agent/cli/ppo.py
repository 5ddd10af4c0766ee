"""``train --env docqa --algo ppo``: the PPO baseline on Ray RLlib (dispatched from :mod:`tui_agent.cli.train`).

Trains PPO on :class:`tui_agent.rl.features.DocQAFeatureEnv` for ``--episodes`` training episodes,
printing each iteration's mean return, success rate and the episodes so far (a rich progress bar on a
terminal, plain lines otherwise); records every training episode in the run log (``tui-agent stats``
shows the run as env docqa, algo ppo); saves an RLlib checkpoint and ``curve.json`` under
``<data dir>/ppo/docqa-<UTC time>-s<seed>/``; then runs the greedy policy on the test questions
(``--test-tasks N``, default all 196) and writes ``eval.json`` there. ``--output FILE`` also writes the
report (curve and test summary) as JSON to FILE. Needs the ``rl`` extra (Ray RLlib).

Options of the comparison with the memory policy (issue 22): ``--timeout-reward failure`` (the
time-out counts −1), ``--question-features embedding`` (the question's embedding in the observation:
like for like with the memory policy), ``--env-runners N`` (RLlib sampling processes, default 1),
``--test-every N`` (the greedy policy on the test questions every N training episodes: the held-out
curve, printed and in ``curve.json``) and ``--warm-start FILE`` (behaviour cloning of the LLM planner
before PPO; a missing FILE is first recorded with ``--warm-start-steps`` steps of the ``llm`` policy on
train questions, with the configured model and a throw-away memory).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_agent.cli.common import ProgressBar, echo, fail, user_errors
from tui_agent.cli.runner import command_line, write_report

if TYPE_CHECKING:
    from tui_agent.cli.docqa import DocQAOptions

__all__ = ["default_run_dir", "ppo_train"]


class _IterationBar(ProgressBar):
    """Episodes so far as a progress bar on stderr, one line per iteration above it."""

    def __init__(self, total: int) -> None:
        super().__init__("ppo episodes", total)

    def __call__(self, entry: dict[str, Any]) -> None:
        ret, success = entry["return_mean"], entry["success_rate"]
        line = (f"iteration {entry['iteration']:>3}: {entry['episodes']:>3} episodes, mean return "
                + (f"{ret:+.3f}, success rate {success:.2f}" if ret is not None else "-")
                + f"; {entry['episodes_total']} episodes so far, {entry['time_s']:.0f} s")
        if "test" in entry:
            t = entry["test"]
            line += (f"; test ({t['episodes']} questions): success rate {t['success_rate']:.2f}, "
                     f"return {t['return_mean']:+.3f}, answered {t['answered']:.2f}")
        if self.live:
            self.progress.console.print(line)
            self.progress.update(self.task, completed=entry["episodes_total"])
        else:
            print(line, file=sys.stderr, flush=True)


def default_run_dir(seed: int) -> Path:
    """``<data dir>/ppo/docqa-<UTC time>-s<seed>``."""
    from tui_agent.config.settings import data_dir

    return data_dir() / "ppo" / f"docqa-{datetime.now(UTC):%Y%m%d-%H%M%S}-s{seed}"


def _demonstrations(o: DocQAOptions, env_config: dict[str, Any]) -> Path:
    """``o.warm_start``, recorded first when missing: ``o.warm_start_steps`` steps of the ``llm`` policy
    (no memory: a throw-away store) on train questions drawn with ``o.seed``."""
    import tempfile

    from tui_agent.cli.docqa import build_docqa_agent
    from tui_agent.rl.imitation import planner_demonstrations, save_demonstrations

    path = Path(str(o.warm_start))
    if path.exists():
        return path
    echo(f"recording {o.warm_start_steps} steps of the llm planner into {path}")
    with tempfile.TemporaryDirectory(prefix="tui-agent-planner-") as tmp:
        agent = build_docqa_agent(Path(tmp) / "memory", o.model, seed=o.seed)
        demos = planner_demonstrations(agent, o.warm_start_steps, seed=o.seed, policy="llm", env_config=env_config)
    save_demonstrations(demos, path)
    return path


def ppo_train(env: str, o: DocQAOptions) -> dict[str, Any]:
    """Train and test PPO (module docstring) with ``o.episodes``, ``o.seed``, ``o.answerer``,
    ``o.test_tasks`` (0: all test questions) and ``o.model``; exits 2 for an env other than docqa or a
    missing extra."""
    if env != "docqa":
        fail(f"--algo ppo runs on --env docqa only (not {env!r})", 2)
    if importlib.util.find_spec("ray") is None:
        fail("--algo ppo needs Ray RLlib: pip install -e '.[rl]'", 2)
    from tui_agent.cli.stats import training_run
    from tui_agent.rl.features import DocQAFeatureEnv
    from tui_agent.rl.ppo import PPOSettings, evaluate, train, warm_start_demonstrations

    run_dir = default_run_dir(o.seed)
    env_config = {"timeout_reward": o.timeout_value, "question_features": o.question_features}
    with user_errors():
        DocQAFeatureEnv(env_config)  # an unknown --question-features fails here, before Ray starts
        warm = _demonstrations(o, env_config) if o.warm_start else None
        settings = PPOSettings(episodes=o.episodes, seed=o.seed, answerer=o.answerer, model=o.model,
                               env_config=env_config, num_env_runners=o.env_runners, test_every=o.test_every,
                               test_questions=o.test_tasks or None, warm_start=str(warm) if warm else None)
        if warm:
            warm_start_demonstrations(settings)  # a file of other observations fails here, before Ray starts
    run_settings = {"episodes": o.episodes, "seed": o.seed, "answerer": o.answerer, "lr": settings.lr,
                    "hidden": list(settings.hidden), "run_dir": str(run_dir), **env_config,
                    "env_runners": o.env_runners, "warm_start": settings.warm_start}
    with user_errors(), _IterationBar(o.episodes) as bar, \
            training_run("docqa", "ppo", run_settings, "ppo") as run:
        def on_iteration(entry: dict[str, Any]) -> None:
            bar(entry)
            for ret, success, steps in zip(entry["returns"], entry["successes"], entry["steps"], strict=True):
                run.episode(return_=ret, success=success, steps=steps, info={"iteration": entry["iteration"]})

        report, policy = train(settings, run_dir, on_iteration=on_iteration)
    with user_errors():
        test = evaluate(policy, "test", o.test_tasks or None, env_config=env_config, answerer=o.answerer,
                        model=o.model)
    report["command"] = command_line()  # before "test", as the report has always listed them
    report["test"] = {k: v for k, v in test.items() if k != "per_question"}
    (run_dir / "eval.json").write_text(json.dumps(test, ensure_ascii=False, indent=1), encoding="utf-8")
    if write_report(report, o.output, o.as_json, also=[run_dir / "curve.json"]):
        return report
    first, last = report["curve"][0], report["curve"][-1]
    echo(f"ppo: {report['episodes']} training episodes in {len(report['curve'])} iterations, "
         f"{report['train_time_s']:.0f} s; mean return {first['return_mean']:+.3f} (iteration 1) → "
         f"{last['return_mean']:+.3f} (iteration {last['iteration']})")
    echo(f"ppo greedy: {test['episodes']} test questions, success rate {test['success_rate']:.2f}, "
         f"answered {test['answered']:.2f}, average return {test['return_mean']:+.3f}, {test['steps_mean']:.1f} steps")
    echo(f"checkpoint {report['checkpoint']}; curve {run_dir / 'curve.json'}; test results {run_dir / 'eval.json'}")
    return report
