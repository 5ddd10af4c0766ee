"""The memory browser: experiences in a table; search, sort, filter, open, edit Q, delete, undo.

Pushed by the chat app (F2 or the palette) as ``MemoryScreen(store, embedder)``.
Keys: ``/`` search, Ctrl+T text/semantic search, Enter open, ``e`` edit Q,
``d`` delete, ``u`` undo, ``s`` next sort column (or click a column
header), ``r`` reload, Escape close.

Every database call and the query embedding run in worker threads, so the
screen stays responsive. User and model text is shown as plain
:class:`rich.text.Text`, never as markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Static

from tui_agent.memory.browse import (
    Page,
    list_experiences,
    one_line,
    semantic_search,
    sort_rows,
)
from tui_agent.memory.schema import KINDS, SOURCES
from tui_agent.tui.keymap import bindings
from tui_agent.tui.memory_edits import MemoryEdits
from tui_agent.tui.memory_dialogs import (
    when,
)
from tui_agent.tui.safe import count_of, plain, visible

PAGE_LIMIT = 500
SEMANTIC_LIMIT = 50
COLUMNS: list[tuple[str, str, int]] = [
    ("kind", "Kind", 5),
    ("task", "Task", 40),  # task and action widths follow the screen width
    ("action", "Action", 32),
    ("q", "Q", 7),
    ("n", "N", 5),
    ("last-used", "Last used", 16),
    ("source", "Source", 10),
]
NARROW = 100
"""Under this many columns "Last used" and "Source" leave the table (the preview shows them): task and action
stay readable at 80 columns."""
SORT_CYCLE = ["updated", "q", "n", "last-used", "task", "kind", "source", "created"]
SORT_LABELS = {"updated": "updated", "created": "created", "last-used": "last used", "similarity": "similarity"}

class MemoryScreen(MemoryEdits, Screen[None]):
    """Browse and edit the experience memory.

    Args:
        store: the :class:`~tui_agent.memory.store.ExperienceStore` to show.
        embedder: an :class:`~tui_agent.embedding.encoder.Embedder` for semantic search
            (``None``: text search only).
    """

    DEFAULT_CSS = """
    MemoryScreen { layout: vertical; }
    MemoryScreen #mem-status { height: 1; padding: 0 1; background: $boost; }
    MemoryScreen #mem-controls { height: 3; }
    MemoryScreen #mem-query { width: 1fr; }
    MemoryScreen #mem-mode { width: 16; }
    MemoryScreen #mem-kind { width: 16; }
    MemoryScreen #mem-source { width: 21; }
    MemoryScreen #mem-table { height: 1fr; }
    MemoryScreen #mem-preview { height: auto; max-height: 6; padding: 0 1; border-top: solid $primary-darken-2; }
    """

    BINDINGS = bindings("memory")  # keys: tui_agent/tui/keymap.py (the user's [keys] remap them)

    def __init__(self, store: Any, embedder: Any = None) -> None:
        super().__init__()
        self.store = store
        self.embedder = embedder
        self.mode = "text"
        self.search_text = ""
        self.kind: str | None = None
        self.source: str | None = None
        self.sort = "updated"
        self.descending = True
        self.page: Page | None = None
        self.rows_by_id: dict[str, dict[str, Any]] = {}
        self.loads = 0
        """Number of pages shown so far (tests wait on it)."""
        self._cursor_to_top = False
        self._semantic_columns = False
        self._columns_for_width = 0

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text("memory · loading…"), id="mem-status")
        with Horizontal(id="mem-controls"):
            yield Input(placeholder="search tasks and actions, Enter to run", id="mem-query")
            yield Select([("text", "text"), ("semantic", "semantic")], value="text",
                         allow_blank=False, id="mem-mode")
            yield Select([("any kind", "*"), *((k, k) for k in KINDS)], value="*", allow_blank=False, id="mem-kind")
            yield Select([("any source", "*"), *((s, s) for s in SOURCES)], value="*", allow_blank=False,
                         id="mem-source")
        yield DataTable(id="mem-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="mem-preview")
        yield Footer(compact=True, show_command_palette=False)  # Sort, Reload and Notes fit at 80 columns

    def on_mount(self) -> None:
        self._setup_columns(semantic=False)
        self.table.focus()
        self.reload()

    @property
    def table(self) -> DataTable:
        return self.query_one("#mem-table", DataTable)

    def _setup_columns(self, semantic: bool) -> None:
        table = self.table
        table.clear(columns=True)
        widths = self._column_widths(semantic)
        if semantic:
            table.add_column(Text("Sim"), key="similarity", width=5)
        for key, label, _width in self._columns():
            table.add_column(Text(label), key=key, width=widths[key])
        self._semantic_columns = semantic
        self._columns_for_width = self.size.width

    def _columns(self) -> list[tuple[str, str, int]]:
        """The columns shown at the screen's width (see :data:`NARROW`)."""
        narrow = (self.size.width or 120) < NARROW
        return [c for c in COLUMNS if not (narrow and c[0] in ("last-used", "source"))]

    def _column_widths(self, semantic: bool) -> dict[str, int]:
        """Fixed widths for the short columns; task and action share the rest (55 : 45)."""
        widths = {key: width for key, _label, width in self._columns()}
        total = self.size.width or 120
        fixed = sum(w for k, w in widths.items() if k not in ("task", "action")) + (5 if semantic else 0)
        cells = len(widths) + (1 if semantic else 0)
        free = max(total - fixed - 2 * cells - 2, 24)
        widths["task"] = max(free * 55 // 100, 12)
        widths["action"] = max(free - widths["task"], 12)
        return widths

    def on_resize(self) -> None:
        if self.page is not None and self._columns_for_width != self.size.width:
            self.show_page(self.page, rebuild_columns=True)

    # --- loading --------------------------------------------------------------------

    def reload(self, cursor_to_top: bool = False) -> None:
        """Fetch the page for the current search, filters and sort (in a worker).

        The cursor stays on the same experience unless ``cursor_to_top`` (a new
        search, filter or sort).
        """
        self._cursor_to_top = self._cursor_to_top or cursor_to_top
        self._set_status("loading…")
        self.load_page(self.mode, self.search_text, self.kind, self.source, self.sort, self.descending)

    @work(thread=True, exclusive=True, group="memory-load")
    def load_page(self, mode: str, text: str, kind: str | None, source: str | None, sort: str,
                  descending: bool) -> None:
        call = self.app.call_from_thread
        try:
            if mode == "semantic" and text:
                if self.embedder is None:
                    raise RuntimeError("semantic search needs the embedding model, which is not loaded")
                call(self._set_status, "embedding the query…")
                vector = self.embedder.encode_one(text)
                page = semantic_search(self.store, vector, kind=kind, source=source, limit=SEMANTIC_LIMIT)
                if sort != "similarity":
                    page.rows = sort_rows(page.rows, sort, descending)
            else:
                page = list_experiences(self.store, kind=kind, source=source, text=text or None,
                                        sort="updated" if sort == "similarity" else sort,
                                        descending=descending, limit=PAGE_LIMIT)
        except Exception as exc:  # noqa: BLE001 - shown to the user; the screen keeps working
            call(self._failed, f"memory: {exc}")
            return
        call(self.show_page, page)

    def _failed(self, message: str) -> None:
        self._set_status(message)
        self.notify(message, severity="error", markup=False)

    def show_page(self, page: Page, rebuild_columns: bool = False) -> None:
        """Put ``page`` in the table, keeping the cursor on the same experience when it is still there."""
        table = self.table
        keep = self.current_id()
        old_row = table.cursor_row
        if rebuild_columns or page.semantic != self._semantic_columns:
            self._setup_columns(page.semantic)
        else:
            table.clear()
        self.page = page
        self.rows_by_id = {}
        for row in page.rows:
            self.rows_by_id[row["id"]] = row
            by_key = {
                "kind": plain(row["kind"]),
                "task": plain(one_line(row["task"], 200)),
                "action": plain(one_line(row["action"], 200)),
                "q": Text(f"{row['q']:+.3f}", justify="right"),
                "n": Text(str(row["n"]), justify="right"),
                "last-used": Text(when(row["last_used_at"])),
                "source": plain(row["source"] or ""),
            }
            cells = [by_key[key] for key, _label, _width in self._columns()]
            if page.semantic:
                cells.insert(0, Text(f"{row['similarity']:.2f}", justify="right"))
            table.add_row(*cells, key=row["id"])
        if table.row_count:
            ids = [r["id"] for r in page.rows]
            if self._cursor_to_top:
                target = 0
            else:
                target = ids.index(keep) if keep in ids else min(old_row, table.row_count - 1)
            table.move_cursor(row=max(target, 0))
        self._cursor_to_top = False
        self._set_status()
        self._show_preview(self.current_id())
        self.loads += 1

    def _set_status(self, note: str = "") -> None:
        page = self.page
        parts = ["memory"]
        if page is not None:
            parts += [f"version {page.version}", count_of(page.total, 'experience')]
            shown = len(page.rows)
            parts.append(f"{shown} of {page.matching} shown" if shown < page.matching else f"{shown} shown")
            arrow = "↓" if self.descending else "↑"
            parts.append(f"sort: {SORT_LABELS.get(self.sort, self.sort)} {arrow}")
            if self.search_text:
                parts.append(f"{self.mode} search: {one_line(self.search_text, 30)}")
        if note:
            parts.append(note)
        self.query_one("#mem-status", Static).update(plain(" · ".join(parts)))

    def current_id(self) -> str | None:
        """The id of the experience under the cursor, or ``None`` for an empty table."""
        table = self.table
        if not table.row_count:
            return None
        try:
            return table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        except Exception:  # noqa: BLE001 - cursor outside the rows
            return None

    def _show_preview(self, experience_id: str | None) -> None:
        row = self.rows_by_id.get(experience_id or "")
        preview = self.query_one("#mem-preview", Static)
        if row is None:
            preview.update(Text("no experiences match" if self.page is not None else ""))
            return
        text = Text()
        text.append("task ", style="bold")
        text.append(visible(one_line(row["task"], 300) + "\n"))
        text.append("action ", style="bold")
        text.append(visible(one_line(row["action"], 300) + "\n"))
        text.append(visible(f"{row['kind']} · Q {row['q']:+.3f} · N {row['n']} · last used "
                            f"{when(row['last_used_at'])} · source {row['source'] or '—'}"), style="dim")
        preview.update(text)

    # --- events ---------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#mem-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_preview(event.row_key.value if event.row_key else None)

    @on(DataTable.RowSelected, "#mem-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key and event.row_key.value:
            self.open_experience(event.row_key.value)

    @on(DataTable.HeaderSelected, "#mem-table")
    def _header(self, event: DataTable.HeaderSelected) -> None:
        self.sort_by(str(event.column_key.value))

    @on(Input.Submitted, "#mem-query")
    def _search(self, event: Input.Submitted) -> None:
        self.search(event.value)

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        value = None if event.value in ("*", Select.NULL) else str(event.value)
        if event.select.id == "mem-mode":
            if (value or "text") == self.mode:
                return
            self.mode = value or "text"
            self._fix_sort()
        elif event.select.id == "mem-kind":
            if value == self.kind:
                return
            self.kind = value
        elif event.select.id == "mem-source":
            if value == self.source:
                return
            self.source = value
        else:
            return
        self.reload(cursor_to_top=True)

    def _fix_sort(self) -> None:
        if self.mode == "semantic" and self.search_text:
            self.sort, self.descending = "similarity", True
        elif self.sort == "similarity":
            self.sort, self.descending = "updated", True

    # --- commands -------------------------------------------------------------------

    def search(self, text: str, mode: str | None = None) -> None:
        """Run a search (``mode`` "text" or "semantic"; default: the mode selector's)."""
        if mode is not None and mode != self.mode:
            self.mode = mode
            with self.prevent(Select.Changed):
                self.query_one("#mem-mode", Select).value = mode
        self.search_text = text.strip()
        self._fix_sort()
        self.table.focus()
        self.reload(cursor_to_top=True)

    def sort_by(self, key: str) -> None:
        """Sort by a column key; the same key again flips the order."""
        if key == self.sort:
            self.descending = not self.descending
        else:
            self.sort = key
            self.descending = key not in ("task", "action", "kind", "source")
        self._cursor_to_top = True
        if self.page is not None and self.page.semantic:
            self.page.rows = sort_rows(self.page.rows, self.sort, self.descending)
            self.show_page(self.page)
        else:
            self.reload()

    def action_next_sort(self) -> None:
        cycle = (["similarity"] if self.page is not None and self.page.semantic else []) + SORT_CYCLE
        index = cycle.index(self.sort) + 1 if self.sort in cycle else 0
        self.sort_by(cycle[index % len(cycle)])

    def action_toggle_mode(self) -> None:
        """Switch between text and semantic search (re-runs the current search)."""
        self.query_one("#mem-mode", Select).value = "semantic" if self.mode == "text" else "text"

    def action_close(self) -> None:
        self.dismiss(None)

    def action_focus_search(self) -> None:
        self.query_one("#mem-query", Input).focus()

    def action_reload(self) -> None:
        self.reload()

    def action_open_notes(self) -> None:
        """The knowledge notes of the same memory directory (tui_agent.tui.notes_screen)."""
        from tui_agent.notes.store import NoteStore
        from tui_agent.tui.notes_screen import NotesScreen

        self.app.push_screen(NotesScreen(NoteStore(self.store.path), self.embedder))
