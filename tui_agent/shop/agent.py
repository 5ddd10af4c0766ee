"""The shop agent: runs web-task episodes with a policy over the RLEM experience memory.

Policies (``policy=``, :data:`tui_agent.config.base.POLICY_TABLE`):

* ``"rememberer"`` — the paper's procedure (REMEMBERER §3.3, ``webshop_agent.py``):
  the model reads exemplars with encouraged / discouraged advice in the
  reference's prompt (:mod:`tui_agent.shop.prompt`) and writes its own advice;
  the top encouraged action is parsed (:func:`~tui_agent.rlem.advice.parse_advice`)
  and matched to a valid action; unreadable advice is no action (an invalid
  step), as in the reference. By default (``ShopConfig.constrained``) the advice
  is constrained to one line whose action is one of the page's valid actions
  (:mod:`tui_agent.shop.constrained`), so every step is a valid action;
  ``--unconstrained`` measures the paper's free text.
* ``"episodic-control"`` — this project's extension for models that do not follow
  advice (the bundled 135M one): Q from the memory chooses by action role,
  the model only breaks ties (:mod:`tui_agent.shop.policy`). ``"rlem"`` is
  accepted as its earlier name.
* ``"llm"`` — the model with static exemplars from the initial pool, no memory.
* ``"random"`` — a random available action.

On the search page every policy but ``rememberer`` searches
:func:`~tui_agent.shop.policy.search_keywords` of the instruction.

Learning (``learn=True``) goes through :class:`~tui_agent.rlem.replay.HistoryReplay`
(n-step targets as soon as known, the reference's order); rows live in the
LanceDB store (:class:`~tui_agent.bridge.store_rows.StoreRows`). The initial pool
(:mod:`tui_agent.shop.pool`) is loaded into a memory without shop rows on
first use. Blocking code: call from a thread.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_agent.config.base import policy_spec
from tui_agent.envs.shop.pagetype import page_type_of
from tui_agent.memory.schema import ExperienceKind
from tui_agent.llm.scoring import Scorer, constant_scorer, local_scorer
from tui_agent.rlem.advice import AdviceOptions, parse_advice
from tui_agent.rlem.learning import LearningConfig
from tui_agent.rlem.records import DEFAULT_LAMBDA, ActionKey, Scored, records_from_rows
from tui_agent.rlem.episodic import EpisodicAgent
from tui_agent.rlem.replay import HistoryReplay
from tui_agent.bridge.store_rows import StoreRows
from tui_agent.shop import policy as pol
from tui_agent.shop import prompt as prm
from tui_agent.shop.episode import EpisodeResult, ShopStep
from tui_agent.shop.pool import load_initial_pool, pool_experiences
from tui_agent.shop.records import ShopQuery, query_for, shop_similarity

SCORERS = ("llm", "constant")
NO_ACTION = "NOTHINGG"  # the reference's action when the model's advice cannot be read


def policy_name(name: str) -> str:
    """The canonical name of a shop policy (an alias such as ``rlem`` → its current name).

    Raises:
        ValueError: an unknown policy.
    """
    return policy_spec(name, "shop").name


@dataclass
class ShopConfig:
    """Settings of the shop agent.

    ``lam``: λ of the retrieval score; ``m``: exemplars; ``learning``: γ, n
    (None = full-episode return, 1 = "w/o bootstrap"), update mode;
    ``advice``: random fill / discouraged switches; ``policy``: episodic-control
    thresholds; ``scorer``: how the episodic-control policy breaks ties, "llm"
    (the model's log-likelihoods) or "constant" (the first candidate: what
    the model adds); ``prompt_tokens``: the rememberer prompt budget (the
    reference's 3,700; cut to the local model's context). With the bundled
    model the ``llm`` and ``episodic-control`` policies only rank valid actions by
    likelihood, after their own short prompt (:mod:`tui_agent.shop.score_prompt`).
    ``constrained``: the ``rememberer``'s advice is constrained to the page's valid actions
    (:mod:`tui_agent.shop.constrained`: a grammar for the bundled model, structured output for a
    hosted one that supports it); False lets the model write free text, as in the paper.
    """

    lam: float = DEFAULT_LAMBDA
    m: int = 2
    learning: LearningConfig = field(default_factory=LearningConfig)
    advice: AdviceOptions = field(default_factory=AdviceOptions)
    policy: pol.PolicyConfig = field(default_factory=pol.PolicyConfig)
    scorer: str = "llm"
    prompt_tokens: int = prm.PROMPT_TOKENS
    seed: int | None = None
    constrained: bool = True


def config_from_settings(settings: Any, *, gamma: float = 1.0, n: int | None = None, update_mode: str = "mean",
                         random_fill: bool = True, discouraged: bool = True, analogy: bool = True,
                         scorer: str = "llm", seed: int | None = None, constrained: bool = True,
                         learner: str = "reference") -> ShopConfig:
    """The shop configuration from the app's :class:`~tui_agent.config.settings.Settings` (λ, m) and the run's options.

    :func:`tui_agent.agents.factory.agent_config` calls it, for the CLI and the TUI alike.

    Raises:
        ValueError: an option out of range (γ, n, update mode, scorer, learner: a key of
            :data:`~tui_agent.shop.policy.LEARNERS`).
    """
    if scorer not in SCORERS:
        raise ValueError(f"unknown scorer {scorer!r}; expected one of {', '.join(SCORERS)}")
    if learner not in pol.LEARNERS:
        raise ValueError(f"unknown learner {learner!r}; expected one of {', '.join(pol.LEARNERS)}")
    return ShopConfig(lam=settings.similarity_lambda, m=max(int(settings.exemplars), 1),
                      learning=LearningConfig(gamma=gamma, n=n, update_mode=update_mode),
                      advice=AdviceOptions(random_fill=random_fill, discouraged=discouraged),
                      policy=pol.PolicyConfig(analogy=analogy, **pol.LEARNERS[learner]), scorer=scorer, seed=seed,
                      constrained=constrained)


class ShopAgent(EpisodicAgent[ShopStep, EpisodeResult]):
    """Runs shop episodes with a policy, reading and (when learning) updating the memory.

    Args:
        store: an :class:`~tui_agent.memory.store.ExperienceStore`.
        embedder: an :class:`~tui_agent.embedding.encoder.Embedder` (instruction embeddings, 384-dim).
        llm: a :class:`~tui_agent.llm.client.LLM`; ``None`` or a local model →
            the bundled model scores candidates for ``llm`` / ``episodic-control``; a
            hosted model writes advice that is parsed.
        config: :class:`ShopConfig`.
        scorer: ``(prompt, continuations) -> scores`` override (tests).
    """

    def __init__(self, store: Any, embedder: Any, llm: Any = None, config: ShopConfig | None = None,
                 scorer: Scorer | None = None) -> None:
        self.store, self.llm = store, llm
        self.config = config or ShopConfig()
        self.rng = random.Random(self.config.seed)
        self._scorer = constant_scorer if self.config.scorer == "constant" else scorer
        model = getattr(llm, "model", "local/smollm2") or ""
        super().__init__(shop_similarity(self.config.lam), query_for, embedder,
                         StoreRows(store, ExperienceKind.SHOP, self.vector_of, model=model), self.config.learning)
        self._pool: HistoryReplay | None = None

    @property
    def explore_per_episode(self) -> int:  # type: ignore[override]
        return self.config.policy.explore_per_episode

    # --- memory -------------------------------------------------------------------

    def ensure_initial_pool(self) -> int:
        """Load the initial pool if the memory has no shop rows; returns the rows added."""
        if self.store.count(ExperienceKind.SHOP):
            return 0
        steps = load_initial_pool()
        return len(self.store.add_missing(pool_experiences(self.vector(steps[0]["task"]).tolist(), steps)))

    def pool_replay(self) -> HistoryReplay:
        """The initial pool alone, in RAM (the ``llm`` policy's static exemplars; never written)."""
        if self._pool is None:
            steps = load_initial_pool()
            rows = pool_experiences(self.vector(steps[0]["task"]).tolist(), steps)
            self._pool = HistoryReplay(shop_similarity(self.config.lam), self.query_of, self.vector_of,
                                       records=records_from_rows(rows))
        return self._pool

    # --- acting -------------------------------------------------------------------

    def act(self, policy: str, instruction: str, observation: str, available: list[str],
            history: list[ActionKey], taken_here: set[str], learn: bool = False, explore: bool = False) -> ShopStep:
        """Choose the next action (no env step, no memory write).

        ``history``: the (action, reason) pairs taken so far; ``learn``:
        training (plain-mean Q̂); ``explore``: untried roles get the optimistic Q̂.
        """
        policy = policy_name(policy)
        page = page_type_of(available)
        step = ShopStep(len(history), page, observation, list(available), "", "", "", "search")
        query = ShopQuery(self.vector(instruction), page)
        if policy == "rememberer":
            return self._rememberer(step, instruction, observation, available, history, query)
        if page == "search":
            step.action = f"search[{pol.search_keywords(instruction)}]"
            step.reason = "search with the instruction's keywords"
            return step
        candidates = pol.drop_repeats(available, taken_here)
        if policy == "random":
            step.action, step.chosen_by, step.reason = self.rng.choice(candidates), "random", "random policy"
            return step
        by_action: dict[str, pol.Estimate] = {}
        retrieved = (self.pool_replay() if policy == "llm" else self.replay).retrieve(query)
        if policy == "episodic-control":
            estimates = pol.estimate_q(candidates, available, instruction, observation, retrieved,
                                       self.config.policy, optimistic=explore, training=learn)
            step.advice = "\n".join(f"Q̂ {e.q:.2f} (support {e.support:.2f}{', untried' if e.optimistic else ''})"
                                    f"  {e.role}: {e.action}" for e in sorted(estimates, key=lambda e: -e.q))
            tied = pol.choose_by_q(estimates, self.config.policy)
            if explore and (e := pol.at_random(estimates, self.rng, self.config.policy)) is not None:
                step.action, step.chosen_by, step.q_estimate, step.explored = e.action, "memory", e.q, True
                step.reason = f"ε-greedy exploration: '{e.role}' (Q̂ {e.q:.2f})"
                return step
            by_action = {e.action: e for e in tied}
            if len(tied) == 1:
                e = tied[0]
                step.action, step.chosen_by, step.q_estimate, step.explored = e.action, "memory", e.q, e.optimistic
                step.reason = f"Q̂ {e.q:.2f} for '{e.role}'" + (" (untried, exploring)" if e.optimistic else "")
                return step
            if tied:
                candidates = [e.action for e in tied]
            step.chosen_by = "memory+llm" if tied else "llm"
        else:
            step.chosen_by = "llm"
        action, advice_text, reason = self.llm_choose(instruction, observation, available, history,
                                                      candidates, retrieved)
        step.action, step.reason = action, reason
        if policy == "episodic-control" and action in by_action:
            e = by_action[action]
            step.q_estimate, step.explored = e.q, e.optimistic
            step.reason = (f"Q̂ {e.q:.2f} for '{e.role}'" + (" (untried, exploring)" if e.optimistic else "")
                           + f", tied with {len(candidates) - 1} more; {reason}")
        step.advice = (advice_text + ("\n\n" + step.advice if step.advice else "")).strip()
        return step

    def _is_local(self) -> bool:
        return self.llm is None or bool(getattr(self.llm, "is_local", True))

    def _length(self):
        """Token count of a text: the bundled model's tokenizer, else ≈ 4 characters a token."""
        if not self._is_local():
            return prm.approx_tokens
        from tui_agent.llm.local import runtime

        llama = runtime().llama
        return lambda text: len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _budget(self, length) -> int:
        """Prompt tokens for the examples and the new input: the reference's 3,700, cut so that the
        bundled model's context also holds the system text and 200 new tokens."""
        budget = self.config.prompt_tokens
        if self._is_local():
            from tui_agent.llm.local import runtime

            budget = min(budget, runtime().n_ctx - prm.MAX_NEW_TOKENS - length(prm.SYSTEM_PROMPT) - 64)
        return budget

    def _prompt(self, instruction: str, observation: str, available: list[str], history: list[ActionKey],
                retrieved: Sequence[Scored]) -> tuple[list[dict[str, str]], list[str]]:
        """The step's messages in the reference's structure, and the exemplars' advice texts."""
        c = self.config
        length = self._length() if self._scorer is None else prm.approx_tokens  # no model loaded for a fake scorer
        return prm.build_prompt(instruction, observation, available, history, retrieved, self.rng, c.m,
                                c.advice, self._budget(length), length)

    def _rememberer(self, step: ShopStep, instruction: str, observation: str, available: list[str],
                    history: list[ActionKey], query: ShopQuery) -> ShopStep:
        """The paper's decision: the model writes advice; its top encouraged action is taken."""
        messages, shown = self._prompt(instruction, observation, available, history, self.replay.retrieve(query))
        text, model = self._write_advice(messages, available=available if self.config.constrained else None)
        step.chosen_by, step.advice = "rememberer", "\n\n".join(shown)
        parsed = parse_advice(text)
        action = None
        if parsed is not None:
            action = parsed.action if parsed.action in available else pol.match_action(parsed.action, available,
                                                                                        instruction)
        if parsed is None or action is None:
            step.action, step.action_reason = NO_ACTION, ""
            step.reason = f"{model}: advice not readable as a valid action: {text[:120]!r}"
        else:
            step.action, step.action_reason = action, parsed.reason
            step.reason = f"{model}: {parsed.action} -> {parsed.reason}".strip()
        return step

    def _write_advice(self, messages: list[dict[str, str]], temperature: float = prm.TEMPERATURE,
                      available: Sequence[str] | None = None) -> tuple[str, str]:
        """The model's advice text and the model's name.

        The reference prompts a completion model, whose continuation starts the
        advice; the bundled model is prompted the same way (its chat template
        with the answer begun as ``Encouraged:``), hosted chat models get the
        messages. At most 200 new tokens, stop at "Discouraged", temperature 0.1.
        ``available``: constrain the advice to one encouraged line whose action is one of these
        (:mod:`tui_agent.shop.constrained`): a grammar for the bundled model, structured output for
        a hosted model whose provider supports a response schema (else free text, parsed).
        """
        from tui_agent.shop import constrained as con

        if getattr(self.llm, "is_local", True):
            from tui_agent.llm.local import runtime
            from tui_agent.llm.scoring import chatml

            params: dict[str, Any] = {"temperature": temperature, "max_tokens": prm.MAX_NEW_TOKENS, "stop": [prm.STOP]}
            if available:
                from llama_cpp import LlamaGrammar

                params["grammar"] = LlamaGrammar.from_string(con.advice_grammar(available), verbose=False)
            rt = runtime()
            tokens = rt.llama.tokenize(chatml(messages[0]["content"], messages[1]["content"], con.PREFIX).encode(),
                                       add_bos=False, special=True)
            tokens = tokens[-(rt.llama.n_ctx() - prm.MAX_NEW_TOKENS - 1):]  # a page longer than the context
            return (con.PREFIX + rt.complete(tokens, **params)).strip(), "local/smollm2"
        params = {"temperature": temperature, "max_tokens": prm.MAX_NEW_TOKENS, "stop": [prm.STOP]}
        structured = bool(available) and con.supports_schema(self.llm.model)
        if structured:
            params = {"temperature": temperature, "max_tokens": prm.MAX_NEW_TOKENS,
                      "response_format": con.advice_response_format(available or ())}
        completion = asyncio.run(self.llm.complete(messages, **params))
        text = completion.text.strip()
        if structured:
            text = con.advice_from_json(text) or text
        return text, completion.model

    def llm_choose(self, instruction: str, observation: str, available: list[str], history: list[ActionKey],
                   candidates: list[str], retrieved: Sequence[Scored]) -> tuple[str, str, str]:
        """The model's pick among ``candidates``: (action, advice text shown, reason).

        The bundled model ranks the candidates by likelihood after the short prompt of
        :mod:`tui_agent.shop.score_prompt`; a hosted model gets the reference's prompt and its
        advice is parsed (:meth:`_hosted_choose`).
        """
        if self.config.scorer != "constant" and not self._is_local():
            messages, shown = self._prompt(instruction, observation, available, history, retrieved)
            if len(candidates) == 1:
                return candidates[0], "\n\n".join(shown), "the only action left"
            return self._hosted_choose(messages, instruction, candidates, "\n\n".join(shown))
        from tui_agent.llm.scoring import chatml
        from tui_agent.shop.score_prompt import build_score_prompt

        system, user, shown = build_score_prompt(instruction, observation, available, history, retrieved,
                                                 self.rng, self.config.m, self.config.advice)
        advice = "\n".join(shown)
        if len(candidates) == 1:
            return candidates[0], advice, "the only action left"
        scorer = self._scorer or local_scorer()
        scores = scorer(chatml(system, user, "Encouraged:\n"), [f"{a} ->" for a in candidates])
        best = max(range(len(candidates)), key=lambda i: scores[i])
        if self.config.scorer == "constant":
            return candidates[best], advice, f"first of {len(candidates)} tied actions (constant scorer)"
        return candidates[best], advice, f"LLM: most likely of {len(candidates)} actions (log p {scores[best]:.2f})"

    def _hosted_choose(self, messages: list[dict[str, str]], instruction: str, candidates: list[str],
                       advice: str) -> tuple[str, str, str]:
        text, model = self._write_advice(messages, temperature=0.0)
        parsed = parse_advice(text)
        action = pol.match_action(parsed.action if parsed else text, candidates, instruction)
        if action is None:
            action = self.rng.choice(candidates)
            return action, advice, f"{model}: no valid action in the answer; random fallback"
        return action, advice, f"{model}: answered {text[:80]!r}"

    # --- episodes (the loop is EpisodicAgent.run_episode) ---------------------------

    def policy_name(self, name: str) -> str:
        return policy_name(name)

    def run_episode(self, env: Any, options: dict[str, Any], policy: str = "episodic-control", learn: bool = False,
                    on_step: Callable[[ShopStep], Any] | None = None, *, explore: bool | None = None,
                    has_reward: bool = True) -> EpisodeResult:
        """Run one episode on ``env`` (a ``ShopEnv``) reset with ``options`` (see
        :meth:`EpisodicAgent.run_episode`). ``explore`` is off for a user's task; ``has_reward`` False
        (an unmatched free-text goal) runs the episode without updates.

        Raises:
            ValueError: unknown policy.
        """
        if (learn and has_reward) or self.policy_name(policy) in ("episodic-control", "rememberer"):
            self.ensure_initial_pool()
        return super().run_episode(env, options, policy, learn, on_step, explore=explore, has_reward=has_reward)

    def start(self, observation: str, info: dict[str, Any], policy: str, learn: bool
              ) -> tuple[EpisodeResult, _EpisodeState]:
        goal = info["goal"]
        result = EpisodeResult(uuid.uuid4().hex, info["instruction"], policy, goal.get("split", ""),
                               int(goal.get("index", -1)), learned=learn)
        return result, _EpisodeState()

    def next_step(self, result: EpisodeResult, state: _EpisodeState, observation: str, info: dict[str, Any],
                  learn: bool, explore: bool) -> ShopStep:
        step = self.act(result.policy, result.instruction, observation, list(info["available_actions"]),
                        state.history, state.taken.setdefault(observation, set()), learn, explore)
        if step.action_reason is None:
            step.action_reason = step.reason if learn else None
        state.taken[observation].add(step.action)
        return step

    def observe(self, result: EpisodeResult, state: _EpisodeState, step: ShopStep, info: dict[str, Any]) -> None:
        state.history.append(step.action_key())

    def finish(self, result: EpisodeResult, info: dict[str, Any], has_reward: bool) -> None:
        result.reward = float(info.get("reward", 0.0)) if has_reward else None
        result.success = bool(info.get("success", False)) and has_reward

    def any_reason(self, policy: str) -> bool:
        """Any stored reason matches an action, except for the rememberer, whose reasons are the model's."""
        return policy != "rememberer"

    def feedback_key(self, step: ShopStep) -> ActionKey:
        return ActionKey(step.action, step.action_reason or step.reason)

    def learning_reward(self, reward: float, info: dict[str, Any]) -> float:
        """The env's reward; with ``PolicyConfig.success_reward`` (a deviation, off by default) 1.0 for a
        successful purchase and 0.0 for any other step, so Q̂ estimates the chance of success."""
        return (1.0 if info.get("success") else 0.0) if self.config.policy.success_reward else float(reward)


@dataclass
class _EpisodeState:
    """A shop episode's running state: the (action, reason) pairs taken, and the actions taken per page."""

    history: list[ActionKey] = field(default_factory=list)
    taken: dict[str, set[str]] = field(default_factory=dict)
