"""Retrieval figures: top-12 of ``ExperienceStore.search`` (what the chat's retrieval runs) at N rows of real
embeddings, with recall@12 against the exact top-12; reference: exact numpy on an in-RAM matrix.

Rows are generated questions embedded with the bundled model (:mod:`perf_corpus`); ``--random``
adds a worst case on random unit vectors with near-duplicate queries (a row plus noise).

Usage::

    .venv/bin/python benchmarks/perf_retrieval.py                                # 10k rows, 100 queries
    .venv/bin/python benchmarks/perf_retrieval.py --sizes 10000,100000 --random
    .venv/bin/python benchmarks/perf_retrieval.py --sizes 1000 --queries 10      # a tiny run
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from perf_common import emit, log, p50, size

K = 12
REAL_MAX = int(os.environ.get("PERF_REAL_EMBEDDINGS", "100000"))
"""Embedding 1M questions takes hours on 2 busy cores (~100–500 texts/s): larger sizes reuse these."""
JITTER = 0.01
"""Per-dimension noise of a copy (norm ≈ 0.2 before renormalising: cosine ≈ 0.98 to its original)."""


def jittered(vectors: np.ndarray, texts: list[str], n: int) -> tuple[np.ndarray, list[str]]:
    """``n`` rows: the real ones, then copies of them plus Gaussian noise (renormalised)."""
    rng = np.random.default_rng(7)
    out = np.empty((n, vectors.shape[1]), np.float32)
    out[: len(vectors)] = vectors
    for start in range(len(vectors), n, len(vectors)):
        stop = min(n, start + len(vectors))
        block = vectors[: stop - start] + rng.normal(scale=JITTER, size=(stop - start, vectors.shape[1]))
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out, [f"{texts[i % len(texts)]} ({i // len(texts)})" if i >= len(texts) else texts[i] for i in range(n)]


def _store(path: Path, texts: list[str], vectors: np.ndarray):
    from tui_agent.memory.schema import Experience
    from tui_agent.memory.store import ExperienceStore

    store = ExperienceStore(path)
    store.optimize_every = 0
    ids: list[str] = []
    for start in range(0, len(vectors), 50_000):
        stop = min(len(vectors), start + 50_000)
        ids += store.add([Experience(task=texts[i], action=f"answer {i}", kind="chat", vector=vectors[i].tolist())
                          for i in range(start, stop)])
    store.compact()
    store.optimize_every = type(store).optimize_every
    return store, ids


def measure(label: str, store, ids: list[str], vectors: np.ndarray, queries: np.ndarray) -> None:
    """p50 of ``store.search(kind='chat', limit=12)`` and of exact numpy, interleaved; recall@12."""
    index = {row_id: i for i, row_id in enumerate(ids)}
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    store.search(queries[0], kind="chat", limit=K)  # first call may load/build what the store caches
    ours, ref, recalls, vector_only = [], [], [], []
    for q in queries:
        start = time.perf_counter()
        hits = store.search(q, kind="chat", limit=K)
        ours.append((time.perf_counter() - start) * 1000)
        if hasattr(store, "vectors"):  # the in-RAM index alone, without reading the 12 rows from disk
            start = time.perf_counter()
            store.vectors.search(store.table, q, "chat", K)
            vector_only.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        scores = matrix @ q
        top = np.argpartition(-scores, K)[:K]
        top = top[np.argsort(-scores[top])]
        ref.append((time.perf_counter() - start) * 1000)
        exact = set(top.tolist())
        recalls.append(len(exact & {index[h.experience.id] for h in hits}) / K)
    emit(f"retrieval_p50_{label}", p50(ours), "ms", "exact numpy top-12 on an in-RAM matrix", p50(ref),
         "<= 1/2/5 ms at 10k/100k/1M", rows=len(ids), queries=len(queries),
         recall_at_12=float(np.mean(recalls)), recall_goal=">= 0.95", p90=float(np.percentile(ours, 90)),
         index_only_ms=p50(vector_only) if vector_only else None)


def retrieval(sizes: list[int], queries: int = 200, random_worst: bool = False) -> None:
    from perf_corpus import corpus_vectors, questions
    from perf_corpus import queries as make_queries

    from tui_agent.embedding.encoder import Embedder

    embedder = Embedder(batch_size=256)
    for n in sizes:
        work = Path(tempfile.mkdtemp(prefix="perf-retr-"))
        try:
            real = min(n, REAL_MAX)
            vectors, texts = corpus_vectors(real, embedder), questions(real)
            if n > real:  # more rows than embedded questions: copies of real ones, each slightly moved
                vectors, texts = jittered(vectors, texts, n)
            log(f"retrieval: {n:,} rows ({real:,} real embeddings)")
            store, ids = _store(work / "memory", texts, vectors)
            qv = embedder.encode(make_queries(n, queries if n < 1_000_000 else max(50, queries // 4)))
            measure(size(n) + ("" if n == real else f"_from_{size(real)}_real"), store, ids, vectors, qv)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if random_worst:
        n = 100_000
        rng = np.random.default_rng(0)
        vectors = rng.normal(size=(n, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        picks = rng.integers(0, n, size=queries)
        qv = vectors[picks] + rng.normal(scale=0.03, size=(queries, 384)).astype(np.float32)
        qv /= np.linalg.norm(qv, axis=1, keepdims=True)
        work = Path(tempfile.mkdtemp(prefix="perf-retr-"))
        try:
            store, ids = _store(work / "memory", [f"random row {i}" for i in range(n)], vectors)
            measure(f"{size(n)}_random_vectors", store, ids, vectors, qv)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated row counts, e.g. 10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=100, help="queries per size")
    parser.add_argument("--random", action="store_true", help="also the worst case on 100k random unit vectors")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: comma-separated whole numbers, got {args.sizes!r}")
    if not sizes or min(sizes) <= K or args.queries < 1:
        parser.error(f"--sizes must be more than {K} rows each and --queries at least 1")
    retrieval(sizes, args.queries, random_worst=args.random)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
