"""The help screen (F1 / ?): every action and its active key, from the keymap table."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from tui_agent.tui.keymap import SCOPES, Keymap, display


class HelpScreen(ModalScreen[None]):
    """The active keys (defaults with the user's ``[keys]`` overrides), grouped by where they work."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-box { width: 90%; max-width: 120; height: 90%; border: thick $primary; background: $surface;
                           padding: 0 1; }
    HelpScreen #help-title { text-style: bold; height: 1; }
    HelpScreen #help-table { height: 1fr; }
    HelpScreen #help-hint { color: $text-muted; height: auto; }
    """
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close")]

    def __init__(self, keymap: Keymap) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(Text("Keys"), id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static(Text("Change keys in config.toml's [keys] table, e.g.  copy_answer = \"y\"  "
                              "(tui-agent keys lists them). Esc closes."), id="help-hint")

    def on_mount(self) -> None:
        """Rows wrap inside their columns; under 100 columns the ``[keys]`` name goes under the description."""
        table = self.query_one(DataTable)
        box = min(120, self.app.size.width * 9 // 10) - 2 - 2 - 2  # border, padding, scrollbar
        wide = box >= 90
        key_width = 24 if wide else 14
        id_width = 18 if wide else 0
        help_width = box - key_width - id_width - 2 * (3 if wide else 2)
        table.add_column(Text("Key"), key="key", width=key_width)
        table.add_column(Text("What it does" if wide else "What it does · [keys] name"), key="help", width=help_width)
        if wide:
            table.add_column(Text("[keys] name"), key="id", width=id_width)
        for scope, title in SCOPES.items():
            table.add_row(Text(title, style="bold underline"), Text(""), *([Text("")] if wide else []), height=None)
            for action, keys in self.keymap.rows(scope):
                what = Text(action.help)
                if not wide:
                    what.append(f" · {action.id}", style="dim")
                table.add_row(Text("  " + display(keys), style="bold"), what, *([Text(action.id)] if wide else []),
                              height=None)  # as many lines as the longest cell wraps to
        table.focus()
