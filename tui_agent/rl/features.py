"""A fixed numeric encoding of DocumentQA-v0 for neural policies (PPO on RLlib): ``DocQAFeatureEnv``.

:class:`DocQAFeatureEnv` wraps :class:`tui_agent.envs.docqa.env.DocQAEnv` (text observations, text
actions) as a gymnasium env with a float ``Box`` observation and ``Discrete`` actions, in the spirit
of the RL + LLM agent blog (discrete planner actions, similarity features; the answer *text* comes
from an answerer, not from the policy). Rewards, termination and truncation are the wrapped env's,
unchanged: +1 correct answer, −1 wrong, −step_cost (0.01) per other step, truncation after
``max_steps`` (8) steps.

**Actions** — ``Discrete(K + 2)`` with K = ``top_k`` (5):

==========  ===============================================================================
``a < K``   ``read[a+1]``: read result a+1 of the list shown (invalid if fewer are shown).
``a = K``   ``answer[<text>]`` with ``<text> = answerer(question, passage read)``; with no passage
            read yet the answer is empty, which the env treats as an invalid no-op.
``a = K+1`` ``search[<keywords>]``: a new search with the question's keywords (:func:`keywords`:
            content words of 4+ letters, in question order; the whole content if none), which
            replaces the list (reset already searched the whole question). Again = same list.
==========  ===============================================================================

Invalid actions are the env's no-ops (same state, −step_cost, a step used).

**Observation** — ``Box(0, 1, (5·K + 8,), float32)``; Q = the question's content words
(:func:`content_words`: normalised words of 2+ characters without stop words), overlap(X) =
\\|Q ∩ words(X)\\| / \\|Q\\| (0 when Q is empty). Per result slot i = 0..K−1 (zeros when fewer are shown):

* ``5i+0`` present: 1 if result i+1 is shown;
* ``5i+1`` BM25 score / the best score shown;
* ``5i+2`` overlap(title = heading path);
* ``5i+3`` overlap(snippet);
* ``5i+4`` already read in this episode (by note id, across searches).

Then 8 episode-level features:

* ``5K+0`` a passage has been read;
* ``5K+1`` overlap(passage read);
* ``5K+2`` overlap(the extractive answer sentence of the passage read) — how well the best sentence
  matches, whatever answerer writes the final text;
* ``5K+3`` best BM25 score shown, squashed: s / (s + 10);
* ``5K+4`` steps used / ``max_steps``;
* ``5K+5`` the keyword search has been done;
* ``5K+6`` distinct passages read / K (capped at 1);
* ``5K+7`` the passage read is result 1 of the list shown now.

With ``question_features="embedding"`` the question's own sentence embedding follows (the bundled
MiniLM, :data:`~tui_agent.embedding.encoder.EMBEDDING_DIM` = 384 values, unit length, each in [−1, 1]):
the *question identity* the RLEM DocQA policy keys its memory by (its records are retrieved by the
question's embedding similarity), so PPO and the memory policy see the same information about which
question is asked. Without it (``"none"``, the default) the observation says nothing about the
question beyond how well the results and passage match its words. The observation is then
``Box(−1, 1, (5·K + 8 + 384,))``.

``info`` is the wrapped env's plus ``action_text`` (the text action sent); ``text_observation`` holds the
wrapped env's text observation (for text policies, e.g. the LLM planner imitated in
:mod:`tui_agent.rl.imitation`). ``reset(options=...)`` passes ``split`` / ``question_index`` /
``question`` through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from tui_agent.envs.docqa.answer import extractive_answer, normalize
from tui_agent.envs.docqa.env import MAX_STEPS, STEP_COST, TIMEOUT_REWARD, TOP_K, DocQAEnv

Answerer = Callable[[str, str], str]
"""``answerer(question, passage) -> answer text`` (``""`` when it has none)."""

PER_RESULT = 5
EPISODE_FEATURES = 8
SCORE_SCALE = 10.0
QUESTION_FEATURES = ("none", "embedding")
QUESTION_EMBEDDING_DIM = 384  # the bundled MiniLM's (tui_agent.embedding.encoder.EMBEDDING_DIM)
KEYWORD_MIN_LETTERS = 4

STOP_WORDS = frozenset(
    "a an and are as at be by can do does for from how i if in is it its my of on or the that this to "
    "what when which who why will with you your".split())

__all__ = ["Answerer", "DocQAFeatureEnv", "QUESTION_FEATURES", "content_words", "extractive_answerer", "keywords", "observation_size"]


def content_words(text: str) -> set[str]:
    """The normalised words of ``text`` (:func:`~tui_agent.envs.docqa.answer.normalize`) of 2+ characters,
    stop words removed."""
    return {w for w in normalize(text).split() if len(w) > 1 and w not in STOP_WORDS}


def keywords(question: str) -> str:
    """The question's content words of 4+ letters, in order, without repeats (all content words if
    none is that long): the query of the ``search`` action."""
    words = [w for w in normalize(question).split() if len(w) > 1 and w not in STOP_WORDS]
    long = [w for w in words if len(w) >= KEYWORD_MIN_LETTERS] or words
    return " ".join(dict.fromkeys(long))


def extractive_answerer(question: str, passage: str) -> str:
    """The benchmark's shared answerer, as the RLEM DocQA agent's ``"extractive"``: the passage sentence
    with the most question words, else the passage's first line (at most 200 characters)."""
    if not passage:
        return ""
    return extractive_answer(question, passage) or passage.split("\n", 1)[0][:200]


