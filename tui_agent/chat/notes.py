"""Retrieval of knowledge notes that learns from reward: each retrieval is a one-step RLEM decision.

Source: the long-term-memory retrieval tutorial (``../shared/seeds/000``: reward 1 when the retrieved
notes contain the answer, else 0), MemRL's two-phase retrieval (phase 1: candidates by similarity;
phase 2: re-rank them by the value learned for similar past queries), and REMEMBERER's experience memory
for the values themselves.

* **Decision.** Task = the question, observation = "" (one step), action = the note used
  (:class:`~tui_agent.rlem.records.ActionKey` ``(note id, citation)``), reward = 1 / 0 by the tutorial's
  rule (benchmark), +1 / −1 for 👍 / 👎 in the chat. Q is updated by the replay of an
  :class:`~tui_agent.rlem.episodic.EpisodicMemory`, the seam every domain learns through (kind ``note``
  rows of the experience store, not kept in RAM; running-mean update, no second learning rule here).
* **Phase 1.** The ``candidates`` best notes by hybrid search (LanceDB full text + vectors, RRF;
  :meth:`~tui_agent.notes.store.NoteStore.search_hybrid`). ``sim`` = RRF score / the best candidate's,
  in (0, 1].
* **Phase 2.** Q̂(question, note) = the similarity-weighted mean Q of that note over the stored decisions
  of past questions with cosine ≥ ``min_similarity`` to this one (records scored by the RLEM core's
  :func:`~tui_agent.rlem.records.score_records`, f_task = embedding dot product, λ = 1); 0 when no similar
  question used the note. Final score = (1 − ``weight``)·sim + ``weight``·Q̂; the top ``k`` are used.
* **Phase 2 with a ranker** (``ranker``, setting ``notes_ranker``): the candidates are re-ranked instead by
  the learned feature scorer :class:`~tui_agent.chat.note_ranker.NoteRanker` (BM25, cosine, RRF ranks,
  word overlap with heading and title, note kind…, and Q̂ shrunk towards 0 as one feature), which every
  reward also trains; what it learns applies to questions and notes never rated (docs/notes_transfer.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from tui_agent.chat.note_ranker import FEATURES, QEvidence, note_features
from tui_agent.memory.schema import ExperienceKind
from tui_agent.storage.files import UserFileError
from tui_agent.rlem.records import ActionKey, RecordKey, Similarity, dot_similarity, records_from_rows
from tui_agent.rlem.episodic import EpisodicMemory

log = logging.getLogger(__name__)

__all__ = ["NOTE_KIND", "NoteRetriever", "UsedNote", "contains_answer", "notes_prompt", "relevant", "strict_answer_match",
           "supports"]

NOTE_KIND = ExperienceKind.NOTE
CANDIDATES = 20  # phase 1: notes fetched by hybrid search
PAST_QUESTIONS = 50  # stored decisions fetched by question similarity for Q̂
MIN_SIMILARITY = 0.5  # cosine of a past question to count for Q̂
WEIGHT = 0.5  # weight of Q̂ against the similarity in the final score
MIN_COSINE = 0.3  # chat: a note is relevant when its cosine to the question reaches this …
MIN_Q = -0.5  # … and similar questions did not rate it down (Q̂ above this)
NOTE_TOKENS = 500  # chat: prompt budget of the notes, tokens (≈ 4 characters each)


def contains_answer(text: str, answer: str) -> bool:
    """The tutorial's reward test: ``answer`` occurs in ``text``, case-insensitive, whitespace collapsed."""
    return " ".join(answer.lower().split()) in " ".join(text.lower().split())


Q_PRIOR = FEATURES.index("q_prior")
MIN_ANSWER_CHARS = 4  # strict_answer_match: shorter answers ("ord", "x") prove nothing


def strict_answer_match(text: str, answer: str, min_chars: int = MIN_ANSWER_CHARS) -> bool:
    """A stricter reward test than :func:`contains_answer`: ``answer`` occurs in ``text`` as whole words
    (case-insensitive, whitespace collapsed), and has at least ``min_chars`` characters (issue 22: "ord" is in
    409 python-docs notes as a substring, "which" in 310). Use it when the gold section is unknown."""
    needle = " ".join(answer.lower().split())
    if len(needle) < min_chars:
        return False
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", " ".join(text.lower().split())) is not None


def supports(text: str, correction: str, question: str = "") -> bool:
    """Whether a note ``text`` contains the user's ``correction``: the whole correction (:func:`contains_answer`),
    or every content word of it that the question does not already have ("Her name is Biscuit" for "What is
    my cat's name?" → "biscuit"), compared by :func:`tui_agent.chat.recall.stem`."""
    from tui_agent.chat.recall import content_words, stem

    if contains_answer(text, correction):
        return True
    asked = {stem(w) for w in content_words(question)}
    new = {stem(w) for w in content_words(correction)} - asked
    have = {stem(w) for w in content_words(text)}
    return bool(new) and new <= have


