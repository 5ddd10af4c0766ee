"""Slash commands of the chat input: one registry (name, arguments, help) for dispatch, ``/help`` and errors.

``/word`` at the start of a message is a command; anything else (``/usr/bin …``, a question) goes to the
model. An unknown ``/word`` is reported, never sent to the model or stored as an experience.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["COMMANDS", "SlashCommand", "completing", "completion", "help_text", "matches", "parse"]


@dataclass(frozen=True)
class SlashCommand:
    """A chat command: ``name`` ("/task"), ``args`` as shown in the help, one-line ``help``."""

    name: str
    args: str
    help: str


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("/help", "", "this list"),
    SlashCommand("/task", "[GOAL]", "run a web-shop task live (no goal: a random test goal)"),
    SlashCommand("/doc", "[QUESTION]", "search, read and answer over the Python docs (no question: a random one)"),
    SlashCommand("/howto", "[GOAL]", "run a WikiHow app task live (no goal: a random test task)"),
    SlashCommand("/remember", "TEXT", "keep TEXT as a knowledge note the answers can use"),
    SlashCommand("/forget", "[ID|TEXT]", "remove a chat note: by id, the one most like TEXT, or the last one added"),
    SlashCommand("/system", "[TEXT]", "show this chat's system prompt; TEXT sets it, 'default' restores the default"),
)
BY_NAME = {c.name: c for c in COMMANDS}
_WORD = re.compile(r"^/[A-Za-z][\w-]*$")
_TYPING = re.compile(r"^/[\w-]*$")


def parse(text: str) -> tuple[SlashCommand | None, str, str] | None:
    """``None`` when ``text`` is no command; else (the command or ``None`` if unknown, the word typed, the rest)."""
    first, _, rest = text.strip().partition(" ")
    if not _WORD.match(first):
        return None
    return BY_NAME.get(first.lower()), first, rest.strip()


def help_text() -> str:
    """The command list, one per line, as ``/help`` shows it."""
    width = max(len(f"{c.name} {c.args}".strip()) for c in COMMANDS)
    return "\n".join(f"{f'{c.name} {c.args}'.strip():<{width}}  {c.help}" for c in COMMANDS)


def completing(text: str) -> str | None:
    """The command word being typed (``"/ta"``; ``"/"`` alone too) when ``text`` is just that, else ``None``.

    A space, a new line or anything after the word ends the completion (the arguments are free text).
    """
    return text if _TYPING.match(text) else None


def matches(word: str) -> list[SlashCommand]:
    """The commands for a typed word, case-insensitive, in registry order: those whose name starts with it
    (``"/"``: all), else those that contain it (``"/mem"``: /remember). An empty list when nothing fits."""
    word = word.lower()
    first = [c for c in COMMANDS if c.name.startswith(word)]
    inner = word.lstrip("/")
    return first or [c for c in COMMANDS if inner and inner in c.name]


def completion(command: SlashCommand) -> str:
    """What completing to ``command`` puts in the input: its name, and a space when it takes arguments."""
    return f"{command.name} " if command.args else command.name
