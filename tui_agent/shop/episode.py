"""What a shop episode produced: its steps as shown to the user, and the result (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui_agent.rlem.episodic import episode_json
from tui_agent.rlem.records import ActionKey

__all__ = ["EpisodeResult", "ShopStep"]


@dataclass
class ShopStep:
    """One step as shown to the user: what was seen, the advice, the action and why."""

    t: int
    page_type: str
    observation: str
    available_actions: list[str]
    advice: str
    action: str
    reason: str
    chosen_by: str  # memory | memory+llm | llm | random | search | rememberer
    q_estimate: float | None = None
    reward: float = 0.0
    valid: bool = True
    explored: bool = False  # chosen for its optimistic (untried) Q̂ while training
    action_reason: str | None = None  # the reason stored with the action (rememberer); None: any

    def action_key(self) -> ActionKey:
        return ActionKey(self.action, self.action_reason or "")


@dataclass
class EpisodeResult:
    """A finished episode. ``reward`` ∈ [0, 1] (None for a free-text goal without a matched goal)."""

    episode_id: str
    instruction: str
    policy: str
    split: str
    goal_index: int
    steps: list[ShopStep] = field(default_factory=list)
    reward: float | None = 0.0
    success: bool = False
    learned: bool = False
    row_ids: list[str] = field(default_factory=list)

    @property
    def task(self) -> str:
        """The episode's task (the instruction), as :class:`~tui_agent.rlem.episodic.EpisodicAgent` reads it."""
        return self.instruction

    def to_json(self) -> dict[str, Any]:
        """Every field; the steps without their screens (:func:`~tui_agent.rlem.episodic.episode_json`)."""
        return episode_json(self)
