"""``DocQAEnv``: document question answering as a gymnasium environment (text in, text out).

Registered as ``tui_agent/DocumentQA-v0`` by ``import tui_agent.envs``. The task of the RL + LLM agent
blog (``../shared/seeds/001_rl_llm_agent_blog_zh.txt``): the agent searches the documents, reads
passages and answers; the reward rewards accuracy and efficiency.

* Observation (``str``, ``Text(max_length=MAX_OBSERVATION_CHARS)``)::

      Question: <question>
      Search results for "<query>":
      [1] <heading path> — <snippet>
      ...
      Passage read ([k] <heading path>):
      <passage>

  ``reset`` already runs ``search[<question>]``, so the first observation lists results. The step
  count is not in the observation (``info["step"]``), so the same page is the same observation at
  any step — what RLEM keys its records by.
* Actions (``str``), WebShop-style: ``search[query]`` (new results replace the list; the passage read
  stays), ``read[k]`` (1-based result number: shows that passage), ``answer[text]`` (ends the
  episode). Anything else — an unknown form, ``read`` of a result not shown, an empty query or
  answer — is invalid: a no-op that still costs a step (``info["valid"] = False``).
* Reward: ``+1`` for a correct answer, ``−1`` for a wrong one (the answering step costs nothing
  more); every other step costs ``step_cost`` (default 0.01), invalid ones included; after
  ``max_steps`` steps without an answer the episode is truncated and the time-out adds
  ``timeout_reward`` (default 0: abstaining costs only the step costs, −0.08; −1 counts the time-out as
  a failure, like a wrong answer: :data:`TIMEOUT_REWARDS` names both). So an episode's return is in
  [min(−1 − (K−1)·c, t − K·c), 1] (c = step cost, K = max_steps, t = timeout_reward). Correctness:
  :func:`tui_agent.envs.docqa.answer.is_correct` (containment within 60 words, or token F1 ≥ 0.5).

``info`` after ``reset`` and every ``step``: ``question`` (str), ``available_actions`` (list[str]:
``"search[<query>]"`` and ``"answer[<text>]"`` are placeholders — fill in any non-empty text —,
``"read[1]"`` … ``"read[n]"`` for the n results shown), ``results`` (list of
:class:`~tui_agent.envs.docqa.corpus.Result` dicts shown now), ``query`` (str), ``passage`` (str or
None, the last passage read), ``read_note_id`` (str or None), ``valid`` (bool), ``step`` (int),
``gold`` (dict: ``answer``, ``heading``, ``source``, ``split``, ``index``; for evaluation only —
never show it to a policy) and, once ended, ``answer`` (str or None), ``correct`` / ``success``
(bool), ``judged`` (False without a gold answer) and ``reward`` (float, the last step's).
"""

from __future__ import annotations

import re
import string
from typing import Any

import gymnasium as gym
from gymnasium import spaces

from .answer import is_correct
from .corpus import Corpus, Result, builtin_corpus
from .questions import SPLITS, load_questions

MAX_STEPS = 8
TOP_K = 5
STEP_COST = 0.01
TIMEOUT_REWARD = 0.0
TIMEOUT_REWARDS = {"abstain": 0.0, "failure": -1.0}
"""The two reward variants by name: the time-out adds 0 (abstaining is cheap) or −1 (counted as a failure)."""
MAX_OBSERVATION_CHARS = 8192
MAX_ACTION_CHARS = 1024
SEARCH_PLACEHOLDER = "search[<query>]"
ANSWER_PLACEHOLDER = "answer[<text>]"

_ACTION = re.compile(r"^\s*(search|read|answer)\[(.*)\]\s*$", re.IGNORECASE | re.DOTALL)

__all__ = ["ANSWER_PLACEHOLDER", "DocQAEnv", "MAX_STEPS", "SEARCH_PLACEHOLDER", "STEP_COST", "TIMEOUT_REWARD",
           "TIMEOUT_REWARDS", "TOP_K", "parse_action", "parse_timeout_reward"]


