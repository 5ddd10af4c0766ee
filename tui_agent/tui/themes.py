"""Themes from TOML files: ``themes/`` of the project and ``<config dir>/themes`` of the user.

A theme file holds the fields of :class:`textual.theme.Theme` (``name``,
``primary`` and optionally ``secondary``, ``accent``, ``foreground``,
``background``, ``surface``, ``panel``, ``warning``, ``error``, ``success``,
``dark``, ``variables``). A file that fails to parse or validate is skipped
and reported; it never stops the app.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from tui_agent.config import config_dir

PROJECT_THEMES = Path(__file__).resolve().parents[2] / "themes"
COLOR_FIELDS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel", "warning", "error", "success")
DEFAULT_THEME = "tui-agent-dark"


def theme_dirs() -> list[Path]:
    return [PROJECT_THEMES, config_dir() / "themes"]


def parse_theme(path: Path) -> Theme:
    """Read and validate one theme file.

    Raises:
        ValueError: not TOML, a missing name/primary, an unknown field or a bad colour.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: not a readable TOML file ({exc})") from exc
    for key in ("name", "primary"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ValueError(f"{path.name}: '{key}' is required")
    unknown = set(data) - {"name", "dark", "variables", *COLOR_FIELDS}
    if unknown:
        raise ValueError(f"{path.name}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in COLOR_FIELDS:
        if key in data:
            try:
                Color.parse(data[key])
            except (ColorParseError, TypeError) as exc:
                raise ValueError(f"{path.name}: {key} = {data[key]!r} is not a colour") from exc
    if "dark" in data and not isinstance(data["dark"], bool):
        raise ValueError(f"{path.name}: 'dark' must be true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ValueError(f"{path.name}: 'variables' must be a table of strings")
    return Theme(**data)


def load_themes(dirs: list[Path] | None = None) -> tuple[list[Theme], list[str]]:
    """All valid themes in ``dirs`` (later dirs override earlier by name), and the errors."""
    themes: dict[str, Theme] = {}
    errors: list[str] = []
    for folder in dirs if dirs is not None else theme_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = parse_theme(path)
            except ValueError as exc:
                errors.append(str(exc))
                continue
            themes[theme.name] = theme
    return list(themes.values()), errors
