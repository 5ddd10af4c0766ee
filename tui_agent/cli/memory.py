"""``tui-agent memory …``: inspect and manage the experience memory."""

from __future__ import annotations

from typing import Annotated

import typer

from tui_agent.cli.common import MemoryDirOption, ModelOption, print_json, settings_for, user_errors

memory_app = typer.Typer(help="Inspect and manage the experience memory.", no_args_is_help=True, rich_markup_mode=None)


def open_store(memory_dir, model):
    from tui_agent.memory.store import ExperienceStore

    settings = settings_for(memory_dir, model)
    with user_errors():
        return ExperienceStore(settings.resolved_memory_dir())


@memory_app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Number of experiences, their mean Q-value, and counts by kind and source."""
    data = open_store(memory_dir, model).stats()
    if as_json:
        print_json(data)
        return
    typer.echo(f"experiences: {data['experiences']}")
    typer.echo(f"mean Q:      {data['mean_q']:.3f}")
    typer.echo(f"rated:       {data['rated']}")
    for name in ("by_kind", "by_source"):
        if data[name]:
            typer.echo(f"{name.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in data[name].items()))
    typer.echo(f"version:     {data['version']}")
    typer.echo(f"path:        {data['path']}")
