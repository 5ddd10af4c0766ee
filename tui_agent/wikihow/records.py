"""What WikiHow plugs into the RLEM core: its similarity, its random actions, the task's parts.

Source: OpenDFM/Rememberer ``history.py`` (``LCSNodeMatcher``, ``InsPatMatcher``; ``wikihow.py`` uses
``lcs+inspat`` with weights 0.5 / 0.5) and ``wikihow_agent.py`` (``_random_action``).

* f_obs: the reference's LCS node matcher — the longest common subsequence of the two screens' tag
  sequences over the longer one's length, in [0, 1] (rapidfuzz ``LCSseq``).
* f_task: half the dot product of the task embeddings, half the share of the task's step kinds in
  common (:func:`task_pattern`: search / article / about / …, compared position by position). Deviation:
  the reference's second matcher compares the *step instruction*'s pattern, which our records do not
  keep (imported pool rows do; our own rows store no step instruction), so the whole task's pattern
  stands in for it; with the screen's kind it fixes the step in all but a few states.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tui_agent.envs.wikihow.screen import parse_screen
from tui_agent.rlem.records import ActionKey, Record, RecordKey, Similarity, dot_similarity

__all__ = ["TaskParts", "WikiHowQuery", "query_for", "random_action", "task_parts", "task_pattern",
           "wikihow_similarity"]

_LINES = (("search an article", "search"), ("access the article", "article"), ("check the reference", "references"),
          ("access the about page", "about"), ("access the page of category", "category"),
          ("check the author page", "author"), ("bookmark", "bookmark"))
_QUOTED = re.compile(r'"([^"]+)"')


@dataclass(frozen=True)
class TaskParts:
    """What a task names: the search ``phrase``, the article ``titles`` in order, ``category``, ``author``."""

    phrase: str
    titles: tuple[str, ...]
    category: str
    author: str


@lru_cache(maxsize=4096)
def task_pattern(task: str) -> tuple[str, ...]:
    """The step kinds of a task text, one per line (``("search", "article", "about")``)."""
    out = []
    for line in task.lower().splitlines():
        line = line.strip().removeprefix("then,").strip()
        out.append(next((kind for start, kind in _LINES if line.startswith(start)), "other"))
    return tuple(out)


@lru_cache(maxsize=4096)
def task_parts(task: str) -> TaskParts:
    """The names in a task text (empty where the task has none)."""
    phrase, titles, category, author = "", [], "", ""
    for line in task.splitlines():
        low = line.lower().strip().removeprefix("then,").strip()
        if low.startswith("search an article to learn how to "):
            phrase = line.strip()[len("Search an article to learn how to "):].rstrip(".").strip()
        elif low.startswith("access the article"):
            titles += _QUOTED.findall(line)[:1]
        elif low.startswith("access the page of category "):
            category = line.split("category ", 1)[1].strip()
        elif low.startswith("check the author page of "):
            author = line.split("author page of ", 1)[1].strip().rstrip(".")
    return TaskParts(phrase, tuple(titles), category, author)


@dataclass(frozen=True)
class WikiHowQuery:
    """A retrieval query: the task's float32 ``(384,)`` embedding, its step pattern, the screen's tags."""

    vector: np.ndarray
    pattern: tuple[str, ...]
    nodes: tuple[str, ...]


@lru_cache(maxsize=65_536)
def _nodes(screen: str) -> tuple[str, ...]:
    try:
        return tuple(e.tag for e in parse_screen(screen))
    except ValueError:
        return ()


def _pattern_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    return sum(x == y for x, y in zip(a, b)) / max(len(a), len(b), 1)


def _f_task(query: WikiHowQuery, records: Sequence[Record]) -> np.ndarray:
    patterns = np.array([_pattern_similarity(query.pattern, task_pattern(r.key.task)) for r in records])
    return 0.5 * dot_similarity(query.vector, records) + 0.5 * patterns


def _f_obs(query: WikiHowQuery, records: Sequence[Record]) -> np.ndarray:
    from rapidfuzz.distance import LCSseq

    out = np.zeros(len(records), dtype=np.float64)
    for i, r in enumerate(records):
        nodes = _nodes(r.key.observation)
        longest = max(len(nodes), len(query.nodes))
        out[i] = LCSseq.similarity(query.nodes, nodes) / longest if longest else 0.0
    return out


def wikihow_similarity(lam: float = 0.5) -> Similarity:
    """λ·f_task + (1−λ)·f_obs for WikiHow (λ = 0.5: the reference's equal weights)."""
    return Similarity(_f_task, _f_obs, lam)


def query_for(key: RecordKey, vector: np.ndarray) -> WikiHowQuery:
    """The retrieval query of a record key, given its task embedding."""
    return WikiHowQuery(np.asarray(vector, dtype=np.float32), task_pattern(key.task), _nodes(key.observation))


def random_action(record: Record, encourages: bool, rng: random.Random) -> ActionKey | None:
    """The reference's random advice action: one of the four scrolls or a click on any line of the screen
    (with that element's line as its reason), drawn uniformly; ``encourages`` does not change it."""
    lines = record.key.observation.splitlines()
    k = rng.randrange(len(lines) + 4)
    if k < 4:
        return ActionKey(f"SCROLL({('LEFT', 'UP', 'RIGHT', 'DOWN')[k]})", "")
    return ActionKey(f"CLICK({k - 4})", lines[k - 4].strip())
