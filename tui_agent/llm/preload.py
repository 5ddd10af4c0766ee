"""Models for a process that plays episodes (a rollout worker): the embedder and the LLM, loaded up front.

Used by the rollout-worker factory (:class:`tui_agent.agents.factory.AgentWorker`) so model load time is a
worker's start-up, not its first episode's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["load_models"]


def load_models(settings: Any, embedder: Callable[[], Any] | None, preload_model: bool) -> tuple[Any, Any]:
    """``(embedder, llm)`` with the embedder loaded (and the bundled model, when ``preload_model``).

    Args:
        settings: the app's :class:`~tui_agent.config.settings.Settings` for the model; None: no LLM object
            (the agent then uses the bundled model); a hosted model's API key is read from this
            process's environment.
        embedder: ``() -> embedder`` (None: :func:`tui_agent.embedding.encoder.shared_embedder`, MiniLM, 384 dims).
        preload_model: load the bundled GGUF model now (it is not loaded for a hosted model).

    Raises:
        whatever loading the embedder or the model raises (a missing model file: ``FileNotFoundError``).
    """
    if embedder is None:
        from tui_agent.embedding.encoder import shared_embedder

        loaded = shared_embedder()
    else:
        loaded = embedder()
    loaded.load()
    llm = None
    if settings is not None:
        from tui_agent.llm.client import LLM

        llm = LLM.from_settings(settings)
    if preload_model and getattr(llm, "is_local", True):
        from tui_agent.llm.local import runtime

        runtime().llama  # noqa: B018 - load the bundled model now
    return loaded, llm
