"""The episodic-agent seam: one agent class over the experience memory, for every domain.

An :class:`EpisodicAgent` owns what every RLEM agent of this project has in common — the
:class:`~tui_agent.rlem.replay.HistoryReplay` (retrieval and the only Q updates), the cache of
task embeddings, the episode loop :meth:`EpisodicAgent.run_episode` with its n-step updates, and
:meth:`EpisodicAgent.feedback` (a user's 👍/👎 as one terminal update) — so that a domain (the shop,
DocumentQA) writes only what is its own: its actions and candidate lists, its prompts, its policies'
decisions (:meth:`EpisodicAgent.act`) and what its result records.

The loop is REMEMBERER's training loop (§3.2; ``webshop.py`` / ``history.py`` of
OpenDFM/Rememberer): at every step the observation o_t, the action a_t and the reward r_{t+1} go
to the replay, which applies n-step targets as soon as they are known; the episode's remaining
targets are applied when it ends. The chat's one-step episodes (question → answer → rating) use
the same replay through :class:`EpisodicMemory` (the replay and embedding cache without a loop: a
chat turn has no environment to step).

Pure: the environment (a Gymnasium-style ``reset(options=…)`` / ``step(action)`` whose ``info`` has
``available_actions`` and ``valid``), the embedder (``encode_one(text) -> (dim,)``) and the row sink
are duck-typed; :class:`StepLike` and :class:`ResultLike` say what the loop and the rollouts need of a
domain's step and result types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Generic, Protocol, TypeVar

import numpy as np

from tui_agent.rlem.learning import LearningConfig, loop_erased
from tui_agent.rlem.records import ActionKey, RecordKey, Similarity
from tui_agent.rlem.replay import HistoryReplay, RowSink

__all__ = ["EpisodicAgent", "EpisodicMemory", "ResultLike", "StepLike"]


class StepLike(Protocol):
    """What the loop reads and writes on a domain's step: ``t`` (0-based), the observation and valid
    actions it was taken on, the action, ``reward`` r_{t+1} (any real), ``valid``, ``explored``
    (chosen for an optimistic, untried Q̂)."""

    t: int
    observation: str
    available_actions: list[str]
    action: str
    reward: float
    valid: bool
    explored: bool

    def action_key(self) -> ActionKey: ...


class ResultLike(Protocol):
    """What the loop, :meth:`EpisodicAgent.feedback` and the rollouts need of a domain's episode result."""

    episode_id: str
    policy: str
    learned: bool
    row_ids: list[str]

    @property
    def task(self) -> str: ...

    @property
    def steps(self) -> list[Any]: ...


def episode_json(result: Any) -> dict[str, Any]:
    """A finished episode (a dataclass that is :class:`ResultLike`) as a JSON-ready dict: every field, its
    steps without their observation and available actions (a screen each: kilobytes a step)."""
    data = asdict(result)
    for step in data["steps"]:
        step.pop("observation", None)
        step.pop("available_actions", None)
    return data


StepT = TypeVar("StepT", bound=StepLike)
ResultT = TypeVar("ResultT", bound=ResultLike)


class EpisodicMemory:
    """The replay and the task-embedding cache of one experience kind.

    Args:
        similarity: the domain's f_task / f_obs and λ (REMEMBERER §3.3).
        query_for: ``(RecordKey, task vector) -> query`` that ``similarity`` scores.
        embedder: anything with ``encode_one(text) -> (dim,)`` floats (384 for the bundled MiniLM).
        sink: where rows are stored (the LanceDB store behind :class:`~tui_agent.bridge.store_rows.StoreRows`),
            or None (RAM only).
        learning: γ, n, update mode.
        in_ram: see :class:`~tui_agent.rlem.replay.HistoryReplay` (False: the chat, whose records come
            from its own search each time).
    """

    def __init__(self, similarity: Similarity, query_for: Callable[[RecordKey, np.ndarray], Any], embedder: Any,
                 sink: RowSink | None, learning: LearningConfig | None = None, in_ram: bool = True) -> None:
        self.embedder = embedder
        self._query_for = query_for
        self._vectors: dict[str, np.ndarray] = {}
        self.replay = HistoryReplay(similarity, self.query_of, self.vector_of, sink, learning or LearningConfig(),
                                    in_ram=in_ram)

    def vector(self, text: str) -> np.ndarray:
        """The text's float32 ``(dim,)`` embedding, cached for the agent's life."""
        if text not in self._vectors:
            self._vectors[text] = np.asarray(self.embedder.encode_one(text), dtype=np.float32)
        return self._vectors[text]

    def vector_of(self, key: RecordKey) -> np.ndarray:
        """The record's task embedding (stored with a new row)."""
        return self.vector(key.task)

    def query_of(self, key: RecordKey) -> Any:
        """The record as a retrieval query (the bootstrap's most-similar-record lookup)."""
        return self._query_for(key, self.vector(key.task))


