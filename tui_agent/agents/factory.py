"""The one factory of episodic agents: a domain's configuration, agent and rollout worker from settings.

Domains (:data:`DOMAINS`): ``"shop"`` (the WebShop-like environment, :mod:`tui_agent.shop`),
``"docqa"`` (DocumentQA-v0 over the notes, :mod:`tui_agent.docqa`) and ``"wikihow"`` (WikiHow-v0, REMEMBERER's
second setting, :mod:`tui_agent.wikihow`). Each is an
:class:`~tui_agent.rlem.episodic.EpisodicAgent`; this module is the only place one is constructed:

* :func:`agent_config` — the domain's configuration from the app's
  :class:`~tui_agent.config.settings.Settings` (λ, m) and a run's :class:`RunOptions` (γ, n, ablations, …);
* :func:`build_agent` — the agent over the memory store, the bundled embedder and the configured model;
* :func:`agent_for_chat` — an agent sharing a chat agent's memory, embedder and model (the TUI's
  ``/task`` and ``/doc``);
* :class:`AgentWorker` — the picklable ``make() -> (agent, env)`` each Ray rollout worker calls
  (:mod:`tui_agent.parallel.rollouts`): the same agent without a store (the worker reads a frozen snapshot).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DOMAINS", "AgentWorker", "RunOptions", "agent_config", "agent_for_chat", "build_agent", "make_env"]

DOMAINS = ("shop", "docqa", "wikihow")


@dataclass(frozen=True)
class RunOptions:
    """A run's learning and ablation options, for any domain (CLI flags of ``train`` / ``eval`` / ``task``).

    ``gamma`` ∈ [0, 1]; ``n`` ≥ 1 or None (the full-episode return); ``update_mode`` "mean" (α = 1/N) or
    "const" (α = 0.1); ``scorer`` how episodic-control breaks ties ("llm" | "constant"; None: the domain's
    default, llm on the shop, constant on docqa); ``answerer`` (docqa) "extractive" | "llm";
    ``always_answer`` (docqa) answer even where answering unknown notes has mostly failed; ``timeout_reward``
    (docqa) what the env's time-out adds, in [−1, 0] (the policy values waiting out the clock at it); ``constrained``
    (shop ``rememberer``) the model's advice constrained to the page's valid actions; ``learner`` (shop) a
    preset of :data:`tui_agent.shop.policy.LEARNERS` ("reference" | "fit-cells"); ``credit`` (wikihow) how returns
    are credited, "episode" (the reference) | "path" (zero-reward loops cut out,
    :func:`tui_agent.rlem.learning.loop_erased`), None: the domain's default (wikihow: path).
    """

    gamma: float = 1.0
    n: int | None = None
    update_mode: str = "mean"
    random_fill: bool = True
    discouraged: bool = True
    analogy: bool = True
    constrained: bool = True
    learner: str = "reference"
    credit: str | None = None
    scorer: str | None = None
    answerer: str = "extractive"
    always_answer: bool = False
    timeout_reward: float = 0.0
    seed: int | None = None


def _check(domain: str) -> None:
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; expected one of {', '.join(DOMAINS)}")


def agent_config(domain: str, settings: Any, options: RunOptions | None = None) -> Any:
    """The domain's configuration (:class:`~tui_agent.shop.agent.ShopConfig`,
    :class:`~tui_agent.docqa.agent.DocQAConfig` or :class:`~tui_agent.wikihow.agent.WikiHowConfig`) from ``settings`` (λ, m) and ``options``.

    Raises:
        ValueError: an unknown domain or an option out of range (γ, n, update mode, scorer, answerer).
    """
    _check(domain)
    o = options or RunOptions()
    if domain == "shop":
        from tui_agent.shop.agent import config_from_settings

        return config_from_settings(settings, gamma=o.gamma, n=o.n, update_mode=o.update_mode,
                                    random_fill=o.random_fill, discouraged=o.discouraged, analogy=o.analogy,
                                    scorer=o.scorer or "llm", seed=o.seed, constrained=o.constrained,
                                    learner=o.learner)
    if domain == "wikihow":
        from tui_agent.wikihow.agent import config_from_settings as wikihow_config

        return wikihow_config(settings, gamma=o.gamma, n=o.n, update_mode=o.update_mode, random_fill=o.random_fill,
                              discouraged=o.discouraged, seed=o.seed, constrained=o.constrained,
                              **({"credit": o.credit} if o.credit else {}))
    from tui_agent.docqa.agent import config_from_settings as docqa_config

    return docqa_config(settings, gamma=o.gamma, n=o.n, update_mode=o.update_mode, random_fill=o.random_fill,
                        discouraged=o.discouraged, scorer=o.scorer or "constant", answerer=o.answerer,
                        always_answer=o.always_answer, seed=o.seed, timeout_reward=o.timeout_reward)


def _agent_class(domain: str) -> type:
    _check(domain)
    if domain == "shop":
        from tui_agent.shop.agent import ShopAgent

        return ShopAgent
    if domain == "wikihow":
        from tui_agent.wikihow.agent import WikiHowAgent

        return WikiHowAgent
    from tui_agent.docqa.agent import DocQAAgent

    return DocQAAgent


def build_agent(domain: str, settings: Any, config: Any = None, *, store: Any = ..., embedder: Any = None,
                llm: Any = ...) -> Any:
    """A domain's agent.

    Args:
        domain: one of :data:`DOMAINS`.
        settings: the app's :class:`~tui_agent.config.settings.Settings` (memory directory, model, λ, m).
        config: the domain's configuration (default: :func:`agent_config` with default options).
        store: the :class:`~tui_agent.memory.store.ExperienceStore` (default: opened at the settings'
            memory directory); None for a worker, which reads a snapshot instead.
        embedder: default the bundled MiniLM (384 dims, :func:`tui_agent.embedding.encoder.shared_embedder`).
        llm: default :meth:`tui_agent.llm.client.LLM.from_settings`; None means the bundled model.

    Raises:
        ValueError: an unknown domain.
        tui_agent.memory.errors.MemoryError-family errors from opening the store (the CLI shows them).
    """
    cls = _agent_class(domain)
    if config is None:
        config = agent_config(domain, settings)
    if store is ...:
        from tui_agent.memory.store import ExperienceStore

        store = ExperienceStore(settings.resolved_memory_dir())
    if embedder is None:
        from tui_agent.embedding.encoder import shared_embedder

        embedder = shared_embedder()
    if llm is ...:
        from tui_agent.llm.client import LLM

        llm = LLM.from_settings(settings)
    return cls(store, embedder, llm, config)


def agent_for_chat(domain: str, chat_agent: Any) -> Any:
    """An agent sharing a chat agent's memory, embedder, model and λ / m settings (the TUI's ``/task``,
    ``/doc``). On docqa it always answers: a user who asks wants an answer, not a time-out.

    Raises:
        ValueError: an unknown domain.
    """
    options = RunOptions(always_answer=True) if domain == "docqa" else None
    config = agent_config(domain, chat_agent.settings, options)
    return build_agent(domain, chat_agent.settings, config, store=chat_agent.store, embedder=chat_agent.embedder,
                       llm=chat_agent.llm)


def make_env(domain: str, **kwargs: Any) -> Any:
    """The domain's environment: ``ShopEnv(split=…)``, ``DocQAEnv(split=…, max_steps=…, top_k=…, step_cost=…)`` or
    ``WikiHowEnv(split=…, max_steps=…)``.

    Raises:
        ValueError: an unknown domain.
    """
    _check(domain)
    if domain == "shop":
        from tui_agent.envs.shop.env import ShopEnv

        return ShopEnv(**kwargs)
    if domain == "wikihow":
        from tui_agent.envs.wikihow.env import WikiHowEnv

        return WikiHowEnv(**kwargs)
    from tui_agent.envs.docqa import DocQAEnv

    return DocQAEnv(**kwargs)


def _uses_model(domain: str, config: Any) -> bool:
    if domain == "wikihow":
        return False  # only the rememberer uses the model; it loads on its first step
    return config.scorer == "llm" or getattr(config, "answerer", "") == "llm"


@dataclass(frozen=True)
class AgentWorker:
    """``make() -> (agent, env)`` for one Ray rollout worker (pickled to it and called there once).

    The agent is built by :func:`build_agent` without a store (the worker gets a read-only snapshot of
    the driver's rows; for a memory in a bucket, it reads them from the bucket at the driver's version,
    :class:`tui_agent.parallel.rollouts.StoreSnapshot`: AWS credentials then come from the worker's
    environment unless the driver's ``s3_profile`` resolved them), and the embedder and (when the configuration scores or answers with it) the
    bundled model are loaded up front, so their load time is start-up, not the first episode's.

    Args:
        domain: one of :data:`DOMAINS`.
        config: the driver agent's configuration.
        settings: the app's settings for the model (None: the bundled model); a hosted model's API key
            is read from the worker's environment.
        env: keyword arguments of the domain's environment (:func:`make_env`; default split "train").
        embedder: ``() -> embedder`` (default: the bundled MiniLM).
        preload_model: load the bundled model at start-up when the configuration uses it (off for the
            random policy).
    """

    domain: str
    config: Any
    settings: Any = None
    env: dict[str, Any] = field(default_factory=lambda: {"split": "train"})
    embedder: Callable[[], Any] | None = None
    preload_model: bool = True

    def __call__(self) -> tuple[Any, Any]:
        from tui_agent.llm.preload import load_models

        embedder, llm = load_models(self.settings, self.embedder,
                                    self.preload_model and _uses_model(self.domain, self.config))
        agent = build_agent(self.domain, self.settings, self.config, store=None, embedder=embedder, llm=llm)
        return agent, make_env(self.domain, **self.env)
