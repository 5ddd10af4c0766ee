"""``WikiHowEnv``: REMEMBERER's WikiHow setting (Mobile-Env's WikiHow app tasks) as a text simulation.

Registered as ``tui_agent/WikiHow-v0`` by ``import tui_agent.envs``.

* Observation: the screen as text, one element a line in the pools' format
  (:mod:`~tui_agent.envs.wikihow.screen`), a ``str`` of at most ``MAX_OBSERVATION_CHARS``.
* Action: ``CLICK(id)``, ``INPUT(id, text)``, ``SCROLL(direction)`` or ``GOBACK``
  (:mod:`~tui_agent.envs.wikihow.app`), a ``str``. An invalid action changes nothing, gets reward 0
  and ``info["valid"] = False``; it uses up a step.
* Reward: 1 for each step of the task completed, in order (:mod:`~tui_agent.envs.wikihow.tasks`);
  the episode ends (``terminated``) with its last step, or is truncated after ``max_steps`` (20).

``reset(options={"split": "test", "task_index": i})`` (``goal_index`` is accepted too, as the shop's);
without an index a task is drawn with ``self.np_random``. ``options["instruction"]``: a user's
own task text (the reward is still that of task ``i``'s steps).

``info`` after ``reset`` and every ``step``: ``available_actions`` (list[str]: ``CLICK(id)`` per
clickable element, ``INPUT(id, <text>)`` per search element — substitute the text —, the four
scrolls, ``GOBACK``; empty once the episode is over), ``task`` (str), ``instruction`` (the same
text, as the shop names it), ``step_instruction`` (the next step's text; ``''`` before the search),
``page_type`` (home, search, results, article, category, author, about, drawer, options),
``last_reward``, ``total_reward`` (steps done), ``steps_total``, ``goal`` (split, index, pattern,
steps: for evaluation), ``valid`` (bool), ``step`` (steps taken); when the episode is over also
``success`` (every step done) and ``reward`` (the return).
"""

from __future__ import annotations

import copy
import random
import string
from typing import Any

import gymnasium as gym
from gymnasium import spaces

from tui_agent.envs.wikihow.app import WikiHowApp
from tui_agent.envs.wikihow.corpus import Corpus, load_corpus
from tui_agent.envs.wikihow.tasks import SPLITS, Task, TaskSet, load_tasks

MAX_STEPS = 20
MAX_OBSERVATION_CHARS = 16384
MAX_ACTION_CHARS = 512
CHARSET = string.printable + "•↑»"
"""The screens' characters (a user's search text outside it shows up as typed all the same)."""

__all__ = ["MAX_STEPS", "WikiHowEnv"]


class WikiHowEnv(gym.Env[str, str]):
    """WikiHow app tasks over the bundled corpus (see the module docstring).

    Args:
        split: default task split for ``reset``: "train" or "test".
        max_steps: steps per episode before truncation.
        render_mode: None, "ansi" (``render()`` returns the screen) or "human" (prints it).
        corpus, tasks: default the shipped corpus and its task splits.

    Raises:
        ValueError: an unknown split or render mode.
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}

    def __init__(self, split: str = "train", max_steps: int = MAX_STEPS, render_mode: str | None = None,
                 corpus: Corpus | None = None, tasks: TaskSet | None = None) -> None:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unsupported render_mode {render_mode!r}")
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self.corpus = corpus or load_corpus()
        self.tasks = tasks or load_tasks()
        self.split, self.max_steps, self.render_mode = split, max_steps, render_mode
        self.observation_space = spaces.Text(max_length=MAX_OBSERVATION_CHARS, min_length=0, charset=CHARSET)
        self.action_space = spaces.Text(max_length=MAX_ACTION_CHARS)
        self.app: WikiHowApp | None = None
        self.task: Task | None = None
        self.text = ""
        self.done_steps = 0
        self.steps = 0
        self.last_reward = 0.0
        self._over = False

    @property
    def catalog(self) -> TaskSet:
        """The task splits (named as the shop's catalog for the shared protocol code)."""
        return self.tasks

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        split = options.get("split", self.split)
        index = options.get("task_index", options.get("goal_index"))
        if index is None:
            index = int(self.np_random.integers(self.tasks.split_size(split)))
        self.task = self.tasks.task(split, int(index))
        self.text = str(options.get("instruction") or self.task.text).strip()
        self.app = WikiHowApp(self.corpus, random.Random(int(self.np_random.integers(2**31))))
        self.done_steps, self.steps, self.last_reward, self._over = 0, 0, 0.0, False
        return self._observation(), self._info(valid=True)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        app, task = self._active()
        if self._over:
            return self._observation(), 0.0, self.done_steps == len(task.steps), \
                self.done_steps < len(task.steps), self._info(valid=False)
        self.steps += 1
        valid, events = app.act(str(action))
        reward = 0
        for event in events:
            if self.done_steps < len(task.steps) and task.steps[self.done_steps].done_by(event):
                self.done_steps += 1
                reward += 1
        self.last_reward = float(reward)
        terminated = self.done_steps == len(task.steps)
        truncated = not terminated and self.steps >= self.max_steps
        self._over = terminated or truncated
        if self.render_mode == "human":
            print(self._observation())
        return self._observation(), float(reward), terminated, truncated, self._info(valid=valid)

    def render(self) -> Any:
        """The screen (``"ansi"``), or None after printing it (``"human"``) or without a render mode."""
        if self.app is None or self.render_mode is None:
            return None
        if self.render_mode == "ansi":
            return self._observation()
        print(self._observation())
        return None

    def close(self) -> None:
        self.app = None

    @property
    def page_type(self) -> str:
        return self.app.page.kind if self.app else "home"

    def _active(self) -> tuple[WikiHowApp, Task]:
        """The running episode's app and task.

        Raises:
            RuntimeError: ``reset`` not called yet, or the environment closed.
        """
        if self.app is None or self.task is None:
            raise RuntimeError("no episode: call reset() first")
        return self.app, self.task

    def _observation(self) -> str:
        return self._active()[0].screen()[:MAX_OBSERVATION_CHARS]

    def _info(self, valid: bool) -> dict[str, Any]:
        app, task = self._active()
        nxt = task.steps[self.done_steps].instruction if self.done_steps < len(task.steps) else ""
        info: dict[str, Any] = {
            "available_actions": [] if self._over else app.available_actions(),
            "task": self.text, "instruction": self.text, "step_instruction": nxt,
            "page_type": app.page.kind, "last_reward": self.last_reward, "total_reward": float(self.done_steps),
            "steps_total": len(task.steps), "goal": copy.deepcopy(task.to_json()), "valid": valid, "step": self.steps,
        }
        if self._over:
            info.update(success=self.done_steps == len(task.steps), reward=float(self.done_steps))
        return info

