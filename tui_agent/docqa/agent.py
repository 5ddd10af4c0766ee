"""The DocumentQA agent: runs ``tui_agent/DocumentQA-v0`` episodes with a policy over the RLEM memory.

Policies (:data:`tui_agent.config.base.POLICY_TABLE`), as on the shop:

* ``"episodic-control"`` — Q from memory chooses by action role (read / answer from a given note), the
  model breaks ties (:mod:`tui_agent.docqa.policy`); this project's extension.
* ``"rememberer"`` — the paper's procedure with constrained decoding: the model reads up to ``m``
  exemplars retrieved from memory (λ-scored, REMEMBERER §3.3) with their encouraged / discouraged
  actions and Q-values, and picks a valid action (the bundled model ranks them by log-likelihood; a
  hosted model's reply is matched to one). Deviation: the paper's model writes free text, parsed.
* ``"llm"`` — the same without memory (no exemplars).
* ``"random"`` — a random valid action (read a result, or answer once a passage is read).

Answers (``answerer``): ``"extractive"`` (default; the passage sentence with the most question
words, :func:`tui_agent.envs.docqa.answer.extractive_answer` — every policy shares it, so policies
differ only in what they read and when they answer) or ``"llm"`` (the model writes the answer from the
passage, as the blog's planner/answerer).

Learning (``learn=True``) goes through :class:`~tui_agent.rlem.replay.HistoryReplay` (n-step
targets, γ = 1 by default), rows of kind ``docqa`` in the LanceDB store. Blocking code: call from a
thread.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_agent.config.base import policy_spec
from tui_agent.docqa import policy as pol
from tui_agent.docqa.episode import DocQAResult, DocQAStep
from tui_agent.docqa.prompt import answer_prompt, build_prompt
from tui_agent.docqa.records import DocQAQuery, docqa_similarity, note_reason, query_for, state_of
from tui_agent.envs.docqa.answer import extractive_answer
from tui_agent.envs.docqa.env import ANSWER_PLACEHOLDER
from tui_agent.memory.schema import ExperienceKind
from tui_agent.llm.scoring import Scorer, local_scorer
from tui_agent.rlem.advice import AdviceOptions
from tui_agent.rlem.learning import LearningConfig
from tui_agent.rlem.episodic import EpisodicAgent
from tui_agent.rlem.records import DEFAULT_LAMBDA, Scored
from tui_agent.bridge.store_rows import StoreRows

SCORERS = ("llm", "constant")
ANSWERERS = ("extractive", "llm")
KIND = ExperienceKind.DOCQA

__all__ = ["ANSWERERS", "DocQAAgent", "DocQAConfig", "SCORERS", "config_from_settings", "docqa_policy"]


def docqa_policy(name: str) -> str:
    """The canonical name of a DocumentQA policy (an alias such as ``rlem`` → its current name).

    Raises:
        ValueError: an unknown policy (the message lists the known ones).
    """
    return policy_spec(name, "docqa").name


@dataclass
class DocQAConfig:
    """Settings: λ of retrieval, ``m`` exemplars (rememberer), γ / n / update mode, advice switches,
    episodic-control thresholds, the episodic-control tie-break ``scorer`` and the ``answerer``.

    ``scorer``: "constant" (default: the first candidate — answer once a passage is read, else the top
    result) or "llm" (the model's likelihoods). Measured on 30 test questions with an empty memory
    (always answering): constant 0.30 success, the bundled model's tie-breaks 0.07 (it reads on and on).
    The ``llm`` and ``rememberer`` policies always ask the model."""

    lam: float = DEFAULT_LAMBDA
    m: int = 2
    learning: LearningConfig = field(default_factory=LearningConfig)
    advice: AdviceOptions = field(default_factory=AdviceOptions)
    policy: pol.PolicyConfig = field(default_factory=pol.PolicyConfig)
    scorer: str = "constant"
    answerer: str = "extractive"
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.scorer not in SCORERS:
            raise ValueError(f"unknown scorer {self.scorer!r}; expected one of {', '.join(SCORERS)}")
        if self.answerer not in ANSWERERS:
            raise ValueError(f"unknown answerer {self.answerer!r}; expected one of {', '.join(ANSWERERS)}")


def config_from_settings(settings: Any, *, gamma: float = 1.0, n: int | None = None, update_mode: str = "mean",
                         random_fill: bool = True, discouraged: bool = True, scorer: str = "constant",
                         answerer: str = "extractive", always_answer: bool = False,
                         seed: int | None = None, timeout_reward: float = 0.0) -> DocQAConfig:
    """The DocumentQA configuration from the app's :class:`~tui_agent.config.settings.Settings` (λ, m) and the run's
    options (:func:`tui_agent.agents.factory.agent_config` calls it). ``timeout_reward``: the env's (in
    [−1, 0]), the value the policy gives to waiting out the clock (:attr:`PolicyConfig.stall_q`).

    Raises:
        ValueError: an option out of range (γ, n, update mode, scorer, answerer).
    """
    return DocQAConfig(lam=settings.similarity_lambda, m=max(int(settings.exemplars), 1),
                       learning=LearningConfig(gamma=gamma, n=n, update_mode=update_mode),
                       advice=AdviceOptions(random_fill=random_fill, discouraged=discouraged),
                       scorer=scorer, answerer=answerer, seed=seed,
                       policy=pol.PolicyConfig(generic=not always_answer, stall_q=float(timeout_reward)))


class DocQAAgent(EpisodicAgent[DocQAStep, DocQAResult]):
    """Runs DocumentQA episodes with a policy, reading and (when learning) updating the memory.

    Args:
        store: an :class:`~tui_agent.memory.store.ExperienceStore`.
        embedder: an :class:`~tui_agent.embedding.encoder.Embedder` (question embeddings, 384-dim, unit length).
        llm: a :class:`~tui_agent.llm.client.LLM` (``None`` or local → the bundled model).
        config: :class:`DocQAConfig`.
        scorer: ``(prompt, continuations) -> scores`` override (tests).
    """

    def __init__(self, store: Any, embedder: Any, llm: Any = None, config: DocQAConfig | None = None,
                 scorer: Scorer | None = None) -> None:
        self.store, self.llm = store, llm
        self.config = config or DocQAConfig()
        self.rng = random.Random(self.config.seed)
        self._scorer = scorer  # the llm / rememberer policies' (and episodic-control's with scorer "llm") action ranking
        model = getattr(llm, "model", "local/smollm2") or ""
        super().__init__(docqa_similarity(self.config.lam), query_for, embedder,
                         StoreRows(store, KIND, self.vector_of, model=model), self.config.learning)

    @property
    def explore_per_episode(self) -> int:  # type: ignore[override]
        return self.config.policy.explore_per_episode

    # --- acting ---------------------------------------------------------------------

    def candidates(self, question: str, info: dict[str, Any], read_here: set[str]) -> list[pol.Candidate]:
        """The valid actions now in the default order: answer (once a passage is read), then the
        results not read yet in this episode, by rank."""
        out = []
        passage, note = info.get("passage"), info.get("read_note_id")
        titles = {r["note_id"]: r["title"] for r in info.get("results", [])}
        if passage and note:
            out.append(pol.Candidate(f"answer[{self.answer(question, passage)}]", ("answer", note),
                                     titles.get(note, "")))
        for k, r in enumerate(info.get("results", []), 1):
            if r["note_id"] not in read_here:
                out.append(pol.Candidate(f"read[{k}]", ("read", r["note_id"]), r["title"]))
        if passage and note and len(out) == 1 and self.config.policy.generic:  # all read: re-reading waits
            k = next((i for i, r in enumerate(info.get("results", []), 1) if r["note_id"] == note), 1)
            out.append(pol.Candidate(f"read[{k}]", ("stall", note), titles.get(note, "")))
        if not out:  # everything read and nothing to answer from: read the first again
            r = info["results"][0] if info.get("results") else None
            out.append(pol.Candidate("read[1]", ("read", r["note_id"] if r else ""), r["title"] if r else ""))
        return out

    def answer(self, question: str, passage: str) -> str:
        """The answer text from a passage: extractive, or written by the model (``answerer="llm"``)."""
        if self.config.answerer == "extractive":
            return extractive_answer(question, passage) or passage.split("\n", 1)[0][:200]
        messages = answer_prompt(question, passage)
        if self.llm is None or getattr(self.llm, "is_local", True):
            from tui_agent.llm.local import runtime

            text = runtime().chat(messages, max_tokens=48, temperature=0.0)["choices"][0]["message"]["content"]
        else:
            text = asyncio.run(self.llm.complete(messages, temperature=0.0, max_tokens=48)).text
        text = " ".join((text or "").replace("[", "(").replace("]", ")").split())
        return text or extractive_answer(question, passage)

    def act(self, policy: str, question: str, observation: str, info: dict[str, Any], read_here: set[str],
            learn: bool = False, explore: bool = False, searched: set[str] | None = None) -> DocQAStep:
        """Choose the next action (no env step, no memory write). ``read_here``: notes read in this
        episode; ``searched``: queries searched in it (episodic-control does not repeat them)."""
        searched = searched if searched is not None else set()
        policy = docqa_policy(policy)
        available = list(info["available_actions"])
        cands = self.candidates(question, info, read_here)
        step = DocQAStep(int(info.get("step", 0)), state_of(observation), observation, available, "", "", policy)
        if policy == "random":
            return self._take(step, self.rng.choice(cands), "random", "random policy")
        retrieved = self.replay.retrieve(DocQAQuery(self.vector(question), state_of(observation))) \
            if policy != "llm" else []
        if policy == "episodic-control":
            shown = {r["note_id"] for r in info.get("results", [])}
            cands += pol.recall_searches(retrieved, observation, shown, searched, self.config.policy)
            estimates = pol.estimate_q(cands, retrieved, observation, self.config.policy, optimistic=explore,
                                       training=learn)
            step.advice = "\n".join(
                f"Q̂ {e.q:+.2f} (support {e.support:.2f}{', untried' if e.optimistic else ''})  "
                f"{e.candidate.action[:60]}  {e.candidate.title[:50]}" for e in sorted(estimates, key=lambda e: -e.q))
            left, decided = pol.choose(estimates, self.config.policy)
            if decided:
                e = left[0]
                step.q_estimate, step.explored = e.q, e.optimistic
                why = f"Q̂ {e.q:+.2f} for {e.candidate.role[0]} {e.candidate.title[:60]!r}"
                return self._take(step, e.candidate, "explore" if e.optimistic else "memory",
                                  why + (" (untried, exploring)" if e.optimistic else ""))
            cands = [e.candidate for e in left]
        return self._llm_pick(step, cands, observation, available, retrieved if policy == "rememberer" else [],
                              "rememberer" if policy == "rememberer" else ("memory+llm" if policy == "episodic-control"
                                                                           else "llm"))

    def _take(self, step: DocQAStep, c: pol.Candidate, chosen_by: str, reason: str) -> DocQAStep:
        step.action, step.chosen_by, step.reason = c.action, chosen_by, reason
        step.action_reason = note_reason(c.title, c.role[1]) if c.role[1] and c.role[0] != "stall" else ""
        return step

    def _llm_pick(self, step: DocQAStep, cands: list[pol.Candidate], observation: str, available: list[str],
                  retrieved: Sequence[Scored], chosen_by: str) -> DocQAStep:
        if len(cands) == 1:
            return self._take(step, cands[0], chosen_by, "the only action left")
        m = self.config.m if chosen_by == "rememberer" else 0
        system, user, shown = build_prompt(observation, available, retrieved, self.rng, m, self.config.advice)
        step.advice = "\n\n".join(shown) or step.advice
        # answers as the prompt lists them ("answer[<text>]"): a long answer text would lose on summed log p
        labels = [c.action if c.role[0] != "answer" else ANSWER_PLACEHOLDER for c in cands]
        if self.config.scorer == "constant" and chosen_by == "memory+llm":  # episodic-control's tie-break only
            return self._take(step, cands[0], chosen_by, f"first of {len(cands)} actions (constant scorer)")
        if self.llm is not None and not getattr(self.llm, "is_local", True):
            messages = [{"role": "system", "content": system},
                        {"role": "user", "content": user + "\nReply with one action from the list."}]
            text = asyncio.run(self.llm.complete(messages, temperature=0.0, max_tokens=40)).text or ""
            lowered = text.lower()
            hit = next((c for c, lab in zip(cands, labels) if lab.lower() in lowered), None)
            if hit is None:
                return self._take(step, cands[0], chosen_by, f"{self.llm.model}: no action in {text[:60]!r}; first")
            return self._take(step, hit, chosen_by, f"{self.llm.model}: answered {text[:60]!r}")
        from tui_agent.llm.scoring import chatml

        scorer = self._scorer or local_scorer()
        scores = scorer(chatml(system, user, "Encouraged:\n"), [f"{lab} ->" for lab in labels])
        best = max(range(len(cands)), key=lambda i: scores[i])
        return self._take(step, cands[best], chosen_by,
                          f"LLM: most likely of {len(cands)} actions (log p {scores[best]:.2f})")

    # --- episodes (the loop is EpisodicAgent.run_episode) -----------------------------

    def policy_name(self, name: str) -> str:
        return docqa_policy(name)

    def start(self, observation: str, info: dict[str, Any], policy: str, learn: bool
              ) -> tuple[DocQAResult, _EpisodeState]:
        gold = info.get("gold", {})
        result = DocQAResult(uuid.uuid4().hex, info["question"], policy, str(gold.get("split", "")),
                             int(gold.get("index", -1)), str(gold.get("answer", "")), learned=learn)
        return result, _EpisodeState(searched={info.get("query", "")})

    def next_step(self, result: DocQAResult, state: _EpisodeState, observation: str, info: dict[str, Any],
                  learn: bool, explore: bool) -> DocQAStep:
        return self.act(result.policy, result.question, observation, info, state.read, learn, explore, state.searched)

    def observe(self, result: DocQAResult, state: _EpisodeState, step: DocQAStep, info: dict[str, Any]) -> None:
        if info.get("read_note_id"):
            state.read.add(info["read_note_id"])
        state.searched.add(info.get("query", ""))
        result.ret += step.reward

    def finish(self, result: DocQAResult, info: dict[str, Any], has_reward: bool) -> None:
        result.answer, result.correct = info.get("answer"), bool(info.get("correct", False))


@dataclass
class _EpisodeState:
    """A DocumentQA episode's running state: the notes read and the queries searched so far."""

    read: set[str] = field(default_factory=set)
    searched: set[str] = field(default_factory=set)
