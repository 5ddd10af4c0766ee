"""The knowledge-notes browser: notes in a table; search (hybrid), open, delete.

Pushed from the memory browser (F2, then ``n``) as ``NotesScreen(notes, embedder)``. Keys: ``/`` search
(Enter runs it: hybrid full-text + vector search with an embedder, else full text), Enter on a row shows
the whole note, ``d`` deletes the note, Escape goes back. Database calls and embedding run in worker
threads; note text is shown as plain :class:`rich.text.Text`, never as markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from tui_agent.notes.schema import HEADING_SEP
from tui_agent.tui.safe import plain, visible

LIST_LIMIT = 1000


class NotesScreen(Screen[None]):
    """Browse the knowledge notes (:class:`~tui_agent.notes.store.NoteStore`)."""

    DEFAULT_CSS = """
    NotesScreen #notes-status { height: 1; padding: 0 1; background: $boost; }
    NotesScreen #notes-table { height: 1fr; }
    NotesScreen #notes-preview { height: auto; max-height: 12; padding: 0 1; border-top: solid $primary-darken-2; }
    """
    BINDINGS = [Binding("escape", "close", "Back"), Binding("slash", "focus_search", "Search"),
                Binding("d", "delete", "Delete note"), Binding("r", "reload", "Reload")]

    def __init__(self, notes: Any, embedder: Any = None) -> None:
        super().__init__()
        self.notes, self.embedder = notes, embedder
        self.shown: dict[str, Any] = {}
        self.loads = 0
        """Number of lists shown so far (tests wait on it)."""

    def compose(self) -> ComposeResult:
        yield Static(Text("notes · loading…"), id="notes-status")
        yield Input(placeholder="search notes (full text + meaning), Enter to run", id="notes-query")
        yield DataTable(id="notes-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="notes-preview")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in self._columns():
            table.add_column(Text(label), key=key, width=width)
        table.focus()
        self.reload()

    def _columns(self) -> list[tuple[str, str, int]]:
        """Source (the file name) and heading (its last part) at a fifth of the width each; the text
        takes the rest (2 cells of padding a column, 2 for the scrollbar). The preview has the full citation."""
        total = self.app.size.width or 120
        source, heading = max(12, total // 5), max(14, total // 5)
        return [("source", "Source", source), ("heading", "Heading", heading),
                ("text", "Text", max(20, total - source - heading - 2 * 3 - 2))]

    @work(thread=True, exclusive=True, group="notes-load")
    def reload(self, query: str = "") -> None:
        if query:
            vec = self.embedder.encode_one(query) if self.embedder is not None else None
            found = self.notes.search_hybrid(query, vec, 50) if vec is not None else self.notes.search_text(query, 50)
            notes, what = [f.note for f in found], f"{len(found)} found for “{query}”"
        else:
            notes = self.notes.all(limit=LIST_LIMIT)
            what = f"{len(notes)} of {self.notes.count()} notes"
        self.app.call_from_thread(self._show, notes, what)

    def _show(self, notes: list[Any], what: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.shown = {n.id: n for n in notes}
        widths = [width for _key, _label, width in self._columns()]
        for n in notes:
            table.add_row(*(Text(visible(_clip(cell, width))) for cell, width in
                            zip((short_source(n.source), last_heading(n.heading or n.title), n.text), widths)),
                          key=n.id)
        self.query_one("#notes-status", Static).update(plain(f"notes · {what} · Enter opens, d deletes, / searches"))
        self.loads += 1

    @on(Input.Submitted, "#notes-query")
    def _search(self, event: Input.Submitted) -> None:
        self.reload(event.value.strip())
        self.query_one(DataTable).focus()

    @on(DataTable.RowHighlighted)
    @on(DataTable.RowSelected)
    def _preview(self, event: Any) -> None:
        note = self.shown.get(event.row_key.value) if event.row_key is not None else None
        if note is not None:
            self.query_one("#notes-preview", Static).update(
                plain(f"{note.citation} · {note.id[:8]} · position {note.position}\n{note.text}"))

    def current_id(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_delete(self) -> None:
        note_id = self.current_id()
        if note_id is not None:
            self._delete(note_id)

    @work(thread=True, group="notes-write")
    def _delete(self, note_id: str) -> None:
        try:
            self.notes.remove(ids=[note_id])
        except Exception as exc:  # noqa: BLE001 - one line for the user
            self.app.call_from_thread(self.notify, f"cannot delete: {exc}", severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, f"deleted note {note_id[:8]}", markup=False)
        self.reload()

    def action_focus_search(self) -> None:
        self.query_one("#notes-query", Input).focus()

    def action_reload(self) -> None:
        self.reload()

    def action_close(self) -> None:
        self.dismiss(None)


def short_source(source: str) -> str:
    """The file name of a note's source (``builtin:python-docs/library/argparse.rst`` → ``argparse.rst``)."""
    return source.rstrip("/").rsplit("/", 1)[-1] or source


def last_heading(heading: str) -> str:
    """The innermost section of a heading path (``A › B › C`` → ``C``)."""
    return heading.rsplit(HEADING_SEP, 1)[-1].strip() if heading else ""


def _clip(text: str, width: int) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"
