"""Real embeddings for the retrieval benchmarks: generated questions, embedded once and cached.

Questions are made from phrases of real text (the Python documentation's reStructuredText
sources, those shipped in ``tui_agent/notes/data`` and Debian's ``python3.11-doc`` when
installed) put into question templates, so rows have the structure of real chat memories:
clusters of related questions and near-duplicates. Queries are other templates around phrases
that the corpus also uses (a truly similar row exists). The vectors are the bundled
all-MiniLM-L6-v2's (:class:`tui_agent.embedding.encoder.Embedder`), cached in
``~/.cache/tui-agent-bench/`` in chunks so a long embedding run can be resumed.

Usage (embed and cache the first N questions ahead of the benchmarks that read them)::

    .venv/bin/python benchmarks/perf_corpus.py 100000
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

import numpy as np

from perf_common import ROOT, log

CACHE = Path.home() / ".cache" / "tui-agent-bench"
CHUNK = 10_000
TEMPLATES = [
    "How do I {p}?", "What does {p} mean?", "Why is {p} needed?", "Can you explain {p}?",
    "What is the difference between {p} and the default?", "When should I use {p}?",
    "Is {p} thread-safe?", "Give an example of {p}.", "How can {p} fail?", "What replaced {p}?",
    "Where is {p} documented?", "Summarise {p} in one sentence.", "Does {p} work on Windows?",
    "What are the arguments of {p}?", "How fast is {p}?", "Show me {p} in Python 3.",
]
QUERY_TEMPLATES = ["Tell me about {p}", "{p} — how does it work?", "I need help with {p}", "question: {p}"]
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.]+")


def _sources() -> list[Path]:
    dirs = [ROOT / "tui_agent" / "notes" / "data", Path("/usr/share/doc/python3.11/html/_sources")]
    return [p for d in dirs if d.exists() for p in sorted(d.rglob("*")) if p.suffix in (".rst", ".txt", ".md")]


def phrases(limit: int = 400_000) -> list[str]:
    """Distinct 2–5 word phrases from the documentation sources (deterministic order)."""
    seen: dict[str, None] = {}
    rng = random.Random(0)
    for path in _sources():
        for line in path.read_text(errors="replace").splitlines():
            words = _WORD.findall(line)
            for start in range(0, max(0, len(words) - 1), 3):
                size = rng.randint(2, 5)
                chunk = " ".join(words[start:start + size]).lower()
                if len(chunk) > 6:
                    seen.setdefault(chunk)
            if len(seen) >= limit:
                return list(seen)
    return list(seen)


def questions(n: int) -> list[str]:
    """``n`` distinct generated questions (the same list for the same ``n`` prefix)."""
    base = phrases()
    out = []
    for i in range(n):
        phrase = base[i % len(base)]
        template = TEMPLATES[(i // len(base) + i * 7) % len(TEMPLATES)]
        out.append(template.format(p=phrase))
    return out


def queries(n_rows: int, count: int, seed: int = 1) -> list[str]:
    """``count`` queries around phrases used by the first ``n_rows`` questions."""
    base = phrases()
    rng = random.Random(seed)
    picks = [base[rng.randrange(min(n_rows, len(base)))] for _ in range(count)]
    return [QUERY_TEMPLATES[i % len(QUERY_TEMPLATES)].format(p=p) for i, p in enumerate(picks)]


def corpus_vectors(n: int, embedder=None) -> np.ndarray:
    """Embeddings of ``questions(n)``, float32 ``(n, 384)``; computed once per 50k chunk, then cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    texts = None
    parts = []
    for start in range(0, n, CHUNK):
        path = CACHE / f"questions-{start // CHUNK:04d}.npy"
        if not path.exists():
            if texts is None:
                texts = questions(((n + CHUNK - 1) // CHUNK) * CHUNK)
            embedder = embedder or _embedder()
            log(f"embedding questions {start:,}–{start + CHUNK:,} (once; cached in {CACHE})")
            vectors = embedder.encode(texts[start:start + CHUNK])
            np.save(path.with_suffix(".tmp.npy"), vectors)
            path.with_suffix(".tmp.npy").rename(path)
        parts.append(np.load(path, mmap_mode="r")[: min(CHUNK, n - start)])
    return np.ascontiguousarray(np.concatenate(parts)) if parts else np.zeros((0, 384), np.float32)


def _embedder():
    from tui_agent.embedding.encoder import Embedder

    return Embedder(batch_size=256)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, help=f"questions to embed and cache (in chunks of {CHUNK:,})")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("rows must be at least 1")
    vectors = corpus_vectors(args.rows)
    log(f"{len(vectors):,} vectors cached; {len(phrases()):,} phrases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
