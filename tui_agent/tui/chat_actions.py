"""The chat app's actions around a conversation: help, saved chats, copy, model switch, system prompt.

A mixin of :class:`~tui_agent.tui.app.ChatApp` (it uses the app's ``session``, ``keymap``, ``settings``,
``agent`` and chat widgets), kept here so the app module stays about chatting itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual import work
from textual.app import SystemCommand
from textual.containers import VerticalScroll

from tui_agent.config.base import DEFAULT_MODEL
from tui_agent.tui.widgets import AnswerView, UserMessage

if TYPE_CHECKING:
    from tui_agent.chat.agent import ChatAgent
    from tui_agent.tui.app_state import ChatAppState
else:
    ChatAppState = object


class ChatActions(ChatAppState):
    """Help (F1), saved chats (F3), copy chat (F4), the palette's model and system prompt commands."""

    def chat_commands(self) -> Iterator[SystemCommand]:
        """The palette's commands of this mixin (Ctrl+P)."""
        yield SystemCommand("Saved chats", "Open, search, rename or delete a saved conversation",
                            self.action_open_chats)
        yield SystemCommand("Copy chat as Markdown", "The whole conversation to the clipboard", self.action_copy_chat)
        yield SystemCommand("System prompt…", "This chat's own instructions to the model", self.action_system_prompt)
        yield SystemCommand("Keys", "Every key and what it does (F1)", self.action_help)
        for model in self.model_choices():
            current = " (current)" if model == self.settings.model else ""
            yield SystemCommand(f"Model: {model}", f"Answer with {model} from now on{current}",
                                lambda model=model: self.set_model(model))

    # --- help ---------------------------------------------------------------------------

    def action_help(self) -> None:
        """Show every action with its active key (tui_agent.tui.help_screen)."""
        from tui_agent.tui.help_screen import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keymap))

    # --- saved chats --------------------------------------------------------------------

    def action_open_chats(self) -> None:
        """The saved chats list (tui_agent.tui.chats_screen); choosing one opens it here."""
        from tui_agent.tui.chats_screen import ChatsScreen

        if isinstance(self.screen, ChatsScreen):
            return
        self.push_screen(ChatsScreen(self.session.store, self.session.chat_id),
                         lambda chat_id: self.open_chat(chat_id) if chat_id else None)

    def open_chat(self, chat_id: str) -> None:
        """Show a saved chat: its messages, each answer with its model, rating and "from memory"; new messages
        continue it."""
        chat = self.session.open(chat_id)
        if chat is None:
            return
        scroll: VerticalScroll = self._clear_chat()
        question = ""
        for message in chat.messages:
            if message.role == "user":
                question = message.content
                scroll.mount(UserMessage(message.content))
            elif message.kind is not None:  # a /task or /doc run: its outcome, not part of the conversation
                from tui_agent.tui.task_view import SavedRunView

                scroll.mount(SavedRunView(message))
            else:
                scroll.mount(AnswerView(question, list(self.history), saved=message))
                self.history.append((question, message.content))
        scroll.anchor()
        self.refresh_status()  # with its system prompt, if it has one
        self.notify(f"opened {chat.title!r} ({len(chat.messages)} messages)", markup=False)
        self.action_focus_input()

    # --- copy ---------------------------------------------------------------------------

    def action_copy_chat(self) -> None:
        """Copy the current chat as Markdown (tui_agent.chats.export) to the clipboard."""
        from tui_agent.chats.export import to_markdown

        chat = self.session.current()
        if chat is None or not chat.messages:
            self.notify("Nothing to copy yet.", severity="warning")
            return
        text = to_markdown(chat)
        self.copy_to_clipboard(text)
        self.notify(f"Copied the chat as Markdown ({len(chat.messages)} messages, {len(text)} characters).",
                    markup=False)

    # --- model and system prompt --------------------------------------------------------

    def model_choices(self) -> list[str]:
        """The configured model, the ``models`` setting, and the bundled model; no repeats."""
        seen: dict[str, None] = {}
        for model in (self.settings.model, *self.settings.models, DEFAULT_MODEL):
            if model and model.strip():
                seen.setdefault(model.strip(), None)
        return list(seen)

    def set_model(self, model: str) -> None:
        """Answer with ``model`` from now on (this session; the ``model`` setting makes it permanent)."""
        if self.agent is not None:
            self.agent.use_model(model)
        else:
            self.settings.model = model
        self.refresh_status()
        self.notify(f"model: {model}", markup=False)
        if self.agent is not None and self.ready.is_set() and not self.load_error:
            self._load_model(self.agent, model)

    @work(thread=True, exclusive=True, group="model")
    def _load_model(self, agent: ChatAgent, model: str) -> None:
        self.call_from_thread(self.set_status, f"⏳ loading {model}…")
        try:
            agent.load_model()
        except Exception as exc:  # noqa: BLE001 - shown; the next answer reports it too
            self.call_from_thread(self.notify, f"{model}: {exc}", severity="error", markup=False)
        self.call_from_thread(self.refresh_status)

    def system_command(self, text: str) -> str:
        """``/system`` shows this chat's system prompt; ``/system TEXT`` sets it, ``/system default`` drops it.
        Returns the reply to show."""
        from tui_agent.chat.prompt import SYSTEM_PROMPT

        if text:
            custom = None if text.lower() == "default" else text
            self.session.set_system_prompt(custom)
            self.refresh_status()
            return f"system prompt of this chat set to: {custom}" if custom else \
                f"system prompt of this chat: the default one:\n{SYSTEM_PROMPT}"
        if self.session.system_prompt:
            return f"system prompt of this chat (/system default drops it):\n{self.session.system_prompt}"
        return f"system prompt of this chat: the default one (/system TEXT sets another):\n{SYSTEM_PROMPT}"

    def action_system_prompt(self) -> None:
        """Edit this chat's system prompt (empty: the default one)."""
        from tui_agent.chat.prompt import SYSTEM_PROMPT
        from tui_agent.tui.dialogs import AskTextScreen

        def done(text: str | None) -> None:
            if text is None:
                return
            text = "" if text == SYSTEM_PROMPT else text
            self.session.set_system_prompt(text or None)
            self.refresh_status()
            self.notify("system prompt set for this chat" if text else "default system prompt", markup=False)

        current = self.session.system_prompt or SYSTEM_PROMPT
        self.push_screen(AskTextScreen("System prompt of this chat:", current, multiline=True), done)
