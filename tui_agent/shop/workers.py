"""The shop's rollout-worker factory: what each Ray worker builds (``tui-agent train --env shop --workers N``).

A :class:`ShopWorker` is pickled to every worker (:mod:`tui_agent.parallel.rollouts`) and called there once: it
builds a :class:`~tui_agent.shop.agent.ShopAgent` without a memory store (the worker gets a read-only
snapshot of the driver's rows instead), the embedder, the model and a :class:`~tui_agent.envs.shop.env.ShopEnv`,
and loads the models up front so their load time is start-up, not the first episode's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui_agent.shop.agent import ShopAgent, ShopConfig
from tui_agent.llm.preload import load_models

__all__ = ["ShopWorker"]


@dataclass(frozen=True)
class ShopWorker:
    """``make() -> (ShopAgent, ShopEnv)`` for one rollout worker.

    Args:
        config: the agent's configuration (the driver's).
        settings: the app's :class:`~tui_agent.config.settings.Settings` for the model (None: the bundled model);
            a hosted model's API key is read from the worker's environment.
        split: the environment's split.
        embedder: ``() -> embedder`` (default: the bundled model, :func:`tui_agent.embedding.encoder.shared_embedder`).
        preload_model: load the bundled model at start-up (policies that score with it).
    """

    config: ShopConfig
    settings: Any = None
    split: str = "train"
    embedder: Callable[[], Any] | None = None
    preload_model: bool = True

    def __call__(self) -> tuple[ShopAgent, Any]:
        from tui_agent.envs.shop.env import ShopEnv

        embedder, llm = load_models(self.settings, self.embedder, self.preload_model and self.config.scorer == "llm")
        return ShopAgent(None, embedder, llm, self.config), ShopEnv(split=self.split)
