"""Warm start for PPO by imitating the LLM planner (the blog's suggestion): behaviour cloning.

1. :func:`planner_demonstrations` runs a text policy of the DocQA agent (default ``"llm"``: the model
   picks the next action, no memory) on train questions inside :class:`DocQAFeatureEnv`, and records
   each step's feature observation and the discrete action standing for the planner's text action
   (:meth:`DocQAFeatureEnv.action_index`). The answer text is the env's answerer (extractive), as for PPO.
2. :func:`behaviour_clone` fits the policy head (actor encoder + π) of a built RLlib PPO ``Algorithm``
   to those pairs — full-batch Adam on the cross-entropy of the action logits — then writes the
   weights into the learner and syncs the env runners, so PPO continues from the imitated policy (the
   value function starts untrained).

No Ray or torch at import time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tui_agent.envs.docqa.env import TOP_K
from tui_agent.rl.features import DocQAFeatureEnv, observation_size

__all__ = ["behaviour_clone", "checked_demonstrations", "load_demonstrations", "planner_demonstrations", "save_demonstrations"]


def planner_demonstrations(agent: Any, steps: int, seed: int = 0, policy: str = "llm",
                           env_config: dict[str, Any] | None = None,
                           on_episode: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """At least ``steps`` planner steps (whole episodes) on train questions drawn with ``seed``.

    ``agent``: a :class:`tui_agent.docqa.agent.DocQAAgent` (its ``act`` picks the text action).
    Returns ``{"obs": [[float]], "actions": [int], "episodes", "returns": [G], "successes": [bool],
    "policy", "seed"}``.
    """
    env = DocQAFeatureEnv({**(env_config or {}), "split": "train"})
    rng = np.random.default_rng(seed)
    n_questions = len(env.env.questions("train"))
    obs_list: list[list[float]] = []
    actions: list[int] = []
    returns: list[float] = []
    successes: list[bool] = []
    while len(actions) < steps:
        obs, info = env.reset(options={"split": "train", "question_index": int(rng.integers(n_questions))})
        read_here: set[str] = set()
        searched = {info.get("query", "")}
        ret, done = 0.0, False
        while not done:
            step = agent.act(policy, info["question"], env.text_observation, info, read_here, searched=searched)
            action = env.action_index(step.action)
            obs_list.append([float(x) for x in obs])
            actions.append(action)
            obs, reward, terminated, truncated, info = env.step(action)
            ret += reward
            if info.get("read_note_id"):
                read_here.add(info["read_note_id"])
            searched.add(info.get("query", ""))
            done = terminated or truncated
        returns.append(round(ret, 4))
        successes.append(bool(info.get("success", False)))
        if on_episode is not None:
            on_episode({"episode": len(returns), "return": ret, "success": successes[-1], "steps": len(actions)})
    return {"obs": obs_list, "actions": actions, "episodes": len(returns), "returns": returns,
            "successes": successes, "policy": policy, "seed": seed}


def save_demonstrations(demos: dict[str, Any], path: Path) -> None:
    """Write demonstrations as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(demos), encoding="utf-8")


def load_demonstrations(path: Path) -> dict[str, Any]:
    """Read demonstrations written by :func:`save_demonstrations`.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not demonstrations (no equal-length ``obs`` and ``actions``).
    """
    demos = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(demos, dict) or len(demos.get("obs", [])) != len(demos.get("actions", [None])):
        raise ValueError(f"{path}: not a demonstrations file")
    return demos


def checked_demonstrations(path: Path, env_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """:func:`load_demonstrations`, checked against the observations of a run with ``env_config`` (its
    ``top_k`` and ``question_features`` fix the observation size).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not demonstrations, or observations of another size.
    """
    cfg = env_config or {}
    demos = load_demonstrations(path)
    size = observation_size(int(cfg.get("top_k", TOP_K)), str(cfg.get("question_features") or "none"))
    if demos["obs"] and len(demos["obs"][0]) != size:
        raise ValueError(f"{path}: observations of {len(demos['obs'][0])} values, but this run's have {size} "
                         "(record the demonstrations with the same question features)")
    return demos


def behaviour_clone(algo: Any, obs: list[list[float]], actions: list[int], epochs: int = 300, lr: float = 3e-3,
                    seed: int = 0) -> dict[str, float]:
    """Fit ``algo``'s policy to (obs, action) pairs (module docstring).

    Returns ``{"samples", "loss_start", "loss_end", "accuracy"}`` (cross-entropy in nats; accuracy of
    the greedy action on the pairs after fitting, in [0, 1]).

    Raises:
        ValueError: no pairs.
    """
    import torch
    from ray.rllib.core import DEFAULT_MODULE_ID

    if not actions:
        raise ValueError("no demonstrations to imitate")
    torch.manual_seed(seed)
    module = algo.get_module()  # the local env runner's (inference-only) module: actor encoder + π
    x = torch.as_tensor(np.asarray(obs, dtype=np.float32))
    y = torch.as_tensor(np.asarray(actions, dtype=np.int64))
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    module.train()
    losses = []
    for _ in range(epochs):
        logits = module._forward({"obs": x})["action_dist_inputs"]  # RLlib's override point, with gradients
        loss = torch.nn.functional.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    module.eval()
    with torch.no_grad():
        accuracy = float((module._forward({"obs": x})["action_dist_inputs"].argmax(-1) == y).float().mean())
    cloned = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    weights = algo.learner_group.get_weights()[DEFAULT_MODULE_ID]
    weights = {k: cloned.get(k, v) for k, v in weights.items()}
    algo.learner_group.set_weights({DEFAULT_MODULE_ID: weights})
    algo.env_runner_group.sync_weights(from_worker_or_learner_group=algo.learner_group, inference_only=True)
    return {"samples": len(actions), "loss_start": losses[0], "loss_end": losses[-1], "accuracy": accuracy}
