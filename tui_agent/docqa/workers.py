"""DocumentQA's rollout-worker factory: what each Ray worker builds (``tui-agent train --env docqa --workers N``).

A :class:`DocQAWorker` is pickled to every worker (:mod:`tui_agent.parallel.rollouts`) and called there once: it
builds a :class:`~tui_agent.docqa.agent.DocQAAgent` without a memory store (the worker reads a snapshot
of the driver's rows), the embedder, the model and a ``DocQAEnv`` over the bundled corpus, loading the
models up front. Used with :func:`~tui_agent.rlem.batched.EpisodeJob` options
``{"split": …, "question_index": i}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui_agent.docqa.agent import DocQAAgent, DocQAConfig
from tui_agent.llm.preload import load_models

__all__ = ["DocQAWorker"]


@dataclass(frozen=True)
class DocQAWorker:
    """``make() -> (DocQAAgent, DocQAEnv)`` for one rollout worker.

    Args:
        config: the agent's configuration (the driver's).
        settings: the app's :class:`~tui_agent.config.settings.Settings` for the model (None: the bundled model).
        env: keyword arguments of ``DocQAEnv`` (``split``, ``max_steps``, ``top_k``, ``step_cost``).
        embedder: ``() -> embedder`` (default: the bundled model, :func:`tui_agent.embedding.encoder.shared_embedder`).
        preload_model: load the bundled model at start-up (when the scorer or the answerer uses it).
    """

    config: DocQAConfig
    settings: Any = None
    env: dict[str, Any] = field(default_factory=lambda: {"split": "train"})
    embedder: Callable[[], Any] | None = None
    preload_model: bool = True

    def __call__(self) -> tuple[DocQAAgent, Any]:
        from tui_agent.envs.docqa import DocQAEnv

        uses_model = self.config.scorer == "llm" or self.config.answerer == "llm"
        embedder, llm = load_models(self.settings, self.embedder, self.preload_model and uses_model)
        return DocQAAgent(None, embedder, llm, self.config), DocQAEnv(**self.env)