class EpisodicAgent(EpisodicMemory, Generic[StepT, ResultT]):
    """An agent acting in episodes with a policy over the experience memory (see the module docstring).

    A domain subclasses it and implements :meth:`policy_name`, :meth:`start`, :meth:`next_step` and
    :meth:`finish`; :meth:`observe`, :meth:`any_reason` and :meth:`feedback_key` have defaults.
    Blocking code (the model and the store are called synchronously): call from a thread.
    """

    explore_per_episode: int = 1
    """How many optimistic (untried) choices one training episode may make."""

    # --- what a domain writes --------------------------------------------------------

    def policy_name(self, name: str) -> str:
        """The canonical name of a policy this agent runs.

        Raises:
            ValueError: a policy unknown to this domain.
        """
        raise NotImplementedError

    def start(self, observation: str, info: dict[str, Any], policy: str, learn: bool) -> tuple[ResultT, Any]:
        """A new episode's empty result and the domain's per-episode state (after ``env.reset``)."""
        raise NotImplementedError

    def next_step(self, result: ResultT, state: Any, observation: str, info: dict[str, Any], learn: bool,
                  explore: bool) -> StepT:
        """The policy's next step on ``observation`` (no environment step, no memory write)."""
        raise NotImplementedError

    def observe(self, result: ResultT, state: Any, step: StepT, info: dict[str, Any]) -> None:
        """Domain bookkeeping after ``env.step`` (``info``: the step's info); default: nothing."""

    def finish(self, result: ResultT, info: dict[str, Any], has_reward: bool) -> None:
        """Fill the result from the last step's ``info`` (reward, success, answer, …); ``has_reward`` as
        given to :meth:`run_episode`."""
        raise NotImplementedError

    def any_reason(self, policy: str) -> bool:
        """Whether an action matches a stored one whatever reason it was stored with (default False)."""
        return False

    def feedback_key(self, step: StepT) -> ActionKey:
        """The (action, reason) a step is rated under (default: ``step.action_key()``)."""
        return step.action_key()

    def learning_reward(self, reward: float, info: dict[str, Any]) -> float:
        """The reward the memory learns from for a step (``info``: the step's info); default: the
        environment's ``reward`` unchanged (the reference)."""
        return float(reward)

    # --- the loop --------------------------------------------------------------------

    def run_episode(self, env: Any, options: dict[str, Any], policy: str, learn: bool = False,
                    on_step: Callable[[StepT], Any] | None = None, *, explore: bool | None = None,
                    has_reward: bool = True) -> ResultT:
        """Run one episode on ``env`` reset with ``options``.

        ``learn`` updates the memory every step (n-step targets); ``explore`` (default: ``learn``)
        lets the policy try untried actions optimistically, at most :attr:`explore_per_episode` times;
        ``has_reward`` False (e.g. a free-text goal with no reward function) runs without updates.
        ``on_step(step)`` is called after each step, from this thread. With the learning config's
        ``credit="path"`` the updates wait for the episode's end (the detours are known then).

        Raises:
            ValueError: an unknown policy.
        """
        policy = self.policy_name(policy)
        learn = learn and has_reward
        explore = learn if explore is None else explore and learn
        obs, info = env.reset(options=options)
        result, state = self.start(obs, info, policy, learn)
        episode = self.replay.begin_episode(episode_id=result.episode_id) if learn else None
        explored = 0
        transitions: list[tuple[RecordKey, ActionKey, float, RecordKey | None]] = []
        while True:
            step = self.next_step(result, state, obs, info, learn, explore and explored < self.explore_per_episode)
            explored += step.explored
            key = RecordKey.of(result.task, obs, info["available_actions"])
            obs, reward, terminated, truncated, info = env.step(step.action)
            step.reward, step.valid = float(reward), bool(info["valid"])
            self.observe(result, state, step, info)
            result.steps.append(step)
            if episode is not None:
                next_key = None if terminated or truncated else RecordKey.of(result.task, obs,
                                                                             info["available_actions"])
                transition = (key, step.action_key(), self.learning_reward(reward, info), next_key)
                if self.replay.config.credit == "path":
                    transitions.append(transition)
                else:
                    updates = self.replay.step(episode, *transition, any_reason=self.any_reason(policy))
                    result.row_ids.extend(u.row_id for u in updates if u.row_id)
            if on_step is not None:
                on_step(step)
            if terminated or truncated:
                break
        if episode is not None:
            if transitions:
                result.row_ids.extend(self._learn_path(episode, transitions, self.any_reason(policy)))
            result.row_ids.extend(u.row_id for u in self.replay.end_episode(episode) if u.row_id)
        self.finish(result, info, has_reward)
        return result

    def _learn_path(self, episode: Any, transitions: list[tuple[RecordKey, ActionKey, float, RecordKey | None]],
                    any_reason: bool) -> list[str]:
        """``credit="path"``: the episode's detours (:func:`~tui_agent.rlem.learning.loop_erased`) are trained
        towards 0 and its path goes through the replay as the episode; returns the new row ids."""
        states = [t[0] for t in transitions] + [transitions[-1][3]]
        path, detours = loop_erased(states, [t[2] for t in transitions])
        ids = [u.row_id for t in detours
               for u in [self.replay.learn(transitions[t][0], transitions[t][1], 0.0, any_reason=any_reason, step=t,
                                           **episode.info)] if u.row_id]
        for i, t in enumerate(path):
            key, action, reward, _ = transitions[t]
            next_key = transitions[path[i + 1]][0] if i + 1 < len(path) else transitions[-1][3]
            ids.extend(u.row_id for u in self.replay.step(episode, key, action, reward, next_key, any_reason=any_reason)
                       if u.row_id)
        return ids

    def feedback(self, result: ResultT, up: bool) -> list[tuple[str | None, float, int]]:
        """👍/👎 after an episode: one terminal update with target +1 / −1 for each (record, action) it took.

        A (record, action) taken twice in the episode is updated once; steps not in memory yet are
        added. Returns ``[(row id, Q, N), ...]`` after the update; Q moves towards ±1 but lies in the
        environment's return range, which a step cost can take a little past −1 (DocQA: −1.01).
        """
        taken = [(RecordKey.of(result.task, step.observation, step.available_actions), self.feedback_key(step), step.t)
                 for step in result.steps]
        updates = self.replay.learn_episode(taken, 1.0 if up else -1.0, any_reason=self.any_reason(result.policy),
                                            episode_id=result.episode_id)
        return [(u.row_id, u.q, u.n) for u in updates]
