"""``tui-agent ask``: one answer from the shell, saved as a chat like the TUI's.

``ask QUESTION`` starts a new saved chat; ``ask -c`` continues the most recently updated one and
``ask --chat ID`` a given one (an id prefix is enough): the earlier turns are the answer's context and the
question and answer are appended, so ``chats show``, F3 in the chat and a later ``ask -c`` see them.
Text piped in (``cat notes.txt | tui-agent ask "summarise"``) is the question's context: the model gets
it, then the question; at most :data:`STDIN_LIMIT` characters. ``-s SYSTEM`` is this answer's system
prompt (and a new chat's own).
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from typing import IO, Annotated, Any

import typer

from tui_agent.cli.common import (
    ApiBaseOption,
    MemoryDirOption,
    ModelOption,
    PolicyOption,
    echo,
    fail,
    print_json,
    progress,
    settings_for,
    user_errors,
)

STDIN_LIMIT = 100_000
"""Characters of piped standard input ``ask`` takes as context (about 25k tokens); more is refused."""


def piped(stream: IO[str]) -> bool:
    """Whether ``stream`` (standard input) is a pipe or a file to read, never blocking to find out.

    A terminal, ``/dev/null``, a socket or a closed descriptor is not read. A stream with no
    descriptor (a test runner's in-memory input) is read unless it says it is a terminal.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return not getattr(stream, "isatty", lambda: True)()
    try:
        if os.isatty(fd):
            return False
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def read_context(stream: IO[str], limit: int = STDIN_LIMIT) -> str:
    """Up to ``limit`` characters of piped input, stripped ("" when nothing is piped).

    Raises:
        ValueError: more than ``limit`` characters, or input that is not text in the locale's encoding
            (the message says what to do).
    """
    if not piped(stream):
        return ""
    try:
        text = stream.read(limit + 1)
    except UnicodeDecodeError as exc:
        raise ValueError(f"standard input is not text ({exc.reason} at byte {exc.start}); pipe a text file") from exc
    if len(text) > limit:
        raise ValueError(f"standard input is over {limit:,} characters; ask takes at most that much as context "
                         f"(pipe a part, e.g. head -c {limit})")
    return text.strip()


def with_context(question: str, context: str) -> str:
    """The message the model answers: the piped ``context``, a blank line, then ``question``."""
    return f"{context}\n\n{question}" if context else question


def ask(
    question: Annotated[str, typer.Argument(help="The question; '-' reads it from standard input.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (id, answer, model, exemplars, "
                                                        "chat_id…).")] = False,
    continue_last: Annotated[bool, typer.Option("--continue", "-c", help="Continue the last saved chat.")] = False,
    chat_id: Annotated[str | None, typer.Option("--chat", metavar="ID", help="Continue the saved chat ID "
                                                 "(an id prefix is enough; `tui-agent chats list`).",
                                                 show_default=False)] = None,
    system: Annotated[str | None, typer.Option("--system", "-s", metavar="SYSTEM", help="The system prompt of "
                                                "this answer (a new chat keeps it as its own).",
                                                show_default=False)] = None,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
    api_base: ApiBaseOption = None,
    policy: PolicyOption = None,
) -> None:
    """Answer QUESTION with RLEM and print the answer (stored as an experience you can rate).

    The question and answer are saved as a chat (a new one; -c / --chat ID continue one, with its
    earlier turns as context). Text piped in is the question's context (cat FILE | tui-agent ask
    "summarise"; at most 100,000 characters).

    When a taught answer to a similar question may fit, it is printed under the answer with the
    id to accept it (rate ID up) or dismiss it (rate ID down); in --json it is ``suggestion``.

    Exit code 3: the answer is printed but was not stored — its stream was cut off (incomplete),
    or the memory could not be written; the reason is on stderr (and in the JSON's ``warning``).
    """
    if continue_last and chat_id is not None:
        fail("give -c (the last chat) or --chat ID, not both", 2)
    if question == "-":
        question, context = sys.stdin.read(), ""
    else:
        try:
            context = read_context(sys.stdin)
        except ValueError as exc:
            fail(str(exc), 2)
    if not question.strip():
        fail("the question is empty", 2)
    if system is not None and not system.strip():
        fail("the system prompt (-s) is empty", 2)
    settings = settings_for(memory_dir, model, api_base=api_base, policy=policy)
    from tui_agent.chat.agent import ChatAgent

    saved = SavedChat(continue_last, chat_id)
    agent = ChatAgent(settings)
    with user_errors():
        with progress("loading…") as say:
            agent.load(say, with_model=False)  # a recalled answer does not wait for the model
            say("thinking…")
            result = asyncio.run(agent.answer(with_context(question, context), saved.history,
                                              system_prompt=system or saved.system_prompt))
    saved.save(question, result, system)
    if as_json:
        from tui_agent.llm.local import tuned_adapter_id

        print_json({**result.to_json(), "chat_id": saved.id,
                    "tuned_model": tuned_adapter_id(result.model, settings.tuned_model)})
    else:
        print_answer(result, saved)
    if result.id is None:
        raise typer.Exit(3)


def print_answer(result: Any, saved: SavedChat) -> None:
    """The answer on stdout; its ids, the chat and any warning on stderr."""
    if result.warning:
        echo(f"tui-agent: warning: {result.warning}", err=True)
    if saved.error:
        echo(f"tui-agent: warning: {saved.error}", err=True)
    echo(result.answer + (" [incomplete]" if result.incomplete else ""))
    if result.id is not None:
        chat = f"; chat {saved.id}, go on with: tui-agent ask -c \"…\"" if saved.id is not None else ""
        echo(f"(id {result.id}; rate with: tui-agent rate {result.id} up|down{chat})", err=True)
    if result.suggestion is not None:
        sug = result.suggestion
        echo()
        echo(f"You taught me for a similar question ({sug.question}): {sug.answer}")
        if sug.id is not None:
            echo(f"(use it: tui-agent rate {sug.id} up; not this: tui-agent rate {sug.id} down)", err=True)


class SavedChat:
    """The chat an ``ask`` goes into: opened before the answer (a chat to continue must exist and be
    readable, else the command fails before asking), written after it.

    A new chat whose file cannot be opened or written is reported in :attr:`error` and the answer is
    still printed (it is in the memory).
    """

    def __init__(self, continue_last: bool, chat_id: str | None) -> None:
        from tui_agent.chats.store import ChatStore, ChatStoreError

        self.store: Any = None
        self.id: str | None = None
        self.error: str | None = None
        self.history: list[tuple[str, str]] = []
        self.system_prompt: str | None = None
        continuing = continue_last or chat_id is not None
        try:
            self.store = ChatStore()
        except ChatStoreError as exc:
            if continuing:
                fail(str(exc))
            self.error = f"chat not saved: {exc}"
            return
        if not continuing:
            return
        try:
            if continue_last:
                latest = self.store.list(limit=1)
                if not latest:
                    fail("there is no saved chat to continue yet (ask without -c starts one)")
                chat_id = latest[0].id
            chat = self.store.get(chat_id)
        except KeyError as exc:
            fail(f"{exc.args[0]} (tui-agent chats list shows them)")
        except ChatStoreError as exc:
            fail(str(exc))
        self.id = chat.id
        self.history = chat.turns()
        self.system_prompt = chat.system_prompt

    def save(self, question: str, result: Any, system: str | None) -> None:
        """Append the question (with its piped context, as the model got it) and the answer; a new chat is
        titled by ``question`` and keeps ``system`` as its system prompt."""
        from tui_agent.chats.store import ChatStoreError

        if self.store is None:
            return
        try:
            if self.id is None:
                self.id = self.store.create(question, result.model, system).id
            self.store.add_message(self.id, "user", result.question)
            self.store.add_answer(self.id, result)
        except (ChatStoreError, KeyError) as exc:
            self.error = f"chat not saved: {exc.args[0] if isinstance(exc, KeyError) else exc}"
