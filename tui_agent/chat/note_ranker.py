"""Learning to rank knowledge notes from reward over query–note features, so what it learns transfers.

The per-(question, note) Q of :class:`~tui_agent.chat.notes.NoteRetriever` only helps a question close to
one already rewarded (issue 22: +0.15 R@1 on seen facts, none on unseen ones). This scorer learns how much
each *feature* of a (question, note) pair is worth — a rule like "a note whose heading names the question's
words beats a merely similar one" — which applies to notes and questions never rated.

* **Features** (:func:`note_features`, :data:`FEATURES`, each in [−1, 1]) of every phase-1 candidate: the
  hybrid (RRF) score and rank, the cosine and its rank, the BM25 score and rank among the candidates, the
  share of the question's content words in the note's text / heading / title, the note's length, heading
  depth and kind (code, an API definition, a chat note), the evidence for its whole section among the
  candidates (how many candidates share its source and heading, their summed rank and BM25 features, their
  best cosine; how many share its source), and the note's Q prior from similar past
  questions (all of them, and close rewordings only, whose praise and blame are two features: a reward
  for the gold note is strong evidence, a 👎 on an answer weak evidence against its notes), shrunk towards
  0 by :data:`PRIOR_N` pseudo-ratings.
* **Policy.** A linear score s = w·x and a softmax over the candidates, π(note) ∝ exp(s) (a Plackett–Luce
  first choice); the notes used are the top ``k`` by s.
* **Learning** (a contextual bandit, REINFORCE): a reward r ∈ [−1, 1] on a used note i moves
  w ← w + lr·((r − b)·(x_i − E_π[x]) − l2·(w − w₀)), where E_π[x] is the policy's mean feature vector over
  that retrieval's candidates (kept with the used note) and b a running mean reward (the baseline). The L2
  pull towards the initial weights w₀ keeps a few ratings from forgetting them. One update changes w by at
  most :data:`MAX_STEP` (L2 norm; clipping also helped on the benchmark), so it changes the score difference
  of two notes a and b by at most MAX_STEP·‖x_a − x_b‖: a single 👎 on a bad model answer cannot push out
  a note whose features clearly lead (tests/test_note_ranker.py).
* **State.** ``<memory dir>/note_ranker.json`` (a :class:`~tui_agent.storage.json_state.JsonState`, like
  the recall bands' calibration): weights, baseline, updates. Numpy only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tui_agent.chat.recall import content_words, stem
from tui_agent.storage.json_state import JsonState

__all__ = ["FEATURES", "HYBRID_WEIGHTS", "INITIAL_WEIGHTS", "NoteRanker", "QEvidence", "note_features", "shrunk_q",
           "weight_vector"]

FEATURES = ("rrf", "rrf_rank", "cosine", "cosine_rank", "bm25", "bm25_rank", "words", "heading", "title",
            "length", "depth", "code", "definition", "chat", "section_notes", "section_rrf", "section_cosine",
            "page_notes", "section_bm25", "q_prior", "q_close", "q_close_down")
"""Names of the columns of :func:`note_features`."""

HYBRID_WEIGHTS = {"rrf_rank": 4.0, "q_prior": 2.0, "q_close": 8.0, "q_close_down": 2.0}
"""Untrained weights (unnamed features 0): the hybrid order (rank 1 ↦ 4, rank 2 ↦ 2 …) raised by the Q of
similar questions; the benchmark's learners start here."""

# Learned by `benchmarks/notes_transfer.py --fit`: one pass over the train wordings of all 196 python-docs
# facts from HYBRID_WEIGHTS, reward 1 for a note of the gold section. Order: FEATURES.
INITIAL_WEIGHTS = {"rrf": 0.6866, "rrf_rank": 2.7899, "cosine": 0.1037, "cosine_rank": -0.6015, "bm25": 0.1155,
                   "bm25_rank": -1.0421, "words": 0.4715, "heading": 1.1285, "title": 0.1792, "length": 0.0211,
                   "depth": 0.2417, "code": 0.0424, "definition": 0.9706, "section_notes": -0.0367,
                   "section_rrf": 4.531, "section_cosine": 1.1725, "page_notes": 0.0361, "section_bm25": 1.4134,
                   "q_prior": 2.0, "q_close": 8.0, "q_close_down": 2.0}
"""w₀ of a memory's ranker (the chat): the weights it starts from and is pulled back to."""

LEARNING_RATE = 1.0  # chosen on fact splits 10–14 of benchmarks/notes_transfer.py (docs/notes_transfer.md)
MAX_STEP = 0.5  # largest change of w per update (L2 norm): the bound on what one rating can do
L2 = 0.01  # pull towards w₀ per update
BASELINE_RATE = 0.05  # step of the running mean reward
PRIOR_N = 1.5  # pseudo-ratings of Q 0 in the Q prior: one 👎 gives −0.4, two −0.57
CLOSE = 0.8  # cosine of a past question to count as a rewording (q_close); at 0.6 (44 % of the test wordings
# reach it with their own train wording, 14 % with another fact's) "both" gained more on seen facts (+0.11) and
# less on unseen ones (+0.05 instead of +0.09), docs/notes_transfer.md
SECTION_NOTES = 5.0  # candidates of one section for section_notes = 1
LONG_NOTE = 2000.0  # characters of a note whose length feature is 1 (log scale)
RANKER_FILE = "note_ranker.json"
MAX_FILE_BYTES = 64 << 10
_DEFINITION = re.compile(r"^\.\. (?:function|method|class|attribute|data|exception|classmethod|staticmethod|"
                         r"decorator|module)::", re.MULTILINE)


