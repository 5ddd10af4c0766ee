"""Themes from TOML files: ``themes/`` of the project and ``<config dir>/themes`` of the user.

A theme file holds the fields of :class:`textual.theme.Theme` (``name``,
``primary`` and optionally ``secondary``, ``accent``, ``foreground``,
``background``, ``surface``, ``panel``, ``warning``, ``error``, ``success``,
``dark``, ``variables``). Everything is validated before the theme is used, so
a file that fails never stops the app; it is skipped and reported:

* at most 64 KB; ``name``: 1–64 of ``A–Z a–z 0–9 _ . -`` (it is shown in the
  theme picker, which reads markup — ``[b]`` in a name crashed it);
* every colour field parses with :meth:`textual.color.Color.parse`;
* ``variables``: names of ``a–z 0–9 -``; a ``*-text-style`` value is style
  words (``bold``, ``reverse``, ``none`` …), any other value a colour with an
  optional ``NN%`` alpha (as Textual's own themes write them) — never raw CSS;
* finally Textual derives the full colour system from it, which must succeed.
"""

from __future__ import annotations

import re
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from tui_agent.config.base import config_dir
from tui_agent.storage.files import UserFileError, read_toml

PROJECT_THEMES = Path(__file__).resolve().parents[1] / "themes"  # tui_agent/themes: package data (-> ../themes)
COLOR_FIELDS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel", "warning", "error", "success")
DEFAULT_THEME = "tui-agent-dark"
MAX_THEME_BYTES = 64 * 1024
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
VARIABLE_NAME = re.compile(r"[a-z][a-z0-9-]{0,63}")
COLOUR_WITH_ALPHA = re.compile(r"(?P<colour>.+?)(?:\s+(?P<alpha>\d{1,3})%)?")
TEXT_STYLE_WORDS = frozenset({"none", "not", "bold", "b", "dim", "d", "italic", "i", "underline", "u", "underline2",
                              "uu", "reverse", "r", "strike", "s", "blink", "blink2", "overline", "o"})


def theme_dirs() -> list[Path]:
    return [PROJECT_THEMES, config_dir() / "themes"]


def parse_theme(path: Path) -> Theme:
    """Read and validate one theme file.

    Raises:
        ValueError: not a regular file, over 64 KB, nested too deeply or not TOML
            (:func:`tui_agent.storage.files.read_toml`), a missing name/primary, an unknown field or a bad colour.
    """
    try:
        data = read_toml(path, max_bytes=MAX_THEME_BYTES)
    except (OSError, UserFileError) as exc:
        detail = str(exc).removeprefix(f"{path}: ")
        raise ValueError(f"{path.name}: not a readable TOML file ({detail})") from exc
    for key in ("name", "primary"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ValueError(f"{path.name}: '{key}' is required")
    if not NAME.fullmatch(data["name"]):
        raise ValueError(f"{path.name}: name {data['name']!r:.80} must be 1-64 letters, digits, '_', '.' or '-'")
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
    for name, value in variables.items():
        problem = _variable_problem(name, value)
        if problem:
            raise ValueError(f"{path.name}: variables.{name!s:.64}: {problem}")
    try:
        theme = Theme(**data)
        theme.to_color_system().generate()
    except Exception as exc:  # whatever Textual objects to, the file is skipped
        raise ValueError(f"{path.name}: Textual cannot use it ({type(exc).__name__}: {exc})") from exc
    return theme


def _variable_problem(name: str, value: str) -> str | None:
    """Why ``name = value`` is not a safe theme variable, or ``None`` when it is."""
    if not VARIABLE_NAME.fullmatch(name):
        return "names are lowercase letters, digits and '-'"
    if len(value) > 100:
        return "value longer than 100 characters"
    if name.endswith("text-style"):
        words = value.split()
        return None if words and all(w in TEXT_STYLE_WORDS for w in words) else f"{value!r:.60} is not a text style"
    match = COLOUR_WITH_ALPHA.fullmatch(value.strip())
    if not match or (match["alpha"] is not None and int(match["alpha"]) > 100):
        return f"{value!r:.60} is not a colour"
    try:
        Color.parse(match["colour"])
    except (ColorParseError, ValueError):
        return f"{value!r:.60} is not a colour"
    return None


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
