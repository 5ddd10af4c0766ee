"""What the ``train`` / ``eval`` runners of every domain share: their options' base, the report writer and
the episode progress bar.

:mod:`tui_agent.cli.train` parses the flags and builds one options dataclass per domain
(:class:`RunFlags` subclasses: ``ShopOptions`` in :mod:`tui_agent.cli.shop`, ``DocQAOptions`` in
:mod:`tui_agent.cli.docqa`, which the PPO runner in :mod:`tui_agent.cli.ppo` reads too) with
:meth:`RunFlags.from_params`; the runners write their report with :func:`write_report`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, Self

from tui_agent.cli.common import ProgressBar, print_json

__all__ = ["EpisodeBar", "RunFlags", "command_line", "write_report"]


@dataclass(frozen=True)
class RunFlags:
    """The flags every domain's run reads (``train`` / ``eval``); each domain's options subclass it.

    ``policy``: ``--policy`` as given (None: the domain's default or the configured one); ``seed``;
    ``scorer``: "llm" | "constant" (:meth:`from_params` fills in the domain's default,
    :attr:`DEFAULT_SCORER`); ``gamma`` ∈ [0, 1], ``n`` ≥ 1 or None and ``no_bootstrap`` (n = 1),
    ``update_mode`` "mean" | "const": the learning options (checked when the agent is built, exit 2);
    ``test_tasks`` ≥ 0: test episodes after training; ``workers`` ≥ 1 / ``ray_address``: Ray rollouts;
    ``output``: the JSON report's path, ``as_json``: print the report as JSON; ``memory_dir``, ``model``:
    the settings' overrides.
    """

    DEFAULT_SCORER: ClassVar[str] = "llm"

    policy: str | None = None
    seed: int = 0
    scorer: str | None = None
    gamma: float = 1.0
    n: int | None = None
    no_bootstrap: bool = False
    update_mode: str = "mean"
    test_tasks: int = 0
    workers: int = 1
    ray_address: str | None = None
    output: Path | None = None
    as_json: bool = False
    memory_dir: Path | None = None
    model: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Self:
        """The options from a command's parsed flags (click's ``ctx.params``: parameter name → value).

        Flags this domain does not read are left out; ``scorer`` None becomes :attr:`DEFAULT_SCORER`.
        """
        names = {f.name for f in fields(cls)}
        values = {name: value for name, value in params.items() if name in names}
        values["scorer"] = values.get("scorer") or cls.DEFAULT_SCORER
        return cls(**values)

    @property
    def horizon(self) -> int | None:
        """The n-step horizon the agent uses: 1 under ``--no-bootstrap``, else ``n``."""
        return 1 if self.no_bootstrap else self.n


def command_line() -> str:
    """The command as typed: ``tui-agent`` and this process's arguments."""
    return " ".join(["tui-agent", *sys.argv[1:]])


def write_report(report: dict[str, Any], output: Path | None, as_json: bool = False, *,
                 also: Iterable[Path] = ()) -> bool:
    """Finish a run's report: set ``report["command"]`` (:func:`command_line`), write it as JSON (UTF-8,
    indent 1) to ``output`` (its directory made) and to each path in ``also``, and with ``as_json`` print
    it as one line of JSON.

    Returns:
        ``as_json``: True when the report was printed (the caller prints no summary then).
    Raises:
        OSError: a path cannot be written.
    """
    report["command"] = command_line()
    text = json.dumps(report, ensure_ascii=False, indent=1)
    for path in also:
        path.write_text(text, encoding="utf-8")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    if as_json:
        print_json(report)
    return as_json


class EpisodeBar(ProgressBar):
    """Episodes done as a progress bar on stderr (plain lines when stderr is not a terminal); called with
    ``(result, done, total)`` after each episode (a shop or docqa episode result)."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.title = title

    def __call__(self, result: Any, done: int, total: int) -> None:
        mark = "✓" if result.success else "·"
        index = getattr(result, "goal_index", getattr(result, "question_index", -1))
        desc = f"{self.title} {mark} {result.split}#{index} reward {float(result.reward or 0):.2f}"
        if self.live:
            self.progress.update(self.task, completed=done, total=total, description=desc)
        else:
            print(f"[{done}/{total}] {desc} ({len(result.steps)} steps)", file=sys.stderr, flush=True)
