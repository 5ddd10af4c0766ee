"""Reading the experience memory: rows, similarity search, counts, with the ratings log laid over them.

:class:`StoreReads` is the read half of :class:`~tui_agent.memory.store.ExperienceStore` (which adds the
writes, the write lock and compaction): every read overlays the ratings log's newest values
(:mod:`tui_agent.memory.ratings`, or :mod:`tui_agent.memory.remote_ratings` in a bucket) on the table's;
a search without a SQL filter reads its rows from the in-RAM index of :mod:`tui_agent.memory.vector_index`.
For a memory in a bucket, every read goes through :class:`~tui_agent.memory.offline.OfflineReads`: while
the store is unreachable it is served from what this process last read, read-only, with one line
(:attr:`StoreReads.read_only`); :meth:`StoreReads.checkout` pins a frozen version (Ray rollout workers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from tui_agent.memory.errors import MemoryStoreError
from tui_agent.memory.offline import OfflineReads
from tui_agent.memory.ratings import overlay_arrow, overlay_rows
from tui_agent.memory.schema import Experience
from tui_agent.memory.vector_index import VectorIndex
from tui_agent.storage.object_store import RemoteMemory, unreachable_problem

__all__ = ["Retrieved", "StoreReads", "sql_str"]


@dataclass
class Retrieved:
    """An experience found by similarity search.

    ``similarity`` is the cosine similarity of the task embeddings, in [−1, 1].
    """

    experience: Experience
    similarity: float


def sql_str(value: str) -> str:
    """``value`` as a SQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


