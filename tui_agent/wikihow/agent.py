"""The WikiHow agent: runs WikiHow-v0 episodes with a policy over the RLEM experience memory.

Policies (``policy=``, :data:`tui_agent.config.base.POLICY_TABLE`):

* ``"episodic-control"`` — Q̂ per action role from memory chooses (:mod:`tui_agent.wikihow.policy`);
  random where the memory knows nothing.
* ``"rememberer"`` — the paper's procedure with the reference's WikiHow prompt
  (:mod:`tui_agent.wikihow.prompt`): the model writes advice after two exemplars and the top
  encouraged action is taken (the reference's parser, :func:`~tui_agent.rlem.advice.parse_advice`);
  by default constrained to the screen's actions by a llama.cpp grammar
  (:func:`~tui_agent.wikihow.prompt.advice_grammar`); unreadable advice is no action (``NOTHINGG``).
* ``"random"`` — a random available action (search text: the task's phrase).

Memory rows are of kind ``wikihow``, the kind REMEMBERER's WikiHow pools import as
(``tui-agent memory import init_pool.q.yaml``), so an imported pool is this agent's initial memory;
an action's reason is the element acted on, as in the pools. Blocking code: call from a thread.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from tui_agent.bridge.store_rows import StoreRows
from tui_agent.config.base import policy_spec
from tui_agent.memory.schema import ExperienceKind
from tui_agent.rlem.advice import AdviceOptions, parse_advice
from tui_agent.rlem.episodic import EpisodicAgent
from tui_agent.rlem.learning import LearningConfig
from tui_agent.rlem.records import DEFAULT_LAMBDA, ActionKey
from tui_agent.wikihow import policy as pol
from tui_agent.wikihow import prompt as prm
from tui_agent.wikihow.episode import WikiHowResult, WikiHowStep
from tui_agent.wikihow.records import WikiHowQuery, query_for, task_pattern, wikihow_similarity

__all__ = ["DEFAULT_CREDIT", "NO_ACTION", "WikiHowAgent", "WikiHowConfig", "config_from_settings", "policy_name"]

NO_ACTION = "NOTHINGG"
DEFAULT_CREDIT = "path"
"""WikiHow's default credit (:class:`~tui_agent.rlem.learning.LearningConfig`): a detour that returns to a screen
already seen earns nothing (docs/wikihow.md, "Credit"); ``"episode"`` is the reference's full-episode return."""


def policy_name(name: str) -> str:
    """The canonical name of a WikiHow policy.

    Raises:
        ValueError: a policy that does not run on WikiHow.
    """
    return policy_spec(name, "wikihow").name


@dataclass
class WikiHowConfig:
    """``lam`` λ, ``m`` exemplars, ``learning`` γ / n / update mode, ``advice`` switches, ``policy`` the
    episodic-control thresholds, ``constrained`` the rememberer's grammar, ``prompt_tokens`` its budget."""

    lam: float = DEFAULT_LAMBDA
    m: int = 2
    learning: LearningConfig = field(default_factory=LearningConfig)
    advice: AdviceOptions = field(default_factory=AdviceOptions)
    policy: pol.PolicyConfig = field(default_factory=pol.PolicyConfig)
    seed: int | None = None
    constrained: bool = True
    prompt_tokens: int = prm.PROMPT_TOKENS


def config_from_settings(settings: Any, *, gamma: float = 1.0, n: int | None = None, update_mode: str = "mean",
                         random_fill: bool = True, discouraged: bool = True, seed: int | None = None,
                         constrained: bool = True, credit: str = DEFAULT_CREDIT) -> WikiHowConfig:
    """The configuration from the app's settings (λ, m) and a run's options (``credit``: "path" | "episode").

    Raises:
        ValueError: an option out of range (γ, n, update mode, credit).
    """
    return WikiHowConfig(lam=settings.similarity_lambda, m=max(int(settings.exemplars), 1),
                         learning=LearningConfig(gamma=gamma, n=n, update_mode=update_mode, credit=credit),
                         advice=AdviceOptions(random_fill=random_fill, discouraged=discouraged), seed=seed,
                         constrained=constrained)


@dataclass
class _State:
    history: list[ActionKey] = field(default_factory=list)
    taken: dict[str, set[str]] = field(default_factory=dict)


def _element_line(observation: str, action: str) -> str:
    """The screen line of the element ``action`` acts on ('' for SCROLL / GOBACK): the pools' reason."""
    from tui_agent.envs.wikihow.app import parse_action

    parsed = parse_action(action)
    lines = observation.splitlines()
    if parsed is None or parsed.kind not in ("CLICK", "INPUT") or not 0 <= parsed.element < len(lines):
        return ""
    return lines[parsed.element].strip()


