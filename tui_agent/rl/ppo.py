"""PPO on DocumentQA-v0 with Ray RLlib (the blog's baseline): training, greedy evaluation, checkpoints.

The policy sees :class:`tui_agent.rl.features.DocQAFeatureEnv` (a ``Box`` of similarity features,
``Discrete`` read / answer / keyword-search actions; the answer text from an answerer). Algorithm:
RLlib's PPO (Schulman et al. 2017, clipped surrogate objective + GAE) on RLlib's new API stack
(``PPOConfig``, RLModule + Learner, ``SingleAgentEnvRunner``), torch, CPU only. Sampling runs on
``num_env_runners`` RLlib env runners (default 1: a Ray actor process; 0: in the driver); the learner
updates in the driver (``num_learners=0``). Each env runner's env draws its own seeded question
stream (seed + 1000·worker index). The env is registered with ``ray.tune.registry.register_env`` as
:data:`ENV_NAME`.

Learning curve on held-out questions: with ``test_every = n`` the greedy policy is run after each
iteration in which the training episode count passes a multiple of n (and after the last one) on the test questions (``test_questions``: the first N, all by
default) and the curve entry gets ``test`` (success rate, mean return, share answered).

Budget in episodes: every training iteration samples *complete* episodes until it has at least
:func:`steps_per_iteration` env steps (``batch_mode="complete_episodes"``), then runs ``num_epochs``
PPO epochs over them; training stops after the iteration in which the episode count reaches the
budget (so it may end up to one iteration's worth of episodes above it; the curve records the exact
counts). Per iteration the curve records the mean return and success rate *of that iteration's
episodes* (not RLlib's 100-episode smoothed mean).

Ray and torch are imported inside the functions (the ``rl`` extra); importing this module is cheap.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tui_agent.rl.features import DocQAFeatureEnv

ENV_NAME = "tui_agent/DocumentQA-features-v0"
ANSWERERS = ("extractive", "llm")
EPISODE_LIST = "docqa_episodes"

__all__ = ["ANSWERERS", "ENV_NAME", "PPOSettings", "PolicyNet", "evaluate", "init_ray", "load_policy", "make_env",
           "steps_per_iteration", "train", "warm_start_demonstrations"]


@dataclass
class PPOSettings:
    """What a PPO run needs. Units: episodes, env steps; ``lr`` per Adam step.

    ``hidden``: sizes of the policy and value MLPs (separate, tanh). ``answerer``: "extractive" (default,
    shared by every policy in the benchmarks) or "llm" (``model`` writes the answer, as in the blog).
    ``env_config``: passed to :class:`DocQAFeatureEnv` (``max_steps``, ``top_k``, ``step_cost``,
    ``keyword_search``); the training split is always "train". ``warm_start``: a demonstrations file
    of the LLM planner (:func:`tui_agent.rl.imitation.planner_demonstrations`): the policy imitates it
    (behaviour cloning) before the first PPO iteration. ``num_env_runners`` ≥ 0: RLlib env runner
    processes that sample (0: the driver samples). ``test_every`` ≥ 0 training episodes (0: no held-out curve)
    and ``test_questions`` (None: all): the held-out learning curve (module docstring).
    """

    episodes: int = 300
    seed: int = 0
    lr: float = 1e-3
    gamma: float = 0.99
    lambda_: float = 0.95
    entropy_coeff: float = 0.01
    clip_param: float = 0.2
    num_epochs: int = 8
    hidden: tuple[int, ...] = (64, 64)
    batch_steps: int | None = None  # None: steps_per_iteration(episodes)
    answerer: str = "extractive"
    model: str | None = None
    env_config: dict[str, Any] = field(default_factory=dict)
    warm_start: str | None = None  # demonstrations JSON (tui_agent.rl.imitation) to imitate before PPO
    num_env_runners: int = 1
    test_every: int = 0
    test_questions: int | None = None

    def __post_init__(self) -> None:
        if self.episodes < 1:
            raise ValueError("episodes must be ≥ 1")
        if self.num_env_runners < 0 or self.test_every < 0 or (self.test_questions or 0) < 0:
            raise ValueError("num_env_runners, test_every and test_questions must be ≥ 0")
        if self.answerer not in ANSWERERS:
            raise ValueError(f"unknown answerer {self.answerer!r}; expected one of {', '.join(ANSWERERS)}")


def steps_per_iteration(episodes: int) -> int:
    """Env steps per training batch for an ``episodes`` budget: 0.3 steps per budget episode, between 8
    and 200 — about 10 iterations for small budgets (an episode is 2–8 steps), up to ~60 episodes an
    iteration for 1,000."""
    return int(min(200, max(8, round(0.3 * episodes))))


def make_answerer(name: str, model: str | None = None) -> Callable[[str, str], str] | None:
    """The answerer called ``name``: None for "extractive" (the env's default), an LLM answerer for "llm".

    Raises:
        ValueError: an unknown name.
    """
    if name == "extractive":
        return None
    if name == "llm":
        from tui_agent.rl.answerers import llm_answerer

        return llm_answerer(model)
    raise ValueError(f"unknown answerer {name!r}; expected one of {', '.join(ANSWERERS)}")


def make_env(env_config: dict[str, Any] | None = None) -> DocQAFeatureEnv:
    """The env creator RLlib calls (``env_config`` may hold ``answerer``, ``model`` and ``seed`` besides
    the :class:`DocQAFeatureEnv` settings). With ``seed`` the env is reset once with it here, so the
    question draws of later (unseeded) resets are a reproducible stream; in an RLlib env runner
    (``env_config.worker_index`` ≥ 1) the seed is seed + 1000·worker index, and that process's Python,
    numpy and torch generators are seeded with it too (its action sampling is then reproducible)."""
    worker = int(getattr(env_config, "worker_index", 0) or 0)
    cfg = dict(env_config or {})
    seed = cfg.pop("seed", None)
    env = DocQAFeatureEnv(cfg, answerer=make_answerer(cfg.pop("answerer", "extractive"), cfg.pop("model", None)))
    if seed is not None:
        seed = int(seed) + 1000 * worker
        if worker:
            _seed_everything(seed)
        env.reset(seed=seed)
    return env


def _on_episode_end(*, episode: Any, metrics_logger: Any, **_: Any) -> None:
    """RLlib callback: (return, success, steps, question index) of each finished episode, per iteration."""
    infos = episode.get_infos()
    last = infos[-1] if len(infos) else {}
    metrics_logger.log_value(EPISODE_LIST, (round(float(episode.get_return()), 4), bool(last.get("success", False)),
                                            int(len(episode)), int(last.get("gold", {}).get("index", -1))),
                             reduce="item_series")


def _quiet() -> None:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    for name in ("ray", "ray.rllib", "ray.tune", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def init_ray() -> bool:
    """Start a private local Ray instance (2 CPUs at most, no dashboard) unless one is running in this
    process; True if this call started it."""
    _quiet()
    import ray

    if ray.is_initialized():
        return False
    ray.init(address="local", num_cpus=min(2, os.cpu_count() or 1), include_dashboard=False,
             log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
    return True


def _seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch in this process (RLlib's env runner and learner live here).

    Not RLlib's ``debugging(seed=...)``: RLlib 2.60's ``SingleAgentEnvRunner`` passes that seed to
    ``env.reset`` at *every* ``sample()`` call (``_needs_initial_reset`` is never cleared), and with
    ``batch_mode="complete_episodes"`` that is every episode — the env would pose the same question
    over and over. The env is seeded once in :func:`make_env` instead.
    """
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_algorithm(settings: PPOSettings) -> Any:
    """An RLlib PPO ``Algorithm`` for ``settings`` (Ray must be initialised: :func:`init_ray`)."""
    _quiet()
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.tune.registry import register_env

    register_env(ENV_NAME, make_env)
    batch = settings.batch_steps or steps_per_iteration(settings.episodes)
    env_config = {**settings.env_config, "split": "train", "answerer": settings.answerer, "model": settings.model,
                  "seed": settings.seed}
    _seed_everything(settings.seed)
    config = (
        PPOConfig()
        .environment(ENV_NAME, env_config=env_config)
        .framework("torch")
        .env_runners(num_env_runners=settings.num_env_runners, num_envs_per_env_runner=1, batch_mode="complete_episodes",
                     rollout_fragment_length="auto")
        .learners(num_learners=0)
        .training(lr=settings.lr, gamma=settings.gamma, lambda_=settings.lambda_,
                  entropy_coeff=settings.entropy_coeff, clip_param=settings.clip_param,
                  num_epochs=settings.num_epochs, train_batch_size_per_learner=batch,
                  minibatch_size=min(64, batch), vf_clip_param=10.0)
        .rl_module(model_config={"fcnet_hiddens": list(settings.hidden), "fcnet_activation": "tanh",
                                 "vf_share_layers": False})
        .callbacks(on_episode_end=_on_episode_end)
        .reporting(metrics_num_episodes_for_smoothing=100)
        .debugging(log_level="ERROR")  # no RLlib seed: see _seed_everything
    )
    return config.build_algo()


def train(settings: PPOSettings, out_dir: Path | None = None,
          on_iteration: Callable[[dict[str, Any]], None] | None = None
          ) -> tuple[dict[str, Any], PolicyNet]:
    """Train PPO for ``settings.episodes`` training episodes (module docstring), save a checkpoint and
    the learning curve.

    Returns ``(report, policy)``: ``policy`` is the trained :class:`PolicyNet` (called: greedy); the
    report (JSON-ready) has ``settings``, ``curve`` (one dict per iteration: ``iteration``, ``episodes`` in
    it, ``episodes_total``, ``return_mean`` and ``success_rate`` of its episodes, ``env_steps_total``,
    ``time_s`` since the start, and per episode of it ``returns``, ``successes``, ``steps``,
    ``questions`` (train question index); with ``test_every``, on the iterations that pass a multiple of it
    and on the last, ``test``: ``{"split": "test", "episodes", "success_rate", "return_mean", "answered", "steps_mean"}``
    of the greedy policy then),
    ``episodes`` (total), ``train_time_s``, and with ``out_dir`` set, ``checkpoint`` (RLlib's checkpoint
    directory) and ``curve_file`` (``out_dir/curve.json``); with ``warm_start``, ``warm_start`` (the
    behaviour cloning's samples, losses, accuracy and the planner's mean return).
    ``on_iteration`` gets each curve entry as it is made.
    """
    started = init_ray()
    try:
        algo = build_algorithm(settings)
        try:
            warm = _warm_start(algo, settings) if settings.warm_start else None
            report = _train_loop(algo, settings, on_iteration)
            if warm is not None:
                report["warm_start"] = warm
            if out_dir is not None:
                out_dir.mkdir(parents=True, exist_ok=True)
                checkpoint = out_dir / "checkpoint"
                algo.save_to_path(str(checkpoint.resolve()))
                report["checkpoint"] = str(checkpoint)
                report["curve_file"] = str(out_dir / "curve.json")
                (out_dir / "curve.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
            return report, PolicyNet(algo.get_module())
        finally:
            algo.stop()
    finally:
        if started:
            import ray

            ray.shutdown()


def warm_start_demonstrations(settings: PPOSettings) -> dict[str, Any]:
    """The demonstrations of ``settings.warm_start`` checked against the run's observations
    (:func:`tui_agent.rl.imitation.checked_demonstrations`; raises its errors)."""
    from tui_agent.rl.imitation import checked_demonstrations

    return checked_demonstrations(Path(str(settings.warm_start)), settings.env_config)


def _warm_start(algo: Any, settings: PPOSettings) -> dict[str, Any]:
    from tui_agent.rl.imitation import behaviour_clone

    demos = warm_start_demonstrations(settings)
    fit = behaviour_clone(algo, demos["obs"], demos["actions"], seed=settings.seed)
    returns = demos.get("returns") or [0.0]
    return {**fit, "file": str(settings.warm_start), "planner": demos.get("policy", ""),
            "planner_episodes": int(demos.get("episodes", 0)), "planner_return_mean": float(np.mean(returns))}


def _episode_rows(raw: Any) -> list[tuple[float, bool, int, int]]:
    """The iteration's (return, success, steps, question index) rows from RLlib's reduced item series,
    which comes back as NaN when empty and as the bare item when it holds exactly one."""
    if raw is None or isinstance(raw, float):
        return []
    rows = list(raw)
    if rows and not isinstance(rows[0], (tuple, list)):
        rows = [tuple(rows)]
    return [(float(r[0]), bool(r[1]), int(r[2]), int(r[3]) if len(r) > 3 else -1) for r in rows]


def _train_loop(algo: Any, settings: PPOSettings, on_iteration: Callable[[dict[str, Any]], None] | None
                ) -> dict[str, Any]:
    curve: list[dict[str, Any]] = []
    total, t0, next_test = 0, time.perf_counter(), settings.test_every
    while total < settings.episodes:
        result = algo.train()
        episodes = _episode_rows(result.get("env_runners", {}).get(EPISODE_LIST))
        total += len(episodes)
        returns = [e[0] for e in episodes]
        entry: dict[str, Any] = {
            "iteration": len(curve) + 1,
            "episodes": len(episodes),
            "episodes_total": total,
            "return_mean": float(np.mean(returns)) if returns else None,
            "success_rate": float(np.mean([e[1] for e in episodes])) if episodes else None,
            "env_steps_total": int(result.get("num_env_steps_sampled_lifetime", 0)),
            "time_s": round(time.perf_counter() - t0, 3),
            "returns": returns,
            "successes": [e[1] for e in episodes],
            "steps": [e[2] for e in episodes],
            "questions": [e[3] for e in episodes],
        }
        if settings.test_every and (total >= next_test or total >= settings.episodes):
            next_test = (total // settings.test_every + 1) * settings.test_every
            test = evaluate(PolicyNet(algo.get_module()), "test", settings.test_questions,
                            env_config=settings.env_config, answerer=settings.answerer, model=settings.model)
            entry["test"] = {k: v for k, v in test.items() if k != "per_question"}
        curve.append(entry)
        if on_iteration is not None:
            on_iteration(entry)
    settings_json = asdict(settings)
    settings_json["hidden"] = list(settings.hidden)
    return {"settings": settings_json, "curve": curve, "episodes": total,
            "train_time_s": round(time.perf_counter() - t0, 3)}


class PolicyNet:
    """The trained RLModule as a policy over :class:`DocQAFeatureEnv` observations.

    Calling it gives the greedy action (the argmax of the action logits, deterministic);
    :meth:`sampler` gives a policy that samples from the softmax of the logits, as PPO acts in training.
    """

    def __init__(self, module: Any) -> None:
        self.module = module

    def logits(self, obs: np.ndarray) -> np.ndarray:
        """The action logits, float ``(n_actions,)``."""
        import torch

        with torch.no_grad():
            out = self.module.forward_inference({"obs": torch.as_tensor(np.asarray(obs, np.float32)[None])})
        return out["action_dist_inputs"][0].numpy()

    def __call__(self, obs: np.ndarray) -> int:
        return int(np.argmax(self.logits(obs)))

    def sampler(self, seed: int = 0) -> Callable[[np.ndarray], int]:
        """``policy(obs) -> action`` drawn from softmax(logits) with a ``seed``-ed generator."""
        rng = np.random.default_rng(seed)

        def sample(obs: np.ndarray) -> int:
            z = self.logits(obs).astype(np.float64)
            p = np.exp(z - z.max())
            return int(rng.choice(len(p), p=p / p.sum()))

        return sample


def load_policy(checkpoint: Path) -> PolicyNet:
    """The policy of a saved run (``checkpoint`` = the ``checkpoint`` directory :func:`train`
    wrote); loads only the RLModule (no Ray cluster is started).

    Raises:
        FileNotFoundError: no RLModule under ``checkpoint``.
    """
    _quiet()
    from ray.rllib.core.rl_module.rl_module import RLModule

    path = Path(checkpoint) / "learner_group" / "learner" / "rl_module" / "default_policy"
    if not path.is_dir():
        raise FileNotFoundError(f"no RLModule checkpoint at {path}")
    return PolicyNet(RLModule.from_checkpoint(str(path.resolve())))


def evaluate(policy: Callable[[np.ndarray], int], split: str = "test", questions: int | None = None,
             env_config: dict[str, Any] | None = None, answerer: str = "extractive", model: str | None = None,
             on_episode: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run ``policy`` once on each of the first ``questions`` questions of ``split`` (all by default).

    Returns ``{"split", "episodes", "success_rate", "return_mean", "steps_mean", "answered" (share that
    answered before the time-out), "per_question"}``; ``per_question`` lists ``{"index", "return",
    "success", "answered", "steps", "actions"}``.
    """
    env = make_env({**(env_config or {}), "split": split, "answerer": answerer, "model": model})
    n = len(env.env.questions(split)) if questions is None else min(questions, len(env.env.questions(split)))
    rows = []
    for i in range(n):
        obs, info = env.reset(options={"split": split, "question_index": i})
        ret, done, actions = 0.0, False, []
        while not done:
            obs, reward, terminated, truncated, info = env.step(policy(obs))
            ret += reward
            actions.append(info["action_text"][:80])
            done = terminated or truncated
        row = {"index": i, "return": round(ret, 4), "success": bool(info.get("success", False)),
               "answered": info.get("answer") is not None, "steps": int(info["step"]), "actions": actions}
        rows.append(row)
        if on_episode is not None:
            on_episode(row)
    return {
        "split": split, "episodes": n,
        "success_rate": float(np.mean([r["success"] for r in rows])) if rows else 0.0,
        "return_mean": float(np.mean([r["return"] for r in rows])) if rows else 0.0,
        "steps_mean": float(np.mean([r["steps"] for r in rows])) if rows else 0.0,
        "answered": float(np.mean([r["answered"] for r in rows])) if rows else 0.0,
        "per_question": rows,
    }
