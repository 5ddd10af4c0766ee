"""The embedder on onnxruntime (issue 11): same vectors as sentence-transformers, no torch in the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = [
    "What is the capital of France?", "How do I reverse a list in Python?", "hello", "a" * 3000,
    "Ünïcödé text — 日本語 émoji 🎉", "", "  spaces  ", "The quick brown fox jumps over the lazy dog. " * 40,
    *[f"question {i} about topic {i % 17}, detail {i * 7 % 13}" for i in range(40)],
]


def test_the_onnx_embedder_never_imports_torch(embedder):
    code = ("import sys; from tui_agent.embedding.encoder import Embedder; e = Embedder(); v = e.encode(['hi', 'there']); "
            "assert v.shape == (2, 384) and e.backend == 'onnx', e.backend; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_vectors_have_unit_length_and_shape(embedder):
    vectors = embedder.encode(SAMPLE)
    assert vectors.shape == (len(SAMPLE), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)
    assert np.allclose(embedder.encode_one(SAMPLE[0]), vectors[0], atol=1e-5)  # batching changes nothing


@pytest.mark.model
def test_onnx_matches_sentence_transformers(embedder):
    from tui_agent.embedding.encoder import Embedder

    reference = Embedder(backend="torch").encode(SAMPLE)
    cosine = (embedder.encode(SAMPLE) * reference).sum(axis=1)
    assert embedder.backend == "onnx"
    assert cosine.min() >= 0.999, cosine.min()


def test_an_unknown_backend_is_refused():
    from tui_agent.embedding.encoder import Embedder

    with pytest.raises(ValueError, match="onnx"):
        Embedder(backend="tensorflow")
