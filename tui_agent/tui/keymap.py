"""The keymap as data: one table of actions and their default keys, user overrides, validation.

Everything that shows or handles a key reads :data:`ACTIONS`: the Textual
bindings of the app, the answers, the chat list, the memory browser and the
training stats (:func:`bindings`), the chat input's send / new line / history keys
(:class:`Keymap`), the footer, the help screen (F1) and the README's key table
(:func:`markdown_table`, checked by ``tests/test_keymap.py``).

Users override keys in ``config.toml``::

    [keys]
    copy_answer = "y"                 # one key
    history_prev = ["up", "ctrl+p"]   # or several

Key names are Textual's (``ctrl+n``, ``f1``, ``up``, ``enter``, ``plus`` or
``+``). An unknown action, a malformed key or two actions on one key in the
same place is reported in one line and that override is ignored; the
defaults stay. This module imports only Textual's key helpers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding, BindingType
from textual.keys import Keys, _character_to_key, format_key

SCOPES = {
    "app": "Everywhere",
    "input": "In the message input",
    "answer": "On a focused answer",
    "run": "In a /task, /doc or /howto run",
    "chats": "Saved chats (F3)",
    "memory": "Memory browser (F2)",
    "stats": "Training stats (F8)",
}
"""Where a key works. ``app`` keys work on every screen, so they may not clash with any other scope's."""

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")


@dataclass(frozen=True)
class KeyAction:
    """One action a key can trigger.

    ``id`` is the name used in ``config.toml``'s ``[keys]`` table and the
    Textual binding id; ``action`` the Textual action string (empty for the
    input's keys, which :class:`~tui_agent.tui.chat_input.ChatInput` handles).
    """

    id: str
    scope: str
    keys: tuple[str, ...]
    description: str
    help: str
    action: str = ""
    show: bool = True
    priority: bool = False


ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("send", "input", ("enter",), "Send", "send the message"),
    KeyAction("newline", "input", ("ctrl+j", "shift+enter", "alt+enter"), "New line",
              "new line in the message (Shift+Enter / Alt+Enter where the terminal reports them)"),
    KeyAction("history_prev", "input", ("up",), "Previous",
              "bring back an earlier message (on the first line of the input; kept across restarts)"),
    KeyAction("history_next", "input", ("down",), "Next", "a later message, then your draft (on the last line)"),
    KeyAction("stop_answer", "input", ("escape",), "Stop",
              "stop the answer being written (what came is kept, marked stopped, not stored)"),
    KeyAction("complete_command", "input", ("tab", "right"), "Complete",
              "complete the /command highlighted in the list shown while you type one (↑ / ↓ choose, Esc hides)"),
    KeyAction("rate_up", "answer", ("plus", "equals_sign"), "Good", "rate it 👍: reward +1", "rate(True)"),
    KeyAction("rate_down", "answer", ("minus", "underscore"), "Bad",
              "rate it 👎: reward −1; then type the right answer (Enter saves, Esc skips)", "rate(False)"),
    KeyAction("retry", "answer", ("r",), "New answer", "ask for a new answer", "retry"),
    KeyAction("use_suggestion", "answer", ("enter",), "Use it",
              "use the taught answer suggested under it (👍 for it on this question)", "suggestion(True)"),
    KeyAction("dismiss_suggestion", "answer", ("x",), "Not this",
              "dismiss the suggested taught answer (👎: not suggested again for this question)", "suggestion(False)"),
    KeyAction("toggle_memory", "answer", ("m",), "From memory",
              'expand "from memory": the experiences that steered the answer, with Q and similarity',
              "toggle_memory"),
    KeyAction("copy_answer", "answer", ("c",), "Copy", "copy the answer (Markdown) to the clipboard", "copy"),
    KeyAction("focus_input", "answer", ("escape",), "Input", "back to the input", "app.focus_input", show=False),
    KeyAction("rate_run_up", "run", ("plus", "equals_sign"), "Good",
              "rate the episode 👍 (focus on any of its steps or buttons): reward +1 to every step", "rate(True)"),
    KeyAction("rate_run_down", "run", ("minus", "underscore"), "Bad",
              "rate the episode 👎: reward −1 to every step", "rate(False)"),
    KeyAction("run_focus_input", "run", ("escape",), "Input", "back to the input", "app.focus_input", show=False),
    KeyAction("help", "app", ("f1", "question_mark"), "Help", "this key list (? outside text fields)",
              "app.help"),
    KeyAction("memory", "app", ("f2",), "Memory", "memory browser", "app.open_memory"),
    KeyAction("chats", "app", ("f3",), "Chats", "saved chats: open, search, rename, delete", "app.open_chats"),
    KeyAction("copy_chat", "app", ("f4",), "Copy chat", "copy the whole chat as Markdown", "app.copy_chat",
              show=False),
    KeyAction("stats", "app", ("f8",), "Stats", "training stats: learning curves and Q-values",
              "app.open_stats", show=False),
    KeyAction("new_chat", "app", ("ctrl+n",), "New chat", "new chat (the last one is saved; memory is kept)",
              "app.new_chat"),
    KeyAction("command_palette", "app", ("ctrl+p",), "Palette",
              "command palette: model, system prompt, policy, theme, copy, memory stats", "app.command_palette",
              show=False, priority=True),
    KeyAction("quit", "app", ("ctrl+q",), "Quit", "quit", "app.quit", priority=True),
    KeyAction("chats_close", "chats", ("escape",), "Close", "back to the chat", "close"),
    KeyAction("chats_search", "chats", ("slash",), "Search", "search titles and messages", "focus_search"),
    KeyAction("chats_open", "chats", ("enter",), "Open", "open the chat", "open", show=False),
    KeyAction("chats_rename", "chats", ("e",), "Rename", "rename the chat", "rename"),
    KeyAction("chats_delete", "chats", ("d", "delete"), "Delete", "delete the chat (asks first)", "delete"),
    KeyAction("memory_close", "memory", ("escape",), "Close", "back to the chat", "close"),
    KeyAction("memory_search", "memory", ("slash",), "Search", "search (Enter runs it)", "focus_search"),
    KeyAction("memory_mode", "memory", ("ctrl+t",), "Mode", "switch between meaning and substring search",
              "toggle_mode"),
    KeyAction("memory_edit", "memory", ("e",), "Edit Q", "edit the Q-value", "edit_q"),
    KeyAction("memory_delete", "memory", ("d", "delete"), "Delete", "delete the experience", "delete"),
    KeyAction("memory_undo", "memory", ("u", "ctrl+z"), "Undo", "undo the last change", "undo"),
    KeyAction("memory_sort", "memory", ("s",), "Sort", "next sort column", "next_sort"),
    KeyAction("memory_reload", "memory", ("r", "f5"), "Reload", "reload", "reload"),
    KeyAction("memory_notes", "memory", ("n",), "Notes", "knowledge notes: list, search, open, delete", "open_notes"),
    KeyAction("stats_close", "stats", ("escape",), "Close", "back to the chat", "close"),
    KeyAction("stats_older", "stats", ("left",), "Older", "the run before the one shown", "older"),
    KeyAction("stats_newer", "stats", ("right",), "Newer", "the run after the one shown", "newer"),
    KeyAction("stats_reload", "stats", ("r", "f5"), "Reload", "read the run log and the memory again", "reload"),
)
BY_ID: dict[str, KeyAction] = {a.id: a for a in ACTIONS}


