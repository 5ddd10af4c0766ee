"""What a WikiHow episode produced: its steps as shown to the user, and the result (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui_agent.rlem.episodic import episode_json
from tui_agent.rlem.records import ActionKey

__all__ = ["WikiHowResult", "WikiHowStep"]


@dataclass
class WikiHowStep:
    """One step: the screen seen, its actions and step instruction, the action and why.

    ``action_reason``: the element acted on (its screen line; '' for SCROLL / GOBACK), the reason the
    action is stored with, as in REMEMBERER's WikiHow pools.
    """

    t: int
    page_type: str
    observation: str
    available_actions: list[str]
    step_instruction: str
    action: str
    reason: str
    chosen_by: str  # memory | random | rememberer
    advice: str = ""
    q_estimate: float | None = None
    reward: float = 0.0
    valid: bool = True
    explored: bool = False
    action_reason: str | None = None

    def action_key(self) -> ActionKey:
        return ActionKey(self.action, self.action_reason or "")


@dataclass
class WikiHowResult:
    """A finished episode. ``reward``: the steps of the task completed (0..``steps_total``; None without one)."""

    episode_id: str
    instruction: str
    policy: str
    split: str
    goal_index: int
    pattern: str
    steps_total: int
    steps: list[WikiHowStep] = field(default_factory=list)
    reward: float | None = 0.0
    success: bool = False
    learned: bool = False
    row_ids: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        """The task text (what :class:`~tui_agent.rlem.episodic.EpisodicAgent` keys records by)."""
        return self.instruction

    def to_json(self) -> dict[str, Any]:
        """Every field; the steps without their screens (:func:`~tui_agent.rlem.episodic.episode_json`)."""
        return episode_json(self)
