"""The experience table's schema (pyarrow) and the :class:`Experience` record.

One row is one (observation, action) pair of RLEM's experience memory
(REMEMBERER §3, Fig. 3): the *record* key is (task, observation, available
actions) and each row holds one action of that record with its Q-value.

* chat: a one-step episode. task = the question, observation = the
  conversation context before it ("" when none), action = the answer.
* shop: a step of a web-task episode. task = the instruction, observation =
  the page text, available_actions = the JSON list of valid actions.
* wikihow: a record of REMEMBERER's WikiHow pools (imported; no environment
  here). observation = the screen (simplified HTML), task = the task text,
  step_instruction = the current step's instruction (the key's third part),
  action = e.g. ``CLICK(3)``, reason = the element acted on (the second part
  of the reference's action tuple).

* note: a one-step retrieval decision (issue 12). task = the question, action = the id of a knowledge
  note used to answer it, reason = its citation (source § heading); Q learns whether the note helps.
* docqa: a step of a DocumentQA-v0 episode (issue 13). task = the question, observation = the page
  (results, passage read), available_actions = the JSON list of valid actions, action =
  ``search[…]`` / ``read[k]`` / ``answer[…]``, reason = ``"<heading> #<note id>"`` of the note read or
  answered from.

``action_history`` is the JSON list of ``[action, reason]`` pairs taken
before this observation in the episode that created the record (the
reference's ``other_info["action_history"]``), ``""`` when unknown.

Ranges: ``q`` is a return estimate, any finite number (chat rewards are ±1 so
its Q stays in [−1, 1]; shop rewards are in [0, 1] and γ ≤ 1, so learned shop
Q stays in [0, 1]; imported pools may hold other values, e.g. WikiHow's Q = 2
or a 👎 on a shop step). ``n`` ≥ 0 counts updates; ``mean_reward`` is the running mean of immediate rewards. ``vector``
is the L2-normalised all-MiniLM-L6-v2 embedding of ``task`` (384 float32).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pyarrow as pa

from tui_agent.embedding.encoder import EMBEDDING_DIM, EMBEDDING_MODEL
from tui_agent.storage.lance_schema import (
    AddColumns,
    Upgrades,
    arrow_schema,
    column,
    nullable_texts,
)
from tui_agent.storage.rowcodec import record_from_row, record_to_row

TABLE_NAME = "experiences"
META_SCHEMA_VERSION = b"tui_agent.schema_version"
META_EMBEDDING_MODEL = b"tui_agent.embedding_model"
META_EMBEDDING_DIM = b"tui_agent.embedding_dim"

_TEXT = "CAST('' AS STRING)"
UPGRADES = Upgrades(META_SCHEMA_VERSION, (
    AddColumns({"step_instruction": _TEXT, "action_history": _TEXT}),  # v1 → v2: WikiHow's key, action histories
))
"""The experiences table's numbered upgrade steps (:mod:`tui_agent.storage.lance_schema`), applied by
:class:`~tui_agent.memory.store.ExperienceStore` when it opens an older table. A step that adds columns
adds fields of :class:`Experience`; the table's version is ``len(steps) + 1``."""
SCHEMA_VERSION = UPGRADES.version


class ExperienceKind(StrEnum):
    """What an experience row records (the ``kind`` column; a ``str``, so stored values compare equal).

    ``chat``: a question answered (one-step episode); ``shop``: a web-shop step; ``wikihow``: a WikiHow
    step (REMEMBERER's second benchmark, from imported pools); ``note``: which note helped a question;
    ``docqa``: a DocumentQA step."""

    CHAT = "chat"
    SHOP = "shop"
    WIKIHOW = "wikihow"
    NOTE = "note"
    DOCQA = "docqa"


KINDS = tuple(k.value for k in ExperienceKind)
SOURCES = ("model", "correction", "initial", "import", "demonstration", "recall", "suggestion")

TIMESTAMP = pa.timestamp("us", tz="UTC")


def now_utc() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh experience id (32 hex characters)."""
    return uuid.uuid4().hex


@dataclass(kw_only=True)
class Experience:
    """One experience row; its fields are the table's columns, in order (:func:`experience_schema`).

    ``Experience(task, action, **others)``. See the module docstring for ranges.
    """

    id: str = field(default_factory=new_id, metadata=column(pa.string(), nullable=False))
    kind: str = field(default=ExperienceKind.CHAT.value, metadata=column(pa.string(), nullable=False))
    episode_id: str = field(default="", metadata=column(pa.string()))
    step: int = field(default=0, metadata=column(pa.int32()))
    task: str = field(kw_only=False, metadata=column(pa.string(), nullable=False))
    observation: str = field(default="", metadata=column(pa.string()))
    available_actions: str = field(default="", metadata=column(pa.string()))
    action: str = field(kw_only=False, metadata=column(pa.string(), nullable=False))
    reason: str = field(default="", metadata=column(pa.string()))
    q: float = field(default=0.0, metadata=column(pa.float64(), nullable=False))
    n: int = field(default=0, metadata=column(pa.int64(), nullable=False))
    mean_reward: float = field(default=0.0, metadata=column(pa.float64(), nullable=False))
    created_at: datetime = field(default_factory=now_utc, metadata=column(TIMESTAMP))
    updated_at: datetime = field(default_factory=now_utc, metadata=column(TIMESTAMP))
    last_used_at: datetime | None = field(default=None, metadata=column(TIMESTAMP))
    vector: list[float] | None = field(default=None, metadata=column(pa.list_(pa.float32(), EMBEDDING_DIM)))
    model: str = field(default="", metadata=column(pa.string()))
    source: str = field(default="model", metadata=column(pa.string()))
    step_instruction: str = field(default="", metadata=column(pa.string()))
    action_history: str = field(default="", metadata=column(pa.string()))

    def __post_init__(self) -> None:
        self.kind = str(self.kind)  # an ExperienceKind member → its plain value (YAML / JSON exports)

    def to_row(self) -> dict[str, Any]:
        return record_to_row(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Experience:
        """An experience from a stored row; nulls of the nullable text columns (and columns an older
        schema lacks) read as ``""``."""
        return cls(**record_from_row(cls, row, _NULLABLE_TEXTS))


_NULLABLE_TEXTS = nullable_texts(Experience)  # read as "" when null


@functools.cache
def experience_schema() -> pa.Schema:
    """The explicit pyarrow schema of the ``experiences`` table: :class:`Experience`'s fields, with metadata.

    Metadata carries the schema version and the embedding model's name and
    dimension (never a machine path).
    """
    return arrow_schema(Experience, {**UPGRADES.metadata(), META_EMBEDDING_MODEL: EMBEDDING_MODEL.encode(),
                                     META_EMBEDDING_DIM: str(EMBEDDING_DIM).encode()})


def rows_to_table(experiences: list[Experience]) -> pa.Table:
    """Experiences as a pyarrow table with :func:`experience_schema`."""
    return pa.Table.from_pylist([e.to_row() for e in experiences], schema=experience_schema())
