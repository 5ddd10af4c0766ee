"""``tui-agent notes …``: add documents as knowledge notes, list, search, show and remove them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_agent.cli.common import MemoryDirOption, ProgressBar, echo, fail, print_json, settings_for

notes_app = typer.Typer(help="Knowledge notes: your documents and /remember notes, retrieved for answers.",
                        no_args_is_help=True, rich_markup_mode=None)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MAX_SEARCH_RESULTS = 1000
"""Most results ``notes search`` returns (``-n``); typer refuses a larger or non-positive count as a usage error."""


def open_notes(memory_dir):
    """The :class:`~tui_agent.notes.store.NoteStore` of the memory directory (one-line error on failure)."""
    from tui_agent.notes.store import NoteStore, NoteStoreError

    settings = settings_for(memory_dir, None)
    try:
        return NoteStore(settings.resolved_memory_dir())
    except NoteStoreError as exc:
        fail(str(exc))


@notes_app.command()
def add(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (.md, .rst, .txt, .html).",
                                                       show_default=False)] = None,
    builtin: Annotated[str | None, typer.Option("--builtin", help="A shipped document set: python-docs.",
                                                show_default=False)] = None,
    follow_links: Annotated[bool, typer.Option("--follow-links", help="Also read symbolic links that lead out "
                                               "of a folder given (by default they are skipped and listed).")
                            ] = False,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
) -> None:
    """Add documents as notes: split into sections and chunks, embedded, indexed. Unchanged files are skipped.

    Under a folder only regular files whose real path stays inside it are read; each file left out is
    listed with the reason. Exit code 1 when a file could not be added (each is named in one line; the
    others are added).
    """
    from tui_agent.notes.add import NotesAddError, add_files, add_paths
    from tui_agent.notes.builtin import ShippedVectors, builtin_files
    from tui_agent.notes.store import NoteStoreError

    if not paths and not builtin:
        fail("give files or folders to add, or --builtin python-docs", 2)
    store = open_notes(memory_dir)
    from tui_agent.embedding.encoder import EmbeddingError, shared_embedder

    embedder = shared_embedder()
    bar = ProgressBar("adding notes", detail=True)  # on a terminal; file names shown through visible()
    state = {"step": 0}

    def progress(done: int, total: int, source: str, status: str) -> None:
        if bar.live:
            bar.update(done, total, Path(source).name if source else "")
        elif total >= 20 and not done and not source:  # at once: reading and parsing are progress too
            echo(f"notes: 0/{total} files", err=True)
        elif total >= 20 and done * 10 // total > state["step"]:
            state["step"] = done * 10 // total
            echo(f"notes: {done}/{total} files", err=True)

    try:
        with bar:
            report = add_paths(store, embedder, paths or [], progress, follow_links=follow_links) if paths else None
            if builtin:
                try:
                    files = builtin_files(builtin)
                except KeyError as exc:
                    fail(str(exc.args[0]), 2)
                extra = add_files(store, ShippedVectors(embedder, builtin), files, progress)
                if report is None:
                    report = extra
                else:
                    report.added += extra.added
                    report.chunks += extra.chunks
                    report.unchanged += extra.unchanged
                    report.problems += extra.problems
                    report.seconds += extra.seconds
    except NotesAddError as exc:
        if as_json:
            print_json(exc.report.to_json())
        fail(str(exc))
    except (NoteStoreError, EmbeddingError) as exc:
        fail(str(exc))
    assert report is not None
    if as_json:
        print_json(report.to_json())
    else:
        for line in report.problems + report.skipped:
            echo(f"tui-agent: skipped {line}", err=True)
        left_out = f"{len(report.skipped)} left out (listed above); " if report.skipped else ""
        echo(f"added {len(report.added)} file(s) as {report.chunks} notes; {len(report.unchanged)} unchanged; "
             f"{len(report.problems)} problem(s); {left_out}{report.seconds:.1f} s; {store.count()} notes in total")
    if report.problems:
        raise typer.Exit(1)


def _line(note, score: float | None = None) -> str:
    text = " ".join(note.text.split())
    head = f"{note.id[:8]}  " + (f"{score:.3f}  " if score is not None else "")
    return f"{head}{note.citation}  — {text[:80]}"


@notes_app.command("list")
def list_(
    source: Annotated[str | None, typer.Option("--source", help="Only this source (a path, builtin:…, or chat).",
                                               show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="At most this many (0 = all).")] = 50,
    sources: Annotated[bool, typer.Option("--sources", help="One line per source with its number of notes.")] = False,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
) -> None:
    """List notes (source and position order), or their sources."""
    store = open_notes(memory_dir)
    if sources:
        data = store.sources()
        if as_json:
            print_json([{"source": s, "notes": n, "content_hash": h} for s, (h, n) in sorted(data.items())])
        else:
            for s, (_h, n) in sorted(data.items()):
                echo(f"{n:6d}  {s}")
        return
    notes = store.all(source=source, limit=limit or None)
    if as_json:
        print_json([n.to_json() for n in notes])
        return
    for note in notes:
        echo(_line(note))
    echo(f"({len(notes)} of {store.count(source)} notes)", err=True)


@notes_app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    mode: Annotated[str, typer.Option("--mode", help="hybrid (full text + vectors, RRF) | text (BM25) | vector.")
                    ] = "hybrid",
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=MAX_SEARCH_RESULTS, help="At most this many.")
                     ] = 5,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
) -> None:
    """Search the notes by full text, meaning, or both."""
    if mode not in ("hybrid", "text", "vector"):
        fail(f"--mode must be hybrid, text or vector, got {mode!r}", 2)
    store = open_notes(memory_dir)
    if mode == "text":
        found = store.search_text(query, limit)
    else:
        from tui_agent.embedding.encoder import shared_embedder

        vec = shared_embedder().encode_one(query)
        found = store.search_vector(vec, limit) if mode == "vector" else store.search_hybrid(query, vec, limit)
    if as_json:
        print_json([{**f.note.to_json(), "score": f.score} for f in found])
        return
    for f in found:
        echo(_line(f.note, f.score))
    if not found:
        echo("no notes found", err=True)


def _resolve(store, note_id: str):
    note = store.get(note_id)
    if note is None:
        matches = store.find_prefix(note_id.lower())
        if len(matches) > 1:
            fail(f"note id prefix {note_id!r} is ambiguous ({len(matches)} notes)")
        note = matches[0] if matches else None
    if note is None:
        fail(f"no note with id {note_id!r}")
    return note


@notes_app.command()
def show(
    note_id: Annotated[str, typer.Argument(metavar="ID", help="A note id (or its first characters).")],
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
) -> None:
    """Show one note in full."""
    store = open_notes(memory_dir)
    note = _resolve(store, note_id)
    if as_json:
        print_json(note.to_json())
        return
    echo(f"id:       {note.id}")
    echo(f"source:   {note.source}")
    echo(f"title:    {note.title}")
    echo(f"heading:  {note.heading}")
    echo(f"position: {note.position}")
    when = note.created_at.astimezone().strftime('%Y-%m-%d %H:%M') if note.created_at else "unknown"
    echo(f"created:  {when}")
    echo("")
    echo(note.text)


@notes_app.command()
def remove(
    targets: Annotated[list[str], typer.Argument(metavar="ID|SOURCE…", help="Note ids (or prefixes) or sources.")],
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
) -> None:
    """Remove notes by id, or every note of a source (a path as added, builtin:…, or chat)."""
    from tui_agent.notes.store import NoteStoreError

    store = open_notes(memory_dir)
    known = store.sources()
    removed = 0
    try:
        for target in targets:
            resolved = str(Path(target).expanduser().resolve()) if Path(target).expanduser().exists() else target
            if resolved in known or target in known:
                removed += store.remove(source=resolved if resolved in known else target)
            elif target.startswith("builtin:") and any(s.startswith(target) for s in known):
                for s in [s for s in known if s.startswith(target)]:
                    removed += store.remove(source=s)
            else:
                removed += store.remove(ids=[_resolve(store, target).id])
    except NoteStoreError as exc:
        fail(str(exc))
    if as_json:
        print_json({"removed": removed, "notes": store.count()})
    else:
        echo(f"removed {removed} note(s); {store.count()} left")


@notes_app.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="Where to write: .parquet (lossless) or .jsonl.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
) -> None:
    """Export every note (text, source, heading, position, vector); an existing PATH is kept unless --force."""
    from tui_agent.notes.transfer import NotesImportError, export_notes
    from tui_agent.storage.files import UserFileError

    store = open_notes(memory_dir)
    try:
        count = export_notes(store, path, overwrite=force)
    except NotesImportError as exc:
        fail(str(exc), 2)
    except UserFileError as exc:
        fail(str(exc))
    if as_json:
        print_json({"exported": count, "path": str(path)})
    else:
        echo(f"exported {count} notes to {path}")


@notes_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A notes export (.parquet or .jsonl).")],
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
) -> None:
    """Import notes from an export (all or nothing; notes already stored are skipped)."""
    from tui_agent.notes.store import NoteStoreError
    from tui_agent.notes.transfer import NotesImportError, import_notes

    store = open_notes(memory_dir)
    try:
        report = import_notes(store, path)
    except (NotesImportError, NoteStoreError) as exc:
        fail(str(exc))
    if as_json:
        print_json(report.to_json())
    else:
        echo(f"read {report.read} notes from {path}; added {report.added}; {store.count()} notes in total")
