"""How many IVF lists to probe: recall@12 and time of the in-RAM index per probe share (issue 11).

Usage::

    .venv/bin/python benchmarks/ivf_probe.py                      # 100k real embeddings, 200 queries
    .venv/bin/python benchmarks/ivf_probe.py --rows 20000 --shares 1/24,1/12

Builds :func:`tui_agent.memory.vector_index._ivf` over real MiniLM embeddings of generated questions
(``perf_corpus``, cached in ~/.cache/tui-agent-bench) once per share and prints one JSON line per share:
value = p50 ms of the IVF search alone, reference = exact numpy top-12 on the same matrix, with
``recall_at_12`` against it. ``PROBE_SHARE`` in vector_index.py was chosen from this output.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from perf_common import emit, p50

K = 12


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--shares", default="1/12,1/8,1/6,1/4", help="comma-separated fractions of the lists")
    args = parser.parse_args()
    from perf_corpus import corpus_vectors
    from perf_corpus import queries as make_queries

    from tui_agent.embedding.encoder import Embedder
    from tui_agent.memory import vector_index

    embedder = Embedder(batch_size=256)
    matrix = np.ascontiguousarray(corpus_vectors(args.rows, embedder), dtype=np.float32)
    queries = np.asarray(embedder.encode(make_queries(args.rows, args.queries)), dtype=np.float32)
    for share in args.shares.split(","):
        vector_index.PROBE_SHARE = float(Fraction(share))
        index = vector_index._ivf(matrix)
        ours, ref, recalls = [], [], []
        for q in queries:
            start = time.perf_counter()
            _, found = index.search(q[None, :], K)
            ours.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            scores = matrix @ q
            top = np.argpartition(-scores, K)[:K]
            ref.append((time.perf_counter() - start) * 1000)
            recalls.append(len(set(top.tolist()) & set(found[0].tolist())) / K)
        emit(f"ivf_probe_{share}", p50(ours), "ms", "exact numpy top-12 on the same matrix", p50(ref),
             "recall@12 >= 0.95", rows=args.rows, queries=len(queries), nprobe=index.nprobe,
             nlist=index.nlist, recall_at_12=float(np.mean(recalls)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