@dataclass
class UsedNote:
    """A note chosen for a question: the note, its phase-1 similarity sim ∈ (0, 1], Q̂, the final score,
    and N (how many similar past decisions used it)."""

    id: str
    source: str
    heading: str
    title: str
    text: str
    sim: float
    q: float
    n: int
    score: float
    cosine: float = 0.0
    """cosine(question, note) of the embeddings, in [−1, 1] (the relevance gate of the chat)."""
    features: tuple[float, ...] = field(default=(), repr=False)
    """With a ranker: the note's features (:data:`~tui_agent.chat.note_ranker.FEATURES`) …"""
    expected: tuple[float, ...] = field(default=(), repr=False)
    """… and the policy's mean features over that retrieval's candidates (what a reward's update needs)."""

    @property
    def citation(self) -> str:
        """``source § heading``; a chat note (``/remember``) is cited by its id and first words."""
        if self.source == "chat":
            words = " ".join(self.text.split())
            return f"note {self.id[:8]} “{words if len(words) <= 40 else words[:39] + '…'}”"
        where = self.heading or self.title
        return f"{self.source} § {where}" if where else self.source

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["features"], data["expected"]
        return {**data, "citation": self.citation}


class NoteRetriever:
    """Hybrid note retrieval re-ranked by learned Q, and its learning (see the module docstring).

    Args:
        notes: the :class:`~tui_agent.notes.store.NoteStore`.
        experiences: the :class:`~tui_agent.memory.store.ExperienceStore` holding the decisions (kind "note").
        embedder: ``encode(texts) -> (n, 384)`` / ``encode_one(text) -> (384,)`` unit vectors.
        candidates, min_similarity, weight: phase-1 size, Q̂ similarity floor (cosine), Q̂ weight in [0, 1].
        learned: False = no per-(question, note) Q (neither read nor learned): plain hybrid ranking, or the
            ranker's without its Q features.
        ranker: a :class:`~tui_agent.chat.note_ranker.NoteRanker` re-ranks the candidates and learns from
            every reward; None = the weighted sum of sim and Q̂ above.
    """

    def __init__(self, notes: Any, experiences: Any, embedder: Any, *, candidates: int = CANDIDATES,
                 min_similarity: float = MIN_SIMILARITY, weight: float = WEIGHT, learned: bool = True,
                 ranker: Any = None) -> None:
        from tui_agent.bridge.store_rows import StoreRows

        self.notes, self.experiences, self.embedder = notes, experiences, embedder
        self.candidates, self.min_similarity, self.weight, self.learned = candidates, min_similarity, weight, learned
        self.ranker = ranker
        self.similarity = Similarity(lambda qv, recs: dot_similarity(qv, recs), lambda _q, recs: np.zeros(len(recs)),
                                     lam=1.0)
        sink = StoreRows(experiences, NOTE_KIND, lambda key: self.memory.vector_of(key), model="retrieval",
                         source="model")
        self.memory = EpisodicMemory(self.similarity, lambda _key, question: question, embedder, sink, in_ram=False)
        """The decisions' replay and question-embedding cache; a query is the question's embedding."""
        self.replay = self.memory.replay

    def retrieve(self, question: str, k: int = 3, q_vec: np.ndarray | None = None) -> list[UsedNote]:
        """The ``k`` best notes for ``question``, best first ([] when there are no notes)."""
        qv = self.embedder.encode_one(question) if q_vec is None else np.asarray(q_vec, dtype=np.float32)
        found = self.notes.search_hybrid(question, qv, self.candidates)
        if not found:
            return []
        if self.ranker is not None:
            return self._ranked(question, qv, found)[:k]
        top = max(f.score for f in found) or 1.0
        values = self.q_estimates(qv, [f.note.id for f in found]) if self.learned else {}
        used = []
        for f in found:
            q, n = values.get(f.note.id, (0.0, 0))
            sim = f.score / top
            score = (1 - self.weight) * sim + self.weight * q if self.learned else sim
            cosine = float(np.dot(qv, np.asarray(f.note.vector, dtype=np.float32))) if f.note.vector else 0.0
            used.append(UsedNote(f.note.id, f.note.source, f.note.heading, f.note.title, f.note.text,
                                 round(sim, 4), round(q, 4), n, round(score, 4), round(cosine, 4)))
        used.sort(key=lambda u: u.score, reverse=True)  # stable: ties keep the hybrid order
        return used[:k]

    def _ranked(self, question: str, qv: np.ndarray, found: Sequence[Any]) -> list[UsedNote]:
        """All candidates ordered by the ranker's score (ties keep the hybrid order)."""
        notes = [f.note for f in found]
        cosine = [float(np.dot(qv, np.asarray(n.vector, dtype=np.float32))) if n.vector else 0.0 for n in notes]
        ids = {n.id for n in notes}
        bm25 = {f.note.id: f.score for f in self.notes.search_text(question, self.candidates) if f.note.id in ids}
        evidence = self.q_evidence(qv, list(ids)) if self.learned else {}
        x = note_features(question, notes, [f.score for f in found], cosine, bm25, evidence)
        scores, expected = self.ranker.scores(x), tuple(float(v) for v in self.ranker.expected(x))
        used = [UsedNote(n.id, n.source, n.heading, n.title, n.text, round(float(x[i, 0]), 4),
                         round(float(x[i, Q_PRIOR]), 4), evidence[n.id].n if n.id in evidence else 0,
                         round(float(scores[i]), 4), round(cosine[i], 4), tuple(float(v) for v in x[i]), expected)
                for i, n in enumerate(notes)]
        order = np.argsort(-scores, kind="stable")
        return [used[i] for i in order]

    def q_estimates(self, q_vec: np.ndarray, note_ids: Sequence[str]) -> dict[str, tuple[float, int]]:
        """``{note id: (Q̂, N)}`` from the decisions of past questions with cosine ≥ ``min_similarity``."""
        return {nid: (e.fq / e.f, e.n) for nid, e in self.q_evidence(q_vec, note_ids).items() if e.f > 0}

    def q_evidence(self, q_vec: np.ndarray, note_ids: Sequence[str]) -> dict[str, QEvidence]:
        """``{note id: QEvidence}``: the Q of each note over the decisions of past questions with cosine
        ≥ ``min_similarity`` (notes no such question used are missing)."""
        if self.experiences.count(NOTE_KIND) == 0:
            return {}
        wanted = set(note_ids)
        rows = [r.experience for r in self.experiences.search(q_vec, kind=NOTE_KIND, limit=PAST_QUESTIONS)]
        out: dict[str, QEvidence] = {}
        for s in self.replay.rank(q_vec, records_from_rows(rows)):
            if s.f_task < self.min_similarity:
                continue
            for action, value in s.record.actions.items():
                if action.action in wanted and value.n > 0:
                    out.setdefault(action.action, QEvidence()).add(s.f_task, value.q, value.n)
        return out

    def learn(self, question: str, used: Sequence[UsedNote], rewards: Sequence[float],
              q_vec: np.ndarray | None = None, source: str = "model") -> list[tuple[str, float, int]]:
        """One terminal update per used note towards its reward; returns ``[(note id, Q, N)]``.

        With a ranker, the rewards of the notes it ranked also train it (one policy-gradient step). Without
        per-item learning (``learned`` False) nothing is stored and ``[]`` is returned.

        An existing decision (same question, same note) is updated in place
        (:meth:`~tui_agent.rlem.replay.HistoryReplay.learn_row`), else a new one is stored with its first
        update (:meth:`~tui_agent.rlem.replay.HistoryReplay.learn`).
        """
        if self.ranker is not None:
            ranked = [(u, r) for u, r in zip(used, rewards) if u.features]
            if ranked:
                try:
                    self.ranker.learn([(u.features, u.expected) for u, _ in ranked], [r for _, r in ranked])
                except (OSError, UserFileError) as exc:  # a full disk or a held lock costs this update only
                    log.warning("note ranker not updated: %s", exc)
        if not self.learned:
            return []
        qv = self.memory.vector(question) if q_vec is None else np.asarray(q_vec, dtype=np.float32)
        out = []
        for note, reward in zip(used, rewards):
            row = self._decision_row(question, note.id, qv)
            if row is not None:
                q, n = self.replay.learn_row(row, float(reward))
            else:
                update = self.replay.learn(RecordKey(question, ""), ActionKey(note.id, note.citation), float(reward),
                                           any_reason=True, vector=[float(x) for x in qv], source=source)
                q, n = update.q, update.n
            out.append((note.id, q, n))
        return out

    def _decision_row(self, question: str, note_id: str, q_vec: np.ndarray) -> str | None:
        def sql(v: str) -> str:
            return "'" + v.replace("'", "''") + "'"

        if self.experiences.count(NOTE_KIND) == 0:
            return None
        found = self.experiences.search(q_vec, kind=NOTE_KIND, limit=1,
                                        where=f"task = {sql(question)} AND action = {sql(note_id)}")
        return found[0].experience.id if found else None


