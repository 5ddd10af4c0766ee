"""Test helper: deterministic random unit vectors of the memory's embedding size."""

from __future__ import annotations

import numpy as np

from tui_agent.embedding.encoder import EMBEDDING_DIM


def unit(seed: int) -> list[float]:
    """A random L2-normalised float32 vector (``EMBEDDING_DIM`` = 384 values) drawn from ``seed``."""
    v = np.random.default_rng(seed).normal(size=EMBEDDING_DIM).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()


class HashEmbedder:
    """A stand-in for :class:`tui_agent.embedding.encoder.Embedder` without torch: a unit vector (384 values) drawn from the
    SHA-256 of the text, so equal texts have similarity 1 and different texts about 0."""

    name = "test-hash-embedder"
    dim = EMBEDDING_DIM

    def encode(self, texts):
        import hashlib

        out = [unit(int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")) for t in texts]
        return np.asarray(out, dtype=np.float32).reshape(len(out), EMBEDDING_DIM)

    def encode_one(self, text):
        return self.encode([text])[0]

    def load(self):
        pass
