"""RLEM for chat: retrieval scores, exemplar choice and the Q-driven policy.

Pure functions, no I/O. A chat question is a one-step episode (DESIGN.md §4):
task = the question, observation = the conversation context, action = the
answer, reward = +1 (👍) or −1 (👎); a correction is a demonstrated action
with reward +1. The Q update (N += 1, Q += (r − Q)/N) is done atomically by
:meth:`tui_agent.memory.store.ExperienceStore.update_q`.

Why the policy uses Q directly
------------------------------
REMEMBERER steers the LLM only through exemplars and advice in the prompt.
The bundled 135M model ignores advice (measured: shown an encouraged and a
discouraged answer it repeated the discouraged one), so learning would not
show with it. The policy therefore acts on Q itself, and the prompt advice is
kept for models that do follow it:

1. **Recall** — if a remembered answer to a near-identical question
   (question similarity f_task ≥ ``recall_similarity``, default 0.78) has
   Q ≥ ``recall_q`` (default 0.5, i.e. more 👍 than 👎, or a correction), it is
   the answer: its estimated value Q·f_task beats an unrated fresh sample
   (Q = 0). Among several, the highest Q·f_task wins.
   0.78 sits between paraphrases of one question (all-MiniLM-L6-v2: 0.80–0.95
   in our tests) and different questions with the same form ("capital of X"
   vs "capital of Y": 0.55–0.75).
2. **Generate** with the m best exemplars (score = λ·f_task + (1−λ)·f_obs,
   only those with f_task ≥ ``exemplar_similarity``; most similar last).
3. **Reject** a sample whose text is a near-duplicate (rapidfuzz ratio ≥
   ``reject_similarity``, default 85/100) of a *discouraged* answer (Q < 0) to a
   near-identical question, and resample at a higher temperature, up to
   ``resamples`` times; if every sample is rejected, say so instead of
   repeating an answer the user rated down.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tui_agent.memory.schema import Experience

# Context similarity when one side has no conversation context: no evidence
# for or against, so halfway between "unrelated" (0) and "same" (1).
ONE_SIDED_CONTEXT_SIMILARITY = 0.5


@dataclass
class Candidate:
    """A retrieved experience with its similarities to the current question.

    f_task, f_obs ∈ [−1, 1] (cosine similarities); score = λ·f_task + (1−λ)·f_obs.
    """

    experience: Experience
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


def combined_score(f_task: float, f_obs: float, lam: float = 0.5) -> float:
    """REMEMBERER's retrieval score λ·f_task + (1−λ)·f_obs (§3.3; λ = 0.5 in the paper)."""
    return lam * f_task + (1.0 - lam) * f_obs


def rank(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Best first, by (score, visit count N), as the reference code sorts records."""
    return sorted(candidates, key=lambda c: (c.score, c.experience.n), reverse=True)


def choose_recall(candidates: Sequence[Candidate], recall_similarity: float, recall_q: float) -> Candidate | None:
    """The remembered answer to give directly, or ``None`` (then generate).

    Eligible: f_task ≥ ``recall_similarity`` and Q ≥ ``recall_q``; the one with
    the highest estimated value Q·f_task wins (ties: more updates N).
    """
    eligible = [c for c in candidates if c.f_task >= recall_similarity and c.q >= recall_q]
    if not eligible:
        return None
    return max(eligible, key=lambda c: (c.q * c.f_task, c.experience.n))


def choose_exemplars(candidates: Sequence[Candidate], m: int, min_similarity: float) -> list[Candidate]:
    """The ``m`` best-scoring *rated* experiences (N > 0) with f_task ≥ ``min_similarity``; most similar *last*.

    Unrated experiences carry no advice, and the small model copies whatever
    an exemplar shows, so they are left out.
    """
    if m <= 0:
        return []
    chosen = [c for c in rank(candidates) if c.f_task >= min_similarity and c.experience.n > 0][:m]
    return sorted(chosen, key=lambda c: c.score)


_ECHOED_ADVICE = re.compile(r"\s*->\s*[-+]?\d+(?:\.\d+)?\s*$")


def clean_answer(text: str) -> str:
    """Strip an echoed advice suffix (`` -> 0.01``) that small models copy from exemplars."""
    return _ECHOED_ADVICE.sub("", text).strip()


def discouraged_answers(candidates: Sequence[Candidate], same_question_similarity: float) -> list[str]:
    """Answers with Q < 0 to near-identical questions: a new sample must not repeat them."""
    return [c.experience.action for c in candidates if c.q < 0 and c.f_task >= same_question_similarity]


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