def observation_size(top_k: int = TOP_K, question_features: str = "none") -> int:
    """Length of the observation vector for ``top_k`` result slots: 5·top_k + 8, plus 384 with
    ``question_features="embedding"``."""
    return PER_RESULT * top_k + EPISODE_FEATURES + (QUESTION_EMBEDDING_DIM if question_features == "embedding" else 0)


def _overlap(q: set[str], text: str) -> float:
    return len(q & content_words(text)) / len(q) if q else 0.0


class DocQAFeatureEnv(gym.Env[np.ndarray, np.int64]):
    """DocumentQA-v0 with a float-vector observation and discrete actions (module docstring).

    Args:
        env_config: RLlib-style settings (all optional): ``split`` ("train"), ``max_steps`` (8),
            ``top_k`` (5), ``step_cost`` (0.01), ``timeout_reward`` (0; −1 or "failure": the time-out
            counts as a failure), ``keyword_search`` (True: the ``K+1`` action exists), ``questions``
            (``{split: [question dicts]}`` instead of the bundled set), ``question_features`` ("none" |
            "embedding": the question's embedding in the observation, module docstring).
        answerer: writes the answer text; default :func:`extractive_answerer`.
        env: a ready :class:`DocQAEnv` to wrap instead of building one from ``env_config``.
        embedder: encodes questions for ``question_features="embedding"`` (``encode_one(text)`` → 384
            floats); default the bundled MiniLM (:func:`tui_agent.embedding.encoder.shared_embedder`).

    Raises:
        ValueError: a setting the wrapped env rejects, or an unknown ``question_features``.
    """

    metadata = {"render_modes": []}

    def __init__(self, env_config: dict[str, Any] | None = None, *, answerer: Answerer | None = None,
                 env: DocQAEnv | None = None, embedder: Any = None) -> None:
        cfg = dict(env_config or {})
        self.question_features = str(cfg.get("question_features") or "none")
        if self.question_features not in QUESTION_FEATURES:
            raise ValueError(f"unknown question_features {self.question_features!r}; expected one of "
                             f"{', '.join(QUESTION_FEATURES)}")
        self.env = env if env is not None else DocQAEnv(
            split=cfg.get("split", "train"), max_steps=int(cfg.get("max_steps", MAX_STEPS)),
            top_k=int(cfg.get("top_k", TOP_K)), step_cost=float(cfg.get("step_cost", STEP_COST)),
            questions=cfg.get("questions"), timeout_reward=cfg.get("timeout_reward", TIMEOUT_REWARD))
        self._embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}
        self._question_vector = np.zeros(0, np.float32)
        self.top_k = self.env.top_k
        self.keyword_search = bool(cfg.get("keyword_search", True))
        self.answerer: Answerer = answerer or extractive_answerer
        self.action_space: spaces.Discrete = spaces.Discrete(self.top_k + 1 + int(self.keyword_search))
        low = -1.0 if self.question_features == "embedding" else 0.0
        self.observation_space = spaces.Box(low, 1.0, (observation_size(self.top_k, self.question_features),),
                                            np.float32)
        self.text_observation = ""  # the wrapped env's text observation of now (for text policies)
        self._q: set[str] = set()
        self._read: set[str] = set()
        self._searched = False
        self._info: dict[str, Any] = {}

    # -- action mapping --------------------------------------------------------------
    @property
    def answer_action(self) -> int:
        """The action index of ``answer``: K."""
        return self.top_k

    @property
    def search_action(self) -> int | None:
        """The action index of the keyword ``search`` (K+1), or None when disabled."""
        return self.top_k + 1 if self.keyword_search else None

    def action_index(self, text: str) -> int:
        """The discrete action that stands for a text action: ``read[k]`` → k−1, ``answer[…]`` → K,
        ``search[…]`` → K+1 (whatever the query: the encoding has only the keyword search).

        Raises:
            ValueError: not a read / answer / search action, a result number outside 1..K, or a search
                with the keyword search disabled.
        """
        kind, _, rest = text.partition("[")
        kind = kind.strip().lower()
        if kind == "read" and rest.rstrip("] ").isdigit() and 1 <= int(rest.rstrip("] ")) <= self.top_k:
            return int(rest.rstrip("] ")) - 1
        if kind == "answer":
            return self.answer_action
        if kind == "search" and self.search_action is not None:
            return self.search_action
        raise ValueError(f"no discrete action for {text[:60]!r}")

    def action_text(self, action: int) -> str:
        """The text action for ``action`` in the current state (module docstring's table).

        Raises:
            ValueError: ``action`` outside the action space.
        """
        a = int(action)
        if not self.action_space.contains(np.int64(a)):
            raise ValueError(f"action {action!r} outside Discrete({self.action_space.n})")
        if a < self.top_k:
            return f"read[{a + 1}]"
        question = self._info.get("question", "")
        if a == self.answer_action:
            passage = self._info.get("passage") or ""
            text = self.answerer(question, passage) if passage else ""
            return f"answer[{' '.join(text.replace('[', '(').replace(']', ')').split())}]"
        return f"search[{keywords(question)}]"

    # -- gymnasium API -----------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.text_observation, info = self.env.reset(seed=seed, options=options)
        self._q = content_words(info["question"])
        self._read, self._searched, self._info = set(), False, info
        if self.question_features == "embedding":
            self._question_vector = self.question_vector(info["question"])
        return self.features(info), self._with_text(info, "")

    def step(self, action: int | np.integer):
        text = self.action_text(int(action))
        self.text_observation, reward, terminated, truncated, info = self.env.step(text)
        if info.get("valid") and text.startswith("search["):
            self._searched = True
        if info.get("read_note_id"):
            self._read.add(info["read_note_id"])
        self._info = info
        return self.features(info), float(reward), bool(terminated), bool(truncated), self._with_text(info, text)

    @staticmethod
    def _with_text(info: dict[str, Any], text: str) -> dict[str, Any]:
        return {**info, "action_text": text}

    # -- encoding ----------------------------------------------------------------------
    def question_vector(self, question: str) -> np.ndarray:
        """The question's embedding, float32 ``(384,)``, unit length (computed once per question text)."""
        if question not in self._vectors:
            if self._embedder is None:
                from tui_agent.embedding.encoder import shared_embedder

                self._embedder = shared_embedder()
            v = np.asarray(self._embedder.encode_one(question), dtype=np.float32).reshape(-1)
            if v.shape != (QUESTION_EMBEDDING_DIM,):
                raise ValueError(f"question embedding of shape {v.shape}; expected ({QUESTION_EMBEDDING_DIM},)")
            self._vectors[question] = np.clip(v, -1.0, 1.0)
        return self._vectors[question]

    def features(self, info: dict[str, Any]) -> np.ndarray:
        """The observation vector (module docstring) for the env's ``info`` of now: float32, shape
        ``(5·K + 8,)``, every entry in [0, 1] (then the question's embedding with ``question_features``)."""
        k, q = self.top_k, self._q
        x = np.zeros(observation_size(k), dtype=np.float32)  # the 5·K + 8 features; the embedding is appended
        results = info.get("results", [])[:k]
        best = max((float(r["score"]) for r in results), default=0.0)
        for i, r in enumerate(results):
            base = PER_RESULT * i
            x[base + 0] = 1.0
            x[base + 1] = float(r["score"]) / best if best > 0 else 0.0
            x[base + 2] = _overlap(q, r["title"])
            x[base + 3] = _overlap(q, r["snippet"])
            x[base + 4] = float(r["note_id"] in self._read)
        e = PER_RESULT * k
        passage = info.get("passage") or ""
        if passage:
            x[e + 0] = 1.0
            x[e + 1] = _overlap(q, passage)
            x[e + 2] = _overlap(q, extractive_answer(info.get("question", ""), passage))
            x[e + 7] = float(bool(results) and results[0]["note_id"] == info.get("read_note_id"))
        x[e + 3] = best / (best + SCORE_SCALE)
        x[e + 4] = min(1.0, int(info.get("step", 0)) / self.env.max_steps)
        x[e + 5] = float(self._searched)
        x[e + 6] = min(1.0, len(self._read) / k)
        x = np.clip(x, 0.0, 1.0)
        return np.concatenate([x, self._question_vector]) if self.question_features == "embedding" else x
