"""Chat widgets: a user message, and an answer with rating, copy and "from memory" (the input: chat_input.py).

No user or model text is ever parsed as Rich markup: plain text goes through
``rich.text.Text`` or ``markup=False``; answers are rendered as Markdown.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Collapsible, Input, Static

from tui_agent.tui.chat_input import ChatInput
from tui_agent.tui.keymap import bindings
from tui_agent.tui.safe import plain, visible

if TYPE_CHECKING:
    from textual.widgets import Markdown

__all__ = ["STOPPED", "AnswerView", "ChatInput", "UserMessage"]

STOPPED = "stopped by you · not stored · press r to ask again"
"""What a stopped answer says (on screen, and as its warning in the saved chat)."""
_SAVED_EXEMPLAR = {"task": "", "answer": "", "q": 0.0, "n": 0, "similarity": 0.0, "f_task": 0.0, "role": "?"}


class UserMessage(Static):
    """The user's message, shown verbatim."""

    def __init__(self, text: str) -> None:
        super().__init__(plain(text), classes="user-message")


class AnswerView(Vertical, can_focus=True):
    """One answer: streamed Markdown, a meta line, 👍/👎 buttons, correction field, "from memory".

    Keys when focused (defaults; the keymap's ``answer`` scope): ``+`` 👍, ``-`` 👎, ``r`` new answer,
    ``m`` toggle "from memory", ``c`` copy. The answer is one Tab stop: its buttons answer to the mouse and
    these keys, not to Tab; a key that cannot act says why in a toast.
    """

    BINDINGS = bindings("answer")

    class Rated(Message):
        """The user rated this answer (``up`` True for 👍)."""

        def __init__(self, view: AnswerView, up: bool) -> None:
            super().__init__()
            self.view = view
            self.up = up

    class Corrected(Message):
        """The user typed a correction after 👎."""

        def __init__(self, view: AnswerView, text: str) -> None:
            super().__init__()
            self.view = view
            self.text = text

    class SuggestionRated(Message):
        """The user accepted (``up``) or dismissed the taught answer suggested under this answer."""

        def __init__(self, view: AnswerView, suggestion: Any, up: bool) -> None:
            super().__init__()
            self.view = view
            self.suggestion = suggestion
            self.up = up

    class RetryRequested(Message):
        def __init__(self, view: AnswerView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, question: str, history: list[tuple[str, str]], saved: Any = None) -> None:
        super().__init__(classes="answer")
        self.question = question
        self.history = history
        self.experience_id: str | None = None
        self.answer_text = ""
        self.rating: bool | None = None
        self.model: str | None = None
        self.saved = saved
        """A saved answer (:class:`tui_agent.chats.store.ChatMessage`) to show instead of asking the model."""
        self.suggestion: Any = None
        """The taught answer suggested beside this one (:class:`tui_agent.chat.agent.Suggestion`), until rated."""
        self.message_id: int | None = saved.id if saved is not None else None
        """Its row in the chats store, once saved."""
        self.done = False
        """The answer is complete, stopped or failed (no longer being written)."""

    def compose(self) -> ComposeResult:
        from tui_agent.tui.safe_markdown import SafeMarkdown  # with the first answer, not before the first paint

        yield SafeMarkdown("", classes="answer-body")
        yield Static(Text("thinking…"), classes="answer-meta")
        with Horizontal(classes="answer-actions"):
            yield Button("👍", id="up", classes="rate-up", compact=True, disabled=True, tooltip="Good answer (+)")
            yield Button("👎", id="down", classes="rate-down", compact=True, disabled=True, tooltip="Bad answer (-)")
            yield Button("↻ new answer", id="retry", classes="retry", compact=True, disabled=True, tooltip="(r)")
        with Vertical(classes="suggestion"):
            yield Static(Text(""), classes="suggestion-text")
            with Horizontal(classes="suggestion-actions"):
                yield Button("Use it (Enter)", id="use-suggestion", compact=True)
                yield Button("Not this (x)", id="dismiss-suggestion", compact=True)
        yield Input(placeholder="Type the right answer (Enter saves, Esc skips)", classes="correction")
        with Collapsible(title="from memory", collapsed=True, classes="memory"):
            yield Static(Text(""), classes="memory-list")

    def on_mount(self) -> None:
        from textual.widgets._collapsible import CollapsibleTitle

        for widget in (*self.query(Button), *self.query(CollapsibleTitle)):  # one Tab stop: the answer
            widget.can_focus = False
        if self.saved is not None:
            self.restore(self.saved)

    def restore(self, saved: Any) -> None:
        """Show a saved answer as it was: text, model, "from memory", rating, and a suggestion not yet
        accepted or dismissed (its buttons work as they did) — no model call."""
        self.body.update(saved.content)
        pending = saved.suggestion if saved.suggestion and saved.suggestion.get("outcome") is None else None
        suggestion = None if pending is None else SimpleNamespace(
            id=pending.get("id"), answer=str(pending.get("answer", "")), question=str(pending.get("question", "")),
            similarity=float(pending.get("similarity") or 0.0), p=float(pending.get("p") or 0.0))
        result = SimpleNamespace(
            id=saved.experience_id, answer=saved.content, model=saved.model or "?", mode=saved.mode or "generate",
            exemplars=[SimpleNamespace(**{**_SAVED_EXEMPLAR, **e}) for e in saved.exemplars], rejected=saved.rejected,
            warning=saved.warning, suggestion=suggestion)
        self.finish(result)
        if saved.experience_id is None:
            self.query_one("#up", Button).disabled = self.query_one("#down", Button).disabled = True
        if saved.rating is not None:
            self.show_rating(saved.rating > 0, saved.q or 0.0, saved.n or 0, ask_correction=False)
            if saved.correction:
                self.set_meta(f"👎 rated · correction saved: {_clip(saved.correction)}")

    @property
    def body(self) -> Markdown:
        from textual.widgets import Markdown

        return self.query_one(".answer-body", Markdown)

    def set_meta(self, text: str, *, error: bool = False) -> None:
        meta = self.query_one(".answer-meta", Static)
        meta.update(plain(text))
        meta.set_class(error, "error")

    def finish(self, result: Any) -> None:
        """Show the final answer and its provenance (``result`` is a ChatAnswer)."""
        self.experience_id = result.id
        self.answer_text = result.answer
        self.model = result.model
        self.done = True
        if result.mode == "recall" and result.exemplars:
            ex = result.exemplars[0]
            meta = f"from memory · Q = {ex.q:+.2f} (N = {ex.n}) · question similarity {ex.f_task:.2f}"
        else:
            how = {"generate": "generated", "resample": "resampled", "abstain": "abstained"}
            meta = f"{result.model} · {how.get(result.mode, result.mode)}"
        notes = getattr(result, "notes", None) or []
        if notes:
            meta += f" · from {len(notes)} note(s): " + "; ".join(f"[{i}] {n['citation']}" for i, n in
                                                                enumerate(notes, 1))
        if result.rejected:
            meta += f" · rejected {len(result.rejected)} discouraged repeat(s)"
        if result.warning:
            meta += f" · ⚠ {result.warning}"
        stored = result.id is not None  # not stored: cut off, or the memory is full / read-only
        self.set_meta(meta if stored else f"{meta} · nothing to rate; press r to ask again", error=not stored)
        if not stored:
            self.add_class("incomplete")
        for button in self.query(Button):  # a new answer can be asked for at any time; rating needs a stored one
            button.disabled = button.id != "retry" and not stored
        lines = Text()
        for ex in result.exemplars:
            lines.append(f"{ex.role:<11} Q={ex.q:+.2f} N={ex.n} sim={ex.similarity:.2f} (question {ex.f_task:.2f})  ", style="bold")
            lines.append(visible(f"{_clip(ex.task)} → {_clip(ex.answer)}\n"))
        for i, n in enumerate(notes, 1):  # knowledge notes the answer was grounded in (tui_agent.chat.notes)
            lines.append(f"note [{i}]    Q={n['q']:+.2f} N={n['n']} sim={n['sim']:.2f} (cosine {n['cosine']:.2f})  ",
                         style="bold")
            lines.append(visible(f"{n['citation']} — {_clip(n['text'])}\n"))
        collapsible = self.query_one(Collapsible)
        collapsible.title = f"from memory ({len(result.exemplars) + len(notes)})"
        self.query_one(".memory-list", Static).update(lines or Text("no similar experiences yet"))
        collapsible.display = bool(result.exemplars or notes)
        self.show_suggestion(getattr(result, "suggestion", None))

    def show_suggestion(self, suggestion: Any) -> None:
        """Show a taught answer for a similar question under the answer (``None``: hide it)."""
        self.suggestion = suggestion if suggestion is not None and suggestion.id is not None else None
        self.set_class(self.suggestion is not None, "suggesting")
        self.refresh_bindings()
        if self.suggestion is None:
            return
        text = Text("You taught me for a similar question ", style="bold")
        text.append(visible(f"({_clip(suggestion.question, 60)}, similarity {suggestion.similarity:.2f}):\n"))
        text.append(visible(suggestion.answer))
        self.query_one(".suggestion-text", Static).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Use it / Not this appear in the footer only while a suggestion is shown."""
        return self.suggestion is not None if action == "suggestion" else True

    def action_suggestion(self, up: bool) -> None:
        """Accept (Enter) or dismiss (x) the suggested taught answer; nothing when none is shown."""
        if self.suggestion is None:
            return
        self.remove_class("suggesting")
        self.post_message(self.SuggestionRated(self, self.suggestion, up))
        self.suggestion = None  # one rating per suggestion
        self.refresh_bindings()

    def stopped(self, text: str) -> None:
        """The answer was stopped (Esc): keep what came, say so, nothing to rate; ``r`` asks again."""
        self.answer_text = text
        self.done = True
        self.add_class("incomplete")
        self.query_one(Collapsible).display = False  # nothing was looked up for the user to see
        self.set_meta(f"⏹ {STOPPED}", error=True)
        self.query_one("#retry", Button).disabled = False

    def fail(self, message: str) -> None:
        self.done = True
        self.set_meta(f"✗ {message}", error=True)
        self.query_one("#retry", Button).disabled = False

    def show_rating(self, up: bool, q: float, n: int, ask_correction: bool = True) -> None:
        """Show a rating (Q and N after it); after 👎 open the correction field unless ``ask_correction`` is off."""
        self.rating = up
        self.set_meta(f"{'👍' if up else '👎'} rated · Q = {q:+.2f} (N = {n})")
        self.query_one("#up", Button).set_class(up, "chosen")
        self.query_one("#down", Button).set_class(not up, "chosen")
        if not up and ask_correction:
            self.add_class("correcting")
            self.query_one(".correction", Input).focus()

    # --- actions --------------------------------------------------------------------

    def action_rate(self, up: bool) -> None:
        if self.experience_id is None:
            self.notify("This answer is still being written: rate it when it is complete." if not self.done else
                        "This answer was not stored (stopped, failed or cut off), so there is nothing to rate; "
                        "r asks again.", severity="warning", markup=False)
            return
        if self.rating is not None:
            self.notify("This answer is already rated; each answer gives one reward.", severity="warning")
            return
        self.rating = up  # set now so a double press gives one reward
        self.post_message(self.Rated(self, up))

    def action_retry(self) -> None:
        if self.query_one("#retry", Button).disabled:
            self.notify("This answer is still being written: wait for it, or stop it with Esc in the input.",
                        severity="warning", markup=False)
            return
        self.post_message(self.RetryRequested(self))

    def action_copy(self) -> None:
        """Copy the answer's Markdown to the clipboard (Textual's OSC 52) and say so."""
        if not self.answer_text:
            self.notify("Nothing to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(self.answer_text)
        self.notify(f"Copied the answer ({len(self.answer_text)} characters).", markup=False)

    def action_toggle_memory(self) -> None:
        collapsible = self.query_one(Collapsible)
        if not collapsible.display or not self.done:
            self.notify("Nothing came from memory for this answer: no similar experiences or notes were used."
                        if self.done else "This answer is still being written.", markup=False)
            return
        collapsible.collapsed = not collapsible.collapsed

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "retry":
            self.action_retry()
        elif event.button.id in ("use-suggestion", "dismiss-suggestion"):
            self.action_suggestion(event.button.id == "use-suggestion")
        else:
            self.action_rate(event.button.id == "up")

    @on(Input.Submitted, ".correction")
    def _correction(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.remove_class("correcting")
        if text:
            self.post_message(self.Corrected(self, text))
        self.focus()

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.has_class("correcting"):
            event.stop()
            self.remove_class("correcting")
            self.focus()


def _clip(text: str, width: int = 80) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"
