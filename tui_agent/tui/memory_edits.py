"""The memory browser's edits: open an experience, edit its Q, delete it, undo the last write.

A mixin of :class:`~tui_agent.tui.memory_screen.MemoryScreen` (it uses the screen's ``store``,
``rows_by_id``, ``current_id``, ``reload`` and ``_failed``). Every write runs in a worker thread and
ends with a notification (the operation's own words, plain text) and a reload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.screen import Screen

from tui_agent.memory.browse import one_line
from tui_agent.memory.schema import Experience
from tui_agent.tui.memory_dialogs import ConfirmScreen, EditQScreen, ExperienceScreen

__all__ = ["MemoryEdits"]

if TYPE_CHECKING:
    class _Screen(Screen[None]):
        store: Any
        rows_by_id: dict[str, Any]

        def current_id(self) -> str | None: ...
        def reload(self, cursor_to_top: bool = False) -> None: ...
        def _failed(self, message: str) -> None: ...
else:
    _Screen = object


class MemoryEdits(_Screen):
    """Open / edit Q / delete / undo for the memory browser (bound to Enter, ``e``, ``d``, ``u``)."""

    @work(thread=True, group="memory-open")
    def open_experience(self, experience_id: str) -> None:
        exp = self._fetch(experience_id)
        if exp is not None:
            self.app.call_from_thread(self.app.push_screen, ExperienceScreen(exp),
                                      lambda choice: self._detail_choice(experience_id, choice))

    def _detail_choice(self, experience_id: str, choice: str | None) -> None:
        if choice == "edit":
            self.edit_q(experience_id)
        elif choice == "delete":
            self.confirm_delete(experience_id)

    def _fetch(self, experience_id: str) -> Experience | None:
        try:
            exp = self.store.get(experience_id)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._failed, f"cannot read {experience_id}: {exc}")
            return None
        if exp is None:
            self.app.call_from_thread(self._failed, f"experience {experience_id} is gone; reloading")
            self.app.call_from_thread(self.reload)
        return exp

    def action_edit_q(self) -> None:
        if (experience_id := self.current_id()) is not None:
            self.edit_q(experience_id)

    @work(thread=True, group="memory-open")
    def edit_q(self, experience_id: str) -> None:
        exp = self._fetch(experience_id)
        if exp is None:
            return

        def done(value: float | None) -> None:
            if value is not None:
                self.run_write(f"Q set to {value:+.4f}", lambda: self.store.set_q(experience_id, value))

        self.app.call_from_thread(self.app.push_screen, EditQScreen(exp), done)

    def action_delete(self) -> None:
        if (experience_id := self.current_id()) is not None:
            self.confirm_delete(experience_id)

    def confirm_delete(self, experience_id: str) -> None:
        row = self.rows_by_id.get(experience_id)
        what = one_line(row["task"], 60) if row else experience_id

        def done(yes: bool | None) -> None:
            if yes:
                self.run_write("experience deleted (u to undo)", lambda: self.store.delete(experience_id))

        self.app.push_screen(ConfirmScreen(f"Delete this experience?\n{what}"), done)

    def action_undo(self) -> None:
        from tui_agent.memory.versions import undo

        self.run_write(None, lambda: undo(self.store).describe())

    @work(thread=True, group="memory-write")
    def run_write(self, message: str | None, operation: Callable[[], Any]) -> None:
        """Run a write in a worker; notify with ``message`` (or the operation's result) and reload."""
        call = self.app.call_from_thread
        try:
            result = operation()
        except Exception as exc:  # noqa: BLE001 - NothingToUndo, MemoryStoreError, …
            call(self.notify, str(exc), severity="warning", markup=False)
            return
        call(self.notify, message or str(result), markup=False)
        call(self.reload)
