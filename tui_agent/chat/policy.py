"""Chat policies: RLEM retrieval for one-step episodes, and the ``episodic-control`` recall / reject rules.

Pure functions, no I/O. A chat question is a one-step episode (docs/rlem.md):
task = the question, observation = the conversation context, action = the
answer, reward = +1 (👍) or −1 (👎); a correction is a demonstrated action
with reward +1. Q updates go through the chat's :class:`tui_agent.rlem.episodic.EpisodicMemory`.

Retrieval is REMEMBERER's ``λ·f_task + (1−λ)·f_obs`` (:func:`chat_similarity`):
f_task = cosine of the question embeddings, f_obs = cosine of the
conversation contexts (:func:`context_similarity`).

Policies (``policy`` setting, :data:`tui_agent.config.base.POLICY_TABLE`):

* ``rememberer`` — the paper's: the m best rated records go into the prompt
  as exemplars with encouraged / discouraged answers; the model answers. No
  recall, no rejection.
* ``episodic-control`` (default) — this project's extension, because the bundled
  135M model ignores advice (measured: shown an encouraged and a discouraged
  answer it repeated the discouraged one):

  1. **Recall** — a remembered answer with Q ≥ ``recall_q`` (default 0.5) to a
     question that asks the same thing is the answer: its value Q·f beats an
     unrated fresh sample (Q = 0). "Asks the same thing" is decided by
     :func:`tui_agent.chat.recall.choose_recall` (question and answer similarity).
  2. **Generate** with exemplars as ``rememberer`` does.
  3. **Reject** a sample that says the same as an answer rated down for a similar
     question (:func:`says_same`: near-duplicate text, or the same names / numbers /
     codes); resample without exemplars at a higher temperature up to ``resamples``
     times, then say "I don't know".
* ``llm`` — the model alone, no memory in the prompt.
* ``random`` — a uniformly random remembered answer among the retrieved
  experiences (the model answers when memory has none).

What each policy does in the steps of :meth:`tui_agent.chat.agent.ChatAgent.answer` is one row of
:data:`CHAT_RULES`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tui_agent.config.base import policy_spec
from tui_agent.rlem.records import Record, RecordKey, Scored, Similarity, dot_similarity

# Context similarity when one side has no conversation context: no evidence
# for or against, so halfway between "unrelated" (0) and "same" (1).
ONE_SIDED_CONTEXT_SIMILARITY = 0.5


@dataclass(frozen=True)
class ChatRule:
    """What one policy does in the steps of an answer (:meth:`tui_agent.chat.agent.ChatAgent.answer`).

    ``pick_random``: answer with a uniformly random retrieved answer when memory has one.
    ``taught``: recall a taught answer in the *recall* band, suggest one in the *suggest* band, and take
    exemplars only from records whose taught answer passes the relevance test.
    ``memory_in_prompt``: exemplars and knowledge notes go into the prompt.
    ``reject``: a sample that says what a rated-down answer to a similar question said is rejected and
    resampled without exemplars, then the answer is "I don't know".
    """

    name: str
    pick_random: bool = False
    taught: bool = False
    memory_in_prompt: bool = True
    reject: bool = False


CHAT_RULES = {r.name: r for r in (
    ChatRule("episodic-control", taught=True, reject=True),
    ChatRule("rememberer"),
    ChatRule("llm", memory_in_prompt=False),
    ChatRule("random", pick_random=True),
)}
"""The chat's row of every policy of :data:`tui_agent.config.base.POLICY_TABLE`, by canonical name."""


def chat_rule(name: str) -> ChatRule:
    """The :class:`ChatRule` of the policy called ``name`` (or one of its aliases).

    Raises:
        ValueError: no such policy, or it does not run in the chat.
    """
    return CHAT_RULES[policy_spec(name, "chat").name]


@dataclass
class ChatQuery:
    """A retrieval query: question and context embeddings (float32 ``(384,)``, L2-normalised).

    ``context_empty``: a fresh conversation. ``observation_vectors``: embeddings
    of the retrieved records' contexts, by text.
    """

    question: np.ndarray
    context: np.ndarray
    context_empty: bool
    observation_vectors: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Candidate:
    """A retrieved experience row with its similarities to the current question.

    f_task, f_obs ∈ [−1, 1] (cosine similarities); score = λ·f_task + (1−λ)·f_obs.
    """

    experience: Any
    f_task: float
    f_obs: float
    score: float

    @property
    def q(self) -> float:
        return self.experience.q

    @property
    def role(self) -> str:
        """"encouraged" (Q > 0), "discouraged" (Q < 0) or "neutral" (Q = 0)."""
        return "encouraged" if self.q > 0 else "discouraged" if self.q < 0 else "neutral"


def key_query(key: RecordKey, question: np.ndarray) -> ChatQuery:
    """A stored record's key as a query, from its question embedding ``(384,)`` alone: its context counts
    as empty (no context embedding at hand). The replay asks for it only to bootstrap a multi-step
    target, which a chat turn (one step) never has."""
    return ChatQuery(question, question, True)


