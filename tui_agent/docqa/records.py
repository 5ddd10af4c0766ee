"""What DocumentQA plugs into the RLEM core: its similarity and its action roles.

* f_task: dot product of the L2-normalised all-MiniLM-L6-v2 embeddings of the two questions, in [−1, 1]
  (as the shop's instruction similarity).
* f_obs: 1 when both observations are in the same state — "results" (no passage read yet) or
  "passage" (a passage is shown) —, else 0: the analogue of the shop's page type.
* Action roles: ``read[k]`` means "read note X" (X = the note shown as result k) and ``answer[...]``
  "answer from note X" (the passage read). Records store the note in the action's *reason*
  (``"<heading path> #<note id>"``), so a Q-value learned for a note on one question counts for it on a
  similar question, whatever rank the note has there — like WebShop's ``click[<ASIN>]``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tui_agent.rlem.records import Record, RecordKey, Similarity, dot_similarity

PASSAGE_MARK = "\nPassage read ("
_NOTE_ID = re.compile(r"#([0-9a-f]{8,64})\s*$")

__all__ = ["DocQAQuery", "Role", "docqa_similarity", "note_reason", "query_for", "role_of", "state_of"]


@dataclass(frozen=True)
class DocQAQuery:
    """A retrieval query: the question's float32 ``(384,)`` embedding and the state ("results" | "passage")."""

    vector: np.ndarray
    state: str


Role = tuple[str, str]
"""(kind, note id): ``("read", id)``, ``("answer", id)``, ``("search", "")``."""


@functools.lru_cache(maxsize=65_536)
def state_of(observation: str) -> str:
    """``"passage"`` when the observation shows a passage read, else ``"results"``."""
    return "passage" if PASSAGE_MARK in observation else "results"


def note_reason(title: str, note_id: str) -> str:
    """The reason stored with a read / answer action: ``"<title> #<note id>"``."""
    return f"{title} #{note_id}"


def role_of(action: str, reason: str) -> Role:
    """The role of a stored (action, reason): the action's kind and the note named in the reason."""
    kind = action.strip().split("[", 1)[0].lower()
    m = _NOTE_ID.search(reason or "")
    return kind, (m.group(1) if m and kind in ("read", "answer") else "")


def _f_task(query: DocQAQuery, records: Sequence[Record]) -> np.ndarray:
    return dot_similarity(query.vector, records)


def _f_obs(query: DocQAQuery, records: Sequence[Record]) -> np.ndarray:
    return np.array([1.0 if state_of(r.key.observation) == query.state else 0.0 for r in records])


def docqa_similarity(lam: float = 0.5) -> Similarity:
    """λ·f_task + (1−λ)·f_obs (λ = 0.5, the paper's value for WebShop)."""
    return Similarity(_f_task, _f_obs, lam)


def query_for(key: RecordKey, vector: np.ndarray) -> DocQAQuery:
    """The retrieval query of a record key, given its question embedding."""
    return DocQAQuery(np.asarray(vector, dtype=np.float32), state_of(key.observation))
