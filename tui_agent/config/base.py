"""The pydantic-free part of the configuration: names, directories and the small UI state file.

Imported before the TUI's first paint (``tui_agent.tui``, ``tui_agent.chats``), so it imports no
heavy library; :mod:`tui_agent.config.settings` (pydantic-settings: ~0.2–0.5 s to import) re-exports
everything here and adds :class:`~tui_agent.config.settings.Settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tui_agent.storage.files import UserFileError, read_toml

APP_NAME = "tui-agent"
DEFAULT_MODEL = "local/smollm2"
DOMAINS = ("chat", "shop", "docqa", "wikihow")
"""Where a policy acts: the chat (one-step episodes), the shop, DocumentQA and WikiHow (multi-step episodes)."""


@dataclass(frozen=True)
class PolicySpec:
    """One decision policy: its ``name``, earlier ``aliases`` users may still type, what ``decides`` and how
    it acts in each domain (``chat``, ``shop``, ``docqa``, ``wikihow``; empty: it does not run there). The palette,
    ``--policy``'s help and the README's table are made from these."""

    name: str
    decides: str
    chat: str
    shop: str
    docqa: str
    wikihow: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def domains(self) -> tuple[str, ...]:
        """The domains it runs in."""
        return tuple(d for d in DOMAINS if getattr(self, d))


POLICY_TABLE = (
    PolicySpec("episodic-control", "Q-values, directly (greedy over the nearest experiences' Q, as in episodic "
               "control; untried actions optimistic) — this project's extension",
               "recall or suggest a taught answer by its estimated P, reject repeats of disliked ones",
               "Q̂ per action role; the model breaks ties", "Q̂ per action role (read / answer a note)",
               "Q̂ per action role (search, the task's article, category, …); random where nothing is known",
               aliases=("q-driven", "rlem")),
    PolicySpec("rememberer", "the model, reading exemplars with encouraged / discouraged advice — the paper's "
               "procedure", "advice in the prompt only", "the model writes advice; its top encouraged action is taken",
               "the model picks a valid action after the exemplars",
               "the reference's WikiHow prompt; the model's top encouraged action (constrained to the screen's)"),
    PolicySpec("llm", "the model alone", "no memory", "static exemplars (the initial pool)", "no exemplars"),
    PolicySpec("random", "chance", "a random remembered answer", "a random valid action", "a random valid action",
               "a random valid action"),
)
"""Every decision policy, the default first: the one list the config validator, the CLI, the palette and
the README read."""

POLICIES = tuple(p.name for p in POLICY_TABLE)
"""The policies' names, the default first (``policy`` setting, ``--policy``)."""


def policy_spec(name: str, domain: str | None = None) -> PolicySpec:
    """The policy called ``name`` or one of its aliases (surrounding spaces ignored).

    Raises:
        ValueError: no such policy, or it does not run in ``domain``; the message lists the known ones.
    """
    wanted = name.strip()
    for spec in POLICY_TABLE:
        if wanted == spec.name or wanted in spec.aliases:
            if domain is None or domain in spec.domains:
                return spec
    known = [p.name for p in POLICY_TABLE if domain is None or domain in p.domains]
    raise ValueError(f"unknown policy {name!r}; expected one of {', '.join(known)}")


def policy_help_line() -> str:
    """``--policy``'s help: the names, the default marked."""
    return " | ".join(f"{p.name} (default)" if i == 0 else p.name for i, p in enumerate(POLICY_TABLE)) + "."


def policy_table_markdown() -> str:
    """The policies as a Markdown table (the README's; tests/test_policies.py keeps them equal)."""
    rows = [f"| `{p.name}`{' (default)' if i == 0 else ''}{''.join(f' (was `{a}`)' for a in p.aliases)} | "
            f"{p.decides} | {p.chat} | {p.shop} | {p.docqa} | {p.wikihow or '—'} |" for i, p in enumerate(POLICY_TABLE)]
    return "\n".join(["| policy | what decides | chat | shop | docqa | wikihow |", "|---|---|---|---|---|---|", *rows])


def home_dir() -> Path | None:
    """The ``TUI_AGENT_HOME`` override, or ``None`` when unset."""
    value = os.environ.get("TUI_AGENT_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """Directory of ``config.toml`` and ``state.toml`` (created on first write)."""
    home = home_dir()
    if home:
        return home / "config"
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Directory of the default memory database."""
    home = home_dir()
    if home:
        return home / "data"
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def config_file() -> Path:
    return config_dir() / "config.toml"


# --- small persistent UI state (theme choice) --------------------------------


def state_file() -> Path:
    return config_dir() / "state.toml"


def load_state() -> dict[str, str]:
    """UI state remembered between runs; never raises.

    A missing or unusable file (malformed, too large or deep, not a regular file:
    :func:`tui_agent.storage.files.read_toml`) is treated as empty.
    """
    try:
        data = read_toml(state_file(), max_bytes=64 * 1024)
    except (OSError, UserFileError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


def save_state(**values: str) -> None:
    """Merge ``values`` into ``state.toml`` (written atomically)."""
    state = load_state() | values
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{k} = {_toml_str(v)}\n" for k, v in sorted(state.items()))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
