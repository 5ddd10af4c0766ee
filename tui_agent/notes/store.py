"""The notes table: chunks of documents on disk, in the experience memory's LanceDB database.

Writes hold a file lock (``<dir>/.notes.lock``); the chunks of a batch of sources are replaced by a
single ``merge_insert`` (insert new ids, delete those sources' other rows), which LanceDB commits as
one version: a failed write leaves the old chunks, never half of the new ones. :meth:`NoteStore.ensure_index`
(after every add) merges the small fragments and removes old versions, so the disk stays bounded.

Search (measured on lancedb 0.40.0: the native full-text index works without tantivy or pylance, and
rows added after the index was built are still found, searched flat until :meth:`NoteStore.optimize`):

* :meth:`NoteStore.search_text` — BM25 over ``search_text`` (LanceDB's FTS index, stemmed, stop words out);
* :meth:`NoteStore.search_vector` — cosine over the 384-dim embeddings (flat);
* :meth:`NoteStore.search_hybrid` — both, fused by LanceDB's ``RRFReranker`` (reciprocal rank fusion,
  Cormack et al. 2009, k = 60).
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from tui_agent.storage.lance_retention import retention
from tui_agent.notes.schema import (
    EMBEDDING_DIM,
    NOTES_TABLE,
    NOTES_UPGRADES,
    Note,
    notes_schema,
    notes_to_table,
)
from tui_agent.storage.errors import storage_problem
from tui_agent.storage.lance_schema import SchemaVersionError
from tui_agent.storage.lance_connect import connect
from tui_agent.storage.object_store import RemoteMemory, StoreUnreachable, unreachable_problem

__all__ = ["Found", "NoteStore", "NoteStoreError", "fts_query"]

LOCK_NAME = ".notes.lock"
LOCK_TIMEOUT_S = 30.0
MAX_NOTE_CHARS = 200_000
KEEP_VERSIONS = 10
"""Table versions kept after a ``notes add`` (older ones are removed; notes have no undo)."""
KEEP_COMPACTIONS = 2
"""Versions from before the second-newest compaction are removed (each pins a copy of the table)."""
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class NoteStoreError(RuntimeError):
    """The notes table cannot be opened or written; the message is one user-facing line."""


@dataclass
class Found:
    """A note found by a search, with its score (BM25, cosine in [−1, 1], or RRF score; higher is better)."""

    note: Note
    score: float


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fts_query(text: str) -> str:
    """The words of ``text`` joined by spaces (the FTS query parser sees no operators or punctuation)."""
    return " ".join(_WORD.findall(text))


class NoteStore:
    """Notes in ``<path>/notes.lance`` (the memory directory; created if missing).

    Raises:
        NoteStoreError: the directory cannot be created, the table was written by a newer schema
            version, or it was made with another embedding size.
    """

    def __init__(self, path: str | Path | RemoteMemory) -> None:
        from filelock import FileLock

        from tui_agent.config.base import data_dir

        try:  # a directory, or a bucket (storage/object_store.py): then the lock is this machine's only
            self.db, side, remote = connect(path, data_dir() / "remote")
        except StoreUnreachable as exc:
            raise NoteStoreError(str(exc)) from exc
        except OSError as exc:
            raise NoteStoreError(f"cannot create memory directory {path}: {exc.strerror}") from exc
        self.path: Path | RemoteMemory = remote or side
        self.lock = FileLock(str(side / LOCK_NAME), timeout=LOCK_TIMEOUT_S)
        try:
            try:
                self.table = self.db.open_table(NOTES_TABLE)
            except (ValueError, FileNotFoundError):
                with self.locked(checkout=False):
                    self.table = self.db.create_table(NOTES_TABLE, schema=notes_schema(), exist_ok=True)
        except (OSError, RuntimeError) as exc:
            problem = unreachable_problem(self.path, exc) if remote else None
            if problem is None:
                raise
            raise NoteStoreError(problem) from exc
        where = f"notes in {self.path}"
        try:  # the numbered upgrade steps of notes.schema.NOTES_UPGRADES (none yet); a newer table is refused
            if NOTES_UPGRADES.pending(self.table, where):
                with self.locked():
                    NOTES_UPGRADES.apply(self.table, where)
        except SchemaVersionError as exc:
            raise NoteStoreError(str(exc)) from exc

    @contextlib.contextmanager
    def locked(self, checkout: bool = True) -> Iterator[Any]:
        """Hold the notes write lock with the latest version checked out.

        Raises:
            NoteStoreError: the lock is held elsewhere for over 30 s, or the disk refuses the write.
        """
        from filelock import Timeout

        try:
            with self.lock:
                if checkout:
                    self.table.checkout_latest()
                yield getattr(self, "table", None)
        except Timeout as exc:
            raise NoteStoreError(f"notes in {self.path} are locked by another process for over "
                                 f"{LOCK_TIMEOUT_S:.0f} s") from exc
        except (OSError, RuntimeError) as exc:  # LanceDB reports a full disk as RuntimeError
            if isinstance(exc, NoteStoreError):
                raise
            problem = storage_problem(self.path, exc, "notes in")
            if problem is None:
                raise
            raise NoteStoreError(problem) from exc

    @property
    def version(self) -> int:
        return self.table.version

    # --- writes -------------------------------------------------------------------

    @staticmethod
    def _check(notes: Sequence[Note]) -> None:
        for note in notes:
            if note.vector is None or len(note.vector) != EMBEDDING_DIM:
                raise ValueError(f"note {note.id}: vector must have {EMBEDDING_DIM} values")
            if not note.text.strip():
                raise ValueError(f"note {note.id}: empty text")
            if len(note.text) > MAX_NOTE_CHARS:
                raise ValueError(f"note {note.id}: text over {MAX_NOTE_CHARS:,} characters")

    def add(self, notes: Sequence[Note]) -> list[str]:
        """Insert notes whose id is not stored yet (one commit); returns the ids inserted.

        Raises:
            ValueError: a vector of the wrong size, an empty or over-long text (nothing is written).
            NoteStoreError: the lock or the disk (nothing is written).
        """
        self._check(notes)
        unique = list({n.id: n for n in notes}.values())
        if not unique:
            return []
        inserted: list[str] = []
        with self.locked() as table:
            present = {n.id for n in self.get_many([n.id for n in unique])}
            new = [n for n in unique if n.id not in present]
            if new:
                table.merge_insert("id").when_not_matched_insert_all().execute(notes_to_table(new))
            inserted.extend(n.id for n in new)
        return inserted

    def replace_source(self, source: str, notes: Sequence[Note]) -> int:
        """Make ``notes`` the only rows of ``source`` in one commit; returns how many rows it now has.

        Raises:
            ValueError: a note of another source, a bad vector or text (nothing is written).
            NoteStoreError: the lock or the disk (the old rows stay).
        """
        return self.replace_sources({source: notes})

    def replace_sources(self, batch: Mapping[str, Sequence[Note]]) -> int:
        """Make ``batch[source]`` the only rows of each source, every source in one commit (one table
        version, all or nothing); returns how many rows were written.

        Raises:
            ValueError: a note under another source's key, a bad vector or text (nothing is written).
            NoteStoreError: the lock or the disk (every source keeps its old rows).
        """
        notes = [n for group in batch.values() for n in group]
        self._check(notes)
        for source, group in batch.items():
            if any(n.source != source for n in group):
                raise ValueError(f"every note must have source {source!r}")
        if not batch:
            return 0
        unique = list({n.id: n for n in notes}.values())
        where = "source IN (" + ", ".join(_sql_str(s) for s in batch) + ")"
        with self.locked() as table:
            if unique:
                (table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all()
                 .when_not_matched_by_source_delete(where).execute(notes_to_table(unique)))
            else:
                table.delete(where)
        return len(unique)

    def remove(self, ids: Sequence[str] = (), source: str | None = None) -> int:
        """Delete notes by id and / or every note of ``source``; returns how many were deleted."""
        clauses = []
        if ids:
            clauses.append("id IN (" + ", ".join(_sql_str(i) for i in ids) + ")")
        if source is not None:
            clauses.append(f"source = {_sql_str(source)}")
        if not clauses:
            return 0
        where = " OR ".join(clauses)
        with self.locked() as table:
            before = table.count_rows(where)
            if before:
                table.delete(where)
        return before

    def ensure_index(self, rebuild: bool = False) -> None:
        """Build the full-text index on ``search_text`` if missing (or ``rebuild``), fold new rows into it,
        merge small fragments and remove old versions (:func:`tui_agent.storage.lance_retention.retention` with
        :data:`KEEP_VERSIONS` versions and :data:`KEEP_COMPACTIONS` compactions: notes have no undo)."""
        from lancedb.index import FTS

        if self.count() == 0:
            return
        with self.locked() as table:
            names = {getattr(i, "name", "") for i in table.list_indices()}
            if rebuild or "search_text_idx" not in names:
                table.create_index("search_text", config=FTS(), replace=True)
            keep = retention(table, keep_versions=KEEP_VERSIONS, keep_compactions=KEEP_COMPACTIONS)
            with warnings.catch_warnings():  # LanceDB warns about short histories; notes keep few on purpose
                warnings.simplefilter("ignore")
                table.optimize(cleanup_older_than=keep)

    # --- reads --------------------------------------------------------------------

    def count(self, source: str | None = None) -> int:
        return self.table.count_rows(f"source = {_sql_str(source)}" if source is not None else None)

    def get(self, note_id: str) -> Note | None:
        rows = self.table.search().where(f"id = {_sql_str(note_id)}").limit(1).to_list()
        return Note.from_row(rows[0]) if rows else None

    def get_many(self, ids: Sequence[str]) -> list[Note]:
        if not ids:
            return []
        where = "id IN (" + ", ".join(_sql_str(i) for i in ids) + ")"
        return [Note.from_row(r) for r in self.table.search().where(where).limit(len(ids)).to_list()]

    def find_prefix(self, prefix: str) -> list[Note]:
        """Notes whose id starts with ``prefix`` (ids are hex; other characters match nothing)."""
        if not re.fullmatch(r"[0-9a-f]{1,32}", prefix):
            return []
        rows = self.table.search().where(f"starts_with(id, {_sql_str(prefix)})").limit(10).to_list()
        return [Note.from_row(r) for r in rows]

    def all(self, source: str | None = None, limit: int | None = None) -> list[Note]:
        """Notes (of one ``source``), in source then position order."""
        query = self.table.search()
        if source is not None:
            query = query.where(f"source = {_sql_str(source)}")
        notes = [Note.from_row(r) for r in query.limit(None).to_list()]
        notes.sort(key=lambda n: (n.source, n.position))
        return notes[:limit] if limit else notes

    def sources(self) -> dict[str, tuple[str, int]]:
        """``{source: (content_hash, chunks)}`` for every source."""
        table = self.table.search().select(["source", "content_hash"]).limit(None).to_arrow()
        out: dict[str, tuple[str, int]] = {}
        for source, digest in zip(table.column("source").to_pylist(), table.column("content_hash").to_pylist()):
            _old, count = out.get(source, ("", 0))
            out[source] = (digest or "", count + 1)
        return out

    def search_text(self, text: str, limit: int = 10) -> list[Found]:
        """BM25 full-text search (LanceDB FTS index; flat when not built yet), best first."""
        words = fts_query(text)
        if not words or self.count() == 0:
            return []
        self._need_index()
        rows = self.table.search(words, query_type="fts", fts_columns="search_text").limit(limit).to_list()
        return [Found(Note.from_row(r), float(r.get("_score", 0.0))) for r in rows]

    def search_vector(self, vector: np.ndarray, limit: int = 10) -> list[Found]:
        """Cosine nearest notes to a unit ``vector`` (384,), best first; score = cosine in [−1, 1]."""
        if self.count() == 0:
            return []
        query: Any = self.table.search(np.asarray(vector, dtype=np.float32), vector_column_name="vector")
        rows = query.distance_type("cosine").limit(limit).to_list()  # a vector query (typed as the base builder)
        return [Found(Note.from_row(r), 1.0 - float(r["_distance"])) for r in rows]

    def search_hybrid(self, text: str, vector: np.ndarray, limit: int = 10) -> list[Found]:
        """Full-text and vector results fused by reciprocal rank (LanceDB ``RRFReranker``), best first."""
        from lancedb.rerankers import RRFReranker

        words = fts_query(text)
        if self.count() == 0:
            return []
        if not words:
            return self.search_vector(vector, limit)
        self._need_index()
        query = (cast(Any, self.table.search(query_type="hybrid", vector_column_name="vector",
                                             fts_columns="search_text"))
                 .vector(np.asarray(vector, dtype=np.float32)).text(words).distance_type("cosine")
                 .rerank(RRFReranker()).limit(limit))
        return [Found(Note.from_row(r), float(r.get("_relevance_score", 0.0))) for r in query.to_list()]

    def _need_index(self) -> None:
        names = {getattr(i, "name", "") for i in self.table.list_indices()}
        if "search_text_idx" not in names:
            try:
                self.ensure_index()
            except NoteStoreError:
                pass  # read-only memory: searched flat
