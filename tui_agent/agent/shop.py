"""The shop agent: runs web-task episodes with RLEM over the experience memory.

Policies (``policy=``): ``"random"`` (a random available action), ``"llm"``
(the language model with static exemplars from the initial pool, no memory)
and ``"rlem"`` (Q from the memory chooses, the model breaks ties and acts
where the memory knows nothing; see :mod:`tui_agent.rlem.shop_policy`). On
the search page every policy searches :func:`~tui_agent.rlem.shop_policy.search_keywords`
of the instruction.

Learning (``learn=True``): every step's (record, action) row is updated with
its n-step target as soon as it is known (:class:`~tui_agent.rlem.shop_memory.NStepBuffer`):
a new row is added with N = 1, Q = target; an existing one gets
``ExperienceStore.update_q`` (N += 1, Q += (target − Q)/N). The initial pool
(``memories/shop_initial_pool.jsonl``) is loaded into a memory without shop
rows on first use. Blocking code: call from a thread.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tui_agent.envs.shop.pagetype import page_type_of
from tui_agent.memory.schema import Experience
from tui_agent.rlem import shop_advice as adv
from tui_agent.rlem import shop_policy as pol
from tui_agent.rlem.shop_memory import (
    DEFAULT_LAMBDA,
    NStepBuffer,
    RecordKey,
    ShopRecord,
    bootstrap_value,
    find_record,
    group_records,
    score_records,
)

INITIAL_POOL_FILE = Path(__file__).resolve().parents[2] / "memories" / "shop_initial_pool.jsonl"
INITIAL_EPISODE_ID = "initial-pool"
POLICIES = ("random", "llm", "rlem")

Scorer = Callable[[str, list[str]], list[float]]


@dataclass
class ShopConfig:
    """RLEM settings for the shop. ``n=None``: full-episode return; ``n=1``: "w/o bootstrap"."""

    lam: float = DEFAULT_LAMBDA
    m: int = 2
    gamma: float = 1.0
    n: int | None = None
    advice: adv.AdviceOptions = field(default_factory=adv.AdviceOptions)
    policy: pol.PolicyConfig = field(default_factory=pol.PolicyConfig)
    obs_chars: int = 300
    exemplar_chars: int = 1300
    seed: int | None = None


@dataclass
class ShopStep:
    """One step as shown to the user: what was seen, the advice, the action and why."""

    t: int
    page_type: str
    observation: str
    available_actions: list[str]
    advice: str
    action: str
    reason: str
    chosen_by: str  # memory | memory+llm | llm | random | search
    q_estimate: float | None = None
    reward: float = 0.0
    valid: bool = True
    explored: bool = False  # chosen for its optimistic (untried) Q̂ while training


@dataclass
class EpisodeResult:
    """A finished episode. ``reward`` ∈ [0, 1] (None for a free-text goal without a matched goal)."""

    episode_id: str
    instruction: str
    policy: str
    split: str
    goal_index: int
    steps: list[ShopStep] = field(default_factory=list)
    reward: float | None = 0.0
    success: bool = False
    learned: bool = False
    row_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for step in data["steps"]:
            step.pop("observation")
            step.pop("available_actions")
        return data


def load_initial_pool(path: Path = INITIAL_POOL_FILE) -> list[dict[str, Any]]:
    """The hand-written successful trajectory, one dict per step (task, observation,
    available_actions, action, reason, reward, return, step)."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def write_initial_pool(path: Path = INITIAL_POOL_FILE) -> None:
    """Regenerate the pool file by replaying ``tui_agent.envs.shop.initial_pool``."""
    from tui_agent.envs.shop.initial_pool import initial_episode

    ep = initial_episode()
    rewards = ep["rewards"]
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"episode_id": INITIAL_EPISODE_ID, "step": t, "task": ep["instruction"],
                                "observation": s.observation, "available_actions": s.available_actions,
                                "action": s.action, "reason": s.reason, "reward": rewards[t],
                                "return": sum(rewards[t:])}, ensure_ascii=False) + "\n" for t, s in enumerate(ep["steps"]))


