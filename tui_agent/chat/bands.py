"""Recall bands: how sure are we that a taught answer answers a new question? Learned from feedback.

Pure numpy + stdlib (no torch); persistence is a small JSON file beside the memory.

The problem (issue 20, docs/chat_recall.md): MiniLM similarities rank the right taught fact first
for almost every natural rewording, but no single threshold separates rewordings from questions of
the same form about another subject. So instead of one yes/no rule there are **three bands** on an
estimated probability P(the taught answer is right for this question | similarity features):

* **recall** (P ≥ ``recall_p``): answer from memory, the model is not asked;
* **suggest** (``suggest_p`` ≤ P < ``recall_p``): the model answers, and the taught answer is shown
  beside it ("You taught me for a similar question …"); accepting it is a 👍 for that pairing,
  dismissing it a 👎;
* **none**: the model answers; the taught answer is neither shown nor put in the prompt.

P is a logistic model (:class:`RecallModel`) over :func:`band_features` — question cosine, the
novel-word cosine and substitution test of :mod:`tui_agent.chat.recall`, the answer cosine, the
margin over the next-best taught fact and the verdict of the earlier one-threshold rule. Its default
weights were fitted on the dev split of ``tests/data/chat_natural.json`` (``benchmarks/chat_natural.py --fit``); each memory then refits
them from its own 👍/👎 on recalled and suggested answers (:class:`Calibration`): a maximum a
posteriori fit with a Gaussian prior centred on the defaults, so a few ratings move the band edges
for this user's wordings without forgetting the measured defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tui_agent.chat.recall import RecallFeatures, eligible
from tui_agent.storage.json_state import JsonState

FEATURES = ("f_question", "f_novel", "substitution", "f_answer", "margin", "rule")
"""Names of the columns of :func:`band_features` (after the intercept)."""

# Fitted on the dev split of tests/data/chat_natural.json (`benchmarks/chat_natural.py --fit`: each
# dev question's most similar taught question, ridge logistic τ = 0.1); the figures behind them are in
# docs/chat_recall.md. Order: intercept, then FEATURES.
DEFAULT_WEIGHTS = (-0.59, -0.84, 5.98, -1.46, 2.0, 3.26, -0.92)
RECALL_P = 0.908  # P at or above which the taught answer is given without asking the model (no dev negative above)
SUGGEST_P = 0.665  # P at or above which it is shown beside the model's answer (97 % of dev natural rewordings)
PRIOR_PRECISION = 10.0  # τ of the Gaussian prior N(defaults, 1/τ) on each weight; simulated use (--simulate):
# τ = 1 cost 5–9 points of natural rewordings recalled or suggested, τ = 10 at most 3
MAX_EXAMPLES = 2000  # labelled pairings kept per memory (the oldest go first)
MAX_PENDING = 500  # shown pairings waiting for a rating
CALIBRATION_FILE = "recall_calibration.json"
MAX_FILE_BYTES = 4 << 20  # the file at its limits (2,000 examples, 500 pending) is about 0.3 MB

MARGIN_FLOOR = 0.35
"""The "next-best taught fact" similarity when the memory has none this close: a memory of a few facts
behaves like one of many unrelated facts (whose best other question is 0.30–0.32 median, 0.45–0.60 at
most, docs/chat_recall.md). Without it, a one-fact memory put "Who is the mayor of Paris?" next to
the taught Quellport mayor at P 0.88."""


def band_features(features: RecallFeatures, families: Sequence[str] | None = None) -> np.ndarray:
    """The model's inputs, one row per candidate: ``(n, len(FEATURES))`` float64.

    Columns: f_question ∈ [−1, 1]; f_novel ∈ [−1, 1] (1.0 where the question has no novel word: all
    its content words are in the stored question or answer); substitution ∈ {0, 1}; f_answer ∈
    [−1, 1]; margin = f_question − max(the best f_question of a candidate with *another answer*,
    :data:`MARGIN_FLOOR`) (``families`` groups candidates by answer), in [−2, 1]; rule ∈ {0, 1}:
    the one-threshold rule of :func:`tui_agent.chat.recall.eligible` (paths A, A′, B) would recall it.
    """
    fq = np.asarray(features.f_question, dtype=np.float64)
    n = len(fq)
    fn = np.asarray(features.f_novel, dtype=np.float64)
    fn = np.where(np.isnan(fn), 1.0, fn)
    fam = list(families) if families is not None else [str(i) for i in range(n)]
    margin = np.empty(n)
    for i in range(n):
        margin[i] = fq[i] - max([MARGIN_FLOOR] + [fq[j] for j in range(n) if fam[j] != fam[i]])
    if not n:
        return np.zeros((0, len(FEATURES)))
    rule = eligible(fq, np.asarray(features.f_novel, dtype=np.float64), features.substitution, np.ones(n))
    return np.column_stack([fq, fn, np.asarray(features.substitution, dtype=np.float64),
                            np.asarray(features.f_answer, dtype=np.float64), margin, rule.astype(np.float64)])


def _design(x: np.ndarray) -> np.ndarray:
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    return np.column_stack([np.ones(len(x)), x])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def fit_logistic(x: np.ndarray, y: np.ndarray, prior: Sequence[float], precision: float,
                 iterations: int = 50) -> np.ndarray:
    """MAP logistic regression: maximise Σ log P(y | x, w) − τ/2 ‖w − prior‖² by Newton's method.

    Args:
        x: features ``(m, k)``; y: labels ``(m,)`` in {0, 1}; prior: ``k + 1`` weights (intercept
            first) the fit is pulled towards; precision: τ > 0.
    Returns:
        the ``k + 1`` fitted weights. With no examples, the prior itself.
    """
    w0 = np.asarray(prior, dtype=np.float64)
    if len(x) == 0:
        return w0.copy()
    a, t = _design(x), np.asarray(y, dtype=np.float64)
    w = w0.copy()
    for _ in range(iterations):
        p = _sigmoid(a @ w)
        grad = a.T @ (t - p) - precision * (w - w0)
        hess = (a * (p * (1 - p))[:, None]).T @ a + precision * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w += step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return w


@dataclass
class RecallModel:
    """P(a taught answer is right for a new question | :func:`band_features`), and its bands.

    ``weights``: intercept then one weight per :data:`FEATURES`. ``recall_p`` > ``suggest_p``, both
    in (0, 1].
    """

    weights: tuple[float, ...] = DEFAULT_WEIGHTS
    recall_p: float = RECALL_P
    suggest_p: float = SUGGEST_P
    base: RecallModel | None = None
    """The measured defaults, for a model refitted from ratings: recall needs both models' P ≥ their recall
    edge, so feedback can narrow the recall band but never widen it (:class:`Calibration`)."""

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P for each row of ``x`` ``(n, len(FEATURES))``; values in (0, 1)."""
        if len(x) == 0:
            return np.zeros(0)
        return _sigmoid(_design(x) @ np.asarray(self.weights, dtype=np.float64))

    def band(self, p: float) -> str:
        """"recall", "suggest" or "none" for a probability ``p`` of this model (``base`` not consulted)."""
        return "recall" if p >= self.recall_p else "suggest" if p >= self.suggest_p else "none"

    def assess(self, x: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """P and band for each row of ``x``; with a ``base``, "recall" also needs the base's P ≥ its edge."""
        p = self.probability(x)
        found = [self.band(float(v)) for v in p]
        if self.base is not None and len(p):
            base_p = self.base.probability(x)
            found = ["suggest" if b == "recall" and bp < self.base.recall_p else b for b, bp in zip(found, base_p)]
        return p, found


@dataclass
class Calibration:
    """One memory's :class:`RecallModel`, refitted from the user's ratings of recalled / suggested answers.

    The state lives in ``<memory dir>/recall_calibration.json``: ``pending`` (features of shown
    pairings by answer id, waiting for a rating) and ``examples`` (labelled features). A rating
    moves a pending pairing to the examples and refits (:func:`fit_logistic`, prior = the
    defaults). The file is a :class:`~tui_agent.storage.json_state.JsonState`: replaced whole under a file
    lock, so a crash or a second process never leaves a half-written file; an unreadable file (not JSON, not a
    regular file, over 4 MB) is set aside as ``….bad`` and the defaults are used.
    """

    path: Path | None
    defaults: RecallModel = field(default_factory=RecallModel)
    precision: float = PRIOR_PRECISION
    pending: dict[str, list[float]] = field(default_factory=dict)
    examples: list[tuple[list[float], int]] = field(default_factory=list)
    model: RecallModel = field(default_factory=RecallModel)

    @classmethod
    def open(cls, memory_dir: Path | None, defaults: RecallModel | None = None) -> Calibration:
        """The calibration of the memory in ``memory_dir`` (in RAM only when ``None``)."""
        cal = cls(None if memory_dir is None else Path(memory_dir) / CALIBRATION_FILE, defaults or RecallModel())
        cal._read()
        return cal

    def _read(self) -> None:
        self._load(JsonState(self.path, MAX_FILE_BYTES).read())
        self._refit()

    def _load(self, data: dict[str, Any]) -> None:
        self.pending, self.examples = {}, []
        try:
            self.pending = {str(k): [float(v) for v in x] for k, x in dict(data.get("pending", {})).items()
                            if len(x) == len(FEATURES)}
            self.examples = [([float(v) for v in x], int(bool(y))) for x, y in data.get("examples", [])
                             if len(x) == len(FEATURES)]
        except (ValueError, TypeError, AttributeError):  # well-formed JSON of another shape: the defaults
            self.pending, self.examples = {}, []

    def _refit(self) -> None:
        d = self.defaults
        if self.examples:
            x = np.array([e[0] for e in self.examples])
            y = np.array([e[1] for e in self.examples])
            w = fit_logistic(x, y, d.weights, self.precision)
            self.model = RecallModel(tuple(float(v) for v in w), d.recall_p, d.suggest_p, base=d)
        else:
            self.model = RecallModel(d.weights, d.recall_p, d.suggest_p)

    def remember(self, answer_id: str, x: Sequence[float]) -> None:
        """Keep the features of a shown pairing until it is rated."""

        def change() -> bool:
            self.pending[answer_id] = [float(v) for v in x]
            return True

        self._update(change)

    def label(self, answer_id: str, correct: bool) -> bool:
        """A rating of a shown pairing: 👍 → correct. Returns False (and writes nothing) when
        ``answer_id`` was not pending: not a recalled or suggested pairing, or rated before."""
        if self.path is not None:  # most ratings are of no pairing: look first, without the lock
            self._read()  # (safe: the file is only ever replaced whole)
            if answer_id not in self.pending:
                return False

        def change() -> bool:
            x = self.pending.pop(answer_id, None)
            if x is not None:
                self.examples.append((x, int(correct)))
                del self.examples[:-MAX_EXAMPLES]
            return x is not None

        return self._update(change)

    def _update(self, change: Any) -> bool:
        """Apply ``change()`` (True when it changed something) to the newest state and save it.

        Raises:
            tui_agent.storage.files.UserFileError: the file cannot be written (disk full, read-only).
            filelock.Timeout: another process held the lock for 30 s.
        """
        if self.path is None:
            changed = change()
            self._refit()
            return changed

        def apply(data: dict[str, Any]) -> dict[str, Any] | None:
            self._load(data)  # another process may have rated since
            if not change():
                return None
            if len(self.pending) > MAX_PENDING:
                for key in list(self.pending)[: len(self.pending) - MAX_PENDING]:
                    del self.pending[key]
            return {"features": FEATURES, "pending": self.pending, "examples": self.examples}

        changed = JsonState(self.path, MAX_FILE_BYTES).update(apply) is not None
        self._refit()
        return changed

    def summary(self) -> dict[str, Any]:
        """Counts and the current weights (diagnostics, tests)."""
        pos = sum(y for _, y in self.examples)
        return {"examples": len(self.examples), "accepted": pos, "dismissed": len(self.examples) - pos,
                "pending": len(self.pending), "weights": [round(w, 3) for w in self.model.weights],
                "recall_p": self.model.recall_p, "suggest_p": self.model.suggest_p}
