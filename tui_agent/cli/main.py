"""Entry point: ``tui-agent`` (chat TUI), ``ask``, ``rate`` and the command groups."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from tui_agent.cli.ask import ask
from tui_agent.cli.common import (
    ApiBaseOption,
    MemoryDirOption,
    ModelOption,
    PolicyOption,
    echo,
    print_json,
    settings_for,
    user_errors,
)
from tui_agent.cli.chats import chats_app, keys
from tui_agent.cli.memory import memory_app
from tui_agent.cli.notes import notes_app
from tui_agent.cli.stats import register as register_stats_command
from tui_agent.cli.train import register as register_train_commands
from tui_agent.cli.tune import tune

app = typer.Typer(
    name="tui-agent",
    help="A terminal chat assistant that learns from your 👍/👎 (RLEM experience memory).",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(memory_app, name="memory")
app.add_typer(chats_app, name="chats")
app.add_typer(notes_app, name="notes")
app.command()(ask)
app.command()(keys)
app.command()(tune)
register_train_commands(app)
register_stats_command(app)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            echo(f"tui-agent {version('tui-agent')}")
        except PackageNotFoundError:
            echo("tui-agent (not installed)")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def chat(
    ctx: typer.Context,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
    api_base: ApiBaseOption = None,
    policy: PolicyOption = None,
    send: Annotated[str | None, typer.Option("--send", help="Start the chat with this message sent "
                                             "(also: tui-agent \"QUESTION\").", show_default=False)] = None,
    show_version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Print the version and exit.")] = False,
) -> None:
    """Start the chat (the default when no command is given); `tui-agent "QUESTION"` starts it with QUESTION sent."""
    if ctx.invoked_subcommand is not None:
        # `tui-agent --model M ask …`: hand the group's options to the command via the
        # environment variables its options (and the settings) read.
        for name, value in (("MEMORY_DIR", memory_dir), ("MODEL", model), ("API_BASE", api_base),
                            ("POLICY", policy)):
            if value is not None:
                os.environ[f"TUI_AGENT_{name}"] = str(value)
        return
    settings = settings_for(memory_dir, model, api_base=api_base, policy=policy)
    from tui_agent.tui.app import ChatApp

    ChatApp(settings, first_message=send).run()


@app.command()
def rate(
    experience_id: Annotated[str, typer.Argument(metavar="ID", help="Experience id printed by ask.")],
    verdict: Annotated[str, typer.Argument(metavar="up|down", help="up = 👍 (reward +1), down = 👎 (reward −1).")],
    correction: Annotated[
        str | None, typer.Option("--correction", "-c", help="The right answer, stored with reward +1.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Rate an answer: applies the reward to its Q-value (N += 1, Q += (r − Q)/N)."""
    verdict = verdict.lower()
    if verdict not in ("up", "down", "+", "-", "👍", "👎"):
        from tui_agent.cli.common import fail

        fail(f"verdict must be 'up' or 'down', got {verdict!r}", 2)
    settings = settings_for(memory_dir, model)
    from tui_agent.chat.agent import ChatAgent

    agent = ChatAgent(settings)
    with user_errors():
        result = agent.rate(experience_id, verdict in ("up", "+", "👍"), correction)
    if as_json:
        from dataclasses import asdict

        print_json(asdict(result))
        return
    echo(f"{experience_id}: reward {result.reward:+.0f} → Q = {result.q:.3f} (N = {result.n})")
    if result.correction_id:
        echo(f"correction stored as {result.correction_id} (Q = 1.000, N = 1)")


def main(argv: list[str] | None = None) -> None:
    """The ``tui-agent`` command. A first argument that is neither an option nor a command is a message to
    start the chat with: ``tui-agent "What is RLEM?"`` runs as ``tui-agent --send "What is RLEM?"``."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args and not args[0].startswith("-") and args[0] not in _command_names():
        args = ["--send", args[0], *args[1:]]
    app(args=args)


def _command_names() -> set[str]:
    import typer.main

    group = typer.main.get_command(app)
    return set(getattr(group, "commands", {}))