class KeymapError(ValueError):
    """A user key override is invalid (unknown action, malformed key, clash); the message is one line."""


def normalize_key(key: str) -> str:
    """Textual's name for ``key`` (``"+"`` → ``"plus"``, ``"Ctrl+N"`` → ``"ctrl+n"``).

    Raises:
        KeymapError: not a key Textual can report (empty, unknown name or modifier).
    """
    raw = key.strip()
    if not raw:
        raise KeymapError("empty key name")
    if len(raw) == 1:
        if not raw.isprintable() or raw.isspace():
            raise KeymapError(f"{key!r} is not a key name")
        return _character_to_key(raw)
    *mods, base = raw.split("+")
    mods = [m.lower() for m in mods]
    if any(m not in MODIFIERS for m in mods) or len(set(mods)) != len(mods):
        raise KeymapError(f"{key!r}: modifiers are {', '.join(MODIFIERS)}")
    if len(base) == 1:
        base = base.lower() if mods and base.isalpha() else base
        name = _character_to_key(base)
    else:
        name = base.lower()
        if name not in _KEY_NAMES and _lookup(name) is None:
            raise KeymapError(f"{key!r} is not a key name (examples: ctrl+n, f1, up, enter, plus)")
    return "+".join([*mods, name])


_KEY_NAMES = {k.value for k in Keys} | {"enter", "tab", "escape", "space", "backspace", "delete"}


def _lookup(name: str) -> str | None:
    try:
        char = unicodedata.lookup(name.replace("_", " ").upper())
    except KeyError:
        return None
    return char if len(char) == 1 and char.isprintable() else None


def display(keys: Iterable[str]) -> str:
    """Keys as people write them: ``F1 / ?``, ``Ctrl+N``."""
    return " / ".join(_display_one(k) for k in keys)


