"""``tui-agent chats …`` (saved conversations) and ``tui-agent keys`` (the active keymap)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from tui_agent.cli.common import echo, fail, print_json, settings_for, user_errors

chats_app = typer.Typer(help="List, show, export, rename and delete saved chats.", no_args_is_help=True,
                        rich_markup_mode=None)

IdArgument = Annotated[str, typer.Argument(metavar="ID", help="Chat id (or a unique prefix of it), from `chats list`.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def open_store():
    """The chats store; an unreadable file exits with a one-line error."""
    from tui_agent.chats.store import ChatStore, ChatStoreError

    try:
        return ChatStore()
    except ChatStoreError as exc:
        fail(str(exc))


def get_chat(store, chat_id: str):
    from tui_agent.chats.store import ChatStoreError

    try:
        return store.get(chat_id)
    except KeyError as exc:
        fail(str(exc.args[0]))
    except ChatStoreError as exc:
        fail(str(exc))


@chats_app.command("list")
def list_(
    search: Annotated[str | None, typer.Option("--search", "-s", help="Only chats whose title or a message "
                                               "contains this (case-insensitive).", show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many chats.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Saved chats, most recent first: id, messages, model, last change, title.

    A damaged or busy chats file exits 1 with one line (every chats command does).
    """
    from tui_agent.chats.export import iso

    with user_errors():
        chats = open_store().list(search, limit)
    if as_json:
        print_json([{"id": c.id, "title": c.title, "messages": c.count, "model": c.model,
                     "created": iso(c.created), "updated": iso(c.updated)} for c in chats])
        return
    if not chats:
        echo("no saved chats" + (f" matching {search!r}" if search else ""))
        return
    echo(f"{'ID':<12}  {'MSGS':>4}  {'MODEL':<20}  {'UPDATED':<16}  TITLE")
    for c in chats:
        when = datetime.fromtimestamp(c.updated).strftime("%Y-%m-%d %H:%M")
        echo(f"{c.id:<12}  {c.count:>4}  {(c.model or '-')[:20]:<20}  {when:<16}  {c.title}")


@chats_app.command()
def show(chat_id: IdArgument, as_json: JsonOption = False) -> None:
    """Print a chat as Markdown (answers with their model, rating, "from memory" and correction)."""
    from tui_agent.chats.export import to_json, to_markdown

    with user_errors():
        chat = get_chat(open_store(), chat_id)
        text = None if as_json else to_markdown(chat).rstrip("\n")
    print_json(to_json(chat)) if text is None else echo(text)


@chats_app.command()
def export(
    chat_id: IdArgument,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md (Markdown) or json.")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (default: print).",
                                                show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --output file if it exists.")] = False,
) -> None:
    """Export a chat as Markdown or JSON, to standard output or a file (an existing file is kept unless --force)."""
    import json

    from tui_agent.chats.export import FORMATS, to_json, to_markdown
    from tui_agent.storage.files import UserFileError, write_new

    fmt = fmt.lower().lstrip(".")
    fmt = "md" if fmt == "markdown" else fmt
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; expected md or json", 2)
    with user_errors():
        chat = get_chat(open_store(), chat_id)
        markdown = to_markdown(chat) if fmt == "md" else ""
    if output is None:
        print_json(to_json(chat)) if fmt == "json" else echo(markdown.rstrip("\n"))
        return
    text = json.dumps(to_json(chat), ensure_ascii=False, indent=2) + "\n" if fmt == "json" else markdown
    try:
        write_new(output, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=force)
    except UserFileError as exc:
        fail(str(exc))
    echo(f"wrote {output} ({len(chat.messages)} messages, {fmt})", err=True)


@chats_app.command()
def rename(chat_id: IdArgument, title: Annotated[str, typer.Argument(help="The new title.")]) -> None:
    """Give a chat a new title."""
    store = open_store()
    chat = get_chat(store, chat_id)
    if not title.strip():
        fail("the title is empty; give a new title", 2)
    with user_errors():
        store.rename(chat.id, title)
        renamed = get_chat(store, chat.id)
    echo(f"{chat.id}: {renamed.title}")


@chats_app.command()
def delete(chat_id: IdArgument,
           yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False) -> None:
    """Delete a chat and its messages (its experiences stay in the memory)."""
    store = open_store()
    chat = get_chat(store, chat_id)
    if not yes and not typer.confirm(f"Delete {chat.title!r} ({chat.count} messages)?", default=False):
        raise typer.Exit(1)
    with user_errors():
        store.delete(chat.id)
    echo(f"deleted {chat.id}")


def keys(markdown: Annotated[bool, typer.Option("--markdown", help="The README's Markdown table.")] = False) -> None:
    """The chat's keys: every action, its key (with your config.toml [keys] overrides) and its [keys] name."""
    from tui_agent.tui.keymap import SCOPES, Keymap, display, markdown_table

    settings = settings_for(None, None)
    keymap = Keymap(settings.keys)
    for error in keymap.errors:
        echo(f"tui-agent: warning: {error}", err=True)
    if markdown:
        echo(markdown_table(keymap).rstrip("\n"))
        return
    for scope, title in SCOPES.items():
        echo(f"{title}:")
        for action, active in keymap.rows(scope):
            echo(f"  {display(active):<22} {action.id:<16} {action.help}")