def parse_timeout_reward(value: str | float) -> float:
    """The time-out reward for a variant name ("abstain" → 0, "failure" → −1) or a number in [−1, 0]
    (a number given as text too: ``"-0.5"``).

    Raises:
        ValueError: an unknown name, a non-number or a number outside [−1, 0].
    """
    if isinstance(value, str) and value.strip().lower() in TIMEOUT_REWARDS:
        return TIMEOUT_REWARDS[value.strip().lower()]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"timeout reward {value!r}: expected {' or '.join(TIMEOUT_REWARDS)} or a number in "
                         "[-1, 0]") from None
    if not -1.0 <= number <= 0.0:
        raise ValueError(f"timeout reward {number} outside [-1, 0]")
    return number


def parse_action(action: str) -> tuple[str, str] | None:
    """``"read[2]"`` → ``("read", "2")``; None for anything that is not search/read/answer[...]."""
    m = _ACTION.match(action or "")
    return (m.group(1).lower(), m.group(2).strip()) if m else None


class DocQAEnv(gym.Env[str, str]):
    """Search, read and answer questions about a corpus (module docstring).

    Args:
        split: default question split for ``reset``: "train" or "test".
        max_steps: K, steps per episode before truncation (default 8).
        top_k: results shown per search (default 5).
        step_cost: cost of a step that does not answer, ≥ 0 (default 0.01).
        timeout_reward: added when the episode times out without an answer, in [−1, 0] (default 0;
            −1: the time-out counts as a failure). A name of :data:`TIMEOUT_REWARDS` is accepted too.
        corpus: a :class:`~tui_agent.envs.docqa.corpus.Corpus`; default the bundled Python docs.
        questions: ``{split: [question dicts]}`` with at least ``question`` and ``answer``; default the
            bundled question set (:func:`~tui_agent.envs.docqa.questions.load_questions`).
        render_mode: None, "ansi" (``render()`` returns the observation) or "human" (prints it).

    ``reset(seed=..., options={"split": "test", "question_index": i})`` poses question ``i`` of the
    split; without an index one is drawn with ``self.np_random``; ``options["question"]`` (with
    ``options["answer"]``, optional) poses a user's own question; without a gold answer the answer is
    not judged: reward 0, ``correct`` False, ``info["judged"]`` False.

    Raises:
        ValueError: an unknown split or render mode, or a setting out of range.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}

    def __init__(self, split: str = "train", max_steps: int = MAX_STEPS, top_k: int = TOP_K,
                 step_cost: float = STEP_COST, corpus: Corpus | None = None,
                 questions: dict[str, list[dict[str, Any]]] | None = None, render_mode: str | None = None,
                 timeout_reward: float | str = TIMEOUT_REWARD):
        if questions is None and split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unsupported render_mode {render_mode!r}")
        if max_steps < 1 or top_k < 1 or step_cost < 0:
            raise ValueError("max_steps and top_k must be ≥ 1 and step_cost ≥ 0")
        self.split, self.max_steps, self.top_k, self.step_cost = split, max_steps, top_k, float(step_cost)
        self.timeout_reward = parse_timeout_reward(timeout_reward)
        self.render_mode = render_mode
        self.corpus: Corpus = corpus if corpus is not None else builtin_corpus()
        self._questions = questions
        charset = set(string.printable)
        for p in getattr(self.corpus, "passages", ()):
            charset.update(p.text, p.heading)
        for qs in (questions or {s: load_questions(s) for s in SPLITS}).values():
            for q in qs:
                charset.update(q["question"])
        charset.update("—…›")
        self._charset = frozenset(charset)
        self.observation_space = spaces.Text(max_length=MAX_OBSERVATION_CHARS, charset=self._charset)
        self.action_space = spaces.Text(max_length=MAX_ACTION_CHARS, charset=string.printable)
        self._reset_state()

    def _reset_state(self) -> None:
        self.question: dict[str, Any] | None = None
        self.query = ""
        self.results: list[Result] = []
        self.passage: str | None = None
        self.read_index: int | None = None
        self.read_note_id: str | None = None
        self.steps = 0
        self.answer: str | None = None
        self.correct = False
        self._over = self._truncated = False
        self._last_reward = 0.0

    def questions(self, split: str) -> list[dict[str, Any]]:
        """The questions of ``split``.

        Raises:
            ValueError: an unknown split.
        """
        if self._questions is not None:
            if split not in self._questions:
                raise ValueError(f"unknown split {split!r}; expected one of {', '.join(self._questions)}")
            return self._questions[split]
        return load_questions(split)

    # -- gymnasium API ---------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        self._reset_state()
        if options.get("question"):
            q: dict[str, Any] = {"question": str(options["question"]).strip(), "answer": str(options.get("answer") or ""),
                 "split": "user", "index": -1}
        else:
            split = options.get("split", self.split)
            pool = self.questions(split)
            index = options.get("question_index")
            if index is None:
                index = int(self.np_random.integers(len(pool)))
            if not 0 <= int(index) < len(pool):
                raise ValueError(f"question_index {index} out of range [0, {len(pool)}) for split {split!r}")
            q = {**pool[int(index)], "split": split, "index": int(index)}
        self.question = q
        self._search(q["question"])
        return self._observation(), self._info(valid=True)

    def step(self, action: str):
        if self.question is None:
            raise RuntimeError("call reset() before step()")
        if self._over:
            return self._observation(), 0.0, not self._truncated, self._truncated, self._info(valid=False)
        self.steps += 1
        parsed = parse_action(action)
        valid, reward, terminated = False, -self.step_cost, False
        if parsed is not None:
            kind, arg = parsed
            if kind == "search" and arg and arg != "<query>":
                self._search(arg)
                valid = True
            elif kind == "read" and arg.isdigit() and 1 <= int(arg) <= len(self.results):
                k = int(arg)
                self.read_index, self.read_note_id = k, self.results[k - 1].note_id
                self.passage = self.corpus.read(self.read_note_id)
                valid = True
            elif kind == "answer" and arg and arg != "<text>":
                self.answer = arg
                gold = self.question.get("answer", "")
                self.correct = is_correct(arg, gold)
                reward = (1.0 if self.correct else -1.0) if gold else 0.0  # no gold answer: not judged
                terminated, valid = True, True
        truncated = not terminated and self.steps >= self.max_steps
        if truncated and self.question.get("answer"):  # a question without gold is never judged
            reward += self.timeout_reward
        self._over, self._truncated, self._last_reward = terminated or truncated, truncated, reward
        if self.render_mode == "human":
            self.render()
        return self._observation(), reward, terminated, truncated, self._info(valid=valid)

    def render(self):
        if self.question is None or self.render_mode is None:
            return None
        if self.render_mode == "ansi":
            return self._observation()
        print(self._observation())
        return None

    # -- internals ---------------------------------------------------------------
    def _search(self, query: str) -> None:
        self.query = " ".join(query.split())
        self.results = self.corpus.search(self.query, self.top_k)

    def available_actions(self) -> list[str]:
        """The valid actions now (placeholders for search and answer); empty once the episode ended."""
        if self._over:
            return []
        return [SEARCH_PLACEHOLDER, *(f"read[{i}]" for i in range(1, len(self.results) + 1)), ANSWER_PLACEHOLDER]

    def _observation(self) -> str:
        assert self.question is not None
        lines = [f"Question: {self.question['question']}", f'Search results for "{self.query}":']
        lines += [f"[{i}] {r.title} — {r.snippet}" for i, r in enumerate(self.results, 1)] or ["(no results)"]
        if self.passage is not None:
            title = next((r.title for r in self.results if r.note_id == self.read_note_id), "")
            lines += [f"Passage read ([{self.read_index}] {title}):".replace(" ]", "]"), self.passage]
        text = "\n".join(lines)
        text = "".join(c if c in self._charset else "?" for c in text)
        return text[:MAX_OBSERVATION_CHARS]

    def _info(self, valid: bool) -> dict[str, Any]:
        assert self.question is not None
        q = self.question
        info: dict[str, Any] = {
            "question": q["question"], "available_actions": self.available_actions(),
            "results": [r.to_json() for r in self.results], "query": self.query, "passage": self.passage,
            "read_note_id": self.read_note_id, "valid": bool(valid), "step": self.steps,
            "gold": {"answer": q.get("answer", ""), "heading": q.get("heading", ""), "source": q.get("source", ""),
                     "split": q.get("split", ""), "index": q.get("index", -1)},
        }
        if self._over:
            info.update(answer=self.answer, correct=self.correct, success=self.correct,
                        judged=bool(q.get("answer")), reward=self._last_reward, truncated=self._truncated)
        return info
