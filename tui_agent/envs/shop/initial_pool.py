"""The "initial pool": one hand-written successful shop trajectory.

REMEMBERER starts its experience memory from one annotated successful
WebShop trajectory (OpenDFM/Rememberer ``history-pools/init_pool*.yaml``;
paper §4). This is ours, for TRAIN goal 2 (a shampoo with two attributes,
two options and a price limit). The actions and reasons are hand-written;
the observations and available actions are produced by replaying the actions
in :class:`~tui_agent.envs.shop.env.ShopEnv`, so they are exactly what the env
shows. Every step has reward 0 except the last (Buy Now), which has reward 1.0.
"""

from __future__ import annotations

from typing import Any, NamedTuple

INITIAL_TASK: dict[str, Any] = {"split": "train", "goal_index": 2}

# (action, reason) pairs, written by hand for train goal 2:
# "i want to buy a shampoo which is travel size and salon quality, with argan
#  oil scent and in size 12 fl oz, and price lower than 20.00 dollars"
INITIAL_ACTIONS: list[tuple[str, str]] = [
    ("search[travel size salon quality shampoo argan oil 12 fl oz]",
     "I search for the product type with the wanted attributes and options."),
    ("click[B068JU4AQR]",
     "B068JU4AQR is a travel size shampoo for $9.95, under 20 dollars. "
     "I can check B068JU4AQR first."),
    ("click[Features]",
     "The title says travel size but not salon quality. I check the features."),
    ("click[< Prev]",
     "The features say it is salon quality and travel size. I go back to choose the options."),
    ("click[argan oil]", "The instruction asks for argan oil scent."),
    ("click[12 fl oz]", "The instruction asks for size 12 fl oz."),
    ("click[Buy Now]",
     "Travel size, salon quality, argan oil, 12 fl oz and $9.95 < $20: all match. I buy it."),
]

__all__ = ["ExemplarStep", "INITIAL_TASK", "INITIAL_ACTIONS", "initial_trajectory",
           "initial_episode"]


class ExemplarStep(NamedTuple):
    """One step: the observation and available actions seen, the action taken and why."""

    observation: str
    available_actions: list[str]
    action: str
    reason: str


def initial_episode(env: Any | None = None) -> dict[str, Any]:
    """Replay the hand-written actions and return the whole episode.

    Returns a dict with ``instruction`` (str), ``goal`` (dict), ``steps``
    (list[ExemplarStep]), ``rewards`` (list[float], one per step),
    ``final_observation`` (str) and ``success`` (bool). ``env`` defaults to a
    fresh ``ShopEnv``; it is reset to :data:`INITIAL_TASK`.
    """
    if env is None:
        from .env import ShopEnv

        env = ShopEnv(split=INITIAL_TASK["split"])
    obs, info = env.reset(options=dict(INITIAL_TASK))
    steps, rewards = [], []
    for action, reason in INITIAL_ACTIONS:
        steps.append(ExemplarStep(obs, list(info["available_actions"]), action, reason))
        obs, reward, terminated, truncated, info = env.step(action)
        rewards.append(float(reward))
        if not info["valid"]:
            raise RuntimeError(f"initial pool action {action!r} is invalid for this catalog")
    return {"instruction": info["instruction"], "goal": info["goal"], "steps": steps,
            "rewards": rewards, "final_observation": obs,
            "success": bool(info.get("success", False))}


def initial_trajectory(env: Any | None = None) -> list[ExemplarStep]:
    """The hand-written successful trajectory as ``[(observation, available_actions, action,
    reason), ...]`` (7 steps; its final reward is 1.0)."""
    return initial_episode(env)["steps"]
