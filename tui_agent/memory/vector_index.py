"""Nearest-neighbour search over the experiences' task vectors, in RAM, kept in sync by table version.

LanceDB's flat search re-reads the vector column on every query (measured: 10.8 / 97 / 573 ms at
10k / 100k / 1M rows; its default ANN indexes missed near-duplicates). Here the ``(id, kind,
vector)`` columns are read once into a float32 matrix per kind; a query is one matrix–vector
product (exact) up to ``EXACT_MAX`` rows, and above that a faiss IVF-Flat index (inner product on
unit vectors = cosine) probing ``nprobe`` of its ``nlist ≈ 4·√n`` lists, then re-scored exactly.

Rows: beside the matrix, each part keeps the other columns of its rows (a pyarrow table, same order),
so a search builds its results without reading LanceDB (reading 12 rows took ~20 ms at 100k rows and
~130 ms at 1M under load). Rows whose stored values changed since (a fold of the ratings log, a
touch) are marked stale and read from the table when they are hits.

Sync: the matrix belongs to one table version. A rating does not change the version (ratings log);
this store's own inserts are appended (:meth:`VectorIndex.appended`) and its writes that keep every
vector (a fold, a compaction) just move the version on (:meth:`VectorIndex.moved`); any other
change (another process, a delete, an import, undo) rebuilds it on the next query.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

EXACT_MAX = 20_000
"""Up to this many rows of a kind, search is exact (numpy: ~0.6 ms at 10k rows)."""
PROBE_SHARE = 1 / 6
"""Share of the IVF lists probed per query (``benchmarks/ivf_probe.py``). On 100k real MiniLM embeddings
of generated questions (200 queries, idle machine): 1/12 → recall@12 0.940, 1.4 ms; 1/8 → 0.956, 1.6 ms;
1/6 → 0.964, 2.3 ms; 1/4 → 0.975, 3.4 ms (exact numpy ~20 ms). Random vectors are IVF's worst case."""


@dataclass
class _Part:
    ids: np.ndarray  # object array of row ids
    matrix: np.ndarray  # float32 (n, 384)
    ivf: Any  # faiss index over ``matrix`` (None: exact)
    rows: Any  # pyarrow table of the other columns, row i = ids[i]
    positions: dict[str, int] | None = None  # id -> row position, built on the first :meth:`VectorIndex.values`


