"""The ``episodic-control`` shop policy (this project's extension, not the paper's): action roles, Q estimates, choice.

No I/O. The agent (:mod:`tui_agent.shop.agent`) calls these with retrieved
records and, when needed, the language model's scores.

Why Q chooses directly (docs/rlem.md, "Policies")
-------------------------------------
REMEMBERER steers the LLM only through exemplars with advice. The bundled
135M model copies the exemplar's action instead (measured: shown the initial
pool's item-page exemplar "click[Features] -> 1.0" it clicked Features on
every item page of 10 test goals, 0/10 solved). So the ``episodic-control`` policy reads
the Q-values itself and leaves the LLM to break ties and to act where the
memory knows nothing:

1. **Candidates**: the page's available actions. On the search page the one
   candidate is ``search[<keywords>]`` with :func:`search_keywords` of the
   instruction. An action already taken on this very observation in this
   episode is dropped (it changed nothing or led back here: the reference's
   principle "avoid always repeating a wrong action"), except ``< Prev`` on a
   sub-page; every policy does this.
2. **Q from memory, by analogy**: a remembered action counts for a candidate
   when it plays the same *role* on a page of the same type
   (:func:`action_role`): ``click[Buy Now]`` is ``click[Buy Now]`` on any item
   page, but ``click[B068JU4AQR]`` on a results page is "result #2", and
   ``click[argan oil]`` is "an option the instruction names, not chosen yet".
   A large LLM draws this analogy when it reads an exemplar; the 135M model
   does not, so it is spelled out here (``analogy=False`` keeps exact action
   strings only). Q̂(a) = Σ_r w_r·Q_r(a_r) / (Σ_r w_r + k) over the ``top_k``
   records r of the same page type (w_r = retrieval score) holding an action
   a_r of a's role; its *support* is Σ_r w_r. In evaluation the prior weight
   k (``prior_weight``) shrinks estimates with little support towards 0, so a
   role seen once in a lucky episode does not outrank one that succeeded
   often; while training k = 0 (the plain mean: a role that did well once
   gets tried again, and its estimate corrected).
3. **Choice**: if some candidate has support ≥ ``min_support`` and Q̂ ≥
   ``q_min``, the memory chooses: the candidates within ``tie_margin`` of the
   best Q̂ (one → taken; several → the LLM picks among them). Otherwise the LLM
   picks among all candidates, prompted with exemplars and advice.
4. **Exploration while training**: candidates whose role the memory has
   never seen get an optimistic Q̂ = ``optimistic_q``, for at most
   ``explore_per_episode`` choices an episode (only when learning; the memory
   is frozen and optimism off in evaluation), so every kind of action gets
   tried and its Q learned without turning every episode into a random walk.

5. **Fit kernel** (``fit_scale`` > 0; off by default): each remembered action's
   weight is also multiplied by :func:`~tui_agent.shop.fit.fit_kernel` of the
   fit of its target to its instruction and the candidate's (keyword coverage
   and price, :func:`~tui_agent.shop.fit.action_fit`: what WebShop's reward
   depends on), so a purchase of a poorly fitting item informs the choice on
   a poorly fitting item of another goal. Q̂ is then the fit-weighted mean,
   shrunk by Σw / (Σw + k) as before; with ``explore_unsure`` a candidate
   whose fit-weighted support is below ``min_support`` counts as untried.
   Measured (docs/shop_transfer.md): it does not raise success on unseen
   goals, which is why it is off.
6. **Fit-keyed roles** (``fit_bins`` > 0; off by default; a deviation from the
   reference, whose f_obs sees only the page type): the fit point of a
   candidate's target (:func:`~tui_agent.shop.fit.action_fit`: keyword
   coverage, price) is cut into a cell (:func:`~tui_agent.shop.fit.fit_cell`)
   and appended to its role without a result's position (:func:`fit_role`:
   ``"buy now | fit 1/3, price 0"``), so a remembered purchase counts for
   the candidates whose fit falls in the same cell, on any goal and page.
   Q̂ = (Σ_cell w·Q + ``cell_prior``·Q̄_role) / (Σ_cell w + ``cell_prior``),
   then shrunk by the role's support as before: with no record in the cell
   it is the role's mean (the reference path: the initial pool alone
   behaves as without cells). ``explore_cells``: an untried cell is explored
   optimistically while training.
7. **ε-greedy training** (``epsilon`` > 0, off by default): while exploring,
   with probability ε a random candidate is taken (counted against
   ``explore_per_episode``), so later epochs still try new actions.
8. **Success as the reward** (``success_reward``, off by default; see
   :meth:`~tui_agent.shop.agent.ShopAgent.learning_reward`): the memory
   learns 1 for a successful purchase and 0 otherwise.

Thresholds (defaults): ``q_min`` 0.5 (the memory must expect at least half
the maximum reward), ``min_support`` 0.3 (≈ one same-page record with
instruction similarity ≥ 0.0 at λ = 0.5, or several weaker ones),
``tie_margin`` 0.02, ``top_k`` 40 records, ``prior_weight`` 0.5 (about one
record), ``explore_per_episode`` 2.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tui_agent.envs.shop.pagetype import page_type_of
from tui_agent.rlem.records import Scored
from tui_agent.shop.fit import action_fit, fit_cell, fit_kernel
from tui_agent.shop.records import key_page_type

_CLICK = re.compile(r"^\s*click\[(.*)\]\s*$", re.IGNORECASE | re.DOTALL)
_SEARCH = re.compile(r"^\s*search\[(.*)\]\s*$", re.IGNORECASE | re.DOTALL)
_ANY_ACTION = re.compile(r"(search|click)\[([^\]\n]*)\]", re.IGNORECASE)
_POSITION = re.compile(r" #\d+$")
_ASIN = re.compile(r"^b0[0-9][0-9a-z]{7}$", re.IGNORECASE)
_PRICE = re.compile(r",?\s*and price lower than [0-9.]+ dollars\.?\s*$", re.IGNORECASE)
_LEAD = re.compile(r"^\s*(i'?m looking for|i am looking for|i would like|i want to buy|i want|i need|"
                   r"find me|get me|looking for|buy)\s+(an?\s+|some\s+)?", re.IGNORECASE)
_FILLER = re.compile(r"\b(that is|which is|that are|which are|with|and|in|a|an|the|of|color|size|"
                     r"for|it|me|style|flavor|scent)\b|[,;:!?]|\.(?!\d)", re.IGNORECASE)
BUTTONS = {"back to search", "< prev", "next >", "description", "features", "reviews", "buy now"}

__all__ = [
    "LEARNERS",
    "Estimate",
    "PolicyConfig",
    "action_role",
    "at_random",
    "choose_by_q",
    "drop_repeats",
    "element_of",
    "estimate_q",
    "fit_role",
    "match_action",
    "named_in",
    "search_keywords",
]


@dataclass(frozen=True)
class PolicyConfig:
    """Thresholds of the ``episodic-control`` policy (see the module docstring)."""

    q_min: float = 0.5
    min_support: float = 0.3
    tie_margin: float = 0.02
    top_k: int = 40
    prior_weight: float = 0.5
    optimistic_q: float = 1.0
    explore_per_episode: int = 2
    analogy: bool = True
    fit_scale: float = 0.0
    explore_unsure: bool = False
    fit_bins: int = 0
    cell_prior: float = 1.0
    explore_cells: bool = True
    epsilon: float = 0.0
    success_reward: bool = False


LEARNERS: dict[str, dict[str, Any]] = {
    "reference": {},
    "fit-cells": {"fit_bins": 3, "top_k": 200, "explore_cells": False, "success_reward": True, "q_min": 0.2},
}
"""The shop learner presets (``train|eval --learner``; :class:`PolicyConfig` overrides). ``reference``: the
REMEMBERER path (f_obs sees the page type only). ``fit-cells``: fit-keyed roles (item 6 of the module
docstring, 3 bins, 200 records) learning success 1/0 (item 8) with ``q_min`` 0.2 — a named deviation from
the reference; on the 100 unseen test goals it gains +17.0 (S0) / +18.7 (S1) points over the frozen
pool, 3 seeds (docs/shop_transfer.md, ``cells-succ-q``)."""


@dataclass
class Estimate:
    """Q̂ of one candidate from memory: value, support (Σ weights) and the role used."""

    action: str
    role: str
    q: float = 0.0
    support: float = 0.0
    optimistic: bool = False


def search_keywords(instruction: str) -> str:
    """Search keywords for an instruction: drop the price clause, the lead-in and filler words.

    ``"i need a shampoo that is travel size, in argan oil scent, and price lower
    than 20.00 dollars"`` → ``"shampoo travel size argan oil"``. Never empty
    (falls back to the instruction).
    """
    text = _LEAD.sub("", _PRICE.sub("", instruction.strip()))
    words = " ".join(_FILLER.sub(" ", text).split())
    return words or instruction.strip()


def element_of(action: str) -> str:
    """``click[Buy Now]`` → ``"buy now"`` (lower case); search actions → ``"search"``."""
    m = _CLICK.match(action)
    if m:
        return m.group(1).strip().lower()
    return "search" if _SEARCH.match(action) else action.strip().lower()


def named_in(value: str, instruction: str) -> bool:
    """Whether the option value appears as whole words in the instruction (case-insensitive)."""
    value = value.strip().lower()
    pattern = r"(?<![\w.])" + re.escape(value) + r"(?![\w]|\.\d)"  # "8 fl oz" is not in "33.8 fl oz"
    return bool(value) and re.search(pattern, instruction.lower()) is not None


def _chosen_options(observation: str) -> set[str]:
    return {m.lower() for m in re.findall(r"\[\[([^\]]+)\]\]", observation)}


def action_role(action: str, available_actions: Sequence[str], instruction: str, observation: str) -> str:
    """The role an action plays on its page (the analogy key of :func:`estimate_q`).

    Roles: ``search``; on results pages ``result #k`` (k = 1.. in page order)
    and the buttons; on item pages ``option named, new`` / ``option named,
    chosen`` / ``option not named``, ``buy now, named options pending`` /
    ``buy now``, and the buttons; else the lower-case element.
    """
    element = element_of(action)
    if element == "search":
        return "search"
    page = page_type_of(available_actions)
    if page == "results" and _ASIN.match(element):
        asins = [element_of(a) for a in available_actions if _ASIN.match(element_of(a))]
        return f"result #{asins.index(element) + 1}" if element in asins else "result"
    if page == "item":
        if element == "buy now":
            chosen = _chosen_options(observation)
            pending = any(named_in(o, instruction) and o not in chosen for o in
                          (element_of(a) for a in available_actions) if o not in BUTTONS)
            return "buy now, named options pending" if pending else "buy now"
        if element not in BUTTONS:
            if not named_in(element, instruction):
                return "option not named"
            return "option named, chosen" if element in _chosen_options(observation) else "option named, new"
    return element


def estimate_q(candidates: Sequence[str], available_actions: Sequence[str], instruction: str,
               observation: str, retrieved: Sequence[Scored], config: PolicyConfig = PolicyConfig(),
               optimistic: bool = False, training: bool = False) -> list[Estimate]:
    """Q̂ = Σ w·Q / (Σ w + k) and support Σ w for each candidate from the ``top_k`` same-page-type records.

    With ``config.analogy`` a record's action counts when its :func:`action_role`
    (on the record's own page and instruction) equals the candidate's; without,
    only the identical action string counts. Weights are the retrieval scores
    (clipped at 0), times the fit kernel when ``config.fit_scale`` > 0 (of the
    record's best-fitting action of the role; see the module docstring). With
    ``optimistic``, unsupported candidates (with ``config.explore_unsure``: fit-weighted
    support < ``min_support``) get ``config.optimistic_q``; with ``training``
    there is no shrinkage (k = 0). With ``config.fit_bins`` > 0 the mean is refined by the records
    of the candidate's fit cell (:func:`fit_role`; item 6 of the module docstring) and the
    estimate's ``role`` is the cell's key; with ``optimistic`` and ``config.explore_cells`` an
    empty cell is optimistic.
    """
    k = 0.0 if training else config.prior_weight
    page = page_type_of(available_actions)
    same = list(itertools.islice((s for s in retrieved if key_page_type(s.record.key.available_actions) == page),
                                 config.top_k))
    def role_of(action: str, available: Sequence[str], task: str, obs: str) -> str:
        return action_role(action, available, task, obs) if config.analogy else action

    roles = {a: role_of(a, available_actions, instruction, observation) for a in candidates}
    fits = {a: action_fit(instruction, observation, available_actions, a) if config.fit_scale > 0 else None
            for a in candidates}
    cells = {a: fit_role(roles[a], instruction, observation, available_actions, a, config.fit_bins)
             for a in candidates}
    sums: dict[str, float] = {a: 0.0 for a in candidates}
    masses: dict[str, float] = {a: 0.0 for a in candidates}
    weights: dict[str, float] = {a: 0.0 for a in candidates}
    cell_sums: dict[str, float] = {a: 0.0 for a in candidates}
    cell_weights: dict[str, float] = {a: 0.0 for a in candidates}
    for scored in same:
        w = max(scored.score, 0.0)
        if w <= 0:
            continue
        key = scored.record.key
        seen: dict[str, list[tuple[str, float]]] = {}
        seen_cells: dict[str, list[float]] = {}
        for akey, value in scored.record.actions.items():
            role = role_of(akey.action, key.actions, key.task, key.observation)
            seen.setdefault(role, []).append((akey.action, value.q))
            if config.fit_bins > 0:
                cell = fit_role(role, key.task, key.observation, key.actions, akey.action, config.fit_bins)
                seen_cells.setdefault(cell, []).append(value.q)
        for a in candidates:
            if cells[a] in seen_cells:
                cell_sums[a] += w * sum(seen_cells[cells[a]]) / len(seen_cells[cells[a]])
                cell_weights[a] += w
            entries = seen.get(roles[a])
            if not entries:
                continue
            kern, q = max((fit_kernel(fits[a], action_fit(key.task, key.observation, key.actions, ra)
                                      if config.fit_scale > 0 else None, config.fit_scale), q) for ra, q in entries)
            sums[a] += w * kern * q
            masses[a] += w * kern
            weights[a] += w
    out = []
    unsure = config.min_support if config.explore_unsure else 0.0
    for a in candidates:
        role = roles[a]
        support = weights[a]
        if optimistic and config.fit_bins > 0 and config.explore_cells and cell_weights[a] <= 0:
            out.append(Estimate(a, cells[a], config.optimistic_q, support, optimistic=True))
        elif config.fit_bins > 0 and support > 0:
            mean = (cell_sums[a] + config.cell_prior * sums[a] / masses[a]) / (cell_weights[a] + config.cell_prior)
            out.append(Estimate(a, cells[a], mean * support / (support + k), support))
        elif optimistic and (support <= 0 or masses[a] < unsure):
            out.append(Estimate(a, role, config.optimistic_q, support, optimistic=True))
        elif support > 0:
            out.append(Estimate(a, role, sums[a] / masses[a] * support / (support + k), support))
        else:
            out.append(Estimate(a, role))
    return out


def fit_role(role: str, instruction: str, observation: str, available_actions: Sequence[str], action: str,
             bins: int) -> str:
    """The role with the fit cell of its target appended (``"buy now | fit 2/3, price 1"``; a result's
    position dropped: ``"result | fit 1/3, price 0"``), see
    :func:`~tui_agent.shop.fit.fit_cell`; the role alone on pages without a target or with ``bins`` ≤ 0."""
    cell = fit_cell(action_fit(instruction, observation, available_actions, action), bins) if bins > 0 else ""
    return f"{_POSITION.sub('', role)} | {cell}" if cell else role


def choose_by_q(estimates: Sequence[Estimate], config: PolicyConfig = PolicyConfig()) -> list[Estimate]:
    """The memory's choice set: candidates within ``tie_margin`` of the best trusted Q̂.

    Trusted = support ≥ ``min_support`` or optimistic. Empty when no trusted
    candidate reaches ``q_min`` (then the LLM chooses among all candidates).
    """
    trusted = [e for e in estimates if e.optimistic or e.support >= config.min_support]
    if not trusted:
        return []
    best = max(e.q for e in trusted)
    if best < config.q_min:
        return []
    return [e for e in trusted if e.q >= best - config.tie_margin]


def at_random(estimates: Sequence[Estimate], rng: random.Random, config: PolicyConfig) -> Estimate | None:
    """ε-greedy: with probability ``config.epsilon`` a uniformly random candidate's estimate, else None
    (always None when ε is 0, without drawing from ``rng``)."""
    if config.epsilon <= 0 or not estimates or rng.random() >= config.epsilon:
        return None
    return rng.choice(list(estimates))


def drop_repeats(candidates: Sequence[str], taken_here: set[str]) -> list[str]:
    """Candidates not yet taken on this observation (all of them if that would leave none).

    ``< Prev`` on an item sub-page is never dropped: a sub-page's text does
    not show the item's chosen options, so one sub-page text stands for
    several states, and going back from it is not a loop.
    """
    sub_page = page_type_of(candidates) == "item_sub"
    fresh = [a for a in candidates if a not in taken_here or (sub_page and element_of(a) == "< prev")]
    return fresh or list(candidates)


def match_action(text: str, available_actions: Sequence[str], instruction: str = "") -> str | None:
    """A hosted model's answer → one valid action (parsed, then fuzzy-matched), or None.

    Takes the first ``search[...]``/``click[...]`` in ``text`` (after
    "Encouraged:" when present). ``search[...]`` is valid when the page has the
    search bar (empty keywords → :func:`search_keywords`); a click is matched
    to the available clicks with rapidfuzz ``WRatio`` ≥ 80 on the element text;
    a bare element name is matched the same way.
    """
    from rapidfuzz import fuzz, process

    if not available_actions:
        return None
    body = text.split("Encouraged:", 1)[-1].split("Discouraged:", 1)[0]
    found = _ANY_ACTION.search(body) or _ANY_ACTION.search(text)
    searchable = page_type_of(available_actions) == "search"
    if found and found.group(1).lower() == "search":
        if not searchable:
            return None
        words = found.group(2).strip()
        return f"search[{words if words and words != '<keywords>' else search_keywords(instruction)}]"
    if searchable:
        return f"search[{search_keywords(instruction)}]"
    wanted = (found.group(2) if found else body.strip().splitlines()[0] if body.strip() else "").strip()
    if not wanted:
        return None
    elements = [element_of(a) for a in available_actions]
    best = process.extractOne(wanted.lower(), elements, scorer=fuzz.WRatio)
    if best is None or best[1] < 80:
        return None
    return available_actions[best[2]]
