"""Chat retrieval figure: ``ChatAgent.retrieve`` (what every chat answer runs before generating) against
embedding what the query itself consists of plus ``ExperienceStore.search``, interleaved.

Rows: N generated questions with their real MiniLM embeddings (:mod:`perf_corpus`); half of them
were asked with a conversation context (the previous turn, as the chat stores it), half in a fresh
conversation. Two figures: a fresh conversation (the query embeds the question) and a conversation
with history (the query embeds the question and its context). The reference embeds the same texts
(one ``encode`` call) and runs the same ``store.search``; what ``retrieve`` adds on top (building
records, f_obs, scoring) is the ratio's excess over 1. Goal: ratio ≤ 1.1.

Usage::

    .venv/bin/python benchmarks/perf_chat.py                            # 10k rows, 100 queries
    .venv/bin/python benchmarks/perf_chat.py --rows 2000 --queries 10   # a tiny run
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
from perf_corpus import CACHE

K = 12


def _store(path: Path, texts: list[str], vectors: np.ndarray):
    from tui_agent.chat.agent import format_history
    from tui_agent.memory.schema import Experience
    from tui_agent.memory.store import ExperienceStore

    store = ExperienceStore(path)
    store.optimize_every = 0
    rows = []
    for i, text in enumerate(texts):
        context = format_history([(texts[i - 1], f"answer {i - 1}")]) if i % 2 and i else ""
        rows.append(Experience(task=text, action=f"answer {i}", kind="chat", observation=context,
                               vector=vectors[i].tolist()))
    for start in range(0, len(rows), 50_000):
        store.add(rows[start:start + 50_000])
    store.compact()
    store.optimize_every = type(store).optimize_every
    return store


def chat_retrieve(n: int = 10_000, queries: int = 100) -> None:
    """Emit ``chat_retrieve_fresh_<n>`` and ``chat_retrieve_history_<n>`` (ms, p50, ratio to embed+search)."""
    from perf_corpus import corpus_vectors, questions
    from perf_corpus import queries as make_queries

    from tui_agent.chat.agent import ChatAgent, format_history
    from tui_agent.config.settings import load_settings
    from tui_agent.embedding.encoder import Embedder
    from tui_agent.embedding.cache import TextVectors

    os.environ.setdefault("TUI_AGENT_CACHE_DIR", str(CACHE / "agent-cache"))  # the contexts, embedded once
    embedder = Embedder()
    embedder.load()
    work = Path(tempfile.mkdtemp(prefix="perf-chat-"))
    try:
        texts, vectors = questions(n), corpus_vectors(n)
        log(f"chat retrieve: {n:,} rows")
        store = _store(work / "memory", texts, vectors)
        agent = ChatAgent(load_settings(memory_dir=str(work / "memory")), store=store, embedder=embedder)
        # The stored contexts were embedded when they were asked (the agent caches every context it
        # embeds); here they are embedded once per machine into the benchmark's cache dir.
        stored = [e for e in (format_history([(texts[i - 1], f"answer {i - 1}")]) for i in range(1, n, 2))]
        for start in range(0, len(stored), 1000):
            agent.contexts.get(stored[start:start + 1000])
        agent.contexts.ram.clear()
        asked = make_queries(n, queries, seed=3)
        for label, with_history in (("fresh", False), ("history", True), ("history_uncached", True)):
            ours, ref = [], []
            for i, question in enumerate(asked):
                history = [(texts[(i * 37) % n], f"a new reply {i}")] if with_history else []
                context = format_history(history)
                inputs = [question, context] if context else [question]
                if i == 0:  # warm-up: the store reads its index, the model its first batch
                    agent.retrieve(question, history)
                if label == "history_uncached":  # rows whose contexts this machine never embedded (imports)
                    agent._contexts = TextVectors(embedder.encode, embedder.name, disk=False)
                start = time.perf_counter()
                agent.retrieve(question, history)
                ours.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                q_vec = embedder.encode(inputs)[0]
                store.search(q_vec, kind="chat", limit=K)
                ref.append((time.perf_counter() - start) * 1000)
            emit(f"chat_retrieve_{label}_{size(n)}", p50(ours), "ms",
                 "embed the query's texts + store.search (top 12)", p50(ref), "<= 1.1x",
                 rows=n, queries=len(asked), p90=float(np.percentile(ours, 90)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="generated questions in the memory")
    parser.add_argument("--queries", type=int, default=100, help="questions asked per figure")
    args = parser.parse_args(argv)
    if args.rows < 2 or args.queries < 1:
        parser.error("--rows must be at least 2 and --queries at least 1")
    chat_retrieve(args.rows, args.queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
