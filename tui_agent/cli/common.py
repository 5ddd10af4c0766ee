"""Options and helpers shared by every command (``--memory-dir``, ``--model``, errors, progress)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn, Self

import typer

from tui_agent.config.base import policy_help_line, policy_spec
from tui_agent.text.terminal import json_text, visible

MemoryDirOption = Annotated[
    Path | None,
    typer.Option("--memory-dir", help="Memory directory, or s3://bucket/prefix for a team memory (docs/team_memory.md; "
                 "default: the platform data dir, or $TUI_AGENT_HOME/data).",
                 envvar="TUI_AGENT_MEMORY_DIR", show_default=False),
]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="LiteLLM model string, e.g. openai/gpt-4o-mini (default: local/smollm2).",
                 envvar="TUI_AGENT_MODEL", show_default=False),
]


def _policy_by_its_name(value: str | None) -> str | None:
    """``--policy``: an earlier name (``q-driven``, ``rlem``) works and is answered with the current one."""
    if not value:
        return value
    try:
        name = policy_spec(value).name
    except ValueError:
        return value  # the command reports an unknown name with the list of known ones
    if name != value.strip():
        echo(f"tui-agent: note: policy {value.strip()!r} is now called {name!r}", err=True)
    return name


PolicyOption = Annotated[
    str | None,
    typer.Option("--policy", help=policy_help_line(), show_default=False, callback=_policy_by_its_name),
]
ApiBaseOption = Annotated[
    str | None, typer.Option("--api-base", help="Base URL of an OpenAI-compatible or local server.", show_default=False)
]


def settings_for(memory_dir: Path | None, model: str | None, **extra: Any):
    """Settings with the command's overrides; a bad config file exits with a one-line error."""
    from tui_agent.config.settings import load_settings

    try:
        return load_settings(memory_dir=memory_dir, model=model, **extra)
    except ValueError as exc:
        fail(settings_problem(exc))


def build_agent(domain: str, memory_dir: Path | None, model: str | None, options: Any = None) -> Any:
    """The domain's agent (:func:`tui_agent.agents.factory.build_agent`) over the configured memory, the
    bundled embedder and the model, with the run's :class:`~tui_agent.agents.factory.RunOptions`; exits 2
    on an option out of range and 1 on a store that cannot open."""
    from tui_agent.agents import factory

    settings = settings_for(memory_dir, model)
    try:
        config = factory.agent_config(domain, settings, options)
    except ValueError as exc:
        fail(str(exc), 2)
    with user_errors():
        return factory.build_agent(domain, settings, config)


def rollout_worker(domain: str, agent: Any, memory_dir: Path | None, model: str | None, policy: str,
                   **env: Any) -> Any:
    """What each Ray rollout worker builds (:class:`tui_agent.agents.factory.AgentWorker`): the driver
    agent's configuration, the model settings and the environment's keyword arguments."""
    from tui_agent.agents.factory import AgentWorker

    return AgentWorker(domain, agent.config, settings_for(memory_dir, model), env=env or {"split": "train"},
                       preload_model=policy != "random")


def settings_problem(exc: BaseException) -> str:
    """One line for a settings error (pydantic's ValidationError: one clause per bad setting)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"setting {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors())
    return str(exc)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``tui-agent: error: MESSAGE`` to stderr and exit (no markup or control character is interpreted)."""
    echo(f"tui-agent: error: {message}", err=True)
    raise typer.Exit(code)


def echo(text: Any = "", err: bool = False) -> None:
    """Print one line with every terminal control made visible (:func:`tui_agent.text.terminal.visible`).

    Every command prints stored or generated text through this (or :func:`print_json`), on a
    terminal and into a pipe alike.
    """
    typer.echo(visible(text), err=err)


def print_json(data: Any) -> None:
    """Print ``data`` as one line of JSON with controls escaped (:func:`tui_agent.text.terminal.json_text`)."""
    typer.echo(json_text(data))


@contextlib.contextmanager
def progress(message: str) -> Iterator[Any]:
    """A spinner on stderr while slow work runs (silent when stderr is not a terminal)."""
    if not sys.stderr.isatty():
        yield lambda _msg: None
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status(message) as status:
        yield lambda msg: status.update(str(msg))


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn the project's expected errors into one-line messages and exit code 1.

    Caught: LLMError, MemoryStoreError, ChatStoreError, EmbeddingError, LocalModelError, RolloutError,
    ValueError (their message), KeyError (as a missing experience); anything else propagates.
    """
    from tui_agent.chats.store import ChatStoreError
    from tui_agent.embedding.encoder import EmbeddingError
    from tui_agent.llm.client import LLMError
    from tui_agent.llm.local import LocalModelError
    from tui_agent.memory.store import MemoryStoreError
    from tui_agent.parallel.rollouts import RolloutError

    try:
        yield
    except (LLMError, MemoryStoreError, ChatStoreError, EmbeddingError, LocalModelError, RolloutError,
            ValueError) as exc:
        fail(str(exc))
    except KeyError as exc:
        fail(f"no experience with id {exc.args[0]!r}")


class ProgressBar:
    """A rich progress bar on stderr, live only when stderr is a terminal (else callers print plain lines).

    Every text it shows (the description, and with ``detail`` a last column such as the current file's
    name) goes through :func:`tui_agent.text.terminal.visible` as it is drawn, never read as markup: a
    file name with an OSC sequence is shown, not acted on. Subclasses are the callbacks of a training or
    evaluation loop and update ``self.progress`` / ``self.task`` when ``self.live``.
    """

    def __init__(self, description: str, total: int | None = None, *, detail: bool = False) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.console = Console(stderr=True, markup=False, highlight=False)
        self.live = self.console.is_terminal
        columns = [visible_text_column("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        if detail:
            columns.append(visible_text_column("{task.fields[detail]}"))
        self.progress = Progress(*columns, console=self.console, transient=False)
        self.task = self.progress.add_task(description, total=total, detail="")

    def update(self, completed: int, total: int | None = None, detail: str = "") -> None:
        """Move the bar to ``completed`` of ``total`` with ``detail`` in its last column (when live)."""
        if self.live:
            self.progress.update(self.task, completed=completed, total=total, detail=detail)

    def __enter__(self) -> Self:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()


def visible_text_column(text_format: str) -> Any:
    """A rich ``TextColumn`` of ``text_format`` whose text passes through :func:`visible` (never markup)."""
    from rich.progress import TextColumn
    from rich.text import Text

    class VisibleTextColumn(TextColumn):
        def render(self, task: Any) -> Text:
            return Text(visible(self.text_format.format(task=task)), style=self.style, justify=self.justify)

    return VisibleTextColumn(text_format, markup=False)
