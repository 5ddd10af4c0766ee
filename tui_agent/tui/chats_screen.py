"""Saved chats (F3): list, search, open, rename, delete.

Dismisses with the id of the chat to open, or ``None``. Keys come from the
keymap's ``chats`` scope. Titles and messages are shown as plain text, terminal controls made visible (tui/safe.py).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tui_agent.chats.store import ChatStore, ChatStoreError
from tui_agent.tui.dialogs import AskTextScreen, ConfirmScreen
from tui_agent.tui.keymap import bindings
from tui_agent.tui.safe import plain, visible

PREVIEW_MESSAGES = 4


def when(ts: float) -> str:
    """Unix seconds as local ``YYYY-MM-DD HH:MM``."""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


class ChatsScreen(Screen[str | None]):
    """The saved chats, most recent first, with a search field and a preview of the highlighted one.

    Args:
        store: the :class:`~tui_agent.chats.store.ChatStore`.
        current: the id of the chat being shown (marked ●), if any.
    """

    DEFAULT_CSS = """
    ChatsScreen { layout: vertical; }
    ChatsScreen #chats-status { height: 1; padding: 0 1; background: $boost; }
    ChatsScreen #chats-controls { height: 3; }
    ChatsScreen #chats-query { width: 1fr; }
    ChatsScreen #chats-table { height: 1fr; }
    ChatsScreen #chats-preview { height: auto; max-height: 8; padding: 0 1; border-top: solid $primary-darken-2; }
    """
    BINDINGS = bindings("chats")

    def __init__(self, store: ChatStore, current: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.current = current
        self.search = ""
        self.ids: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("saved chats"), id="chats-status")
        with Horizontal(id="chats-controls"):
            yield Input(placeholder="search titles and messages (Enter)", id="chats-query")
        yield DataTable(id="chats-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="chats-preview")
        yield Footer()

    def on_mount(self) -> None:
        table = self.table
        table.add_column(Text(" "), key="mark", width=1)
        table.add_column(Text("Title"), key="title", width=self._title_width())
        table.add_column(Text("Msgs"), key="count", width=5)
        if self._with_model:
            table.add_column(Text("Model"), key="model", width=22)
        table.add_column(Text("Updated"), key="updated", width=16)
        self.reload()
        table.focus()

    @property
    def _with_model(self) -> bool:
        """Under 100 columns the title keeps the room (the preview names each answer's model)."""
        return self.app.size.width >= 100

    def _title_width(self) -> int:
        """What the other columns (1 + 5 + 22 + 16, and 2 cells of padding each) leave of the screen."""
        model = 22 + 2 if self._with_model else 0
        return max(20, self.app.size.width - (1 + 5 + 16) - 2 * 4 - model - 2)

    @property
    def table(self) -> DataTable:
        return self.query_one("#chats-table", DataTable)

    def reload(self, keep: str | None = None) -> None:
        """Read the list again (with the search) and keep the cursor on ``keep`` when it is still there."""
        table = self.table
        try:
            chats = self.store.list(self.search or None)
        except ChatStoreError as exc:
            self.notify(str(exc), severity="error", markup=False)
            chats = []
        table.clear()
        self.ids = [c.id for c in chats]
        for chat in chats:
            model = [plain(chat.model or "—")] if self._with_model else []
            table.add_row(Text("●" if chat.id == self.current else ""), plain(chat.title), Text(str(chat.count)),
                          *model, Text(when(chat.updated)), key=chat.id)
        total = f"{len(chats)} chat{'s' if len(chats) != 1 else ''}"
        where = f" matching {self.search!r}" if self.search else ""
        kept = "" if self.store.persistent else " · not saved: the chats file could not be opened"
        self.query_one("#chats-status", Static).update(plain(f"saved chats · {total}{where}{kept}"))
        if keep in self.ids:
            table.move_cursor(row=self.ids.index(keep))
        self._preview()

    def selected(self) -> str | None:
        table = self.table
        if not self.ids or table.cursor_row < 0 or table.cursor_row >= len(self.ids):
            return None
        return self.ids[table.cursor_row]

    def _preview(self) -> None:
        chat_id = self.selected()
        text = Text()
        if chat_id is not None:
            try:
                chat = self.store.get(chat_id)
            except (ChatStoreError, KeyError):
                chat = None
            for m in (chat.messages[:PREVIEW_MESSAGES] if chat else []):
                who = "you" if m.role == "user" else (m.model or "answer")
                rating = {1: " 👍", -1: " 👎"}.get(m.rating or 0, "")
                text.append(visible(f"{who}{rating}: "), style="bold")
                text.append(visible(" ".join(m.content.split())[:200]) + "\n")
        self.query_one("#chats-preview", Static).update(text or Text("no chats yet: they are saved as you chat"))

    @on(DataTable.RowHighlighted, "#chats-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._preview()

    @on(DataTable.RowSelected, "#chats-table")
    def _selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    @on(Input.Submitted, "#chats-query")
    def _search(self, event: Input.Submitted) -> None:
        event.stop()
        self.search = event.value.strip()
        self.reload()
        self.table.focus()

    # --- actions ----------------------------------------------------------------------

    def action_close(self) -> None:
        if self.query_one("#chats-query", Input).has_focus:
            self.table.focus()
            return
        self.dismiss(None)

    def action_focus_search(self) -> None:
        self.query_one("#chats-query", Input).focus()

    def action_open(self) -> None:
        chat_id = self.selected()
        if chat_id is not None:
            self.dismiss(chat_id)

    def action_rename(self) -> None:
        chat_id = self.selected()
        if chat_id is None:
            return
        old = self.store.get(chat_id).title

        def done(title: str | None) -> None:
            if not title:
                return
            try:
                self.store.rename(chat_id, title)
            except (ChatStoreError, KeyError, ValueError) as exc:
                self.notify(f"not renamed: {exc}", severity="error", markup=False)
            self.reload(keep=chat_id)

        self.app.push_screen(AskTextScreen("New title:", old), done)

    def action_delete(self) -> None:
        chat_id = self.selected()
        if chat_id is None:
            return
        chat = self.store.get(chat_id)

        def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.store.delete(chat_id)
            except (ChatStoreError, KeyError) as exc:
                self.notify(f"not deleted: {exc}", severity="error", markup=False)
            else:
                self.notify(f"deleted {chat.title!r}", markup=False)
            row = self.table.cursor_row
            self.reload()
            if self.ids:
                self.table.move_cursor(row=min(row, len(self.ids) - 1))

        self.app.push_screen(
            ConfirmScreen(f"Delete the chat {chat.title!r} ({chat.count} messages)? Its experiences stay in memory."),
            done)
