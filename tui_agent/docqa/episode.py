"""What a DocumentQA episode produced: its steps as shown to the user, and the result (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui_agent.rlem.episodic import episode_json
from tui_agent.rlem.records import ActionKey

__all__ = ["DocQAResult", "DocQAStep"]


@dataclass
class DocQAStep:
    """One step as shown to the user: what was seen, the advice, the action and why.

    ``reward``: the step's reward (−step cost, or ±1 for the answer); ``chosen_by``: memory |
    memory+llm | llm | random | rememberer | explore.
    """

    t: int
    state: str  # "results" | "passage"
    observation: str
    available_actions: list[str]
    action: str
    reason: str  # why it was chosen (shown)
    chosen_by: str
    advice: str = ""
    action_reason: str = ""  # stored with the action: "<heading> #<note id>" for read / answer
    q_estimate: float | None = None
    reward: float = 0.0
    valid: bool = True
    explored: bool = False

    def action_key(self) -> ActionKey:
        return ActionKey(self.action, self.action_reason)


@dataclass
class DocQAResult:
    """A finished episode: ``ret`` is the return (Σ rewards, in [−1 − (K−1)·cost, 1]); ``answer`` the
    text answered (None on a time-out); ``correct`` whether it was right."""

    episode_id: str
    question: str
    policy: str
    split: str
    question_index: int
    gold_answer: str = ""
    steps: list[DocQAStep] = field(default_factory=list)
    ret: float = 0.0
    answer: str | None = None
    correct: bool = False
    learned: bool = False
    row_ids: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        """The episode's task (the question), as :class:`~tui_agent.rlem.episodic.EpisodicAgent` reads it."""
        return self.question

    @property
    def success(self) -> bool:
        return self.correct

    @property
    def reward(self) -> float:
        """The final step's reward (+1 correct, −1 wrong, −cost on a time-out)."""
        return self.steps[-1].reward if self.steps else 0.0

    def to_json(self) -> dict[str, Any]:
        """Every field and ``success``; the steps without their screens
        (:func:`~tui_agent.rlem.episodic.episode_json`)."""
        return {**episode_json(self), "success": self.correct}
