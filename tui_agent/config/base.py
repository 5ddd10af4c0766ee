"""The pydantic-free part of the configuration: names, directories and the small UI state file.

Imported before the TUI's first paint (``tui_agent.tui``, ``tui_agent.chats``), so it imports no
heavy library; :mod:`tui_agent.config.settings` (pydantic-settings: ~0.2–0.5 s to import) re-exports
everything here and adds :class:`~tui_agent.config.settings.Settings`.
"""

from __future__ import annotations

import os
from pathlib import Path

from tui_agent.storage.files import UserFileError, read_toml

APP_NAME = "tui-agent"
DEFAULT_MODEL = "local/smollm2"
POLICIES = ("q-driven", "rememberer", "llm", "random")
"""Decision procedures, for chat and shop alike (``policy`` setting, ``--policy``)."""
POLICY_ALIASES = {"rlem": "q-driven"}  # the q-driven policy's earlier name


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
