"""``ShopEnv``: a WebShop-compatible shop as a gymnasium environment (text in, text out).

Registered as ``tui_agent/Shop-v0`` by ``import tui_agent.envs``. WebShop
(Yao et al., 2022; princeton-nlp/WebShop ``web_agent_site/envs/
web_agent_text_env.py``) needs a 1.18M-product dataset; this env runs the
same task on our generated catalog (``catalog.py``).

* Observation: the current page as text (``pages.py``), a ``str`` in
  ``observation_space = Text(max_length=MAX_OBSERVATION_CHARS, charset=printable ASCII)``.
* Action: ``"search[keywords]"`` (search page only) or ``"click[element]"``,
  a ``str`` in ``action_space = Text(max_length=MAX_ACTION_CHARS)``. An
  invalid action is a no-op: same observation, reward 0, ``info["valid"] = False``
  (it still uses up a step).
* Reward: 0 on every step but the last; ``click[Buy Now]`` ends the episode
  (``terminated=True``) with WebShop's reward in [0, 1] (``reward.py``).
* Episode: at most ``max_steps`` = 15 steps; then ``truncated=True`` with reward 0.

Pages read as WebShop's text env as REMEMBERER ran it (``pages.py``): the
instruction on every page, 3 of each page's 10 results shown (a setting),
price ranges, chosen options. Differences from WebShop: search is only valid
on the search page (WebShop's text env accepts it anywhere, though its pages
offer it only there); no images; no "Attributes" sub-page; a terminal "done"
page type.

``info`` after ``reset`` and every ``step``:

``available_actions`` (list[str])
    exact valid actions, e.g. ``["click[Back to Search]", "click[Next >]",
    "click[B0...]"]``. On the search page it is ``["search[<keywords>]"]``, a
    placeholder: substitute any non-empty keywords (the literal placeholder is
    invalid); ``has_search_bar`` is then True. Empty once the episode has ended.
``has_search_bar`` (bool), ``clickables`` (list[str])
    WebShop's ``get_available_actions()`` pair: lower-case element texts
    (``["search"]`` on the search page). REMEMBERER's page matcher uses these.
``page_type``
    "search", "results", "item", "item_sub" or, after Buy Now, "done".
``instruction`` (str), ``goal`` (dict)
    the task; ``goal`` holds the answer (asin, attributes, options,
    price_upper, split, index): for evaluation, never show it to the policy.
``valid`` (bool), ``step`` (int, steps taken)
``success`` (bool, reward == 1.0), ``reward`` (float), ``reward_info`` (dict),
``purchased`` (dict or None)
    present when the episode has ended (terminated or truncated).
"""

from __future__ import annotations

import copy
import string
from typing import Any

import gymnasium as gym
from gymnasium import spaces

from .catalog import SPLITS, Catalog, load_catalog
from .pages import PRODUCT_WINDOW, RESULTS_PER_PAGE, ShopSession
from .search import engine_for

MAX_STEPS = 15
MAX_OBSERVATION_CHARS = 8192
MAX_ACTION_CHARS = 512
CHARSET = string.printable

__all__ = ["ShopEnv", "MAX_STEPS", "CHARSET"]


