"""The chat agent: answers with RLEM (retrieve → recall or generate → store) and learns from ratings.

Used by the TUI and the CLI alike. Heavy parts (LanceDB, torch, LiteLLM,
llama.cpp) load in :meth:`ChatAgent.load` or on first use. A chat turn is a one-step episode
(question → answer → rating) on the project's episodic seam: :class:`~tui_agent.rlem.episodic.EpisodicMemory`
holds its replay (:attr:`ChatAgent.memory`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
import random
from typing import Any

from tui_agent.memory.schema import ExperienceKind
from tui_agent.chat import policy
from tui_agent.chat.answer import ChatAnswer, ExemplarInfo, RatingResult, Turn, exemplar_info
from tui_agent.chat.grounding import NotesMixin
from tui_agent.chat.prompt import chat_messages, pick_exemplars
from tui_agent.chat.remembered import Suggestion, TaughtMixin, suggestion_of
from tui_agent.chat.sampling import I_DONT_KNOW, Sample, generate
from tui_agent.config.settings import Settings
from tui_agent.memory.errors import MemoryStoreError, RowLimitError
from tui_agent.rlem.records import ActionKey, RecordKey, Scored, records_from_rows

__all__ = ["I_DONT_KNOW", "ChatAgent", "ChatAnswer", "ExemplarInfo", "RatingResult", "format_history"]

log = logging.getLogger(__name__)

CANDIDATES = 12  # experiences fetched by vector search before re-scoring
HISTORY_TURNS = 2  # (user, assistant) pairs kept as the observation / prompt history
DISCOURAGED_SIMILARITY = 0.5
"""Question cosine from which a rated-down answer must not come back (MiniLM, to "Who is the mayor of
Quellport?": "Who is Quellport's mayor?" 0.99, "Tell me the name of the person who governs Quellport." 0.75,
"Who is the mayor of Paris?" — where the model copied the rated-down name from the prompt — 0.63)."""
CORRECTION_REASON = "corrected by the user"


def format_history(history: Sequence[tuple[str, str]]) -> str:
    """The observation text of a chat step: the last turns, "" for a fresh conversation."""
    return "\n".join(f"User: {u}\nAssistant: {a}" for u, a in history[-HISTORY_TURNS:])


_TURN = re.compile(r"^(User|Assistant): ", re.MULTILINE)


def parse_history(observation: str) -> list[dict[str, str]] | None:
    """The turns of a :func:`format_history` text as chat messages (``role`` user / assistant, in order).

    ``[]`` for ``""``; ``None`` when the text is not in that form (it does not start with ``User: ``, the
    roles do not alternate, or it does not end with an assistant turn). A line of an answer that itself starts with ``User: `` or ``Assistant: ``
    is read as a new turn (the stored text cannot tell them apart).
    """
    if not observation.strip():
        return []
    marks = list(_TURN.finditer(observation))
    if not marks or marks[0].start() != 0:
        return None
    turns = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() - 1 if i + 1 < len(marks) else len(observation)
        role = "user" if mark.group(1) == "User" else "assistant"
        if role == ("user" if i % 2 == 0 else "assistant"):
            turns.append({"role": role, "content": observation[mark.end():max(end, mark.end())]})
        else:
            return None
    return turns if turns[-1]["role"] == "assistant" else None


class ChatAgent(NotesMixin, TaughtMixin):
    """RLEM chat agent over an experience store, an embedder and an LLM.

    Args:
        settings: the resolved :class:`~tui_agent.config.settings.Settings`.
        store, llm, embedder: injected parts (tests); built from settings when ``None``.
    """

    def __init__(self, settings: Settings, *, store: Any = None, llm: Any = None, embedder: Any = None) -> None:
        self.settings = settings
        self._store = store
        self._llm = llm
        self._embedder = embedder
        self._memory: Any = None
        self._contexts: Any = None
        self._notes: Any = None
        self._note_retriever: Any = None
        self.notes_used: dict[str, tuple[str, list[Any]]] = {}
        """answer id → (question, notes used): a rating of the answer is also the notes' reward."""
        self.rng = random.Random()

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
            from tui_agent.embedding.encoder import shared_embedder

            self._embedder = shared_embedder()
        return self._embedder

    @property
    def contexts(self):
        """Embeddings of conversation contexts by text (:class:`tui_agent.embedding.cache.TextVectors`;
        on disk in the user cache dir for the bundled model, in RAM only for another embedder)."""
        if self._contexts is None:
            from tui_agent.embedding.encoder import Embedder
            from tui_agent.embedding.cache import TextVectors

            real = isinstance(self.embedder, Embedder)
            self._contexts = TextVectors(self.embedder.encode, getattr(self.embedder, "name", "embedder"),
                                         disk=real)
        return self._contexts

    @property
    def memory(self):
        """The chat's episodic memory (:class:`~tui_agent.rlem.episodic.EpisodicMemory`): its replay's rows are
        the store's "chat" rows, not kept in RAM (each answer ranks the rows its own search found)."""
        if self._memory is None:
            from tui_agent.bridge.store_rows import StoreRows
            from tui_agent.rlem.episodic import EpisodicMemory

            sink = StoreRows(self.store, ExperienceKind.CHAT, lambda key: self.memory.vector_of(key))
            self._memory = EpisodicMemory(policy.chat_similarity(self.settings.similarity_lambda), policy.key_query,
                                          self.embedder, sink, in_ram=False)
        return self._memory

    @property
    def replay(self):
        """The replay that learns (:class:`~tui_agent.rlem.replay.HistoryReplay`, of :attr:`memory`)."""
        return self.memory.replay

    def use_model(self, model: str) -> None:
        """Answer with ``model`` (a LiteLLM model string) from now on; it loads on :meth:`load_model` or first use."""
        self.settings.model = model
        self._llm = None

    def load_model(self) -> None:
        """Load the current model now (blocking: the bundled model reads its weights, a hosted one imports LiteLLM)."""
        self.llm.load()

    def memory_count(self) -> int:
        """Number of experiences in the memory (every kind)."""
        return self.store.count()

    def memory_read_only(self) -> str | None:
        """One line while the memory's object store is unreachable (answers come from the copy in RAM,
        nothing is stored), else None."""
        return getattr(self.store, "read_only", None)

    def load(self, progress: Callable[[str], Any] | None = None, *, with_model: bool = True) -> None:
        """Open the memory, load the embedding model and the LLM (blocking; call from a thread).

        ``with_model=False`` leaves the LLM to the first answer that needs it: an answer recalled
        from memory never loads it (``tui-agent ask``).
        """
        say = progress or (lambda _msg: None)
        say("opening memory…")
        _ = self.store
        say("loading embedding model…")
        self.embedder.load()
        if with_model:
            say(f"loading {self.settings.model}…")
            self.llm.load()

    # --- acting -------------------------------------------------------------------

    def retrieve(self, question: str, history: Sequence[tuple[str, str]]) -> tuple[list[float], list[Scored]]:
        """Embed the question (and context); score the nearest chat records, best first (blocking).

        Returns the question's embedding (384 floats) and the records scored by
        λ·f_task + (1−λ)·f_obs. Contexts of stored rows are embedded only when
        this question has a context (otherwise f_obs needs none), and each
        only once per machine (:attr:`contexts`, a cache by text).
        """
        context = format_history(history)
        if context:  # the context becomes a stored row's observation: cached for later f_obs
            known, (q_vec,) = self.contexts.get([context], extra=[question], disk=False)
            c_vec = known[context]
        else:
            q_vec = self.embedder.encode_one(question)
            c_vec = q_vec
        found = self.store.search(q_vec, kind=ExperienceKind.CHAT, limit=CANDIDATES)
        if not found:
            return q_vec.tolist(), []
        records = records_from_rows([r.experience for r in found])
        obs_vecs: dict[str, Any] = {}
        if context:  # stored contexts were embedded when they were asked: cached by text
            texts = sorted({r.key.observation for r in records if r.key.observation})
            obs_vecs = self.contexts.get(texts)[0] if texts else {}
        query = policy.ChatQuery(q_vec, c_vec, not context, obs_vecs)
        return q_vec.tolist(), self.replay.rank(query, records)

    async def answer(
        self,
        question: str,
        history: Sequence[tuple[str, str]] = (),
        on_token: Callable[[str | None], Any] | None = None,
        *,
        system_prompt: str | None = None,
        **llm_params: Any,
    ) -> ChatAnswer:
        """Answer ``question`` with the configured policy and store the answer (Q = 0, N = 0).

        The steps: retrieve → answer from memory (``random``; ``episodic-control``'s *recall* band) → prompt
        (exemplars, notes) → generate (``episodic-control``: reject & resample) → store, warn, touch. What each
        policy does in them is its :class:`~tui_agent.chat.policy.ChatRule`. ``episodic-control``: a taught
        answer in the *recall* band is the answer (the model is not asked, nor loaded); in the *suggest*
        band the model answers and the taught answer comes back as :attr:`ChatAnswer.suggestion`.

        ``on_token(piece)`` receives streamed text; on a resample it receives
        ``None`` first, meaning "discard what was shown". ``system_prompt``
        replaces the default one (a chat's own). ``llm_params`` go to
        LiteLLM (e.g. ``mock_response`` in tests).

        An answer whose stream was cut off (``incomplete``) or that the memory cannot store
        (full disk, read-only directory) is returned with ``id = None`` and the reason in
        ``warning``: never lost, never stored as a normal answer.

        Raises:
            tui_agent.llm.LLMError: the model failed (nothing is stored).
        """
        turn = await self._retrieve_turn(question, history)
        remembered = await self._from_memory(turn, on_token)
        if remembered is not None:
            return remembered
        messages, plain = await self._prompt(turn, system_prompt)
        s = self.settings
        sample = await generate(self.llm, messages, plain, turn.avoid, on_token, llm_params, temperature=s.temperature,
                                resamples=s.resamples, reject_similarity=s.reject_similarity)
        return await self._settle(turn, sample)

    # --- the steps of an answer ---------------------------------------------------------

    async def _retrieve_turn(self, question: str, history: Sequence[tuple[str, str]]) -> Turn:
        """Retrieve: the question's embedding, the nearest answers and the records that may be exemplars."""
        rule = policy.chat_rule(self.settings.policy)
        q_vec, scored = await asyncio.to_thread(self.retrieve, question, history)
        return Turn(question, history, rule, format_history(history), q_vec, policy.candidates(scored),
                    policy.exemplar_records(scored, self.settings.exemplar_similarity))

    async def _from_memory(self, turn: Turn, on_token: Any) -> ChatAnswer | None:
        """Answer from memory when the policy does (``pick_random``; ``taught``: the *recall* band), else None.

        ``taught`` also sets the turn's suggestion (the *suggest* band) and keeps as exemplars only records
        whose taught answer passes the relevance test, never the suggestion's: the small model copies what
        it is shown into questions about other subjects.
        """
        rule = turn.rule
        if rule.pick_random and turn.cands:
            return await self._answer_from_memory(turn.question, self.rng.choice(turn.cands), on_token, "random",
                                                  rule.name)
        if not rule.taught:
            return None
        matches = await asyncio.to_thread(self.match_taught, turn.question, turn.q_vec, turn.cands)
        if matches and matches[0].band == "recall":
            return await self._recall(turn.question, turn.context, turn.q_vec, matches[0], turn.cands, on_token)
        turn.suggestion = matches[0] if matches and matches[0].band == "suggest" else None
        relevant = {m.candidate.experience.task for m in matches if m.band != "none"}
        hidden = policy.normalise(turn.suggestion.candidate.experience.action) if turn.suggestion else None
        turn.records = [r for r in turn.records if r.record.key.task in relevant
                        and hidden not in {policy.normalise(a.action) for a in r.record.actions}]
        return None

    async def _prompt(self, turn: Turn, system_prompt: str | None) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """Prompt: the messages with exemplars and notes (``memory_in_prompt``), and the same without exemplars
        for a resample; sets the turn's exemplars, notes and (``reject``) the rated-down answers to avoid."""
        rule, question, history = turn.rule, turn.question, turn.history[-HISTORY_TURNS:]
        if rule.memory_in_prompt:
            turn.exemplars = pick_exemplars(turn.records, self.settings.exemplars, self.rng)
        if rule.reject:
            turn.avoid = policy.discouraged_answers(turn.cands, DISCOURAGED_SIMILARITY)
        messages = chat_messages(question, history, [text for _, text in turn.exemplars], system_prompt)
        plain = chat_messages(question, history, [], system_prompt)
        if rule.memory_in_prompt:
            turn.notes = await asyncio.to_thread(self._notes_for, question, turn.q_vec)
        if turn.notes:
            from tui_agent.chat.notes import notes_prompt

            messages[-1]["content"], turn.notes = notes_prompt(turn.notes, question)
            plain[-1]["content"] = messages[-1]["content"]
        return messages, plain

    async def _settle(self, turn: Turn, sample: Sample) -> ChatAnswer:
        """Store, warn, touch: the answer and its suggestion's pairing stored, the exemplars shown marked used."""
        exp_id, offered, warnings = await self._save(turn, sample)
        shown = [c for sc, _ in turn.exemplars for c in policy.candidates([sc])]
        await self._touch([c.experience.id for c in shown])
        if exp_id is not None and turn.notes:
            self.notes_used[exp_id] = (turn.question, turn.notes)
        completion = sample.completion
        return ChatAnswer(id=exp_id, question=turn.question, answer=sample.text, model=completion.model,
                          mode=sample.mode, exemplars=[exemplar_info(c, c.role) for c in reversed(shown)],
                          rejected=sample.rejected, warning="; ".join(warnings) or None, policy=turn.rule.name,
                          incomplete=completion.incomplete, notes=[u.to_json() for u in turn.notes],
                          suggestion=offered)

    async def _save(self, turn: Turn, sample: Sample) -> tuple[str | None, Suggestion | None, list[str]]:
        """The answer stored unrated, and the suggestion's pairing (dropped when the answer already says it).

        Returns (the answer's id, the suggestion shown, warnings); a cut-off answer is not stored, and a
        memory that cannot be written stores nothing: the id is None and a warning says why.
        """
        completion, suggestion = sample.completion, turn.suggestion
        if suggestion is not None and policy.says_same(sample.text, suggestion.candidate.experience.action,
                                                       suggestion.candidate.experience.task,
                                                       self.settings.reject_similarity):
            suggestion = None  # the answer already says it (e.g. from the conversation): nothing to add
        warnings = [f"fell back to the local model ({completion.error})"] if completion.fell_back else []
        exp_id: str | None = None
        offered: Suggestion | None = None
        if completion.incomplete:
            warnings.append("incomplete answer: the stream ended without a normal end (cut off); not stored")
        else:
            try:
                exp_id = await asyncio.to_thread(self._store_answer, turn.question, turn.context, sample.text,
                                                 turn.q_vec, completion.model)
                if suggestion is not None:
                    offered = await asyncio.to_thread(self._pairing, turn.question, turn.context, turn.q_vec,
                                                      suggestion, turn.cands, "suggestion")
            except (MemoryStoreError, RowLimitError) as exc:  # the answer is still shown, with the reason
                warnings.append(f"answer not stored: {exc}")
        if suggestion is not None and offered is None:  # shown, but nothing to rate
            offered = suggestion_of(None, suggestion)
        return exp_id, offered, warnings

    async def _touch(self, ids: list[str]) -> None:
        """Mark experiences as used; a memory that cannot be written (full, read-only) only skips this."""
        try:
            await asyncio.to_thread(self.store.touch, ids)
        except MemoryStoreError as exc:
            log.warning("last-used time not recorded: %s", exc)

    async def _answer_from_memory(self, question: str, chosen: policy.Candidate, on_token: Any,
                                  mode: str, policy_name: str) -> ChatAnswer:
        """A remembered answer as the answer (``mode`` "recall" or "random"), marked used."""
        exp = chosen.experience
        if on_token is not None:
            on_token(exp.action)
        await self._touch([exp.id])
        return ChatAnswer(
            id=exp.id,
            question=question,
            answer=exp.action,
            model="memory",
            mode=mode,
            exemplars=[exemplar_info(chosen, "recalled" if mode == "recall" else "random")],
            policy=policy_name,
        )

    def _store_answer(self, question: str, context: str, text: str, vector: list[float], model: str) -> str:
        return self.replay.add_unrated(RecordKey(question, context), ActionKey(text), vector=vector, model=model,
                                       source="model")

    # --- learning -----------------------------------------------------------------

    def rate(self, experience_id: str, up: bool, correction: str | None = None) -> RatingResult:
        """Apply 👍 (reward +1) or 👎 (reward −1): N += 1, Q += (r − Q)/N (blocking).

        A non-empty ``correction`` is stored as a demonstrated answer to the same
        question and context, with one update of reward +1 (Q = 1, N = 1). When the rated
        experience is a recalled or suggested pairing (:attr:`ChatAnswer.suggestion`), the rating is
        also a label for this memory's recall bands (:class:`tui_agent.chat.bands.Calibration`):
        accepting a suggestion is ``rate(suggestion.id, up=True)``, dismissing it ``up=False``.

        Raises:
            KeyError: no experience with that id.
        """
        reward = 1.0 if up else -1.0
        q, n = self.replay.learn_row(experience_id, reward)
        self.calibrate(lambda cal: cal.label(experience_id, up))  # a recalled / suggested pairing teaches the bands
        if experience_id in self.notes_used:  # the notes the answer used share its reward (one decision each)
            asked, used = self.notes_used[experience_id]
            self.note_retriever.learn(asked, used, [reward] * len(used), source="model")
        correction_id = self.correct(experience_id, correction) if correction and correction.strip() else None
        return RatingResult(experience_id, reward, q, n, correction_id)

    def correct(self, experience_id: str, correction: str) -> str:
        """Store ``correction`` as the demonstrated answer to the rated experience's question.

        The new experience has source "correction" and one update of reward +1
        (Q = 1, N = 1, mean reward 1). Returns its id.

        Raises:
            KeyError: no experience with that id.
            ValueError: the correction is empty.
        """
        text = correction.strip()
        if not text:
            raise ValueError("the correction is empty")
        rated = self.store.get(experience_id)
        if rated is None:
            raise KeyError(experience_id)
        update = self.replay.learn(RecordKey(rated.task, rated.observation), ActionKey(text, CORRECTION_REASON),
                                   1.0, vector=rated.vector, model="user", source="correction")
        self.reward_supporting_notes(experience_id, text)
        return str(update.row_id)

    def stats(self) -> dict[str, Any]:
        return self.store.stats()
