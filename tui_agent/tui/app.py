"""The chat app. Paints at once; the memory, embedding model and LLM load in a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_agent.config.base import POLICY_TABLE, load_state, save_state
from tui_agent.tui.safe import count_of, plain, visible
from tui_agent.tui.themes import DEFAULT_THEME, load_themes

from tui_agent.tui.widgets import STOPPED, AnswerView, ChatInput, UserMessage
from tui_agent.tui.chat_session import ChatSession
from tui_agent.tui.history import InputHistory, history_file
from tui_agent.tui.keymap import Keymap, bindings, display
from tui_agent.tui.chat_actions import ChatActions
from tui_agent.tui.notes_actions import NotesActions
from tui_agent.tui.stats_actions import StatsActions
from tui_agent.tui.focus import ChatFocus
from tui_agent.tui.slash_list import SlashList
from tui_agent.tui import slash

WELCOME = (
    "Ask anything. Rate answers with 👍/👎 (or {rate_up} / {rate_down} on a focused answer); after 👎 you can type "
    "the right answer and I will remember it. {send} sends, {newline} adds a new line, {history_prev} brings back "
    "what you asked before, Tab moves between answers, {command_palette} opens the command palette, {help} lists "
    "the keys, {memory} the memory, {chats} saved chats. /task GOAL runs a web-shop task (/task alone: a random one), "
    "/doc QUESTION asks the Python docs, /howto GOAL runs a WikiHow app task; /help lists every command."
)
_END = object()

if TYPE_CHECKING:
    from textual.widgets import Markdown

    from tui_agent.config.settings import Settings


class ChatApp(ChatFocus, ChatActions, NotesActions, StatsActions, App):
    """tui-agent's chat screen.

    Args:
        settings: resolved settings (model, memory dir, RLEM thresholds), or a function that
            loads them: then they load just after the first paint (pydantic-settings takes 0.2–0.5 s
            to import; the user's keys and theme are applied then), or at first use if earlier.
        agent: an already-built agent (tests); built in a worker when ``None``.
        llm_params: extra LiteLLM parameters for every answer (tests use ``mock_response``).
    """

    CSS_PATH = "app.tcss"
    TITLE = "tui-agent"
    BINDINGS = bindings("app")  # keys: tui_agent/tui/keymap.py, the user's [keys] applied in on_mount

    def __init__(self, settings: Settings | Callable[[], Settings], agent: Any = None, first_message: str | None = None,
                 **llm_params: Any) -> None:
        super().__init__()
        self.first_message = first_message
        """Sent as soon as the chat starts (``tui-agent "question"``)."""
        self._settings = None if callable(settings) else settings
        self._load_settings: Callable[[], Settings] | None = settings if callable(settings) else None
        self.settings_error: BaseException | None = None
        self.agent = agent
        self.llm_params = llm_params
        self.history: list[tuple[str, str]] = []
        self.ready = asyncio.Event()
        self.load_error: str | None = None
        self.keymap = Keymap(self._settings.keys if self._settings is not None else {})
        self.input_history = InputHistory(history_file())
        self.session = ChatSession(on_error=lambda msg: self.notify(msg, severity="error", markup=False))

    @property
    def settings(self) -> Settings:
        """The settings (loaded on first use when a loader was given)."""
        if self._settings is None and self._load_settings is not None:
            self._settings = self._load_settings()
        if self._settings is None:
            raise RuntimeError("the settings could not be loaded")  # settings_error says why
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._settings = value

    def welcome(self) -> Text:
        """The welcome line, naming the active keys."""
        keys = {a.id: display(k[:1]) for a, k in self.keymap.rows()}
        return Text(WELCOME.format(**keys))

    def compose(self) -> ComposeResult:
        yield Static(Text("starting…"), id="status")
        with VerticalScroll(id="chat", can_focus=False):  # no Tab stop: Tab goes to the answers (focus.py)
            yield Static(self.welcome(), classes="welcome")
        yield SlashList(id="slash-list")
        yield ChatInput(history=self.input_history, id="input")
        yield Footer()

    def on_mount(self) -> None:
        if self._settings is None:  # paint first; settings, keys and theme just after
            self.query_one(ChatInput).focus()
            self.query_one("#chat", VerticalScroll).anchor()
            self.call_after_refresh(self._start_with_settings)
            return
        self._start()

    def _start_with_settings(self) -> None:
        try:
            settings = self.settings
        except Exception as exc:  # noqa: BLE001 - a bad config file: the caller reports it, like the CLI does
            self.settings_error = exc
            self.exit(return_code=2)
            return
        self.keymap = Keymap(settings.keys)
        self.query_one(".welcome", Static).update(self.welcome())
        self._start()

    def _start(self) -> None:
        self._setup_themes()
        self.set_keymap(self.keymap.overrides)
        for problem in (*self.keymap.errors, self.session.error, self.input_history.error):
            if problem:
                self.notify(problem, severity="warning", markup=False, timeout=15)
        self.query_one(ChatInput).focus()
        self.query_one("#chat", VerticalScroll).anchor()
        self.load_agent()
        if self.first_message and self.first_message.strip():
            self.input_history.add(self.first_message.strip())
            self._submitted(ChatInput.Submitted(self.first_message.strip()))

    # --- themes -------------------------------------------------------------------

    def _setup_themes(self) -> None:
        themes, errors = load_themes()
        for theme in themes:
            self.register_theme(theme)
        for error in errors:
            self.notify(f"theme skipped: {error}", severity="warning", markup=False)
        wanted = load_state().get("theme") or self.settings.theme or DEFAULT_THEME
        if wanted not in self.available_themes:
            self.notify(f"unknown theme {wanted!r}; using {DEFAULT_THEME}", severity="warning", markup=False)
            wanted = DEFAULT_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        self.theme_changed_signal.subscribe(self, lambda theme: save_state(theme=theme.name))

    # --- loading ------------------------------------------------------------------

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:
        """Textual's notification with terminal controls in ``message`` made visible (it may quote stored text)."""
        super().notify(visible(message), *args, **kwargs)

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(plain(text))

    @work(thread=True, exclusive=True, group="load")
    def load_agent(self) -> None:
        from tui_agent.chat.agent import ChatAgent

        try:
            if self.agent is None:
                self.agent = ChatAgent(self.settings)
            self.agent.load(lambda msg: self.call_from_thread(self.set_status, f"⏳ {msg}"))
            self.call_from_thread(self.refresh_status)
        except Exception as exc:  # noqa: BLE001 - shown to the user, app keeps running
            self.load_error = str(exc)
            self.call_from_thread(self.set_status, f"✗ {exc}")
        finally:
            self.call_from_thread(self.ready.set)

    def refresh_status(self) -> None:
        if self.agent is None or self.load_error:
            return
        try:
            count = count_of(self.agent.memory_count(), "experience")
        except Exception as exc:  # noqa: BLE001 - MemoryStoreError (a bucket gone, nothing in RAM): shown below
            count = f"memory unavailable: {exc}"
        prompt = " ".join((self.session.system_prompt or "").split())  # a custom one is shown (/system: whole)
        shown = f" · system prompt: {prompt if len(prompt) <= 40 else prompt[:39] + '…'}" if prompt else ""
        from tui_agent.llm.local import tuned_adapter_id

        tuned = tuned_adapter_id(self.settings.model, getattr(self.settings, "tuned_model", True))
        model = f"{self.settings.model} + tuned {tuned}" if tuned else self.settings.model
        read_only = self.agent.memory_read_only()  # a memory in a bucket that stopped answering
        self.set_status(f"{'⚠ ' + read_only + ' · ' if read_only else '● '}{model} · {self.settings.policy} · "
                        f"{count}{shown}")

    # --- chatting -----------------------------------------------------------------

    def answering(self) -> bool:
        """An answer is being written (its worker runs)."""
        return any(w.group == "answers" and w.is_running for w in self.workers)

    def action_stop_answer(self) -> None:
        """Esc in the input: stop the answer being written (``run_answer`` keeps what came, marked stopped)."""
        if not self.answering():
            self.notify("No answer is being written.", markup=False)
            return
        self.workers.cancel_group(self, "answers")

    @on(ChatInput.Submitted)
    def _submitted(self, event: ChatInput.Submitted) -> None:
        chat = self.query_one("#chat", VerticalScroll)
        parsed = slash.parse(event.text)
        if parsed is not None:
            command, word, rest = parsed
            if command is None:
                self.notify(f"Unknown command {word}: /help lists the commands (↑ brings your text back).",
                            severity="warning", markup=False)
            elif command.name in ("/help", "/system"):
                reply = slash.help_text() if command.name == "/help" else self.system_command(rest)
                chat.mount(UserMessage(event.text))
                chat.mount(Static(plain(reply), classes="note-reply"))
                chat.anchor()
            elif command.name in ("/task", "/doc", "/howto"):
                self.start_task(rest or None, command.name)
            else:
                self.note_command(event.text)
            return
        if self.answering():  # never interleave two questions and their answers
            self.notify("An answer is still being written: wait for it, or press Esc to stop it "
                        "(↑ brings your message back).", severity="warning", markup=False)
            return
        view = AnswerView(event.text, list(self.history))
        self.session.user(event.text, self.settings.model)
        chat.mount(UserMessage(event.text))
        chat.mount(view)
        chat.anchor()
        self.run_answer(view)

    @work(group="answers")
    async def run_answer(self, view: AnswerView) -> None:
        await self.ready.wait()
        if self.load_error or self.agent is None:
            view.fail(f"not ready: {self.load_error}")
            return
        queue: asyncio.Queue[Any] = asyncio.Queue()
        pump = asyncio.create_task(self._pump(view.body, queue))
        view.set_meta(f"{self.settings.model} · answering… (Esc stops)")
        shown: list[str] = []

        def on_token(piece: str | None) -> None:
            shown.clear() if piece is None else shown.append(piece)
            queue.put_nowait(piece)

        try:
            result = await self.agent.answer(view.question, view.history, on_token,
                                             system_prompt=self.session.system_prompt, **self.llm_params)
        except asyncio.CancelledError:  # Esc: keep what came, marked stopped; nothing is stored
            queue.put_nowait(_END)
            await pump
            text = "".join(shown)
            view.stopped(text)
            view.message_id = self.session.answer(SimpleNamespace(
                answer=text, model=self.settings.model, id=None, mode="stopped", exemplars=[], rejected=[],
                warning=STOPPED))  # the same words as on screen
            self.history.append((view.question, text))
            return
        except Exception as exc:  # noqa: BLE001 - LLMError, MemoryStoreError, …: shown, app keeps running
            queue.put_nowait(_END)
            await pump
            view.fail(str(exc))
            return
        queue.put_nowait(_END)
        try:
            await pump
        except asyncio.CancelledError:  # Esc after the answer was complete (and stored): show it whole
            pass
        await view.body.update(result.answer)
        view.finish(result)
        view.message_id = self.session.answer(result)
        self.history.append((view.question, result.answer))
        self.refresh_status()

    @staticmethod
    async def _pump(body: Markdown, queue: asyncio.Queue[Any]) -> None:
        """Write streamed pieces into the Markdown widget; ``None`` restarts it (resample)."""
        from textual.widgets import Markdown  # loaded with the first answer (markdown_it), not before the first paint

        stream = Markdown.get_stream(body)
        try:
            while (piece := await queue.get()) is not _END:
                if piece is None:
                    await stream.stop()
                    await body.update("")
                    stream = Markdown.get_stream(body)
                else:
                    await stream.write(piece)
        finally:
            await stream.stop()

    def start_task(self, goal: str | None, command: str = "/task") -> None:
        """``/task GOAL`` (``/task``: a random test goal) runs a shop episode live; ``/doc QUESTION``
        (``/doc``: a random test question) a DocumentQA episode; ``/howto GOAL`` a WikiHow-v0 episode."""
        from tui_agent.tui.doc_view import DocView
        from tui_agent.tui.howto_view import HowToView
        from tui_agent.tui.task_view import TaskView

        chat = self.query_one("#chat", VerticalScroll)
        text = f"{command} {goal}" if goal else command
        self.session.user(text, self.settings.model)  # the outcome follows it when the run ends (TaskView.keep)
        chat.mount(UserMessage(text))
        view = {"/doc": DocView, "/howto": HowToView}.get(command, TaskView)
        chat.mount(view(goal, self))
        chat.anchor()

    @on(AnswerView.Rated)
    def _rated(self, event: AnswerView.Rated) -> None:
        self.apply_rating(event.view, event.up)

    def _stored_answer(self, view: AnswerView) -> tuple[Any, str]:
        """The agent and the answer's experience id, for a rating or a correction.

        Raises:
            RuntimeError: the memory is still loading, or the answer was not stored.
        """
        if self.agent is None:
            raise RuntimeError("the memory is still loading")
        if view.experience_id is None:
            raise RuntimeError("this answer was not stored")
        return self.agent, view.experience_id

    @work(thread=True, group="ratings")
    def apply_rating(self, view: AnswerView, up: bool) -> None:
        try:
            agent, experience_id = self._stored_answer(view)
            result = agent.rate(experience_id, up)
        except Exception as exc:  # noqa: BLE001
            self.call_from_thread(view.fail, f"rating failed: {exc}")
            return
        self.call_from_thread(view.show_rating, up, result.q, result.n)
        self.call_from_thread(self.session.rating, view.message_id, up, result.q, result.n)
        self.call_from_thread(self.refresh_status)

    @on(AnswerView.SuggestionRated)
    def _suggestion_rated(self, event: AnswerView.SuggestionRated) -> None:
        self.rate_suggestion(event.view, event.suggestion, event.up)

    @work(thread=True, group="ratings")
    def rate_suggestion(self, view: AnswerView, suggestion: Any, up: bool) -> None:
        """Accept (👍 for the pairing; the taught answer becomes this answer) or dismiss (👎) a suggestion."""
        try:
            if self.agent is None:
                raise RuntimeError("the memory is still loading")
            result = self.agent.rate(suggestion.id, up)
        except Exception as exc:  # noqa: BLE001
            self.call_from_thread(view.fail, f"rating failed: {exc}")
            return
        self.call_from_thread(cast(Any, self._suggestion_done), view, suggestion, up, result.q, result.n)

    async def _suggestion_done(self, view: AnswerView, suggestion: Any, up: bool, q: float, n: int) -> None:
        if up:
            await view.body.update(suggestion.answer)
            view.answer_text = suggestion.answer
            view.experience_id = suggestion.id
            view.rating = True
            view.show_rating(True, q, n)
            view.set_meta(f"from memory · taught for: {suggestion.question} · 👍 Q = {q:+.2f} (N = {n})")
            for i, (asked, _answer) in enumerate(self.history):
                if asked == view.question:
                    self.history[i] = (asked, suggestion.answer)
        else:
            self.notify("Not suggested again for this question.", markup=False)
        self.session.suggestion(view.message_id, up, q, n)
        self.refresh_status()

    @on(AnswerView.Corrected)
    def _corrected(self, event: AnswerView.Corrected) -> None:
        self.store_correction(event.view, event.text)

    @work(thread=True, group="ratings")
    def store_correction(self, view: AnswerView, text: str) -> None:
        try:
            agent, experience_id = self._stored_answer(view)
            agent.correct(experience_id, text)
        except Exception as exc:  # noqa: BLE001
            self.call_from_thread(view.fail, f"correction not saved: {exc}")
            return
        self.call_from_thread(view.set_meta, "👎 rated · correction saved (Q = +1.00); press r for a new answer")
        self.call_from_thread(self.session.correction, view.message_id, text)
        self.call_from_thread(self.refresh_status)

    @on(AnswerView.RetryRequested)
    def _retry(self, event: AnswerView.RetryRequested) -> None:
        if self.answering():
            self.notify("An answer is still being written: wait for it, or press Esc to stop it.",
                        severity="warning", markup=False)
            return
        chat = self.query_one("#chat", VerticalScroll)
        view = AnswerView(event.view.question, event.view.history)
        chat.mount(view)
        chat.anchor()
        self.run_answer(view)

    # --- commands -----------------------------------------------------------------

    def action_focus_input(self) -> None:
        self.query_one(ChatInput).focus()

    def action_new_chat(self) -> None:
        """Start a new chat; the current one is already saved (F3 lists them)."""
        self.session.new()
        self._clear_chat()
        self.refresh_status()  # no custom system prompt any more
        self.action_focus_input()

    def _clear_chat(self) -> VerticalScroll:
        self.history.clear()
        chat = self.query_one("#chat", VerticalScroll)
        chat.remove_children()
        chat.mount(Static(self.welcome(), classes="welcome"))
        return chat

    def action_memory_stats(self) -> None:
        if self.agent is None or not self.ready.is_set():
            self.notify("memory is still loading")
            return
        s = self.agent.stats()
        self.notify(
            f"{count_of(s['experiences'], 'experience')} · mean Q {s['mean_q']:+.3f} · {s['rated']} rated\n{s['path']}",
            title="Memory",
            markup=False,
        )

    def action_open_memory(self) -> None:
        """Open the memory browser (tui_agent.tui.memory_screen)."""
        if self.agent is None or not self.ready.is_set() or self.load_error:
            self.notify("memory is still loading")
            return
        from tui_agent.tui.memory_screen import MemoryScreen

        self.push_screen(MemoryScreen(self.agent.store, self.agent.embedder), lambda _=None: self.refresh_status())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's own "Keys" panel is left out: "Keys" here is this app's key list (F1).
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")
        yield SystemCommand("New chat", "Start a new conversation (this one stays saved; memory is kept)",
                            self.action_new_chat)
        yield from self.chat_commands()
        yield SystemCommand("Memory browser", "Browse, search, edit and undo experiences (F2)", self.action_open_memory)
        yield SystemCommand("Memory stats", "Number of experiences and their mean Q-value", self.action_memory_stats)
        yield from self.stats_commands()
        for spec in POLICY_TABLE:
            if "chat" in spec.domains:
                yield SystemCommand(f"Policy: {spec.name}", f"{spec.decides}: {spec.chat}",
                                    lambda name=spec.name: self.set_policy(name))

    def set_policy(self, name: str) -> None:
        """Switch the decision policy for this session (the ``policy`` setting makes it permanent)."""
        self.settings.policy = name
        if self.agent is not None:
            self.agent.settings.policy = name
        self.refresh_status()
        self.notify(f"policy: {name}", markup=False)