def context_similarity(own_empty: bool, other_empty: bool, dot: float) -> float:
    """f_obs for chat: cosine similarity of the two conversation contexts.

    Both empty → 1.0 (same situation: a fresh conversation); one empty → 0.5;
    otherwise ``dot`` (dot product of the normalised context embeddings).
    """
    if own_empty and other_empty:
        return 1.0
    if own_empty or other_empty:
        return ONE_SIDED_CONTEXT_SIMILARITY
    return float(dot)


def _f_task(query: ChatQuery, records: Sequence[Record]) -> np.ndarray:
    return dot_similarity(query.question, records)


def _f_obs(query: ChatQuery, records: Sequence[Record]) -> np.ndarray:
    out = []
    for r in records:
        obs = r.key.observation
        vec = query.observation_vectors.get(obs) if obs else None
        dot = float(vec @ query.context) if vec is not None and not query.context_empty else 0.0
        out.append(context_similarity(query.context_empty, not obs, dot))
    return np.array(out)


def chat_similarity(lam: float = 0.5) -> Similarity:
    """λ·f_task + (1−λ)·f_obs for chat (λ = 0.5 as in the paper)."""
    return Similarity(_f_task, _f_obs, lam)


def candidates(scored: Sequence[Scored]) -> list[Candidate]:
    """One :class:`Candidate` per stored answer of the scored records, best record first."""
    return [Candidate(v.row, s.f_task, s.f_obs, s.score) for s in scored for v in s.record.actions.values()
            if v.row is not None]


def exemplar_records(scored: Sequence[Scored], min_similarity: float) -> list[Scored]:
    """Records that may be exemplars: rated (some N > 0) and f_task ≥ ``min_similarity``, best first.

    Unrated answers carry no advice, and the small model copies whatever an
    exemplar shows, so they are left out.
    """
    return [s for s in scored if s.f_task >= min_similarity and s.record.visits > 0]


_ECHOED_ADVICE = re.compile(r"\s*->\s*[-+]?\d+(?:\.\d+)?(?:\s+corrected by the user)?\s*$")


def clean_answer(text: str) -> str:
    """Strip an echoed advice suffix (`` -> 0.0``) that small models copy from exemplars."""
    return _ECHOED_ADVICE.sub("", text).strip()


def discouraged_answers(cands: Sequence[Candidate], min_similarity: float) -> list[tuple[str, str]]:
    """(answer, its question) of every retrieved experience with Q < 0 whose question has f_task ≥
    ``min_similarity``: a new answer must not say the same thing (:func:`says_same`)."""
    return [(c.experience.action, c.experience.task) for c in cands if c.q < 0 and c.f_task >= min_similarity]


_TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


def normalise(text: str) -> str:
    """Lower-case words only: "Who is Quellport's mayor?" → "who is quellport's mayor"."""
    return " ".join(t.lower() for t in _TOKEN.findall(text))


def key_content(answer: str, question: str = "") -> frozenset[str]:
    """The specific content of ``answer`` — names, numbers, codes — that the question does not already say.

    Tokens (lower-cased) that contain a digit, or are capitalised in the middle of a sentence (or start
    one and go on with another capitalised word: "Pierre LeBlanc"), and are not in ``question``; when
    there are none ("Use ls.", "bright orange"), the answer's content words not in the question
    (:func:`tui_agent.chat.recall.content_words`). Empty when the answer adds nothing to the question.
    """
    from tui_agent.chat.recall import STOPWORDS, content_words

    asked = {t.lower() for t in _TOKEN.findall(question)}
    key = set()
    for sentence in re.split(r"(?<=[.!?])\s+", answer):
        tokens = _TOKEN.findall(sentence)
        for i, t in enumerate(tokens):
            named = t[0].isupper() and (i > 0 or (len(tokens) > 1 and tokens[1][0].isupper()))
            if (named or any(ch.isdigit() for ch in t)) and t.lower() not in asked and t.lower() not in STOPWORDS:
                key.add(t.lower())
    if not key:
        key = {w for w in content_words(answer) if w not in asked}
    return frozenset(key)


def says_same(sample: str, answer: str, question: str, threshold: float) -> bool:
    """Whether ``sample`` says what ``answer`` (given to ``question``) said.

    When the answer has :func:`key_content`, by that alone: the sample contains every key token ("The
    mayor is Pierre LeBlanc." repeats "Pierre LeBlanc"; "… port 7311." does not repeat "… port 8080."
    however alike the rest). Otherwise by text: the normalised texts are near-duplicates (rapidfuzz
    ``ratio`` / ``token_sort_ratio`` ≥ ``threshold``, in [0, 100]).
    """
    key = key_content(answer, question)
    if key:
        return key <= {t.lower() for t in _TOKEN.findall(sample)}
    return near_duplicate(sample, [answer], threshold) is not None



def near_duplicate(sample: str, answers: Sequence[str], threshold: float) -> str | None:
    """The first of ``answers`` that ``sample`` nearly repeats, or ``None``.

    Text similarity is the larger of rapidfuzz's ``ratio`` and
    ``token_sort_ratio`` on lower-cased text, in [0, 100].
    """
    from rapidfuzz import fuzz

    text = " ".join(sample.lower().split())
    for answer in answers:
        other = " ".join(answer.lower().split())
        if max(fuzz.ratio(text, other), fuzz.token_sort_ratio(text, other)) >= threshold:
            return answer
    return None