@dataclass
class QEvidence:
    """The per-(question, note) values of similar past questions for one note: Σ f·Q and Σ f (f = question
    cosine), Σ f·Q·N and Σ f·N over those with cosine ≥ the floor, the same over close rewordings (cosine ≥
    :data:`CLOSE`), and N."""

    fq: float = 0.0
    f: float = 0.0
    qn: float = 0.0
    wn: float = 0.0
    close_qn: float = 0.0
    close_wn: float = 0.0
    n: int = 0

    def add(self, f_task: float, q: float, n: int) -> None:
        self.fq += f_task * q
        self.f += f_task
        self.qn += f_task * q * n
        self.wn += f_task * n
        self.n += n
        if f_task >= CLOSE:
            self.close_qn += f_task * q * n
            self.close_wn += f_task * n


def shrunk_q(qn: float, wn: float) -> float:
    """The similarity- and count-weighted mean Q shrunk towards 0 by :data:`PRIOR_N` pseudo-ratings, in [−1, 1]."""
    return qn / (wn + PRIOR_N)


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def _rank_feature(values: np.ndarray, present: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + rank) by descending value (0 where not ``present``)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    out = 1.0 / (1.0 + ranks)
    return out if present is None else np.where(present, out, 0.0)


def note_features(question: str, notes: Sequence[Any], rrf: Sequence[float], cosine: Sequence[float],
                  bm25: dict[str, float], evidence: dict[str, QEvidence]) -> np.ndarray:
    """The features of each candidate note for ``question``: ``(len(notes), len(FEATURES))`` float64.

    Args:
        notes: the candidates in hybrid order (:class:`~tui_agent.notes.schema.Note`: id, source, title,
            heading, text).
        rrf: their RRF scores (any positive scale); cosine: cosine(question, note) in [−1, 1].
        bm25: ``{note id: BM25 score}`` of the candidates the full-text search found (others count 0).
        evidence: ``{note id: QEvidence}`` from similar past questions (missing: none).
    """
    n = len(notes)
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    rrf_a = np.asarray(rrf, dtype=np.float64)
    cos_a = np.asarray(cosine, dtype=np.float64)
    bm = np.array([bm25.get(x.id, 0.0) for x in notes], dtype=np.float64)
    found = np.array([x.id in bm25 for x in notes])
    asked = _stems(question)
    x = np.zeros((n, len(FEATURES)))
    x[:, 0] = rrf_a / (rrf_a.max() or 1.0)
    x[:, 1] = 1.0 / (1.0 + np.arange(n))
    x[:, 2] = cos_a
    x[:, 3] = _rank_feature(cos_a)
    x[:, 4] = bm / (bm.max() or 1.0)
    x[:, 5] = _rank_feature(bm, found)
    sections = [(note.source, note.id if note.source == "chat" else note.heading) for note in notes]  # a chat
    # note (/remember) is a section of its own
    for i, sec in enumerate(sections):
        same = np.array([t == sec for t in sections])
        x[i, 14] = min(1.0, same.sum() / SECTION_NOTES)
        x[i, 15] = min(1.0, x[same, 1].sum() / 2.0)
        x[i, 16] = cos_a[same].max()
        x[i, 17] = sum(t[0] == sec[0] for t in sections) / n
        x[i, 18] = min(1.0, x[same, 4].sum() / 2.0)
    for i, note in enumerate(notes):
        text = note.text or ""
        if asked:
            x[i, 6] = len(asked & _stems(text)) / len(asked)
            x[i, 7] = len(asked & _stems(note.heading or "")) / len(asked)
            x[i, 8] = len(asked & _stems(note.title or "")) / len(asked)
        x[i, 9] = min(1.0, math.log1p(len(text)) / math.log1p(LONG_NOTE))
        x[i, 10] = min(1.0, (note.heading or "").count("›") / 4.0)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        x[i, 11] = sum(ln.startswith((" ", "\t", ">>>")) for ln in lines) / len(lines) if lines else 0.0
        x[i, 12] = 1.0 if _DEFINITION.search(text) else 0.0
        x[i, 13] = 1.0 if note.source == "chat" else 0.0
        ev = evidence.get(note.id)
        if ev is not None:
            x[i, 19] = shrunk_q(ev.qn, ev.wn)
            close = shrunk_q(ev.close_qn, ev.close_wn)
            x[i, 20], x[i, 21] = max(close, 0.0), min(close, 0.0)
    return x


def _softmax(s: np.ndarray) -> np.ndarray:
    z = np.exp(s - s.max())
    return z / z.sum()


