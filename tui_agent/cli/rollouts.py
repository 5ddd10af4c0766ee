"""``--workers N`` / ``--ray-address``: training episodes on parallel Ray workers (:mod:`tui_agent.parallel.rollouts`).

Two steps, because Ray forks its daemons and the memory (LanceDB) must not be open in the process
that forks: :func:`start_ray` before the agent and its memory are built, :func:`start_workers` after.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from tui_agent.cli.common import echo, fail

__all__ = ["RayAddressOption", "WorkersOption", "start_ray", "start_workers"]

WorkersOption = Annotated[int, typer.Option(
    "--workers", min=1,
    help="Run the training episodes on N parallel Ray workers; the memory is written here only, their "
         "updates applied after each batch of N episodes (needs the 'rl' extra). 1: here, one after another.")]
RayAddressOption = Annotated[str | None, typer.Option(
    "--ray-address", help="Use an existing Ray cluster (auto | HOST:6379 | ray://HOST:10001) instead of a "
                          "local one; every node needs tui-agent installed.", show_default=False)]


def _status(message: str) -> None:
    echo(f"{message} …", err=True)


def start_ray(ctx: typer.Context, workers: int, address: str | None) -> Any:
    """Ray started (or joined) for ``workers`` rollout workers, stopped when the command (``ctx``) ends;
    None — the sequential path — for one worker without ``address``. Exits 1 when Ray is missing or
    unreachable."""
    if workers <= 1 and not address:
        return None
    from tui_agent.parallel.rollouts import RayRollouts, RolloutError

    rollouts = RayRollouts(None, workers, address, on_status=_status)

    def close() -> None:
        for job, error in rollouts.failed:
            echo(f"warning: episode {job.options} was not run: {error}", err=True)
        rollouts.close()

    ctx.call_on_close(close)
    try:
        return rollouts.init_ray()
    except RolloutError as exc:
        fail(str(exc))


def start_workers(rollouts: Any, make: Any) -> Any:
    """Start ``rollouts``' workers with the factory ``make`` (no-op for None); exits 1 if one cannot start."""
    if rollouts is None:
        return None
    from tui_agent.parallel.rollouts import RolloutError

    start = time.perf_counter()
    try:
        rollouts.start_workers(make)
    except RolloutError as exc:
        fail(str(exc))
    hosts = sorted({w["host"] for w in rollouts.stats["workers"]})
    echo(f"{rollouts.workers} workers ready on {', '.join(hosts)} in {time.perf_counter() - start:.1f} s", err=True)
    return rollouts