_SHOWN = {"enter": "Enter", "escape": "Esc", "delete": "Del", "up": "↑", "down": "↓", "left": "←", "right": "→",
          "tab": "Tab", "space": "Space", "backspace": "Backspace", "home": "Home", "end": "End",
          "pageup": "PgUp", "pagedown": "PgDn", "insert": "Ins"}


def _display_one(key: str) -> str:
    *mods, base = key.split("+")
    if base in _SHOWN:
        shown = _SHOWN[base]
    elif len(base) > 1 and base[0] == "f" and base[1:].isdigit():
        shown = base.upper()
    else:
        shown = format_key(base)
        shown = shown.upper() if mods and len(shown) == 1 else shown
    return "+".join([*(m.capitalize() for m in mods), shown])


class Keymap:
    """The active keys: the table's defaults with the user's valid overrides applied.

    Args:
        overrides: ``{action id: key or [keys]}`` from config.toml's ``[keys]`` table (anything: it is checked).

    ``errors`` holds one line per ignored override; ``overrides`` the applied ones as
    Textual keymap entries (``{binding id: "key1,key2"}``) for :meth:`textual.app.App.set_keymap`.
    """

    def __init__(self, overrides: Any = None) -> None:
        self.errors: list[str] = []
        self.keys: dict[str, tuple[str, ...]] = {a.id: a.keys for a in ACTIONS}
        self.overrides: dict[str, str] = {}
        if overrides is None or overrides == {}:
            return
        if not isinstance(overrides, Mapping):
            self.errors.append(f"[keys] must be a table of action = \"key\", got {type(overrides).__name__}")
            return
        for action_id, value in overrides.items():
            try:
                keys = self._parse(str(action_id), value)
            except KeymapError as exc:
                self.errors.append(f"[keys] {action_id}: {exc}")
                continue
            clash = self._clash(str(action_id), keys)
            if clash:
                self.errors.append(f"[keys] {action_id}: {clash}")
                continue
            self.keys[str(action_id)] = keys
            self.overrides[str(action_id)] = ",".join(keys)

    @staticmethod
    def _parse(action_id: str, value: Any) -> tuple[str, ...]:
        if action_id not in BY_ID:
            raise KeymapError("unknown action (`tui-agent keys` lists them)")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise KeymapError('expected a key name or a list of them, e.g. "ctrl+y" or ["y", "ctrl+y"]')
        keys: list[str] = []
        for v in values:
            for part in v.split(",") if v not in (",", "") else [v]:
                key = normalize_key(part)
                if key not in keys:
                    keys.append(key)
        return tuple(keys)

    def _clash(self, action_id: str, keys: tuple[str, ...]) -> str | None:
        scope = BY_ID[action_id].scope
        for other in ACTIONS:
            if other.id == action_id or not _overlap(scope, other.scope):
                continue
            shared = set(keys) & set(self.keys[other.id])
            if shared:
                return f"{display(sorted(shared))} is already {other.id!r} ({SCOPES[other.scope].lower()})"
        return None

    def keys_for(self, action_id: str) -> tuple[str, ...]:
        """The active keys of an action (Textual names)."""
        return self.keys[action_id]

    def rows(self, scope: str | None = None) -> list[tuple[KeyAction, tuple[str, ...]]]:
        """(action, active keys) in table order, for one scope or all."""
        return [(a, self.keys[a.id]) for a in ACTIONS if scope is None or a.scope == scope]


def _overlap(a: str, b: str) -> bool:
    """Whether keys of scopes ``a`` and ``b`` can be active at the same time."""
    return a == b or "app" in (a, b)


def bindings(scope: str) -> list[BindingType]:
    """Textual bindings of one scope's actions with their default keys and ids (the user's keymap remaps them)."""
    return [
        Binding(",".join(a.keys), a.action, a.description, show=a.show, priority=a.priority, id=a.id)
        for a in ACTIONS
        if a.scope == scope and a.action
    ]


def markdown_table(keymap: Keymap | None = None) -> str:
    """The key table as Markdown (README, ``tui-agent keys``): one row per action, grouped by scope."""
    km = keymap or Keymap()
    lines = ["| where | key | what it does | `[keys]` name |", "|---|---|---|---|"]
    for scope, title in SCOPES.items():
        for action, keys in km.rows(scope):
            lines.append(f"| {title} | {display(keys)} | {action.help} | `{action.id}` |")
    return "\n".join(lines) + "\n"


def check_defaults() -> list[str]:
    """Clashes inside the default table itself (a test keeps this empty)."""
    problems = []
    for i, a in enumerate(ACTIONS):
        for b in ACTIONS[i + 1:]:
            shared = set(a.keys) & set(b.keys)
            if shared and _overlap(a.scope, b.scope):
                problems.append(f"{a.id} and {b.id} share {sorted(shared)}")
    return problems
