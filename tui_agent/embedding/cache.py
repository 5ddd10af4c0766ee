"""Embeddings of texts that are embedded again and again (chat contexts), kept by text.

The chat's f_obs compares the current conversation context with the stored context of each
retrieved experience. Those stored contexts were embedded once already — when they were the
current context of the question that made the row — so re-embedding them on every retrieval
(~6 contexts a call, 3.3× the cost of embedding the query and searching, measured in
``benchmarks/perf_chat.py``) is wasted work. :class:`TextVectors` remembers ``text → vector``
in RAM (LRU, ``ram_max`` entries) and in an SQLite file in the user cache dir
(``<TUI_AGENT_CACHE_DIR or platformdirs' user cache dir>/vectors/<model>.sqlite``), so other
processes and later runs find them too.

It is a cache, content-addressed (key = SHA-256 of the text, per embedding model), so it can
never be stale: losing it (crash, full disk, read-only dir, deleted file) only costs embedding
again. Writes are therefore not fsynced (``synchronous=OFF``), and any SQLite error turns the
disk part off for this process (RAM only). The file is bounded: above ``disk_max`` rows the
oldest are deleted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["TextVectors", "cache_path"]


def cache_path(model: str) -> Path:
    """``<TUI_AGENT_CACHE_DIR or user cache dir>/vectors/<model>.sqlite``."""
    base = os.environ.get("TUI_AGENT_CACHE_DIR")
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("tui-agent")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    return Path(base).expanduser() / "vectors" / f"{safe}.sqlite"


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class TextVectors:
    """``text → float32 (dim,)`` embeddings, in RAM and on disk; see the module docstring.

    Args:
        encode: embeds a list of texts → float32 ``(n, dim)`` unit vectors (e.g. ``Embedder.encode``).
        model: the embedding model's name (one file per model).
        path: the SQLite file (default :func:`cache_path`); ``None`` with ``disk=False`` = RAM only.
        ram_max: entries kept in RAM (least recently used dropped first).
        disk_max: rows kept in the file (oldest dropped first; 1.5 kB each at 384 dims).
    """

    def __init__(self, encode: Callable[[list[str]], np.ndarray], model: str, *, path: Path | None = None,
                 disk: bool = True, ram_max: int = 4096, disk_max: int = 200_000) -> None:
        self.encode_texts, self.model = encode, model
        self.ram: OrderedDict[str, np.ndarray] = OrderedDict()
        self.ram_max, self.disk_max = ram_max, disk_max
        self.path = (path or cache_path(model)) if disk else None
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._puts = 0

    # --- disk ------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.path), timeout=2.0, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=OFF")
                db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
                self._db = db
            except (OSError, sqlite3.Error) as exc:
                self._disk_off(exc)
        return self._db

    def _disk_off(self, exc: BaseException) -> None:
        log.warning("embedding cache %s unavailable (%s); keeping it in RAM only", self.path, exc)
        self.path, self._db = None, None

    def _read(self, texts: list[str]) -> dict[str, np.ndarray]:
        db = self._conn()
        if db is None or not texts:
            return {}
        keys = {_key(t): t for t in texts}
        try:
            rows = db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(keys))})",
                              list(keys)).fetchall()
        except sqlite3.Error as exc:
            self._disk_off(exc)
            return {}
        return {keys[k]: np.frombuffer(v, dtype=np.float32).copy() for k, v in rows if k in keys}

    def _write(self, found: dict[str, np.ndarray]) -> None:
        db = self._conn()
        if db is None or not found:
            return
        try:
            db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                           [(_key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in found.items()])
            self._puts += len(found)
            if self._puts >= 1000:
                self._puts = 0
                db.execute("DELETE FROM vectors WHERE rowid <= (SELECT MAX(rowid) FROM vectors) - ?",
                           (self.disk_max,))
        except sqlite3.Error as exc:
            self._disk_off(exc)

    # --- use -------------------------------------------------------------------------

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Remember ``vectors[i]`` as the embedding of ``texts[i]`` (RAM and disk)."""
        found = {t: np.asarray(v, dtype=np.float32) for t, v in zip(texts, vectors)}
        with self._lock:
            self._remember(found)
            self._write(found)

    def _remember(self, found: dict[str, np.ndarray]) -> None:
        for text, vector in found.items():
            self.ram[text] = vector
            self.ram.move_to_end(text)
        while len(self.ram) > self.ram_max:
            self.ram.popitem(last=False)

    def get(self, texts: Sequence[str], extra: Sequence[str] = (), *,
            disk: bool = True) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Vectors of ``texts`` (cached ones looked up, the rest embedded and cached), and of ``extra``
        (not cached, embedded in the same model call: e.g. the question beside its context).

        ``disk=False`` looks ``texts`` up in RAM only (a text that is almost always new, such as the
        current context: saves a file read) but still stores what it embeds on disk.

        Returns ``({text: float32 (dim,)}, float32 (len(extra), dim))``.

        Raises:
            whatever ``encode`` raises (e.g. :class:`tui_agent.embedding.encoder.EmbeddingError`).
        """
        wanted = list(dict.fromkeys(texts))
        with self._lock:
            out = {t: self.ram[t] for t in wanted if t in self.ram}
            for t in out:
                self.ram.move_to_end(t)
            on_disk = self._read([t for t in wanted if t not in out]) if disk else {}
            self._remember(on_disk)
        out.update(on_disk)
        missing = [t for t in wanted if t not in out]
        batch = list(extra) + missing
        vectors = np.asarray(self.encode_texts(batch), dtype=np.float32) if batch else np.zeros((0, 0), np.float32)
        new = dict(zip(missing, vectors[len(extra):]))
        out.update(new)
        if new:
            self.put(list(new), np.asarray(list(new.values())))
        return out, vectors[:len(extra)]