def weight_vector(weights: dict[str, float]) -> np.ndarray:
    """``{feature name: weight}`` as a vector in :data:`FEATURES` order (missing names 0).

    Raises:
        ValueError: an unknown feature name.
    """
    if unknown := set(weights) - set(FEATURES):
        raise ValueError(f"unknown feature(s) {', '.join(sorted(unknown))}")
    return np.array([float(weights.get(name, 0.0)) for name in FEATURES])


def _initial() -> np.ndarray:
    return weight_vector(INITIAL_WEIGHTS)


@dataclass
class NoteRanker:
    """The learned scorer and its state (see the module docstring).

    ``path``: the state file (``None``: in RAM only). ``initial``: w₀, one weight per :data:`FEATURES`.
    ``lr`` > 0, ``l2`` ≥ 0.
    """

    path: Path | None = None
    initial: np.ndarray = field(default_factory=_initial)
    lr: float = LEARNING_RATE
    l2: float = L2
    weights: np.ndarray = field(default_factory=_initial)
    baseline: float = 0.0
    updates: int = 0

    @classmethod
    def open(cls, memory_dir: Path | None, **kwargs: Any) -> NoteRanker:
        """The ranker of the memory in ``memory_dir`` (in RAM when ``None``); a missing or unreadable file
        gives w₀ (an unreadable one is set aside as ``note_ranker.json.bad``)."""
        kwargs["initial"] = np.asarray(kwargs.get("initial", _initial()), dtype=np.float64)
        ranker = cls(None if memory_dir is None else Path(memory_dir) / RANKER_FILE, **kwargs)
        ranker.weights = ranker.initial.copy()
        ranker._load(JsonState(ranker.path, MAX_FILE_BYTES).read())
        return ranker

    def _load(self, data: dict[str, Any]) -> None:
        try:
            if tuple(data.get("features", ())) == FEATURES:
                w = np.asarray(data["weights"], dtype=np.float64)
                if w.shape == (len(FEATURES),) and np.all(np.isfinite(w)):
                    self.weights = w
                    self.baseline = float(np.clip(float(data.get("baseline", 0.0)), -1, 1))
                    self.updates = int(data.get("updates", 0))
        except (KeyError, TypeError, ValueError):
            pass  # another shape: keep what we have

    def scores(self, x: np.ndarray) -> np.ndarray:
        """s = x·w for each row of ``x`` ``(n, len(FEATURES))``."""
        return np.asarray(x, dtype=np.float64) @ self.weights if len(x) else np.zeros(0)

    def expected(self, x: np.ndarray) -> np.ndarray:
        """E_π[x]: the softmax policy's mean feature vector over the candidates ``x`` ``(n, d)`` → ``(d,)``."""
        x = np.asarray(x, dtype=np.float64)
        return _softmax(self.scores(x)) @ x if len(x) else np.zeros(len(FEATURES))

    def learn(self, used: Sequence[tuple[Sequence[float], Sequence[float]]], rewards: Sequence[float]) -> np.ndarray:
        """One policy-gradient step from the rewards of used notes; returns the new weights.

        Args:
            used: per used note, (its features, E_π[x] of the retrieval it came from), each ``len(FEATURES)``.
            rewards: one per used note, in [−1, 1] (clipped).
        Raises:
            ValueError: lengths differ, or a vector of the wrong size.
        """
        if len(used) != len(rewards):
            raise ValueError(f"{len(used)} used notes but {len(rewards)} rewards")
        pairs = [(np.asarray(f, dtype=np.float64), np.asarray(e, dtype=np.float64)) for f, e in used]
        if any(f.shape != (len(FEATURES),) or e.shape != (len(FEATURES),) for f, e in pairs):
            raise ValueError(f"features must have {len(FEATURES)} values")
        if not pairs:
            return self.weights
        r = np.clip(np.asarray(rewards, dtype=np.float64), -1.0, 1.0)

        def step(state: dict[str, Any]) -> dict[str, Any]:
            self._load(state)  # another process may have learned since
            grad = sum(((ri - self.baseline) * (f - e) for (f, e), ri in zip(pairs, r)), np.zeros(len(FEATURES)))
            change = self.lr * (grad - self.l2 * (self.weights - self.initial))
            size = float(np.linalg.norm(change))
            if size > MAX_STEP:
                change *= MAX_STEP / size
            self.weights = self.weights + change
            self.baseline += BASELINE_RATE * (float(r.mean()) - self.baseline)
            self.updates += 1
            return {"features": FEATURES, "weights": [float(v) for v in self.weights], "baseline": self.baseline,
                    "updates": self.updates}

        if self.path is None:
            step({"features": FEATURES, "weights": self.weights.tolist(), "baseline": self.baseline,
                  "updates": self.updates})
        else:
            JsonState(self.path, MAX_FILE_BYTES).update(step)
        return self.weights

    def summary(self) -> dict[str, Any]:
        """Updates, baseline and the weights by feature name (diagnostics, tests)."""
        return {"updates": self.updates, "baseline": round(self.baseline, 4),
                "weights": {n: round(float(w), 4) for n, w in zip(FEATURES, self.weights)}}
