"""Listing, filtering, sorting and searching experiences (for ``tui-agent memory`` and the memory screen).

Rows come back as plain dicts of the *summary columns* (no vectors, no long
observations), so a table of thousands of experiences stays cheap to show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow.compute as pc

from tui_agent.memory.schema import KINDS, SOURCES
from tui_agent.memory.store import ExperienceStore

SUMMARY_COLUMNS = ("id", "kind", "source", "task", "action", "q", "n", "mean_reward", "created_at", "updated_at",
                   "last_used_at")
TEXT_SEARCH_COLUMNS = ("task", "action", "observation", "reason")
SORT_KEYS = {
    "q": "q", "n": "n", "task": "task", "action": "action", "kind": "kind", "source": "source",
    "created": "created_at", "updated": "updated_at", "last-used": "last_used_at", "similarity": "similarity",
}
"""Sort names (CLI ``--sort``, screen columns) → column."""
_ID_PREFIX = re.compile(r"^[0-9A-Za-z_-]{4,128}$")


@dataclass
class Page:
    """One screenful: ``rows`` (summary dicts, at most ``limit``), ``matching`` rows
    that passed the filters, ``total`` experiences in the memory, table ``version``."""

    rows: list[dict[str, Any]]
    matching: int
    total: int
    version: int
    semantic: bool = False
    notes: list[str] = field(default_factory=list)


def _sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def filter_sql(kind: str | None = None, source: str | None = None) -> str | None:
    """The SQL ``WHERE`` for a kind and a source (``None`` = any).

    Raises:
        ValueError: unknown kind or source.
    """
    parts = []
    if kind:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        parts.append(f"kind = {_sql(kind)}")
    if source:
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}; use one of {', '.join(SOURCES)}")
        parts.append(f"source = {_sql(source)}")
    return " AND ".join(parts) or None


def sort_rows(rows: list[dict[str, Any]], sort: str, descending: bool) -> list[dict[str, Any]]:
    """Sort summary rows by a :data:`SORT_KEYS` name; missing values (never used…) go last."""
    column = SORT_KEYS.get(sort, sort)
    present = [r for r in rows if r.get(column) is not None]
    missing = [r for r in rows if r.get(column) is None]

    def key(row: dict[str, Any]) -> Any:
        value = row[column]
        return value.casefold() if isinstance(value, str) else value

    return sorted(present, key=key, reverse=descending) + missing


def list_experiences(
    store: ExperienceStore,
    *,
    kind: str | None = None,
    source: str | None = None,
    text: str | None = None,
    sort: str = "updated",
    descending: bool = True,
    limit: int | None = 200,
) -> Page:
    """Experiences matching the filters, sorted, at most ``limit``.

    ``text``: case-insensitive substring of task, action, observation or
    reason. ``sort``: a key of :data:`SORT_KEYS`.

    Raises:
        ValueError: unknown kind, source or sort key.
    """
    if sort not in SORT_KEYS or sort == "similarity":
        raise ValueError(f"cannot sort by {sort!r}; use one of {', '.join(k for k in SORT_KEYS if k != 'similarity')}")
    columns = list(SUMMARY_COLUMNS) + ([c for c in TEXT_SEARCH_COLUMNS if c not in SUMMARY_COLUMNS] if text else [])
    version, total = store.version, store.count()
    table = store.read_arrow(columns, where=filter_sql(kind, source))
    if text and table.num_rows:
        mask = None
        for name in TEXT_SEARCH_COLUMNS:
            hit = pc.fill_null(pc.match_substring(table.column(name), text, ignore_case=True), False)
            mask = hit if mask is None else pc.or_(mask, hit)
        table = table.filter(mask)
    matching = table.num_rows
    if matching:
        column = SORT_KEYS[sort]
        order = "descending" if descending else "ascending"
        table = table.sort_by([(column, order), ("id", "ascending")])  # nulls go last
    if limit is not None:
        table = table.slice(0, limit)
    rows = table.select(list(SUMMARY_COLUMNS)).to_pylist()
    return Page(rows, matching, total, version)


def semantic_search(
    store: ExperienceStore,
    query_vector: np.ndarray,
    *,
    kind: str | None = None,
    source: str | None = None,
    limit: int = 50,
) -> Page:
    """The ``limit`` experiences whose task is nearest ``query_vector`` (float32 ``(384,)``, unit length).

    Rows are summary dicts plus ``similarity`` (cosine, in [−1, 1]), best first.

    Raises:
        ValueError: unknown kind or source.
    """
    filter_sql(kind, source)  # validates both
    where = filter_sql(None, source)
    version, total = store.version, store.count()
    hits = store.search(query_vector, kind=kind, limit=limit, where=where)
    rows = []
    for hit in hits:
        exp = hit.experience
        row = {name: getattr(exp, name) for name in SUMMARY_COLUMNS}
        row["similarity"] = hit.similarity
        rows.append(row)
    return Page(rows, len(rows), total, version, semantic=True)


def find_experience_id(store: ExperienceStore, text: str) -> str:
    """The full id for ``text``: an id, or a unique prefix of at least 4 characters.

    Raises:
        KeyError: no such experience.
        ValueError: the prefix matches several experiences.
    """
    text = text.strip()
    if store.get(text) is not None:
        return text
    if not _ID_PREFIX.match(text):
        raise KeyError(text)
    ids = store.read_arrow(["id"], where=f"id LIKE {_sql(text + '%')}").column("id").to_pylist()
    ids = [i for i in ids if i.startswith(text)]
    if not ids:
        raise KeyError(text)
    if len(ids) > 1:
        raise ValueError(f"id prefix {text!r} matches {len(ids)} experiences; give more characters")
    return ids[0]


def one_line(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: max(width - 1, 0)] + "…"

