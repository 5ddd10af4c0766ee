"""The bundled DocumentQA question set: 196 facts of the Python 3.11 docs, each asked two ways.

``data/python_docs_questions.json`` is written by ``benchmarks/notes_questions.py`` from
``benchmarks/data/python_docs_facts.py``: the first phrasing of a fact is in the ``train`` split, the
second in ``test`` (a user asking again in other words). Each question:
``{"id", "fact", "question", "answer", "page", "heading", "source", "split"}``; ``heading`` is the gold
section's heading path and ``source`` its notes source (``builtin:python-docs/library/<page>.rst``).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

SPLITS = ("train", "test")
FILE = ("data", "python_docs_questions.json")
"""The question set's place inside this package."""

__all__ = ["FILE", "SPLITS", "load_questions", "questions_file"]


def questions_file() -> Path:
    """The question set's file in this package as a filesystem path (what ``notes_questions.py`` writes)."""
    return Path(str(resources.files(__package__).joinpath(*FILE)))


@functools.lru_cache(maxsize=1)
def _all() -> tuple[dict[str, Any], ...]:
    path = resources.files(__package__).joinpath(*FILE)
    return tuple(json.loads(path.read_text(encoding="utf-8")))


def load_questions(split: str) -> list[dict[str, Any]]:
    """The questions of ``split`` ("train" or "test"), in file order (196 each).

    Raises:
        ValueError: an unknown split.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    return [dict(q) for q in _all() if q["split"] == split]