class StoreReads:
    """The reads of an experience store (the attributes are set by :class:`~tui_agent.memory.store.ExperienceStore`).

    Attributes:
        table: the LanceDB table of the experiences.
        ratings: the ratings log (local :class:`~tui_agent.memory.ratings.RatingsLog` or remote).
        vectors: the in-RAM vector index.
        remote: the bucket, or None for a directory.
        path: the directory, or the bucket (``str()``: the URI).
        offline: the read-only fallback of a memory in a bucket (None for a directory).
    """

    table: Any
    ratings: Any
    vectors: VectorIndex
    remote: RemoteMemory | None
    path: Path | RemoteMemory
    offline: OfflineReads | None
    _seen: dict[Any, Any]

    @property
    def version(self) -> int:
        """The table's current LanceDB version number (a rating does not make one: see :attr:`change_token`)."""
        return self._read(lambda: self.table.version, lambda: self._seen["token"][0])

    @property
    def change_token(self) -> tuple[int, int]:
        """``(table version, ratings-log sequence)``: changes whenever any stored value changes (any process)."""
        return self._read(lambda: self._remember("token", (self.table.version, self.ratings.last_seq())),
                          lambda: self._seen["token"])

    @property
    def read_only(self) -> str | None:
        """One line while a memory in a bucket is unreachable (reads come from RAM, writes fail), else None
        (:mod:`tui_agent.memory.offline`)."""
        return self.offline.problem if self.offline is not None else None

    def _read(self, online: Callable[[], Any], cached: Callable[[], Any] | None = None) -> Any:
        """``online()``; for a memory in a bucket that is unreachable, ``cached()`` (None: one line,
        :class:`MemoryStoreError`)."""
        return online() if self.offline is None else self.offline.read(online, cached)

    def _remember(self, key: Any, value: Any) -> Any:
        self._seen[key] = value
        return value

    def _latest(self, ids: list[str] | None = None) -> dict:
        """The ratings log's newest values of ``ids`` (None: all); offline, as last read."""
        return self._read(lambda: self.ratings.latest(ids), lambda: self.ratings.latest_cached(ids))

    def checkout(self, token: tuple[int, int]) -> None:
        """Read the memory as of ``token`` (a :attr:`change_token` of this memory, from any process) from now on:
        a frozen view that does not write (a Ray rollout worker reads the driver's snapshot so).

        Raises:
            ValueError: a memory in a directory (its ratings log has no versions to go back to).
            MemoryStoreError: the store is unreachable, or that version was removed by compaction since.
        """
        if not self.remote:
            raise ValueError(f"memory {self.path}: only a memory in a bucket is read at a version by workers")
        try:
            self.table.checkout(int(token[0]))
            self.ratings.table.checkout(int(token[1]))
        except (OSError, RuntimeError, ValueError) as exc:
            raise MemoryStoreError(unreachable_problem(self.path, exc)
                                   or f"memory {self.path}: cannot read version {tuple(token)}: {exc}") from exc

    # --- reads ------------------------------------------------------------------

    def get(self, experience_id: str) -> Experience | None:
        found = self.get_many([experience_id])
        return found[0] if found else None

    def get_many(self, experience_ids: Sequence[str]) -> list[Experience]:
        if not experience_ids:
            return []
        ids = list(experience_ids)
        latest = self._latest(ids if len(ids) <= 200 else None)  # the log first: a fold in between changes nothing
        where = "id IN (" + ", ".join(sql_str(i) for i in ids) + ")"
        rows = self._read(lambda: self.table.search().where(where).limit(len(ids)).to_list(),
                          lambda: self.vectors.rows_cached(ids))
        return overlay_rows([Experience.from_row(r) for r in rows], latest)

    def search(self, vector: np.ndarray, *, kind: str | None = None, limit: int = 10, where: str | None = None) -> list[Retrieved]:
        """Nearest experiences by task embedding (cosine), best first.

        Args:
            vector: float32 ``(384,)``, L2-normalised.
            kind: only this kind ("chat" or "shop").
            limit: at most this many results.
            where: an extra SQL filter (then LanceDB's flat search; without one, the in-RAM index
                of :mod:`tui_agent.memory.vector_index`: exact up to 20k rows of a kind, IVF above).
        """
        if where is None:  # rows from RAM; those changed since the index was read, from the table
            hits = self._read(lambda: self.vectors.search_rows(self.table, vector, kind, limit),
                              lambda: self.vectors.search_cached(vector, kind, limit))
            ids = [i for i, _, _ in hits]
            latest = self._latest(ids)  # the log first: a fold in between then changes nothing
            found = {e.id: e for e in overlay_rows([Experience.from_row(r) for _, _, r in hits if r is not None],
                                                   latest)}
            missing = [i for i, _, r in hits if r is None]
            if missing:
                found.update((e.id, e) for e in self.get_many(missing))
            return [Retrieved(found[i], similarity=s) for i, s, _ in hits if i in found]
        if self.count() == 0:
            return []
        filters = [f"kind = {sql_str(kind)}"] if kind else []
        if where:
            filters.append(f"({where})")
        query: Any = self.table.search(np.asarray(vector, dtype=np.float32), vector_column_name="vector")
        query = query.distance_type("cosine").limit(limit)  # a vector query (LanceDB types it as the base builder)
        if filters:
            query = query.where(" AND ".join(filters), prefilter=True)
        latest = self._latest()
        out = []
        for row in self._read(query.to_list):
            distance = row.pop("_distance")
            out.append(Retrieved(Experience.from_row(row), similarity=1.0 - float(distance)))
        overlay_rows([r.experience for r in out], latest)
        return out

    def count(self, kind: str | None = None) -> int:
        return self._read(lambda: self._remember(kind, self.table.count_rows(f"kind = {sql_str(kind)}" if kind else None)),
                          lambda: self._seen[kind])

    def stats(self) -> dict[str, Any]:
        """Number of experiences, mean Q, and counts per kind and source."""
        table: pa.Table = self.read_arrow(["kind", "source", "q", "n"])
        q = table.column("q").to_numpy() if table.num_rows else np.zeros(0)
        kinds = table.column("kind").to_pylist()
        sources = table.column("source").to_pylist()
        return {
            "experiences": table.num_rows,
            "mean_q": float(q.mean()) if q.size else 0.0,
            "rated": int(sum(1 for n in table.column("n").to_pylist() if n > 0)),
            "by_kind": {k: kinds.count(k) for k in sorted(set(kinds))},
            "by_source": {s: sources.count(s) for s in sorted(set(sources))},
            "version": self.version,
            "path": str(self.path),
            "location": f"object store {self.remote} (this machine's side files: {self.remote.side})" if self.remote
            else f"directory {self.path}",
        }

    def all(self, kind: str | None = None) -> list[Experience]:
        latest = self._latest()
        query = self.table.search()
        if kind:
            query = query.where(f"kind = {sql_str(kind)}")
        return overlay_rows([Experience.from_row(r) for r in self._read(query.limit(None).to_list)], latest)

    def fragment_count(self) -> int:
        """Number of data fragments of the table (about one per small write since the last compaction)."""
        stats: Any = self.table.stats()  # a TypedDict-like mapping in lancedb 0.40, typed as a class
        return int(stats["fragment_stats"]["num_fragments"])

    def read_arrow(self, columns: Sequence[str] | None = None, where: str | None = None) -> pa.Table:
        """The latest rows as a pyarrow table (``columns``: a subset, default all; ``where``: SQL filter;
        Q, N, mean reward and ``updated_at`` as the ratings log has them)."""
        return self._read(lambda: self._read_arrow(columns, where))

    def _read_arrow(self, columns: Sequence[str] | None, where: str | None) -> pa.Table:
        latest = self.ratings.latest()
        query = self.table.search()
        if where:
            query = query.where(where)
        wanted = list(columns) if columns else None
        if wanted:
            query = query.select(wanted + ["id"] if latest and "id" not in wanted else wanted)
        table = overlay_arrow(query.limit(None).to_arrow(), latest)
        return table.select(wanted) if wanted else table
