"""The chat agent: answers with RLEM (retrieve → recall or generate → store) and learns from ratings.

Used by the TUI and the CLI alike. Heavy parts (LanceDB, torch, LiteLLM,
llama.cpp) load in :meth:`ChatAgent.load` or on first use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tui_agent.config import Settings
from tui_agent.rlem import chat_policy as policy
from tui_agent.rlem.advice import chat_messages

CANDIDATES = 12  # experiences fetched by vector search before re-scoring
HISTORY_TURNS = 2  # (user, assistant) pairs kept as the observation / prompt history
RESAMPLE_TEMPERATURE = 0.9
I_DONT_KNOW = (
    "I don't know. My earlier answers to this were rated down. "
    "Rate this 👎 and type the right answer to teach me."
)


@dataclass
class ExemplarInfo:
    """An experience that steered an answer, as shown under it ("from memory")."""

    id: str
    task: str
    answer: str
    q: float
    n: int
    similarity: float  # combined score λ·f_task + (1−λ)·f_obs
    f_task: float  # question similarity, cosine in [−1, 1]
    role: str  # encouraged | discouraged | neutral | recalled


@dataclass
class ChatAnswer:
    """An answer and how it was made.

    ``policy`` is "recall" (a remembered answer chosen by Q), "generate" (a
    fresh sample), "resample" (a fresh sample after rejecting near-duplicates of
    discouraged answers) or "abstain" (every sample was rejected).
    """

    id: str
    question: str
    answer: str
    model: str
    policy: str
    exemplars: list[ExemplarInfo] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    warning: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RatingResult:
    """What a rating changed: the rated experience's new Q and N, and the correction's id."""

    id: str
    reward: float
    q: float
    n: int
    correction_id: str | None = None


def format_history(history: Sequence[tuple[str, str]]) -> str:
    """The observation text of a chat step: the last turns, "" for a fresh conversation."""
    return "\n".join(f"User: {u}\nAssistant: {a}" for u, a in history[-HISTORY_TURNS:])


class ChatAgent:
    """RLEM chat agent over an experience store, an embedder and an LLM.

    Args:
        settings: the resolved :class:`~tui_agent.config.Settings`.
        store, llm, embedder: injected parts (tests); built from settings when ``None``.
    """

    def __init__(self, settings: Settings, *, store: Any = None, llm: Any = None, embedder: Any = None) -> None:
        self.settings = settings
        self._store = store
        self._llm = llm
        self._embedder = embedder

    # --- parts, loaded lazily -----------------------------------------------------

    @property
    def store(self):
        if self._store is None:
            from tui_agent.memory.store import ExperienceStore

            self._store = ExperienceStore(self.settings.resolved_memory_dir())
        return self._store

    @property
    def llm(self):
        if self._llm is None:
            from tui_agent.llm.client import LLM

            self._llm = LLM.from_settings(self.settings)
        return self._llm

    @property
    def embedder(self):
        if self._embedder is None:
            from tui_agent.embed import shared_embedder

            self._embedder = shared_embedder()
        return self._embedder

    def load(self, progress: Callable[[str], Any] | None = None) -> None:
        """Open the memory, load the embedding model and the LLM (blocking; call from a thread)."""
        say = progress or (lambda _msg: None)
        say("opening memory…")
        _ = self.store
        say("loading embedding model…")
        self.embedder.load()
        say(f"loading {self.settings.model}…")
        self.llm.load()

    # --- acting -------------------------------------------------------------------

    def retrieve(self, question: str, history: Sequence[tuple[str, str]]) -> tuple[list[float], list[policy.Candidate]]:
        """Embed the question and context; score the nearest chat experiences (blocking)."""
        context = format_history(history)
        q_vec, c_vec = self.embedder.encode([question, context or " "])
        found = self.store.search(q_vec, kind="chat", limit=CANDIDATES)
        if not found:
            return q_vec.tolist(), []
        observations = [r.experience.observation for r in found]
        nonempty = [o for o in observations if o]
        obs_vecs = dict(zip(nonempty, self.embedder.encode(nonempty))) if nonempty else {}
        candidates = []
        for r in found:
            obs = r.experience.observation
            dot = float(obs_vecs[obs] @ c_vec) if obs and context else 0.0
            f_obs = policy.context_similarity(not context, not obs, dot)
            score = policy.combined_score(r.similarity, f_obs, self.settings.similarity_lambda)
            candidates.append(policy.Candidate(r.experience, r.similarity, f_obs, score))
        return q_vec.tolist(), policy.rank(candidates)

    async def answer(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        on_token: Callable[[str], Any] | None = None,
        **llm_params: Any,
    ) -> ChatAnswer:
        """Answer ``question`` and store the answer as a new experience (Q = 0, N = 0).

        ``on_token(piece)`` receives streamed text; on a resample it receives
        ``None`` first, meaning "discard what was shown". ``llm_params`` go to
        LiteLLM (e.g. ``mock_response`` in tests).

        Raises:
            tui_agent.llm.LLMError: the model failed (nothing is stored).
            tui_agent.memory.MemoryStoreError: the memory cannot be written.
        """
        s = self.settings
        q_vec, candidates = await asyncio.to_thread(self.retrieve, question, history)
        recalled = policy.choose_recall(candidates, s.recall_similarity, s.recall_q)
        if recalled is not None:
            return await self._answer_from_memory(question, recalled, on_token)

        exemplars = policy.choose_exemplars(candidates, s.exemplars, s.exemplar_similarity)
        avoid = policy.discouraged_answers(candidates, s.recall_similarity)
        messages = chat_messages(question, history[-HISTORY_TURNS:], exemplars)
        rejected: list[str] = []
        completion = None
        for attempt in range(s.resamples + 1):
            if attempt and on_token is not None:
                on_token(None)
            params = dict(llm_params)
            if attempt:
                params.update(temperature=RESAMPLE_TEMPERATURE, seed=attempt)
            else:
                params.setdefault("temperature", s.temperature)
            completion = await self.llm.stream(messages, on_token, **params)
            completion.text = policy.clean_answer(completion.text)
            if policy.near_duplicate(completion.text, avoid, s.reject_similarity) is None:
                break
            rejected.append(completion.text)
        assert completion is not None
        if len(rejected) == s.resamples + 1:
            text, mode = I_DONT_KNOW, "abstain"
            if on_token is not None:
                on_token(None)
                on_token(text)
        else:
            text, mode = completion.text, "resample" if rejected else "generate"
        exp_id = await asyncio.to_thread(
            self._store_answer, question, format_history(history), text, q_vec, completion.model
        )
        await asyncio.to_thread(self.store.touch, [c.experience.id for c in exemplars])
        return ChatAnswer(
            id=exp_id,
            question=question,
            answer=text,
            model=completion.model,
            policy=mode,
            exemplars=[_info(c, c.role) for c in reversed(exemplars)],
            rejected=rejected,
            warning=f"fell back to the local model ({completion.error})" if completion.fell_back else None,
        )

    async def _answer_from_memory(self, question: str, chosen: policy.Candidate, on_token: Any) -> ChatAnswer:
        exp = chosen.experience
        if on_token is not None:
            on_token(exp.action)
        await asyncio.to_thread(self.store.touch, [exp.id])
        return ChatAnswer(
            id=exp.id,
            question=question,
            answer=exp.action,
            model="memory",
            policy="recall",
            exemplars=[_info(chosen, "recalled")],
        )

    def _store_answer(self, question: str, context: str, text: str, vector: list[float], model: str) -> str:
        from tui_agent.memory.schema import Experience

        exp = Experience(task=question, observation=context, action=text, vector=vector, model=model, source="model")
        return self.store.add([exp])[0]

    # --- learning -----------------------------------------------------------------

    def rate(self, experience_id: str, up: bool, correction: str | None = None) -> RatingResult:
        """Apply 👍 (reward +1) or 👎 (reward −1): N += 1, Q += (r − Q)/N (blocking).

        A non-empty ``correction`` is stored as a demonstrated answer to the same
        question and context, with one update of reward +1 (Q = 1, N = 1).

        Raises:
            KeyError: no experience with that id.
        """
        reward = 1.0 if up else -1.0
        rated = self.store.update_q(experience_id, reward)
        correction_id = self.correct(experience_id, correction) if correction and correction.strip() else None
        return RatingResult(experience_id, reward, rated.q, rated.n, correction_id)

    def correct(self, experience_id: str, correction: str) -> str:
        """Store ``correction`` as the demonstrated answer to the rated experience's question.

        The new experience has source "correction" and one update of reward +1
        (Q = 1, N = 1, mean reward 1). Returns its id.

        Raises:
            KeyError: no experience with that id.
            ValueError: the correction is empty.
        """
        from tui_agent.memory.schema import Experience

        text = correction.strip()
        if not text:
            raise ValueError("the correction is empty")
        rated = self.store.get(experience_id)
        if rated is None:
            raise KeyError(experience_id)
        demo = Experience(
            task=rated.task,
            observation=rated.observation,
            action=text,
            vector=rated.vector,
            model="user",
            source="correction",
            q=1.0,
            n=1,
            mean_reward=1.0,
            reason="corrected by the user",
        )
        return self.store.add([demo])[0]

    def stats(self) -> dict[str, Any]:
        return self.store.stats()


def _info(c: policy.Candidate, role: str) -> ExemplarInfo:
    e = c.experience
    return ExemplarInfo(e.id, e.task, e.action, round(e.q, 4), e.n, round(c.score, 4), round(c.f_task, 4), role)
