"""``tui-agent memory …``: inspect and manage the experience memory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tui_agent.cli.common import MemoryDirOption, ModelOption, echo, print_json, progress, settings_for, user_errors

memory_app = typer.Typer(help="Inspect and manage the experience memory.", no_args_is_help=True, rich_markup_mode=None)


def open_store(memory_dir, model):
    from tui_agent.memory.store import ExperienceStore

    settings = settings_for(memory_dir, model)
    with user_errors():
        return ExperienceStore(settings.resolved_memory_dir())


@memory_app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Number of experiences, their mean Q-value, and counts by kind and source."""
    data = open_store(memory_dir, model).stats()
    if as_json:
        print_json(data)
        return
    echo(f"experiences: {data['experiences']}")
    echo(f"mean Q:      {data['mean_q']:.3f}")
    echo(f"rated:       {data['rated']}")
    for name in ("by_kind", "by_source"):
        if data[name]:
            echo(f"{name.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in data[name].items()))
    echo(f"version:     {data['version']}")
    echo(f"location:    {data['location']}")


# --- browsing -----------------------------------------------------------------------

KindOption = Annotated[str | None, typer.Option("--kind", help="Only this kind: chat or shop.", show_default=False)]
SourceOption = Annotated[
    str | None,
    typer.Option("--source", help="Only this source: model, correction, initial, import or demonstration.",
                 show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _when(value) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def _print_rows(rows, similarity: bool = False) -> None:
    from tui_agent.memory.browse import one_line

    sim = "  SIM  " if similarity else ""
    echo(f"{'ID':<32}  KIND  {sim}{'Q':>6}  {'N':>4}  {'LAST USED':<16}  TASK -> ACTION")
    for r in rows:
        sim = f"  {r['similarity']:+.2f}" if similarity else ""
        echo(f"{r['id']:<32}  {r['kind']:<4}{sim}  {r['q']:+6.3f}  {r['n']:>4}  {_when(r['last_used_at']):<16}  "
                   f"{one_line(r['task'], 50)} -> {one_line(r['action'], 40)}")


def _page_json(page) -> dict:
    return {"version": page.version, "total": page.total, "matching": page.matching, "rows": page.rows}


@memory_app.command("list")
def list_(
    kind: KindOption = None,
    source: SourceOption = None,
    sort: Annotated[str, typer.Option("--sort", help="q, n, task, action, kind, source, created, updated or last-used.")] = "updated",
    ascending: Annotated[bool, typer.Option("--asc", help="Smallest first (default: largest / newest first).")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many rows.")] = 20,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """List experiences (id, kind, Q-value, N, last used, task and action), newest first."""
    from tui_agent.memory.browse import list_experiences

    store = open_store(memory_dir, model)
    with user_errors():
        page = list_experiences(store, kind=kind, source=source, sort=sort, descending=not ascending, limit=limit)
    if as_json:
        print_json(_page_json(page))
        return
    _print_rows(page.rows)
    echo(f"{len(page.rows)} of {page.matching} shown · {page.total} experiences · version {page.version}", err=True)


@memory_app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    text: Annotated[bool, typer.Option("--text", help="Substring search of task, action, observation and reason "
                                                      "(default: semantic search of tasks, loads the embedding model).")] = False,
    kind: KindOption = None,
    source: SourceOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many rows.")] = 10,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Find experiences: by meaning of the task (cosine similarity), or by text with --text."""
    from tui_agent.memory.browse import list_experiences, semantic_search

    store = open_store(memory_dir, model)
    with user_errors():
        if text:
            page = list_experiences(store, kind=kind, source=source, text=query, sort="q", limit=limit)
        else:
            from tui_agent.embedding.encoder import shared_embedder

            with progress("loading the embedding model…"):
                vector = shared_embedder().encode_one(query)
            page = semantic_search(store, vector, kind=kind, source=source, limit=limit)
    if as_json:
        print_json(_page_json(page))
        return
    _print_rows(page.rows, similarity=not text)
    echo(f"{len(page.rows)} found · {page.total} experiences · version {page.version}", err=True)


@memory_app.command()
def show(
    experience_id: Annotated[str, typer.Argument(metavar="ID", help="An experience id (or a unique prefix).")],
    vector: Annotated[bool, typer.Option("--vector", help="Include the 384-dim embedding.")] = False,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Show one experience in full."""
    from dataclasses import asdict

    from tui_agent.memory.browse import find_experience_id

    store = open_store(memory_dir, model)
    with user_errors():
        exp = store.get(find_experience_id(store, experience_id))
    data = asdict(exp)
    if not vector:
        data.pop("vector")
    if as_json:
        print_json(data)
        return
    for name in ("id", "kind", "source", "model", "episode_id", "step", "q", "n", "mean_reward",
                 "created_at", "updated_at", "last_used_at"):
        echo(f"{name + ':':<13} {data[name] if data[name] not in (None, '') else '-'}")
    for name in ("task", "observation", "available_actions", "action", "reason"):
        if data[name]:
            echo(f"--- {name} ---")
            echo(data[name])
    if vector:
        echo("--- vector ---")
        echo(" ".join(f"{x:.4f}" for x in data["vector"]))


# --- export / import ------------------------------------------------------------------


@memory_app.command()
def export(
    path: Annotated[Path, typer.Argument(help="The file to write.")],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="parquet (default), arrow, jsonl or csv "
                                                                  "(else taken from the suffix); sft or dpo: "
                                                                  "TRL training data (JSONL).",
                                            show_default=False)] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind: chat, shop, … (sft/dpo: chat "
                                                            "unless given).", show_default=False)] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="DATE", help="sft/dpo: only experiences last "
                                                                             "updated (asked, rated, corrected) "
                                                                             "at or after DATE (ISO 8601, local "
                                                                             "time unless an offset is given).",
                                              show_default=False)] = None,
    min_q: Annotated[float | None, typer.Option("--min-q", help="sft/dpo: a chosen answer needs Q >= this, a "
                                                                "rejected one Q <= -this (must be > 0) "
                                                                "[default: 0.5].", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Export the memory to PATH with the schema version and embedding model in the file.

    CSV stores each vector as base64 of 384 little-endian float32 values and
    repeats the file metadata in the columns schema_version, embedding_model
    and embedding_dim.

    --format sft writes TRL's conversational SFT data ({"messages": [...]}) from
    corrected and thumbs-up answers; --format dpo writes preference pairs
    ({"prompt", "chosen", "rejected"}) of such an answer and a thumbs-down answer
    to the same question. Each line carries the experience ids.
    """
    dataset_format = (fmt or "").lower()
    store = open_store(memory_dir, model)
    with user_errors():
        if dataset_format in ("sft", "dpo"):
            from tui_agent.agents.preferences import DEFAULT_MIN_Q, export_dataset, parse_since

            dataset = export_dataset(store, path, dataset_format, kind=kind or "chat", overwrite=force,
                                     since=parse_since(since) if since else None,
                                     min_q=DEFAULT_MIN_Q if min_q is None else min_q)
            if as_json:
                print_json(dataset.to_json())
            else:
                echo(dataset.describe())
            return
        if since is not None or min_q is not None:
            raise ValueError("--since and --min-q apply to --format sft or dpo only")
        from tui_agent.memory.transfer import export_memory

        report = export_memory(store, path, fmt, kind=kind, overwrite=force)
    if as_json:
        print_json(report.to_json())
    else:
        echo(f"exported {report.rows} experiences to {report.path} ({report.format})")


@memory_app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="A tui-agent export, or a REMEMBERER history pool (.yaml).")],
    mode: Annotated[str, typer.Option("--mode", help="append: add all rows; merge: combine rows with the same id "
                                                     "or task+observation+action (N summed, Q N-weighted); "
                                                     "replace: the memory becomes the file.")] = "append",
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="parquet, arrow, jsonl, csv or rememberer; "
                                                                  "else taken from the suffix.", show_default=False)] = None,
    reembed: Annotated[bool, typer.Option("--reembed", help="Compute every vector from the task text with this "
                                                            "memory's embedding model (needed for files made "
                                                            "with another model).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and count; write nothing.")] = False,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Import experiences from PATH (all or nothing; a restore point is made first)."""
    from tui_agent.embedding.encoder import shared_embedder
    from tui_agent.memory.transfer import import_memory
    from tui_agent.rlem.learning import pooled_value

    store = open_store(memory_dir, model)
    with user_errors():
        with progress("importing…") as say:
            def embed(texts):
                say(f"embedding {len(texts)} tasks…")
                return shared_embedder().encode(texts)

            report = import_memory(store, path, mode=mode, fmt=fmt, embed=embed, reembed=reembed, dry_run=dry_run,
                                   pool=pooled_value)
    if as_json:
        print_json(report.to_json())
        return
    echo(report.describe())


# --- versions -------------------------------------------------------------------------


@memory_app.command()
def undo(
    to: Annotated[str | None, typer.Option("--to", metavar="VERSION|RESTORE_POINT",
                                           help="Go back to this version or restore point instead.",
                                           show_default=False)] = None,
    list_versions: Annotated[bool, typer.Option("--list", help="List versions and restore points; change nothing.")] = False,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Take back the last change to the memory (repeat to go further back)."""
    from tui_agent.memory import versions

    store = open_store(memory_dir, model)
    with user_errors():
        if list_versions:
            infos = versions.list_versions(store)
            if as_json:
                print_json([{"version": v.version, "timestamp": v.timestamp, "rows": v.rows, "same_as": v.same_as,
                             "note": v.note, "restore_points": list(v.tags)} for v in infos])
                return
            for v in infos:
                note = f"{v.note} (= v{v.same_as})" if v.same_as is not None else ""
                tags = ("  restore point: " + ", ".join(v.tags)) if v.tags else ""
                echo(f"v{v.version:<6} {v.timestamp:%Y-%m-%d %H:%M:%S}  {v.rows:>7} rows  {note}{tags}")
            return
        if to is not None:
            new_version = versions.restore(store, to)
            data = {"restored": to, "new_version": new_version, "rows": store.count()}
            message = f"restored {to}: {data['rows']} experiences (new version {new_version})"
        else:
            result = versions.undo(store)
            data = {"undone": result.undone, "restored": result.restored, "new_version": result.new_version,
                    "rows": result.rows_after}
            message = result.describe()
    if as_json:
        print_json(data)
        return
    echo(message)


@memory_app.command()
def compact(
    keep_days: Annotated[float, typer.Option("--keep-days", min=0.0, help="Keep this many days of versions for "
                                                                         "undo, at most the newest 100; older ones "
                                                                         "are removed (restore points are kept "
                                                                         "7 days).")] = 7.0,
    as_json: JsonOption = False,
    memory_dir: MemoryDirOption = None,
    model: ModelOption = None,
) -> None:
    """Compact the table now (merge small fragments; keeps search fast after many ratings)."""
    from datetime import timedelta

    store = open_store(memory_dir, model)
    with user_errors():
        result = store.compact(keep_history=timedelta(days=keep_days))
    if as_json:
        print_json(result)
        return
    echo(f"compacted: {result['fragments_before']} -> {result['fragments_after']} fragments, "
               f"version {result['version_before']} -> {result['version_after']}, {result['versions']} versions "
               f"kept ({result['seconds']:.2f} s)")


@memory_app.command()
def copy(
    source: Annotated[str, typer.Argument(help="The memory to copy: a directory or s3://bucket/prefix.")],
    destination: Annotated[str, typer.Argument(help="An empty memory: a directory or s3://bucket/prefix.")],
    as_json: JsonOption = False,
) -> None:
    """Copy a whole memory between a directory and a bucket, either way (experiences with their ratings, notes,
    the learned side files; not the version history). The s3_* settings (endpoint, region, …) apply to both."""
    from tui_agent.memory.relocate import copy_memory

    with user_errors():
        result = copy_memory(settings_for(Path(source), None).resolved_memory_dir(),
                             settings_for(Path(destination), None).resolved_memory_dir())
    if as_json:
        print_json({"experiences": result.experiences, "notes": result.notes, "side_files": list(result.side_files)})
        return
    echo(f"copied {result.experiences} experiences and {result.notes} notes to {destination}"
         + (f" (and {', '.join(result.side_files)})" if result.side_files else ""))
