"""Documents shipped with tui-agent as package data, loaded by ``tui-agent notes add --builtin NAME``.

``python-docs``: 21 pages of the Python 3.11 documentation's reStructuredText sources (PSF License;
``data/python-docs/NOTICE.txt`` and ``LICENSE.rst``). Their notes' sources are ``builtin:python-docs/…``.

Their chunks are shipped pre-embedded (``data/<name>/vectors.npz``: SHA-256 of each embedded text →
float16 vector, written by ``scripts/embed_builtin_notes.py``), so adding them takes seconds instead of
minutes of embedding (2,613 chunks; issue 23). :class:`ShippedVectors` serves them and checks them on
first use against the model itself; a text it lacks (the reader or splitter changed) is embedded.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["BUILTIN", "PYTHON_DOCS_PAGES", "ShippedVectors", "builtin_files", "builtin_texts", "vectors_path",
           "write_shipped_vectors"]

log = logging.getLogger(__name__)

PYTHON_DOCS_PAGES = (
    "stdtypes", "functions", "os.path", "pathlib", "json", "re", "datetime", "collections", "itertools",
    "functools", "string", "math", "random", "statistics", "subprocess", "shutil", "argparse", "logging",
    "csv", "sqlite3", "urllib.parse",
)
BUILTIN = {"python-docs": "Python 3.11 documentation: 21 library pages (PSF License)"}
VERIFY_SAMPLE = 4
"""Shipped vectors checked against the model on first use (spread over the texts asked for)."""
MIN_COSINE = 0.99
"""A shipped vector closer than this to the model's own fails the check: none is used then."""


def _root(name: str) -> Path:
    return Path(str(resources.files("tui_agent.notes") / "data" / name))


def builtin_files(name: str) -> list[tuple[Path, str]]:
    """``(path, source name)`` of the builtin document set ``name``; source = ``builtin:<name>/library/<page>.rst``.

    Raises:
        KeyError: no builtin set of that name (the message lists the names).
    """
    if name not in BUILTIN:
        raise KeyError(f"no builtin notes named {name!r} (have: {', '.join(BUILTIN)})")
    root = _root(name)
    return [(root / "library" / f"{page}.rst", f"builtin:{name}/library/{page}.rst") for page in PYTHON_DOCS_PAGES]


def vectors_path(name: str) -> Path:
    """Where the shipped vectors of builtin set ``name`` are (``data/<name>/vectors.npz``)."""
    return _root(name) / "vectors.npz"


def builtin_texts(name: str) -> list[str]:
    """Every text ``notes add --builtin name`` embeds, in order (read and chunked as :mod:`tui_agent.notes.add` does)."""
    from tui_agent.notes.ingest import chunk_document, embed_text, kind_of, read_document

    return [embed_text(h, t) for path, _source in builtin_files(name)
            for h, t in chunk_document(read_document(path), kind_of(path) or "text")]


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def write_shipped_vectors(name: str, embedder: Any, path: Path | None = None) -> Path:
    """Embed every text of builtin set ``name`` with ``embedder`` and write them to ``path``
    (default :func:`vectors_path`): ``keys`` (n, 32) uint8 SHA-256 digests, ``vectors`` (n, 384) float16."""
    texts = sorted(set(builtin_texts(name)))
    vectors = np.asarray(embedder.encode(texts), dtype=np.float16)
    keys = np.frombuffer(b"".join(_key(t) for t in texts), dtype=np.uint8).reshape(len(texts), 32)
    path = path or vectors_path(name)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, keys=keys, vectors=vectors)
    return path


class ShippedVectors:
    """An embedder (``encode(texts) -> (n, 384)`` float32 unit vectors) that answers from the vectors shipped
    for builtin set ``name`` and asks ``embedder`` only for the texts they lack.

    The first call that finds shipped vectors embeds :data:`VERIFY_SAMPLE` of them with the model: if any
    cosine is below :data:`MIN_COSINE` (another model, a damaged file) the shipped vectors are dropped with
    a warning and everything is embedded. A missing or unreadable file is the same as no shipped vectors.
    """

    def __init__(self, embedder: Any, name: str) -> None:
        self.embedder = embedder
        self.name = name
        self.dim = getattr(embedder, "dim", 384)
        self._index: dict[bytes, int] | None = None
        self._vectors: np.ndarray | None = None
        self._verified = False
        self.shipped_used = 0
        """How many texts were answered from the shipped vectors (the rest were embedded)."""

    def _load(self) -> None:
        self._index = {}
        try:
            with np.load(vectors_path(self.name), allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
            if keys.shape[1:] != (32,) or vectors.shape != (len(keys), self.dim):
                raise ValueError(f"shapes {keys.shape} and {vectors.shape}")
        except (OSError, ValueError, KeyError) as exc:
            log.info("no shipped vectors for builtin notes %s (%s): embedding them", self.name, exc)
            return
        self._vectors = vectors
        self._index = {bytes(k): i for i, k in enumerate(keys)}

    def _verify(self, texts: list[str], rows: list[int]) -> None:
        self._verified = True
        pick = sorted({round(i * (len(texts) - 1) / max(VERIFY_SAMPLE - 1, 1)) for i in range(VERIFY_SAMPLE)})
        model = np.asarray(self.embedder.encode([texts[i] for i in pick]), dtype=np.float32)
        assert self._vectors is not None  # rows index it only once it is loaded
        shipped = self._vectors[[rows[i] for i in pick]].astype(np.float32)
        cosine = (model * shipped).sum(axis=1) / np.clip(np.linalg.norm(shipped, axis=1), 1e-12, None)
        if float(cosine.min()) < MIN_COSINE:
            log.warning("shipped vectors of builtin notes %s differ from the model (cosine %.3f): embedding them",
                        self.name, float(cosine.min()))
            self._index = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if self._index is None:
            self._load()
        assert self._index is not None
        rows = [self._index.get(_key(t), -1) for t in texts]
        found = [i for i, r in enumerate(rows) if r >= 0]
        if found and not self._verified:
            self._verify([texts[i] for i in found], [rows[i] for i in found])
            rows = [self._index.get(_key(t), -1) for t in texts]
            found = [i for i, r in enumerate(rows) if r >= 0]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if found:
            assert self._vectors is not None
            vectors = self._vectors[[rows[i] for i in found]].astype(np.float32)
            out[found] = vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
        missing = [i for i, r in enumerate(rows) if r < 0]
        if missing:
            out[missing] = self.embedder.encode([texts[i] for i in missing])
        self.shipped_used += len(found)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
