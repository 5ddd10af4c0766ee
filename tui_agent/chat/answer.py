"""What a chat answer is: the answer and how it was made, a rating's result, and a turn on its way.

Plain data (:class:`ChatAnswer` is what ``tui-agent ask --json`` prints); made by
:class:`~tui_agent.chat.agent.ChatAgent`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tui_agent.chat import policy
from tui_agent.chat.remembered import Suggestion
from tui_agent.chat.taught import TaughtMatch
from tui_agent.rlem.records import Scored

__all__ = ["ChatAnswer", "ExemplarInfo", "RatingResult", "Turn", "exemplar_info"]


@dataclass
class ExemplarInfo:
    """An experience that steered an answer, as shown under it ("from memory")."""

    id: str
    task: str
    answer: str
    q: float
    n: int
    similarity: float  # combined score λ·f_task + (1−λ)·f_obs
    f_task: float  # question similarity, cosine in [−1, 1]
    role: str  # encouraged | discouraged | neutral | recalled


@dataclass
class ChatAnswer:
    """An answer and how it was made.

    ``mode`` is how this answer was made: "recall" (a remembered answer
    chosen by Q), "generate" (a fresh sample), "resample" (a fresh sample after
    rejecting near-duplicates of discouraged answers), "abstain" (every sample
    was rejected) or "random" (a random remembered answer); the TUI adds "stopped".
    ``policy`` is the configured decision policy that made it (``episodic-control``,
    ``rememberer``, ``llm``, ``random``).
    """

    id: str | None  # None: not stored (cut off, or the memory could not be written; ``warning`` says why)
    question: str
    answer: str
    model: str
    mode: str
    exemplars: list[ExemplarInfo] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    warning: str | None = None
    policy: str = "episodic-control"
    incomplete: bool = False
    """The stream ended without a finish reason (cut off): shown as such, not stored, ``id`` is ``None``."""
    notes: list[dict[str, Any]] = field(default_factory=list)
    """Knowledge notes put in the prompt (:meth:`tui_agent.chat.notes.UsedNote.to_json`: citation, Q, N…), best first."""
    suggestion: Suggestion | None = None
    """A taught answer to a similar question, shown beside a generated answer (the *suggest* band)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RatingResult:
    """What a rating changed: the rated experience's new Q and N, and the correction's id."""

    id: str
    reward: float
    q: float
    n: int
    correction_id: str | None = None


@dataclass
class Turn:
    """One question on its way through :meth:`ChatAgent.answer`: what each step found or decided.

    ``q_vec``: the question's embedding (384 floats); ``cands``: the retrieved answers, best record first;
    ``records``: those that may be exemplars; ``exemplars``: (record, prompt text), most similar last;
    ``avoid``: (rated-down answer, its question) a sample must not repeat; ``notes``: the
    :class:`~tui_agent.chat.notes.UsedNote` in the prompt.
    """

    question: str
    history: Sequence[tuple[str, str]]
    rule: policy.ChatRule
    context: str
    q_vec: list[float]
    cands: list[policy.Candidate]
    records: list[Scored]
    suggestion: TaughtMatch | None = None
    exemplars: list[tuple[Scored, str]] = field(default_factory=list)
    avoid: list[tuple[str, str]] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)


def exemplar_info(c: policy.Candidate, role: str) -> ExemplarInfo:
    """How ``c`` is shown under an answer, in ``role`` (Q, similarities rounded to 4 places)."""
    e = c.experience
    return ExemplarInfo(e.id, e.task, e.action, round(e.q, 4), e.n, round(c.score, 4), round(c.f_task, 4), role)
