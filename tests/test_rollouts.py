"""Parallel rollouts (issue 13): trajectories recorded on a frozen snapshot and applied by the one writer.

The shop runs for real (ShopEnv, LanceDB memory); embeddings are the hash stand-in and the policy is
``random`` or ``episodic-control`` with the constant scorer, so no model is loaded and every episode is
deterministic given its seed. The tests without Ray drive :class:`RolloutWorker` in-process; the Ray
ones (marked ``model``: ray imports torch-sized libraries) run real actors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from vectors import HashEmbedder

from tui_agent.envs.shop.env import ShopEnv
from tui_agent.memory.store import ExperienceStore
from tui_agent.rlem.batched import EpisodeJob, RecordingReplay, apply_trajectory, episode_seed, frozen_copy
from tui_agent.rlem.records import ActionKey, RecordKey
from tui_agent.parallel.rollouts import ReadOnlyStore, RolloutWorker
from tui_agent.shop.agent import ShopAgent, ShopConfig
from tui_agent.shop.protocol import train
from tui_agent.agents.factory import AgentWorker

GOALS = [0, 1, 3, 4, 5, 6]


def make_agent(path: Path, seed: int = 0) -> ShopAgent:
    return ShopAgent(ExperienceStore(path), HashEmbedder(), None, ShopConfig(scorer="constant", seed=seed))


def worker_factory() -> AgentWorker:
    return AgentWorker("shop", ShopConfig(scorer="constant"), embedder=HashEmbedder)


def jobs(policy: str, goals: list[int] = GOALS, epoch: int = 0) -> list[EpisodeJob]:
    return [EpisodeJob({"split": "train", "goal_index": g}, policy, episode_seed(7, epoch, g)) for g in goals]


def sequential(agent: ShopAgent, env: ShopEnv, todo: list[EpisodeJob]) -> list[Any]:
    """Today's path: every episode learns while it runs (the agent's generator seeded per episode)."""
    out = []
    for job in todo:
        agent.rng.seed(job.seed)
        out.append(agent.run_episode(env, job.options, job.policy, learn=True))
    return out


def in_process(agent: ShopAgent, workers: list[RolloutWorker], todo: list[EpisodeJob], batch: int) -> list[Any]:
    """The Ray driver's loop without Ray: a snapshot per batch, episodes round-robin, applied in job order."""
    if hasattr(agent, "ensure_initial_pool"):  # the shop's (the driver writes it)
        agent.ensure_initial_pool()
    out = []
    for start in range(0, len(todo), batch):
        snapshot = frozen_copy(agent.replay.sync().values())
        version = agent.replay.sink.version()
        ran = [workers[i % len(workers)].run(job, version, [snapshot])
               for i, job in enumerate(todo[start:start + batch])]
        for result, trajectory, _timing in ran:
            result.row_ids = [u.row_id for u in apply_trajectory(agent.replay, trajectory) if u.row_id]
            out.append(result)
    return out


def memory_rows(agent: ShopAgent) -> list[tuple]:
    rows = agent.store.all(kind="shop")
    return sorted((r.task, r.observation, r.available_actions, r.action, r.reason, round(r.q, 9), r.n,
                   round(r.mean_reward, 9), r.step, r.action_history) for r in rows)


def episodes(results: list[Any]) -> list[tuple]:
    return [(r.goal_index, [s.action for s in r.steps], r.reward, len(r.row_ids)) for r in results]


def test_worker_trajectories_applied_by_the_driver_equal_the_sequential_run(tmp_path):
    todo = jobs("random") + jobs("random", epoch=1)
    seq_agent, par_agent = make_agent(tmp_path / "seq"), make_agent(tmp_path / "par")
    seq = sequential(seq_agent, ShopEnv(split="train"), todo)
    workers = [RolloutWorker(worker_factory()) for _ in range(2)]
    par = in_process(par_agent, workers, todo, batch=3)
    assert episodes(par) == episodes(seq)
    assert memory_rows(par_agent) == memory_rows(seq_agent)
    assert len(memory_rows(par_agent)) > 20


def test_episodic_control_batches_of_one_episode_are_the_sequential_path(tmp_path):
    """With full-episode returns (n = None) the sequential path also updates only at the episode's end,
    so one episode per snapshot is exactly it — Episodic-control choices included."""
    todo = jobs("episodic-control") + jobs("episodic-control", epoch=1)
    seq_agent, par_agent = make_agent(tmp_path / "seq"), make_agent(tmp_path / "par")
    seq = sequential(seq_agent, ShopEnv(split="train"), todo)
    par = in_process(par_agent, [RolloutWorker(worker_factory())], todo, batch=1)
    assert episodes(par) == episodes(seq)
    assert memory_rows(par_agent) == memory_rows(seq_agent)


