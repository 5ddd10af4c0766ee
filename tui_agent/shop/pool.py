"""The shop's initial pool: one hand-written successful trajectory (the paper's initial experience).

Stored in ``memories/shop_initial_pool.jsonl`` (inside the package data), one
step per line; loaded into a memory that has no shop rows yet, as rows with
Q = the episode's return from that step and N = 1 (what one Monte-Carlo
update from an empty table gives).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tui_agent.memory.schema import Experience, ExperienceKind
from tui_agent.rlem.records import RecordKey

INITIAL_POOL_FILE = Path(__file__).resolve().parents[1] / "memories" / "shop_initial_pool.jsonl"  # package data
INITIAL_EPISODE_ID = "initial-pool"

__all__ = ["INITIAL_EPISODE_ID", "INITIAL_POOL_FILE", "load_initial_pool", "pool_experiences", "write_initial_pool"]


def load_initial_pool(path: Path = INITIAL_POOL_FILE) -> list[dict[str, Any]]:
    """The trajectory, one dict per step (task, observation, available_actions, action, reason,
    reward, return, step)."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def write_initial_pool(path: Path = INITIAL_POOL_FILE) -> None:
    """Regenerate the pool file by replaying ``tui_agent.envs.shop.initial_pool``."""
    from tui_agent.envs.shop.initial_pool import initial_episode

    ep = initial_episode()
    rewards = ep["rewards"]
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"episode_id": INITIAL_EPISODE_ID, "step": t, "task": ep["instruction"],
                                "observation": s.observation, "available_actions": s.available_actions,
                                "action": s.action, "reason": s.reason, "reward": rewards[t],
                                "return": sum(rewards[t:])}, ensure_ascii=False) + "\n" for t, s in enumerate(ep["steps"]))


def pool_experiences(vector: list[float], steps: list[dict[str, Any]] | None = None) -> list[Experience]:
    """The initial pool as experience rows: Q = the return, N = 1, source "initial"."""
    out = []
    for s in steps if steps is not None else load_initial_pool():
        out.append(Experience(task=s["task"], action=s["action"], kind=ExperienceKind.SHOP, observation=s["observation"],
                              available_actions=RecordKey.of("", "", s["available_actions"]).available_actions,
                              reason=s["reason"], q=float(s["return"]), n=1, mean_reward=float(s["reward"]),
                              model="hand-written", source="initial", episode_id=INITIAL_EPISODE_ID,
                              step=int(s["step"]), vector=list(vector)))
    return out
