"""Parallel rollouts on Ray: workers run episodes on a frozen memory snapshot, the driver applies the updates.

``tui-agent train … --workers N`` (N ≥ 2) runs training episodes in N Ray actors, each holding its own
environment and agent (the embedder and the bundled model are loaded once per actor), built by a
picklable ``make() -> (agent, env)`` factory — :class:`tui_agent.shop.workers.ShopWorker`,
:class:`tui_agent.docqa.workers.DocQAWorker` instances; any agent with ``run_episode(env, options, policy,
learn)``, ``.replay``, ``.store`` and ``.rng`` plugs in.

* **One writer.** Workers never see the memory directory: they get the driver's records as of a table
  version (:func:`~tui_agent.rlem.batched.frozen_copy`, shipped once per version through Ray's object
  store) in a :class:`~tui_agent.rlem.batched.RecordingReplay`, act with learning semantics on it
  (frozen Q) and return the episode's result and recorded :class:`~tui_agent.rlem.batched.Trajectory`.
  The driver applies each trajectory through its own replay
  (:func:`~tui_agent.rlem.batched.apply_trajectory`, the sequential path's n-step updates), in job
  order, and ships a new snapshot between batches when the table version changed.
* **A memory in a bucket** (``--memory-dir s3://…``): nothing is shipped but a :class:`StoreSnapshot` — the
  URI, the storage options and the driver's change token ``(table version, ratings version)``; each worker
  opens the same memory itself (its side directory under its own data directory) and reads the rows at
  that version (:meth:`~tui_agent.memory.store.ExperienceStore.checkout`: a frozen view, so what a worker
  sees is the same whatever the driver writes meanwhile). The driver stays the one writer; the snapshot
  is the rows as stored (as a fresh process would load them), not the driver's in-RAM records. The storage
  options travel to the workers with the snapshot (credentials of a named profile included).
* **Batches.** Episodes go out in batches of ``batch_size`` (default: the number of workers); within a
  batch every episode acts on the memory as of the batch start — the named deviation of batched RLEM
  (:mod:`tui_agent.rlem.batched`). ``asynchronous=True`` drops the batch barrier: each episode starts on
  the memory with all finished earlier episodes applied (asynchronous RLEM).
* **Nothing lost.** A worker process that dies (killed, out of memory, node lost) is replaced and its
  episode rerun, up to ``retries`` times; an episode still not run is reported in :attr:`RayRollouts.failed`
  (its updates are never half-applied: a trajectory is applied whole or not at all). An exception
  raised by the episode itself (a bug, a model error) stops the run with :class:`RolloutError`, as it
  would the sequential run.
* **Where.** ``address=None`` starts a local Ray instance with this machine's cores; ``address="auto"``
  or ``"ray://host:10001"`` / ``"host:6379"`` joins an existing cluster (``ray start --head`` …): every
  node needs this package, its bundled models and the same version installed; a memory in a directory
  stays on the driver's disk, a memory in a bucket is read by every node from the bucket.

Ray is an optional dependency (the ``rl`` extra) and is imported inside functions only.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tui_agent.rlem.batched import EpisodeJob, RecordingReplay, apply_trajectory, frozen_copy, rows_in

__all__ = ["RayRollouts", "ReadOnlyStore", "RolloutError", "RolloutWorker", "StoreSnapshot", "require_ray"]

Factory = Callable[[], tuple[Any, Any]]
"""``make() -> (agent, env)``, called once in each worker process (must be picklable)."""


class RolloutError(RuntimeError):
    """Parallel rollouts cannot run (Ray missing, a worker cannot start) or an episode failed on a worker."""


def require_ray() -> Any:
    """The ``ray`` module.

    Raises:
        RolloutError: Ray is not installed (the message says to install the 'rl' extra).
    """
    try:
        import ray
    except ImportError as exc:
        raise RolloutError("--workers needs Ray, which is not installed: install the 'rl' extra "
                           "(pip install 'tui-agent[rl]')") from exc
    return ray


class ReadOnlyStore:
    """The store a worker's agent sees: the snapshot's row count, and no writes (only the driver writes).

    Raises:
        RuntimeError: on any write (``add``, ``add_missing``, ``update_values``, ``modify``, ``set_q``).
    """

    path = None

    def __init__(self, rows: int) -> None:
        self.rows = rows

    def count(self, kind: str | None = None) -> int:
        return self.rows

    def _write(self, *_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a rollout worker does not write the memory: the driver applies the updates")

    add = add_missing = update_values = modify = set_q = delete = _write


@dataclass
class _Snapshot:
    version: Any
    ref: Any  # a Ray ObjectRef of list[Record] (or the list itself, in-process), or a StoreSnapshot
    rows: int


@dataclass(frozen=True)
class StoreSnapshot:
    """The driver's memory as workers read it themselves from a bucket.

    Attributes:
        memory: the :class:`~tui_agent.storage.object_store.RemoteMemory` (URI and storage options).
        kind: the rows' experience kind ("shop", "docqa", …).
        token: the driver's ``change_token`` ``(table version, ratings version)`` to read at.
    """

    memory: Any
    kind: str
    token: tuple[int, int]


class RolloutWorker:
    """Runs episodes on a frozen memory snapshot (the body of one Ray actor; usable in-process for tests).

    Args:
        make: ``() -> (agent, env)``; called once here.
    """

    def __init__(self, make: Factory) -> None:
        start = time.perf_counter()
        self.agent, self.env = make()
        self.base = self.agent.replay
        self.agent.store = ReadOnlyStore(0)
        self.version: Any = object()
        self.reader: Any = None  # the memory opened by this worker (a StoreSnapshot's), kept between snapshots
        self.startup_s = time.perf_counter() - start

    def ready(self) -> dict[str, Any]:
        """``{"pid", "host", "startup_s"}`` (startup: building the agent and env, seconds)."""
        import socket

        return {"pid": os.getpid(), "host": socket.gethostname(), "startup_s": self.startup_s}

    def _install(self, version: Any, snapshot: list[Any]) -> None:
        if version == self.version:
            return
        records = snapshot[0]
        if isinstance(records, StoreSnapshot):
            records = self._read_store(records)
        elif not isinstance(records, list):  # an ObjectRef wrapped in a list, so Ray does not resolve it per call
            import ray

            records = ray.get(records)
        self.agent.replay = RecordingReplay(self.base, records)
        self.agent.store = ReadOnlyStore(rows_in(records))
        self.version = version

    def _read_store(self, snapshot: StoreSnapshot) -> list[Any]:
        """The rows of ``snapshot.kind`` at ``snapshot.token``, read from the bucket by this worker (as records)."""
        from tui_agent.bridge.store_rows import StoreRows
        from tui_agent.config.base import data_dir
        from tui_agent.memory.store import ExperienceStore

        if self.reader is None or self.reader.remote.uri != snapshot.memory.uri:
            self.reader = ExperienceStore(snapshot.memory.moved_to(data_dir() / "remote"))
        self.reader.checkout(snapshot.token)
        return StoreRows(self.reader, snapshot.kind, _no_vectors).load()

    def run(self, job: EpisodeJob, version: Any, snapshot: list[Any]) -> tuple[Any, Any, dict[str, Any]]:
        """Run ``job`` on the snapshot of ``version``: (episode result, trajectory or None, timings).

        The trajectory is None for a ``learn=False`` job. Timings: ``{"episode_s", "cpu_s", "pid"}`` (wall
        and this process's CPU seconds: CPU / wall well below the threads used means the worker waited
        for a core).
        """
        self._install(version, snapshot)
        self.agent.rng.seed(job.seed)
        self.agent.replay.last = None
        start, cpu = time.perf_counter(), time.process_time()
        result = self.agent.run_episode(self.env, dict(job.options), job.policy, learn=job.learn)
        trajectory = self.agent.replay.last if job.learn else None
        return result, trajectory, {"episode_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu,
                                    "pid": os.getpid()}


@dataclass
class RayRollouts:
    """The driver: N Ray actors running :class:`RolloutWorker`, trajectories applied here.

    :attr:`stats` (seconds): ``ray_init_s``, ``workers_start_s``, ``workers`` (each actor's pid, host,
    start-up), and per episode / batch lists ``episode_s`` and ``cpu_s`` (on the worker), ``apply_s`` (the driver's
    updates), ``snapshot_s`` (the driver's snapshot refresh), plus ``barrier_idle_s`` (worker-seconds spent
    idle at the end of batches, waiting for the batch's slowest episode), ``restarts``, ``snapshots`` (shipped)
    and ``snapshot_rows`` (rows in the latest).

    Use as a context manager (``with RayRollouts(make, 2) as rollouts: …``) or call :meth:`start` /
    :meth:`close`.

    Args:
        make: the worker factory (picklable); may be given later to :meth:`start_workers`.
        workers: actors, ≥ 1.
        address: ``ray.init(address=…)``; None starts a local instance (``num_cpus`` = max(cores, workers)).
        batch_size: episodes per snapshot (default ``workers``).
        retries: reruns of an episode whose worker died.
        asynchronous: no batches: a worker that finishes gets the next episode at once, on the memory
            with every episode before it that has finished applied (at most ``workers − 1`` episodes
            missing, no waiting for a batch's slowest episode; which episodes are missing depends on
            timing, so Q-reading policies are not reproducible run to run).
        cpus_per_worker: Ray CPUs reserved per actor.
        on_status: ``(message) -> None`` for start-up progress (plain text).

    Raises:
        RolloutError: Ray missing, bad arguments, or a worker cannot start.
    """

    make: Factory | None
    workers: int
    address: str | None = None
    batch_size: int | None = None
    retries: int = 2
    asynchronous: bool = False
    cpus_per_worker: float = 1.0
    on_status: Callable[[str], Any] | None = None
    failed: list[tuple[EpisodeJob, str]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise RolloutError(f"workers must be ≥ 1, got {self.workers}")
        self.batch_size = self.batch_size or self.workers
        if self.batch_size < 1:
            raise RolloutError(f"batch size must be ≥ 1, got {self.batch_size}")
        self._actors: list[Any] = []
        self._snapshot: _Snapshot | None = None
        self._owns_ray = False

    # --- life cycle ------------------------------------------------------------------

    def _status(self, message: str) -> None:
        if self.on_status is not None:
            self.on_status(message)

    def start(self) -> RayRollouts:
        """Start (or join) Ray and the actors; waits until every actor has built its agent and env."""
        self.init_ray()
        return self.start_workers(self.make)

    def init_ray(self) -> RayRollouts:
        """Start a local Ray, or join ``address`` (before the memory is opened: Ray forks its daemons)."""
        ray = require_ray()
        start = time.perf_counter()
        if not ray.is_initialized():
            self._status("starting Ray" + (f" at {self.address}" if self.address else " (local)"))
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "logging_level": "ERROR", "configure_logging": True}
            if self.address:
                kwargs["address"] = self.address
            else:
                kwargs["num_cpus"] = max(os.cpu_count() or 1, int(self.workers * self.cpus_per_worker + 0.999))
            try:
                ray.init(**kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise RolloutError(f"cannot start or reach Ray{' at ' + self.address if self.address else ''}: "
                                   f"{exc}") from exc
            self._owns_ray = True
        self.stats["ray_init_s"] = time.perf_counter() - start
        return self

    def start_workers(self, make: Factory | None = None) -> RayRollouts:
        """Start the actors with ``make`` (default: the one given); waits until each has built its agent."""
        ray = require_ray()
        if make is not None:
            self.make = make
        if self.make is None:
            raise RolloutError("no worker factory")
        if not ray.is_initialized():
            self.init_ray()
        self._status(f"starting {self.workers} rollout workers")
        t0 = time.perf_counter()
        self._actors = [self._new_actor() for _ in range(self.workers)]
        try:
            ready = ray.get([a.ready.remote() for a in self._actors])
        except Exception as exc:  # an actor's constructor failed: report its cause
            self.close()
            raise RolloutError(f"a rollout worker could not start: {_cause(exc)}") from exc
        self.stats.update(workers_start_s=time.perf_counter() - t0, workers=ready)
        return self

    def _new_actor(self) -> Any:
        ray = require_ray()
        if getattr(self, "_actor_class", None) is None:
            self._actor_class = ray.remote(num_cpus=self.cpus_per_worker, max_restarts=0)(RolloutWorker)
        return self._actor_class.remote(self.make)

    def close(self) -> None:
        """Stop the actors, and Ray if this object started it."""
        if not self._actors and not self._owns_ray:
            return
        ray = require_ray()
        for actor in self._actors:
            try:
                ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._actors = []
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    def __enter__(self) -> RayRollouts:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- running ---------------------------------------------------------------------

    def _refresh(self, agent: Any) -> _Snapshot:
        """The snapshot of the driver's records, re-shipped when the table version changed (a memory in a
        bucket: a :class:`StoreSnapshot`, read by the workers)."""
        ray = require_ray()
        replay = agent.replay
        records = replay.sync()
        version = replay.sink.version() if replay.sink is not None else None
        if self._snapshot is None or version is None or version != self._snapshot.version:
            remote = getattr(getattr(agent, "store", None), "remote", None)
            kind = getattr(replay.sink, "kind", None)
            if remote is not None and version is not None and kind is not None:
                self._snapshot = _Snapshot(version, StoreSnapshot(remote, kind, tuple(version)),
                                           rows_in(records.values()))
                self.stats["snapshot_source"] = "store"
            else:
                copy = frozen_copy(records.values())
                self._snapshot = _Snapshot(version if version is not None else time.monotonic_ns(), ray.put(copy),
                                           rows_in(copy))
            self.stats["snapshot_rows"] = self._snapshot.rows
            self.stats["snapshots"] = self.stats.get("snapshots", 0) + 1
        return self._snapshot

    def run(self, agent: Any, jobs: Iterable[EpisodeJob]) -> Iterator[tuple[EpisodeJob, Any]]:
        """Run ``jobs`` on the workers; yields ``(job, result)`` in job order, each learning job's trajectory
        already applied to ``agent``'s memory (``result.row_ids`` filled).

        An episode whose worker kept dying is skipped and listed in :attr:`failed`.

        Raises:
            RolloutError: an episode raised on its worker (the original error in the message).
        """
        if not self._actors:
            raise RolloutError("rollouts not started (use start() or a with block)")
        jobs = list(jobs)
        if self.asynchronous:
            yield from self._batch(agent, jobs, refresh_each=True)
            return
        size = self.batch_size or self.workers
        for i in range(0, len(jobs), size):
            yield from self._batch(agent, jobs[i:i + size])

    def _batch(self, agent: Any, batch: list[EpisodeJob], refresh_each: bool = False
               ) -> Iterator[tuple[EpisodeJob, Any]]:
        ray = require_ray()
        from ray.exceptions import RayActorError

        t0 = time.perf_counter()
        snapshot = self._refresh(agent)
        self.stats.setdefault("snapshot_s", []).append(time.perf_counter() - t0)
        queue = deque(range(len(batch)))
        idle = deque(range(len(self._actors)))
        running: dict[Any, tuple[int, int]] = {}
        attempts = [0] * len(batch)
        done: dict[int, Any] = {}
        next_out = 0
        idle_since: dict[int, float] = {}  # actors with nothing left to do in this batch, since when
        while queue or running:
            while queue and idle:
                if refresh_each:
                    snapshot = self._refresh(agent)
                a, i = idle.popleft(), queue.popleft()
                idle_since.pop(a, None)
                running[self._actors[a].run.remote(batch[i], snapshot.version, [snapshot.ref])] = (a, i)
            ready, _ = ray.wait(list(running), num_returns=1)
            a, i = running.pop(ready[0])
            try:
                done[i] = ray.get(ready[0])
            except RayActorError as exc:  # the worker process died: replace it and rerun the episode
                attempts[i] += 1
                self._actors[a] = self._new_actor()
                self.stats["restarts"] = self.stats.get("restarts", 0) + 1
                if attempts[i] <= self.retries:
                    self._status(f"worker died; rerunning episode {batch[i].options}")
                    queue.appendleft(i)
                else:
                    done[i] = exc
            except Exception as exc:  # the episode itself raised
                for ref in running:
                    ray.cancel(ref, force=False)
                raise RolloutError(f"episode {batch[i].options} failed on a worker: {_cause(exc)}") from exc
            idle.append(a)
            if not queue:
                idle_since[a] = time.perf_counter()
            while next_out in done:
                out = done.pop(next_out)
                job = batch[next_out]
                next_out += 1
                if isinstance(out, BaseException):
                    self.failed.append((job, f"worker died {attempts[next_out - 1]} times: {_cause(out)}"))
                    continue
                result, trajectory, timing = out
                self.stats.setdefault("episode_s", []).append(timing["episode_s"])
                self.stats.setdefault("cpu_s", []).append(timing["cpu_s"])
                if trajectory is not None:
                    t0 = time.perf_counter()
                    result.row_ids = [u.row_id for u in apply_trajectory(agent.replay, trajectory) if u.row_id]
                    self.stats.setdefault("apply_s", []).append(time.perf_counter() - t0)
                yield job, result
        end = time.perf_counter()
        self.stats["barrier_idle_s"] = self.stats.get("barrier_idle_s", 0.0) + sum(end - t for t in idle_since.values())


def _cause(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {cause}"
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__


def _no_vectors(_key: Any) -> Any:
    raise RuntimeError("a rollout worker stores no rows: the driver embeds and writes them")