def test_workers_never_write(tmp_path):
    agent = make_agent(tmp_path / "m")
    agent.ensure_initial_pool()
    worker = RolloutWorker(worker_factory())
    before = agent.store.change_token
    result, trajectory, _ = worker.run(jobs("random")[0], agent.replay.sink.version(),
                                       [frozen_copy(agent.replay.sync().values())])
    assert agent.store.change_token == before and result.row_ids == []
    assert trajectory.ended and len(trajectory.transitions) == len(result.steps)
    assert isinstance(worker.agent.replay, RecordingReplay) and isinstance(worker.agent.store, ReadOnlyStore)
    assert worker.agent.replay.sink is None
    with pytest.raises(RuntimeError, match="driver"):
        worker.agent.replay.learn(RecordKey.of("t", "o"), ActionKey("a"), 1.0)
    with pytest.raises(RuntimeError, match="driver"):
        worker.agent.store.add_missing([])


def test_an_unfinished_trajectory_is_not_applied(tmp_path):
    agent = make_agent(tmp_path / "m")
    replay = RecordingReplay(agent.replay, [])
    episode = replay.begin_episode(episode_id="x")
    replay.step(episode, RecordKey.of("t", "o"), ActionKey("a"), 0.0, RecordKey.of("t", "o2"))
    with pytest.raises(ValueError, match="did not finish"):
        apply_trajectory(agent.replay, replay.last)
    assert agent.store.count("shop") == 0


class _InProcessRollouts:
    """The rollouts interface of :class:`tui_agent.parallel.rollouts.RayRollouts` without Ray (protocol test)."""

    def __init__(self, workers: int) -> None:
        self.workers, self.failed = workers, []
        self.pool = [RolloutWorker(worker_factory()) for _ in range(workers)]

    def run(self, agent, todo):
        todo = list(todo)
        for result, job in zip(in_process(agent, self.pool, todo, self.workers), todo):
            yield job, result


def test_training_protocol_runs_epochs_on_workers(tmp_path):
    agent = make_agent(tmp_path / "m")
    report = train(agent, ShopEnv(split="train"), tasks=4, epochs=2, seed=3, policy="random",
                   train_set=None, rollouts=_InProcessRollouts(2))
    assert report["workers"] == 2 and report["failed"] == []
    assert [e["episodes"] for e in report["epochs"]][0] == 4
    assert len(report["episodes"]) == sum(e["episodes"] for e in report["epochs"])
    assert agent.store.count("shop") > 10


# --- on Ray -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DyingWorker(AgentWorker):
    """Kills its worker process at the start of goal ``die_on``'s episode while ``marker`` holds a count > 0."""

    marker: str = ""
    die_on: int = -1

    def __call__(self):
        agent, env = super().__call__()
        marker, run = Path(self.marker), agent.run_episode

        def run_episode(env_, options, *args, **kwargs):
            left = int(marker.read_text()) if marker.exists() else 0
            if options.get("goal_index") == self.die_on and left > 0:
                marker.write_text(str(left - 1))
                os._exit(1)
            return run(env_, options, *args, **kwargs)

        agent.run_episode = run_episode
        return agent, env


@pytest.fixture(scope="module")
def ray_local():
    ray = pytest.importorskip("ray")
    tests = str(Path(__file__).resolve().parent)  # workers import this module's factories
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             runtime_env={"env_vars": {"PYTHONPATH": tests}})
    yield ray
    ray.shutdown()


@pytest.mark.model
def test_ray_workers_give_the_sequential_rows_and_survive_a_dying_worker(tmp_path, ray_local):
    from tui_agent.parallel.rollouts import RayRollouts

    marker = tmp_path / "deaths"
    marker.write_text("1")
    todo = jobs("random") + jobs("random", epoch=1)
    seq_agent, par_agent = make_agent(tmp_path / "seq"), make_agent(tmp_path / "par")
    seq = sequential(seq_agent, ShopEnv(split="train"), todo)
    par_agent.ensure_initial_pool()
    make = _DyingWorker("shop", ShopConfig(scorer="constant"), embedder=HashEmbedder, marker=str(marker), die_on=4)
    with RayRollouts(make, workers=2, batch_size=3) as rollouts:
        par = [result for _job, result in rollouts.run(par_agent, todo)]
        pids = {w["pid"] for w in rollouts.stats["workers"]}
    assert marker.read_text() == "0" and rollouts.stats["restarts"] == 1 and rollouts.failed == []
    assert len(pids) == 2 and os.getpid() not in pids
    assert episodes(par) == episodes(seq)
    assert memory_rows(par_agent) == memory_rows(seq_agent)


