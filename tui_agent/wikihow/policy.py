"""The ``episodic-control`` WikiHow policy: action roles relative to the task, Q̂ per role from memory, choice.

As the shop's (:mod:`tui_agent.shop.policy`): the memory's Q chooses directly, by *analogy* — a
remembered action counts for a candidate when it plays the same role on a screen of the same kind,
each judged against its own task. Roles: ``input search``, ``click search``, ``click article 1`` /
``click article 2`` (an element naming the task's first / second article), ``click category``,
``click author``, ``click about``, ``click references``, ``click options``, ``click bookmark``,
``click drawer``, ``click parent``, ``click other``, ``scroll down`` / ``scroll up`` / ``scroll side``,
``goback``. Q̂(role) = Σ w·Q / (Σ w + k) over the ``top_k`` retrieved records of the same screen kind
(w = retrieval score; k = ``prior_weight`` in evaluation, 0 while training), support Σ w. The best
role with support ≥ ``min_support`` and Q̂ ≥ ``q_min`` is taken (its first candidate not yet tried on
this screen); while training, roles never seen get ``optimistic_q`` (at most ``explore_per_episode``
times an episode). Without a trusted role the choice is random among the fresh candidates.
Pure: no I/O.
"""

from __future__ import annotations

import functools
import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from tui_agent.envs.wikihow.app import parse_action
from tui_agent.envs.wikihow.screen import ParsedElement, parse_screen, screen_kind
from tui_agent.rlem.records import Scored
from tui_agent.wikihow.records import task_parts

__all__ = ["Estimate", "PolicyConfig", "action_role", "candidates", "choose", "estimate_q", "fill_input"]

PLACEHOLDER = "<text>"


@dataclass(frozen=True)
class PolicyConfig:
    """Thresholds of the ``episodic-control`` policy (see the module docstring); Q is a return of up to 4."""

    q_min: float = 0.5
    min_support: float = 0.3
    top_k: int = 40
    prior_weight: float = 0.5
    optimistic_q: float = 1.0
    explore_per_episode: int = 2


@dataclass
class Estimate:
    """Q̂ of one role: value, support (Σ weights), whether optimistic (untried), its candidates."""

    role: str
    actions: list[str]
    q: float = 0.0
    support: float = 0.0
    optimistic: bool = False


def fill_input(action: str, task: str) -> str:
    """``INPUT(id, <text>)`` with the task's search phrase (lower case) as the text; other actions as they are."""
    if action.startswith("INPUT(") and action.endswith(f"{PLACEHOLDER})"):
        phrase = task_parts(task).phrase.lower() or task.splitlines()[0][:80]
        return action[: -len(PLACEHOLDER) - 1] + phrase + ")"
    return action


def candidates(available: Sequence[str], task: str) -> list[str]:
    """The available actions with search text filled in (:func:`fill_input`)."""
    return [fill_input(a, task) for a in available]


def _element_role(e: ParsedElement, task: str) -> str:
    parts = task_parts(task)
    text = html.unescape(e.text).strip()
    if e.get("class") in ("search button", "category banner search input", "search src text"):
        return "click search"
    if e.get("alt") == "Open navigation drawer":
        return "click drawer"
    if e.get("alt") == "More options":
        return "click options"
    for i, title in enumerate(parts.titles[:2]):
        if text and (text == title or f"How to {text}" == title):
            return f"click article {i + 1}"
    if parts.category and text.lower() == parts.category.lower():
        return "click category"
    if parts.author and text == parts.author:
        return "click author"
    if text in ("trust wikiHow", "Learn why people ", "About wikiHow") or text.startswith("Learn more about our"):
        return "click about"
    if text == "References" and e.tag == "p":
        return "click references"
    if text == "Bookmark":
        return "click bookmark"
    if text == "<":
        return "click parent"
    return "click other"


def action_role(action: str, elements: Sequence[ParsedElement], task: str) -> str:
    """The role of ``action`` on a screen (its parsed ``elements``) for ``task`` (see the module docstring)."""
    parsed = parse_action(action)
    if parsed is None:
        return "invalid"
    if parsed.kind == "GOBACK":
        return "goback"
    if parsed.kind == "SCROLL":
        return {"DOWN": "scroll down", "UP": "scroll up"}.get(parsed.text, "scroll side")
    if not 0 <= parsed.element < len(elements):
        return "invalid"
    if parsed.kind == "INPUT":
        return "input search"
    return _element_role(elements[parsed.element], task)


@functools.lru_cache(maxsize=16_384)
def _elements(screen: str) -> tuple[ParsedElement, ...]:
    """A screen's elements, parsed once per text (every step reads the retrieved records' screens)."""
    try:
        return tuple(parse_screen(screen))
    except ValueError:
        return ()


@functools.lru_cache(maxsize=16_384)
def _kind(screen: str) -> str:
    return screen_kind(_elements(screen))


@functools.lru_cache(maxsize=65_536)
def _role(action: str, screen: str, task: str) -> str:
    return action_role(action, _elements(screen), task)


def estimate_q(actions: Sequence[str], screen: str, task: str, retrieved: Sequence[Scored],
               config: PolicyConfig = PolicyConfig(), optimistic: bool = False, training: bool = False
               ) -> list[Estimate]:
    """Q̂ and support per role of ``actions`` from the ``top_k`` retrieved records of the same screen kind."""
    kind = _kind(screen)
    by_role: dict[str, list[str]] = {}
    for a in actions:
        by_role.setdefault(_role(a, screen, task), []).append(a)
    sums = dict.fromkeys(by_role, 0.0)
    weights = dict.fromkeys(by_role, 0.0)
    same = (s for s in retrieved if _kind(s.record.key.observation) == kind)
    for scored in itertools.islice(same, config.top_k):
        w = max(scored.score, 0.0)
        if w <= 0:
            continue
        seen: dict[str, float] = {}
        for akey, value in scored.record.actions.items():
            role = _role(akey.action, scored.record.key.observation, scored.record.key.task)
            seen[role] = max(seen.get(role, value.q), value.q)
        for role, q in seen.items():
            if role in sums:
                sums[role] += w * q
                weights[role] += w
    k = 0.0 if training else config.prior_weight
    out = []
    for role, acts in by_role.items():
        support = weights[role]
        if optimistic and support <= 0 and role != "invalid":
            out.append(Estimate(role, acts, config.optimistic_q, 0.0, optimistic=True))
        elif support > 0:
            out.append(Estimate(role, acts, sums[role] / (support + k), support))
        else:
            out.append(Estimate(role, acts))
    return out


def choose(estimates: Sequence[Estimate], config: PolicyConfig = PolicyConfig()) -> Estimate | None:
    """The trusted role with the best Q̂ (first on ties), or None when none reaches ``q_min``."""
    trusted = [e for e in estimates if e.optimistic or e.support >= config.min_support]
    if not trusted:
        return None
    best = max(trusted, key=lambda e: e.q)
    return best if best.q >= config.q_min else None