def relevant(used: Sequence[UsedNote], min_cosine: float = MIN_COSINE, min_q: float = MIN_Q) -> list[UsedNote]:
    """The notes worth putting in a prompt: cosine ≥ ``min_cosine`` and Q̂ > ``min_q`` (order kept)."""
    return [u for u in used if u.cosine >= min_cosine and u.q > min_q]


def notes_prompt(used: Sequence[UsedNote], question: str, budget_tokens: int = NOTE_TOKENS) -> tuple[str, list[UsedNote]]:
    """The user message with the notes before the question, and the notes that fit.

    Notes are added best first while their text fits ``budget_tokens`` (counted as characters / 4, the
    usual English ratio of the bundled model's tokenizer); a note longer than the whole budget is cut.
    Each is numbered ``[i]`` with its citation, so the answer can cite it.
    """
    budget = budget_tokens * 4
    parts: list[str] = []
    kept: list[Any] = []
    for u in used:
        text = f"[{len(kept) + 1}] ({u.citation})\n{u.text}"
        if len(text) > budget:
            if kept:
                break
            text = text[:budget]
        parts.append(text)
        kept.append(u)
        budget -= len(text)
    if not kept:
        return question, []
    return ("Notes:\n" + "\n\n".join(parts) + f"\n\nAnswer from the notes when they help.\nQuestion: {question}",
            kept)