def pool_experiences(vector: list[float], steps: list[dict[str, Any]] | None = None) -> list[Experience]:
    """The initial pool as experience rows: Q = the episode return, N = 1, source "initial"."""
    out = []
    for s in steps if steps is not None else load_initial_pool():
        out.append(Experience(task=s["task"], action=s["action"], kind="shop", observation=s["observation"],
                              available_actions=RecordKey.of("", "", s["available_actions"]).available_actions,
                              reason=s["reason"], q=float(s["return"]), n=1, mean_reward=float(s["reward"]),
                              model="hand-written", source="initial", episode_id=INITIAL_EPISODE_ID,
                              step=int(s["step"]), vector=list(vector)))
    return out


def local_scorer() -> Scorer:
    """Log-likelihood scorer over the bundled model: Σ log p of each continuation's tokens.

    (The per-token mean was tried too; it favours long predictable strings such
    as ``click[Back to Search]`` and did no better on item pages.)"""
    from tui_agent.llm.local import runtime
    from tui_agent.rlem.shop_lm import score_continuations

    def score(prompt: str, continuations: list[str]) -> list[float]:
        rt = runtime()
        with rt.lock:
            return [lp for lp, _ in score_continuations(rt.llama, prompt, continuations)]

    return score


class ShopAgent:
    """Runs shop episodes with a policy, reading and (when learning) updating the memory.

    Args:
        store: an :class:`~tui_agent.memory.store.ExperienceStore`.
        embedder: an :class:`~tui_agent.embed.Embedder` (instruction embeddings).
        llm: a :class:`~tui_agent.llm.client.LLM`; ``None`` or ``local/smollm2``
            → the bundled model scores candidates (``scorer``); a hosted model
            writes an answer that is parsed and fuzzy-matched.
        config: :class:`ShopConfig`.
        scorer: ``(prompt, continuations) -> scores`` override (tests).
    """

    def __init__(self, store: Any, embedder: Any, llm: Any = None, config: ShopConfig | None = None,
                 scorer: Scorer | None = None) -> None:
        self.store, self.embedder, self.llm = store, embedder, llm
        self.config = config or ShopConfig()
        self.rng = random.Random(self.config.seed)
        self._scorer = scorer
        self._records: tuple[int, list[ShopRecord]] | None = None
        self._pool_records: list[ShopRecord] | None = None
        self._vectors: dict[str, list[float]] = {}

    # --- memory -------------------------------------------------------------------

    def vector(self, text: str) -> list[float]:
        if text not in self._vectors:
            self._vectors[text] = self.embedder.encode_one(text).tolist()
        return self._vectors[text]

    def ensure_initial_pool(self) -> int:
        """Load the initial pool if the memory has no shop rows; returns the rows added."""
        if self.store.count("shop"):
            return 0
        steps = load_initial_pool()
        return len(self.store.add_missing(pool_experiences(self.vector(steps[0]["task"]), steps)))

    def records(self) -> list[ShopRecord]:
        """The memory's shop records (re-read when the table version changes)."""
        version = self.store.version
        if self._records is None or self._records[0] != version:
            self._records = (version, group_records(self.store.all(kind="shop")))
        return self._records[1]

    def pool_records(self) -> list[ShopRecord]:
        """The initial pool as records, in RAM (the ``llm`` policy's static exemplars)."""
        if self._pool_records is None:
            steps = load_initial_pool()
            self._pool_records = group_records(pool_experiences(self.vector(steps[0]["task"]), steps))
        return self._pool_records

    def _history(self, record: ShopRecord, records: list[ShopRecord]) -> list[str]:
        origin = record.origin()
        rows = [e for r in records for e in r.rows.values()
                if e.episode_id == origin.episode_id and e.step < origin.step]
        return [e.action for e in sorted(rows, key=lambda e: e.step)][-adv.LAST_ACTIONS:]

    # --- acting -------------------------------------------------------------------

    def act(self, policy: str, instruction: str, observation: str, available: list[str],
            history: list[str], taken_here: set[str], learn: bool = False, explore: bool = False) -> ShopStep:
        """Choose the next action (no env step, no memory write).

        ``learn``: training (plain-mean Q̂); ``explore``: untried roles get the optimistic Q̂.
        """
        page = page_type_of(available)
        step = ShopStep(len(history), page, observation, list(available), "", "", "", "search")
        if page == "search":
            step.action = f"search[{pol.search_keywords(instruction)}]"
            step.reason = "search with the instruction's keywords"
            return step
        candidates = pol.drop_repeats(available, taken_here)
        if policy == "random":
            step.action, step.chosen_by, step.reason = self.rng.choice(candidates), "random", "random policy"
            return step
        by_action: dict[str, pol.Estimate] = {}
        records = self.pool_records() if policy == "llm" else self.records()
        retrieved = score_records(records, self.vector(instruction), page, self.config.lam)
        if policy == "rlem":
            estimates = pol.estimate_q(candidates, available, instruction, observation, retrieved,
                                       self.config.policy, optimistic=explore, training=learn)
            step.advice = "\n".join(f"Q̂ {e.q:.2f} (support {e.support:.2f}{', untried' if e.optimistic else ''})"
                                    f"  {e.role}: {e.action}" for e in sorted(estimates, key=lambda e: -e.q))
            tied = pol.choose_by_q(estimates, self.config.policy)
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
                                                      candidates, retrieved, records)
        step.action, step.reason = action, reason
        if policy == "rlem" and action in by_action:
            e = by_action[action]
            step.q_estimate, step.explored = e.q, e.optimistic
            step.reason = (f"Q̂ {e.q:.2f} for '{e.role}'" + (" (untried, exploring)" if e.optimistic else "")
                           + f", tied with {len(candidates) - 1} more; {reason}")
        step.advice = (advice_text + ("\n\n" + step.advice if step.advice else "")).strip()
        return step

    def llm_choose(self, instruction: str, observation: str, available: list[str], history: list[str],
                   candidates: list[str], retrieved: list, records: list[ShopRecord]) -> tuple[str, str, str]:
        """The model's pick among ``candidates``: (action, advice text shown, reason)."""
        c = self.config
        summaries: dict[int, str] = {}

        def render(scored, index: int) -> str:
            advice = adv.make_advice(scored.record, self.rng, c.advice)
            summaries[id(scored)] = (f"Example {index} (score {scored.score:.2f}: "
                                     f"{scored.record.key.task[:70]}):\n"
                                     + advice.text(with_discouraged=c.advice.discouraged))
            return adv.format_exemplar(index, scored, advice, self._history(scored.record, records),
                                       c.advice, c.obs_chars)

        chosen = adv.choose_exemplars(retrieved, c.m, c.exemplar_chars, render)
        shown = [summaries[id(s)] for s, _ in chosen]
        examples = "\n".join(text for _, text in chosen)
        new_input = adv.format_input(instruction, observation, available, history, c.obs_chars)
        user = (f"Here are some examples:\n\n{examples}\n" if examples else "") + f"Now the new input:\n\n{new_input}"
        if len(candidates) == 1:
            return candidates[0], "\n".join(shown), "the only action left"
        if self.llm is not None and not getattr(self.llm, "is_local", True):
            return self._hosted_choose(user, instruction, available, candidates, shown)
        from tui_agent.rlem.shop_lm import chatml

        scorer = self._scorer or local_scorer()
        scores = scorer(chatml(adv.SYSTEM_PROMPT, user, "Encouraged:\n"), [f"{a} ->" for a in candidates])
        best = max(range(len(candidates)), key=lambda i: scores[i])
        reason = f"LLM: most likely of {len(candidates)} actions (log p {scores[best]:.2f})"
        return candidates[best], "\n".join(shown), reason

    def _hosted_choose(self, user: str, instruction: str, available: list[str], candidates: list[str],
                       shown: list[str]) -> tuple[str, str, str]:
        messages = [{"role": "system", "content": adv.SYSTEM_PROMPT + " Answer with one line: "
                     "'Encouraged:' then the action."}, {"role": "user", "content": user}]
        completion = asyncio.run(self.llm.complete(messages, temperature=0.0))
        action = pol.match_action(completion.text, candidates, instruction)
        if action is None:
            action = self.rng.choice(candidates)
            return action, "\n".join(shown), f"{completion.model}: no valid action in the answer; random fallback"
        return action, "\n".join(shown), f"{completion.model}: answered {completion.text.strip()[:80]!r}"

    # --- episodes -----------------------------------------------------------------

    def run_episode(self, env: Any, options: dict[str, Any], policy: str = "rlem", learn: bool = False,
                    on_step: Callable[[ShopStep], Any] | None = None, has_reward: bool = True,
                    explore: bool | None = None) -> EpisodeResult:
        """Run one episode on ``env`` (a ``ShopEnv``) reset with ``options``.

        ``learn`` updates the memory every step (n-step targets); ``explore``
        (default: ``learn``) tries untried roles optimistically — off for a
        user's task; ``has_reward`` False (an unmatched free-text goal) runs
        the episode without updates. ``on_step(step)`` is called after each
        step (from this thread).

        Raises:
            ValueError: unknown policy.
        """
        if policy not in POLICIES:
            raise ValueError(f"unknown policy {policy!r}; expected one of {POLICIES}")
        learn = learn and has_reward
        explore = learn if explore is None else explore and learn
        if learn or policy == "rlem":
            self.ensure_initial_pool()
        obs, info = env.reset(options=options)
        instruction = info["instruction"]
        result = EpisodeResult(uuid.uuid4().hex, instruction, policy, info["goal"].get("split", ""),
                               int(info["goal"].get("index", -1)), learned=learn)
        buffer = NStepBuffer(self.config.gamma, self.config.n)
        history: list[str] = []
        taken: dict[str, set[str]] = {}
        explored = 0
        while True:
            available = list(info["available_actions"])
            step = self.act(policy, instruction, obs, available, history, taken.setdefault(obs, set()),
                            learn, explore and explored < self.config.policy.explore_per_episode)
            explored += step.explored
            key = RecordKey.of(instruction, obs, available)
            taken[obs].add(step.action)
            obs, reward, terminated, truncated, info = env.step(step.action)
            step.reward, step.valid = float(reward), bool(info["valid"])
            history.append(step.action)
            result.steps.append(step)
            if learn:
                ended = terminated or truncated
                next_key = None if ended else RecordKey.of(instruction, obs, info["available_actions"])
                self._apply(buffer.push(key, step.action, reward, next_key), result, instruction)
            if on_step is not None:
                on_step(step)
            if terminated or truncated:
                break
        if learn:
            self._apply(buffer.finish(), result, instruction)
        result.reward = float(info.get("reward", 0.0)) if has_reward else None
        result.success = bool(info.get("success", False)) and has_reward
        return result

    def _apply(self, updates: list, result: EpisodeResult, instruction: str) -> None:
        vector = self.vector(instruction)
        for u in updates:
            records = self.records()
            bootstrap = bootstrap_value(records, u.bootstrap_key, vector, self.config.lam)[0] \
                if u.bootstrap_key is not None else 0.0
            target = u.target(bootstrap)
            reason = result.steps[u.t].reason
            row_id = self._upsert(records, u.key, u.action, target, u.reward, reason, result.episode_id, u.t, vector)
            result.row_ids.append(row_id)

    def _upsert(self, records: list[ShopRecord], key: RecordKey, action: str, target: float, reward: float,
                reason: str, episode_id: str, t: int, vector: list[float]) -> str:
        record = find_record(records, key)
        row = record.rows.get(action) if record else None
        if row is not None:
            return self.store.update_q(row.id, target, reward).id
        exp = Experience(task=key.task, action=action, kind="shop", observation=key.observation,
                         available_actions=key.available_actions, reason=reason, q=float(target), n=1,
                         mean_reward=float(reward), model=getattr(self.llm, "model", "local/smollm2") or "",
                         source="model", episode_id=episode_id, step=t, vector=vector)
        return self.store.add([exp])[0]

    def feedback(self, result: EpisodeResult, up: bool) -> list[tuple[str, float, int]]:
        """👍/👎 after an episode: one extra update with target +1/−1 for each (record, action) it took.

        A (record, action) taken twice in the episode is updated once. Steps not
        in memory yet (an unmatched free-text goal) are added with Q = ±1, N = 1.
        Returns ``[(row id, Q, N), ...]``.
        """
        reward = 1.0 if up else -1.0
        vector = self.vector(result.instruction)
        out = []
        seen: set[tuple[RecordKey, str]] = set()
        for step in result.steps:
            key = RecordKey.of(result.instruction, step.observation, step.available_actions)
            if (key, step.action) in seen:
                continue
            seen.add((key, step.action))
            exp = self.store.get(self._upsert(self.records(), key, step.action, reward, reward, step.reason,
                                              result.episode_id, step.t, vector))
            out.append((exp.id, exp.q, exp.n))
        return out