class VectorIndex:
    """Per-kind vector matrices (and IVF indexes) of one store, valid for ``version``."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.parts: dict[str | None, _Part] = {}
        self.stale: set[str] = set()  # ids whose RAM row is older than the table's (read those from disk)
        self.lock = threading.Lock()

    # --- keeping in sync ----------------------------------------------------------------

    def moved(self, before: int, after: int, changed: Any = ()) -> None:
        """The table went from ``before`` to ``after`` without any vector changing (fold, compaction, touch);
        ``changed``: ids whose other values changed (their RAM rows become stale)."""
        with self.lock:
            if self.version == before:
                self.version = after
                self.stale.update(changed)

    def appended(self, before: int, after: int, ids: list[str], kinds: list[str], vectors: np.ndarray,
                 rows: Any) -> None:
        """The table went from ``before`` to ``after`` by inserting these rows (this store's own add);
        ``rows``: them as a pyarrow table (every column, same order as ``ids``)."""
        with self.lock:
            if self.version != before:
                return
            vectors = np.asarray(vectors, dtype=np.float32)
            kinds_arr = np.asarray(kinds, dtype=object)
            for kind, part in list(self.parts.items()):
                mask = np.ones(len(ids), bool) if kind is None else kinds_arr == kind
                if not mask.any():
                    continue
                new_ids = np.asarray(ids, dtype=object)[mask]
                if part.positions is not None:
                    part.positions.update((str(i), len(part.ids) + k) for k, i in enumerate(new_ids))
                part.ids = np.concatenate([part.ids, new_ids])
                part.matrix = np.concatenate([part.matrix, vectors[mask]])
                if part.ivf is not None:
                    part.ivf.add(vectors[mask])
                new = rows.filter(pa.array(mask)).select(part.rows.column_names).cast(part.rows.schema)
                part.rows = pa.concat_tables([part.rows, new])
            self.version = after

    def _part(self, table: Any, kind: str | None) -> _Part:
        version = table.version
        with self.lock:
            if self.version != version:
                self.parts, self.version, self.stale = {}, version, set()
            part = self.parts.get(kind)
            if part is None:
                where = None if kind is None else "kind = '" + kind.replace("'", "''") + "'"
                query = table.search()
                if where:
                    query = query.where(where)
                data = query.limit(None).to_arrow()
                ids = np.asarray(data.column("id").to_pylist(), dtype=object)
                flat = data.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
                matrix = (np.ascontiguousarray(flat.reshape(len(ids), -1), dtype=np.float32) if len(ids)
                          else np.zeros((0, 384), np.float32))
                rows = data.drop_columns(["vector"]).combine_chunks()
                part = self.parts[kind] = _Part(ids, matrix, _ivf(matrix), rows)
            return part

    def values(self, version: int, row_id: str) -> tuple[float, int, float] | None:
        """The row's ``(q, n, mean_reward)`` as read into RAM, if this index belongs to table ``version`` and the
        row has not changed since (ratings not yet folded are the caller's: the ratings log comes first);
        None when not known here (read the table). Saves a rating the LanceDB read (~7 ms at 100k rows)."""
        with self.lock:
            if self.version != version or row_id in self.stale:
                return None
            for part in self.parts.values():
                if part.positions is None:
                    part.positions = {str(i): k for k, i in enumerate(part.ids)}
                k = part.positions.get(row_id)
                if k is not None:
                    row = part.rows.slice(k, 1).select(["q", "n", "mean_reward"]).to_pylist()[0]
                    return float(row["q"]), int(row["n"]), float(row["mean_reward"])
        return None

    # --- search -------------------------------------------------------------------------

    def search(self, table: Any, vector: np.ndarray, kind: str | None, limit: int) -> list[tuple[str, float]]:
        """The ``limit`` nearest rows of ``kind`` (None: all) as ``(id, cosine)``, best first."""
        return [(i, s) for i, s, _ in self.search_rows(table, vector, kind, limit)]

    def search_rows(self, table: Any, vector: np.ndarray, kind: str | None,
                    limit: int) -> list[tuple[str, float, dict[str, Any] | None]]:
        """Like :meth:`search`, with each hit's row as a dict (every column, ``vector`` a list of floats) from
        RAM — ``None`` for a row whose stored values changed since it was read (read it from the table)."""
        return self._hits(self._part(table, kind), vector, limit, keep_stale=False)

    def search_cached(self, vector: np.ndarray, kind: str | None,
                      limit: int) -> list[tuple[str, float, dict[str, Any] | None]]:
        """Like :meth:`search_rows` on the rows as last read into RAM, without reading the table (the store is
        unreachable): rows changed since are given as they were read.

        Raises:
            LookupError: no rows of ``kind`` were read into RAM yet.
        """
        with self.lock:
            part = self.parts.get(kind)
        if part is None:
            raise LookupError(kind)
        return self._hits(part, vector, limit, keep_stale=True)

    def rows_cached(self, ids: list[str]) -> list[dict[str, Any]]:
        """The rows of ``ids`` as last read into RAM (every column; ids not read are left out)."""
        out: dict[str, dict[str, Any]] = {}
        with self.lock:
            for part in self.parts.values():
                if part.positions is None:
                    part.positions = {str(i): k for k, i in enumerate(part.ids)}
                for row_id in ids:
                    k = part.positions.get(row_id)
                    if k is not None and row_id not in out:
                        row = part.rows.slice(k, 1).to_pylist()[0]
                        row["vector"] = part.matrix[k].tolist()
                        out[row_id] = row
        return [out[i] for i in ids if i in out]

    def _hits(self, part: _Part, vector: np.ndarray, limit: int,
              keep_stale: bool) -> list[tuple[str, float, dict[str, Any] | None]]:
        with self.lock:  # one consistent view of the part (an own insert may extend it meanwhile)
            ids, matrix, ivf, rows = part.ids, part.matrix, part.ivf, part.rows
        found = self._top(ids, matrix, ivf, vector, limit)
        if not found:
            return []
        with self.lock:  # only the hits are checked: the stale set grows with every fold
            stale = set() if keep_stale else {str(ids[i]) for i, _ in found if str(ids[i]) in self.stale}
        top = np.array([i for i, _ in found], dtype=np.int64)
        dicts = rows.take(pa.array(top)).to_pylist()
        out = []
        for (i, score), row in zip(found, dicts):
            row_id = str(ids[i])
            if row_id not in stale:
                row["vector"] = matrix[i].tolist()
            else:
                row = None
            out.append((row_id, score, row))
        return out

    @staticmethod
    def _top(ids: np.ndarray, matrix: np.ndarray, ivf: Any, vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """Positions and cosines of the ``limit`` nearest rows, best first."""
        n = len(ids)
        if n == 0 or limit <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if ivf is None or n <= EXACT_MAX:
            scores = matrix @ query
            k = min(limit, n)
            top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
        else:
            _, found = ivf.search(query[None, :], min(limit, n))
            top = found[0][found[0] >= 0]
            top = top[top < n]  # rows added to the index after this view was taken
            scores = np.zeros(n, np.float32)
            scores[top] = matrix[top] @ query
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]


def _ivf(matrix: np.ndarray) -> Any:
    """A faiss IVF-Flat (inner product) over ``matrix`` above ``EXACT_MAX`` rows; None below or without faiss."""
    n = len(matrix)
    if n <= EXACT_MAX:
        return None
    try:
        import faiss
    except ImportError:
        return None
    dim = matrix.shape[1]
    nlist = int(4 * np.sqrt(n))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = matrix[np.random.default_rng(0).choice(n, size=min(n, nlist * 40), replace=False)]
    index.train(sample)
    index.add(matrix)
    index.nprobe = max(8, int(nlist * PROBE_SHARE))
    return index