class WikiHowAgent(EpisodicAgent[WikiHowStep, WikiHowResult]):
    """Runs WikiHow episodes (see the module docstring).

    Args:
        store: an :class:`~tui_agent.memory.store.ExperienceStore`, or None (RAM only: a rollout worker).
        embedder: ``encode_one(text) -> (384,)``.
        llm: a :class:`~tui_agent.llm.client.LLM`; None or a local one → the bundled model (rememberer only).
        config: :class:`WikiHowConfig`.
    """

    def __init__(self, store: Any, embedder: Any, llm: Any = None, config: WikiHowConfig | None = None) -> None:
        self.store, self.llm = store, llm
        self.config = config or WikiHowConfig()
        self.rng = random.Random(self.config.seed)
        model = getattr(llm, "model", "local/smollm2") or ""
        sink = StoreRows(store, ExperienceKind.WIKIHOW, self.vector_of, model=model) if store is not None else None
        super().__init__(wikihow_similarity(self.config.lam), query_for, embedder, sink, self.config.learning)

    @property
    def explore_per_episode(self) -> int:  # type: ignore[override]
        return self.config.policy.explore_per_episode

    def ensure_initial_pool(self) -> int:
        """Nothing to add: WikiHow's initial memory is whatever pool was imported (0 rows added)."""
        return 0

    # --- acting -------------------------------------------------------------------------------

    def act(self, policy: str, task: str, observation: str, info: dict[str, Any], state: _State,
            learn: bool = False, explore: bool = False) -> WikiHowStep:
        """The next step (no env step, no memory write)."""
        available = list(info["available_actions"])
        step = WikiHowStep(len(state.history), str(info.get("page_type", "")), observation, available,
                           str(info.get("step_instruction", "")), "", "", policy)
        taken = state.taken.setdefault(observation, set())
        actions = [a for a in pol.candidates(available, task) if a not in taken] or pol.candidates(available, task)
        if policy == "random":
            step.action, step.reason = self.rng.choice(actions), "random policy"
        elif policy == "rememberer":
            self._rememberer(step, task, observation, info, state)
        else:
            query = WikiHowQuery(self.vector(task), task_pattern(task), query_for_nodes(observation))
            estimates = pol.estimate_q(actions, observation, task, self.replay.retrieve(query), self.config.policy,
                                       optimistic=explore, training=learn)
            step.advice = "\n".join(f"Q̂ {e.q:.2f} (support {e.support:.2f}{', untried' if e.optimistic else ''})  "
                                    f"{e.role}: {e.actions[0]}" for e in sorted(estimates, key=lambda e: -e.q))
            best = pol.choose(estimates, self.config.policy)
            if best is None:
                step.action, step.chosen_by, step.reason = self.rng.choice(actions), "random", "nothing known here"
            else:
                step.action, step.chosen_by, step.q_estimate, step.explored = (best.actions[0], "memory", best.q,
                                                                               best.optimistic)
                step.reason = f"Q̂ {best.q:.2f} for '{best.role}'" + (" (untried, exploring)" if best.optimistic else "")
        if step.action_reason is None:
            step.action_reason = _element_line(observation, step.action)
        return step

    def _rememberer(self, step: WikiHowStep, task: str, observation: str, info: dict[str, Any], state: _State) -> None:
        query = WikiHowQuery(self.vector(task), task_pattern(task), query_for_nodes(observation))
        messages, shown = prm.build_prompt(task, observation, step.step_instruction, state.history,
                                           float(info.get("last_reward", 0.0)), float(info.get("total_reward", 0.0)),
                                           self.replay.retrieve(query), self.rng, self.config.m, self.config.advice,
                                           self.config.prompt_tokens)
        text, model = self._write_advice(messages, step.available_actions if self.config.constrained else None)
        step.chosen_by, step.advice = "rememberer", "\n\n".join(shown)
        parsed = parse_advice(text)
        if parsed is None:
            step.action, step.action_reason = NO_ACTION, ""
            step.reason = f"{model}: advice not readable: {text[:120]!r}"
        else:
            step.action = parsed.action
            step.reason = f"{model}: {parsed.action} -> {parsed.reason}".strip()

    def _write_advice(self, messages: list[dict[str, str]], available: list[str] | None) -> tuple[str, str]:
        """The model's advice text and the model's name (the bundled model under the grammar when
        ``available``; a hosted model's free text, parsed)."""
        params: dict[str, Any] = {"temperature": prm.TEMPERATURE, "max_tokens": prm.MAX_NEW_TOKENS, "stop": [prm.STOP]}
        if getattr(self.llm, "is_local", True):
            from tui_agent.llm.local import runtime
            from tui_agent.llm.scoring import chatml

            if available:
                from llama_cpp import LlamaGrammar

                params["grammar"] = LlamaGrammar.from_string(prm.advice_grammar(available), verbose=False)
            rt = runtime()
            tokens = rt.llama.tokenize(chatml(messages[0]["content"], messages[1]["content"], prm.PREFIX).encode(),
                                       add_bos=False, special=True)
            tokens = tokens[-(rt.llama.n_ctx() - prm.MAX_NEW_TOKENS - 1):]
            return (prm.PREFIX + rt.complete(tokens, **params)).strip(), "local/smollm2"
        completion = asyncio.run(self.llm.complete(messages, **params))
        return completion.text.strip(), completion.model

    # --- the episode loop's hooks -----------------------------------------------------------

    def policy_name(self, name: str) -> str:
        return policy_name(name)

    def start(self, observation: str, info: dict[str, Any], policy: str, learn: bool) -> tuple[WikiHowResult, _State]:
        goal = info.get("goal") or {}
        result = WikiHowResult(uuid.uuid4().hex, str(info["task"]), policy, str(goal.get("split", "")),
                               int(goal.get("index", -1)), str(goal.get("pattern", "")),
                               int(info.get("steps_total", 0)), learned=learn)
        return result, _State()

    def next_step(self, result: WikiHowResult, state: _State, observation: str, info: dict[str, Any], learn: bool,
                  explore: bool) -> WikiHowStep:
        step = self.act(result.policy, result.task, observation, info, state, learn, explore)
        state.taken.setdefault(observation, set()).add(step.action)
        return step

    def observe(self, result: WikiHowResult, state: _State, step: WikiHowStep, info: dict[str, Any]) -> None:
        state.history.append(step.action_key())

    def finish(self, result: WikiHowResult, info: dict[str, Any], has_reward: bool) -> None:
        result.reward = float(info.get("reward", 0.0)) if has_reward else None
        result.success = bool(info.get("success", False)) and has_reward


def query_for_nodes(observation: str) -> tuple[str, ...]:
    """The screen's tag sequence (the query's f_obs part)."""
    from tui_agent.wikihow.records import _nodes

    return _nodes(observation)
