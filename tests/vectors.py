"""Test helper: deterministic random unit vectors of the memory's embedding size."""

from __future__ import annotations

import numpy as np

from tui_agent.embed import EMBEDDING_DIM


def unit(seed: int) -> list[float]:
    """A random L2-normalised float32 vector (``EMBEDDING_DIM`` = 384 values) drawn from ``seed``."""
    v = np.random.default_rng(seed).normal(size=EMBEDDING_DIM).astype(np.float32)
    return (v / np.linalg.norm(v)).tolist()