class ShopEnv(gym.Env[str, str]):
    """WebShop-style shopping task over the bundled catalog (see module docstring).

    Args:
        split: default goal split for ``reset``: "train", "eval" or "test".
        max_steps: steps per episode before truncation (WebShop/REMEMBERER: 15).
        results_per_page: product links shown per results page (default 3, the
            REMEMBERER fork's text env; WebShop's own: 10). A page still spans
            WebShop's 10 products, so ``Next >`` moves by 10.
        render_mode: None, "ansi" (``render()`` returns the observation) or
            "human" (prints it).
        catalog: a :class:`Catalog`; default the shipped one.

    ``reset(seed=..., options={"split": "test", "goal_index": i})`` picks goal
    ``i`` of the split; without ``goal_index`` a goal is drawn with
    ``self.np_random``. ``options["instruction"]`` replaces the goal's
    instruction text (a user's free-text goal; the reward is still computed
    against the goal's attributes, options and price).
    """

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}

    def __init__(self, split: str = "train", max_steps: int = MAX_STEPS,
                 results_per_page: int = RESULTS_PER_PAGE, render_mode: str | None = None,
                 catalog: Catalog | None = None):
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unsupported render_mode {render_mode!r}")
        self.catalog = catalog or load_catalog()
        self.engine = engine_for(self.catalog)
        self.split = split
        self.max_steps = max_steps
        if not 1 <= results_per_page <= PRODUCT_WINDOW:
            raise ValueError(f"results_per_page must be in [1, {PRODUCT_WINDOW}], got {results_per_page}")
        self.results_per_page = results_per_page
        self.render_mode = render_mode
        self.observation_space = spaces.Text(max_length=MAX_OBSERVATION_CHARS, charset=CHARSET)
        self.action_space = spaces.Text(max_length=MAX_ACTION_CHARS, charset=CHARSET)
        self.session: ShopSession | None = None
        self.goal: dict[str, Any] | None = None
        self.steps = 0
        self._over = False
        self._truncated = False

    # -- gymnasium API ---------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        split = options.get("split", self.split)
        n_goals = self.catalog.split_size(split)
        index = options.get("goal_index")
        if index is None:
            index = int(self.np_random.integers(n_goals))
        goal = self.catalog.goal(split, int(index))
        if options.get("instruction"):  # free-text goal, scored against goal ``index``
            goal = {**goal, "instruction": str(options["instruction"]).strip()}
        self.goal = {**goal, "index": int(index)}
        self.session = ShopSession(self.catalog, self.engine, goal,
                                   results_per_page=self.results_per_page)
        self.steps, self._over, self._truncated = 0, False, False
        return self._observation(), self._info(valid=True)

    def step(self, action: str):
        if self.session is None:
            raise RuntimeError("call reset() before step()")
        if self._over:
            return self._observation(), 0.0, not self._truncated, self._truncated, \
                self._info(valid=False)
        self.steps += 1
        valid = self.session.act(action)
        terminated = self.session.page == "done"
        truncated = not terminated and self.steps >= self.max_steps
        reward = float(self.session.reward) if terminated else 0.0
        self._over, self._truncated = terminated or truncated, truncated
        if self.render_mode == "human":
            self.render()
        return self._observation(), reward, terminated, truncated, self._info(valid=valid)

    def render(self):
        if self.session is None or self.render_mode is None:
            return None
        if self.render_mode == "ansi":
            return self._observation()
        print(self._observation())
        return None

    def close(self):
        self.session = None

    # -- helpers ---------------------------------------------------------------
    @property
    def page_type(self) -> str:
        return self.session.page if self.session else "search"

    def _active(self) -> ShopSession:
        """The running episode's session.

        Raises:
            RuntimeError: ``reset`` not called yet, or the environment closed.
        """
        if self.session is None:
            raise RuntimeError("no episode: call reset() first")
        return self.session

    def _observation(self) -> str:
        return self._active().observation()[:MAX_OBSERVATION_CHARS]

    def _info(self, valid: bool) -> dict[str, Any]:
        s = self._active()
        info: dict[str, Any] = {
            "available_actions": [] if self._over else s.available_actions(),
            "has_search_bar": s.page == "search" and not self._over,
            "clickables": [] if self._over else s.clickables(),
            "page_type": s.page,
            "instruction": s.instruction,
            "goal": copy.deepcopy(self.goal),
            "valid": valid,
            "step": self.steps,
        }
        if self._over:
            info.update(success=s.page == "done" and s.reward >= 1.0 - 1e-9,
                        reward=float(s.reward) if s.page == "done" else 0.0,
                        reward_info=copy.deepcopy(s.reward_info),
                        purchased=copy.deepcopy(s.purchased))
        return info