@pytest.mark.model
def test_ray_an_episode_whose_worker_keeps_dying_is_reported(tmp_path, ray_local):
    from tui_agent.parallel.rollouts import RayRollouts

    marker = tmp_path / "deaths"
    marker.write_text("5")
    agent = make_agent(tmp_path / "m")
    agent.ensure_initial_pool()
    make = _DyingWorker("shop", ShopConfig(scorer="constant"), embedder=HashEmbedder, marker=str(marker), die_on=3)
    with RayRollouts(make, workers=2, retries=1) as rollouts:
        done = [job.options["goal_index"] for job, _ in rollouts.run(agent, jobs("random", [1, 3, 4]))]
    assert done == [1, 4]
    assert [(job.options["goal_index"], "died" in error) for job, error in rollouts.failed] == [(3, True)]


# --- DocumentQA ------------------------------------------------------------------------------------


def test_docqa_worker_trajectories_equal_the_sequential_run(tmp_path):
    from tui_agent.docqa.agent import DocQAAgent, DocQAConfig
    from tui_agent.envs.docqa import DocQAEnv

    def agent(path):
        return DocQAAgent(ExperienceStore(path), HashEmbedder(), None, DocQAConfig(scorer="constant"))

    todo = [EpisodeJob({"split": "train", "question_index": q}, "random", episode_seed(1, i))
            for i, q in enumerate([0, 1, 2, 0, 3, 1])]
    seq_agent, par_agent = agent(tmp_path / "seq"), agent(tmp_path / "par")
    env = DocQAEnv(split="train")
    seq = sequential(seq_agent, env, todo)
    make = AgentWorker("docqa", DocQAConfig(scorer="constant"), embedder=HashEmbedder)
    par = in_process(par_agent, [RolloutWorker(make), RolloutWorker(make)], todo, batch=2)
    assert [(r.question, [s.action for s in r.steps], r.ret) for r in par] == \
        [(r.question, [s.action for s in r.steps], r.ret) for r in seq]
    rows = [sorted((r.task, r.observation, r.action, r.reason, round(r.q, 9), r.n) for r in a.store.all(kind="docqa"))
            for a in (seq_agent, par_agent)]
    assert rows[0] == rows[1] and len(rows[0]) > 5


# --- CLI -------------------------------------------------------------------------------------------


def test_cli_workers_without_ray_say_to_install_the_rl_extra(tmp_path, monkeypatch):
    import sys

    from typer.testing import CliRunner

    from tui_agent.cli.main import app

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    result = CliRunner().invoke(app, ["train", "--env", "shop", "--workers", "2", "--policy", "random",
                                      "--scorer", "constant", "--memory-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "install the 'rl' extra" in result.output and "Traceback" not in result.output


@pytest.mark.model
def test_cli_train_with_two_workers(tmp_path):
    import json

    pytest.importorskip("ray", reason="Ray is the 'rl' extra")

    from typer.testing import CliRunner

    from tui_agent.cli.main import app

    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["train", "--env", "shop", "--workers", "2", "--policy", "random",
                                      "--scorer", "constant", "--train-set", "random", "--tasks", "4",
                                      "--epochs", "1", "--memory-dir", str(tmp_path / "m"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["workers"] == 2 and report["failed"] == [] and len(report["episodes"]) == 4
    assert "2 workers ready" in result.output
    assert ExperienceStore(tmp_path / "m").count("shop") > 10


@pytest.mark.model
def test_ray_asynchronous_rollouts_apply_every_episode_in_order(tmp_path, ray_local):
    from tui_agent.parallel.rollouts import RayRollouts

    todo = jobs("random", [0, 1, 3, 4, 5, 6, 7])
    seq_agent, par_agent = make_agent(tmp_path / "seq"), make_agent(tmp_path / "par")
    seq = sequential(seq_agent, ShopEnv(split="train"), todo)
    par_agent.ensure_initial_pool()
    with RayRollouts(worker_factory(), workers=2, asynchronous=True) as rollouts:
        par = [result for _job, result in rollouts.run(par_agent, todo)]
    assert rollouts.stats["snapshots"] >= 2  # refreshed between episodes, not per batch
    assert episodes(par) == episodes(seq)
    assert memory_rows(par_agent) == memory_rows(seq_agent)
