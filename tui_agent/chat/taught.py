"""Taught answers for a new question: which remembered answers may answer it, and in which band.

A *taught* answer is a retrieved chat experience with Q ≥ ``min_q`` (a correction, or an answer
rated 👍 more than 👎). For each, :func:`match_taught` estimates P(it answers the new question)
with the memory's :class:`~tui_agent.chat.bands.RecallModel` and puts it in a band: recall,
suggest or none (:mod:`tui_agent.chat.bands`).

A pairing the user accepted answers that wording from then on (and only that wording, see
:data:`PAIRING_SOURCES`). A pairing the user has turned down stays down: a taught answer is **blocked** for a question when
an experience with Q < 0 for that same question (normalised text, or question cosine ≥
:data:`SAME_QUESTION`) says the same thing (:func:`tui_agent.chat.policy.says_same`) — e.g. a
dismissed suggestion, or a 👎 on a recalled answer.

Blocking: the caller's ``encode`` embeds the candidates' answers and novel words (one or two
batched calls of the bundled MiniLM, a few ms each).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tui_agent.chat import policy, recall
from tui_agent.chat.bands import RecallModel, band_features

SAME_QUESTION = 0.95  # question cosine above which two questions are the same wording
PAIRING_SOURCES = ("recall", "suggestion")
"""Sources of a pairing row (a taught answer recalled or suggested for another wording). An accepted
pairing answers its own wording (cosine ≥ SAME_QUESTION) and no other: as a key for further wordings it
let 2 of 20 test hard negatives into the recall band (benchmarks/chat_natural.py, "test+use")."""
TEXT_SAME = 90.0  # rapidfuzz ratio above which two answers are the same text


@dataclass
class TaughtMatch:
    """A taught answer and how likely it answers the new question.

    ``p`` ∈ (0, 1); ``band`` ∈ {"recall", "suggest", "none"}; ``features``: the
    :func:`~tui_agent.chat.bands.band_features` row (kept to learn from the user's rating).
    """

    candidate: policy.Candidate
    p: float
    band: str
    features: list[float]

    @property
    def same_question(self) -> bool:
        """The taught answer was given to this very wording (normalised text)."""
        return self.candidate.f_task >= 0.999


def blocked(question: str, taught: policy.Candidate, cands: Sequence[policy.Candidate]) -> bool:
    """True when the user turned this taught answer down for this question (see the module docstring)."""
    asked = policy.normalise(question)
    for c in cands:
        if c.q >= 0 or c is taught:
            continue
        if policy.normalise(c.experience.task) != asked and c.f_task < SAME_QUESTION:
            continue
        if policy.says_same(taught.experience.action, c.experience.action, c.experience.task, TEXT_SAME):
            return True
    return False


def match_taught(question: str, question_vec: Sequence[float], cands: Sequence[policy.Candidate],
                 encode: Callable[[list[str]], np.ndarray], model: RecallModel, min_q: float) -> list[TaughtMatch]:
    """The taught answers among ``cands`` with their P and band, most likely first; blocked ones left out.

    Args:
        question, question_vec: the new question and its unit embedding (384 floats).
        cands: the retrieved experiences (:func:`tui_agent.chat.policy.candidates`).
        encode: embeds texts to unit vectors ``(k, 384)``.
        model: the memory's recall model (bands and weights).
        min_q: Q a remembered answer needs to count as taught (the ``recall_q`` setting, 0.5).
    """
    taught = [c for c in cands if c.q >= min_q and c.experience.vector is not None
              and (c.experience.source not in PAIRING_SOURCES or c.f_task >= SAME_QUESTION)
              and not blocked(question, c, cands)]
    if not taught:
        return []
    questions = [c.experience.task for c in taught]
    answers = [c.experience.action for c in taught]
    feats = recall.recall_features(question, np.asarray(question_vec, dtype=np.float32), questions, answers,
                                   np.asarray([c.experience.vector for c in taught], dtype=np.float32),
                                   encode(answers), encode, min_question=-1.0)
    if not recall.content_words(question):  # "What is it?": no word says what it is about, so no novel-word evidence
        feats.f_novel = feats.f_question.copy()
    x = band_features(feats, [policy.normalise(a) for a in answers])
    p, found = model.assess(x)
    matches = [TaughtMatch(c, float(pi), b, [float(v) for v in xi]) for c, pi, b, xi in zip(taught, p, found, x)]
    matches.sort(key=lambda m: (-m.p, -m.candidate.q))
    return matches
