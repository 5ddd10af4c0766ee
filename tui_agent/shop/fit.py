"""What the shop's reward depends on, read off a page: how well an action's target fits the instruction.

WebShop's reward (:mod:`tui_agent.envs.shop.reward`) scores the bought product's type, attributes and
options against the goal's, and its price against the instruction's limit. A page shows part of that:
a results page each result's title and price tag, an item page the title, the option values and the
price tag. :func:`action_fit` reads it as a point φ in [0, 1]² for one (page, action):

* **coverage**: the share of the instruction's keywords (:func:`~tui_agent.shop.policy.search_keywords`,
  as whole tokens) found in the target's text — a result's title (a click on a result), the item's
  title and option values (any action on an item page), the best shown result's title (the other
  actions on a results page: what the page offers);
* **price**: 1 if the target's price tag (its high end for a range) is within the instruction's
  "price lower than X dollars", 0.5 if only its low end is, 0 if not; 1 without a limit.

Pages with no target (the search page, item sub-pages) have no φ (None). :func:`fit_kernel` turns two
points into a weight in (0, 1]: exp(−‖φ − ψ‖₁ / scale), 1 when either is None. The ``episodic-control``
policy multiplies each remembered action's retrieval weight by it (:func:`tui_agent.shop.policy.estimate_q`),
so that what a purchase taught reaches pages whose fit is alike, on any goal. Pure, no I/O.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

from tui_agent.envs.shop.pagetype import page_type_of

__all__ = ["Fit", "action_fit", "fit_cell", "fit_kernel", "keywords", "price_limit"]

Fit = tuple[float, float]
"""(coverage, price), each in [0, 1]."""

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
_LIMIT = re.compile(r"price lower than ([0-9]+(?:\.[0-9]+)?) dollars", re.IGNORECASE)
_PRICE = re.compile(r"\$([0-9]+(?:\.[0-9]+)?)(?:\s+to\s+\$([0-9]+(?:\.[0-9]+)?))?")
_ASIN_LINE = re.compile(r"^\[\[?(b0[0-9][0-9a-z]{7})\]?\]$", re.IGNORECASE)
_OPTIONS_LINE = re.compile(r"^[^\[\]]*(\[\[?[^\[\]]+\]?\])+$")
_CLICK = re.compile(r"^\s*click\[(.*)\]\s*$", re.IGNORECASE | re.DOTALL)


def _tokens(text: str) -> set[str]:
    return set(_TOKEN.findall(text.lower()))


@functools.lru_cache(maxsize=8_192)
def keywords(instruction: str) -> frozenset[str]:
    """The instruction's keyword tokens (lower case; its price clause, lead-in and filler words dropped)."""
    from tui_agent.shop.policy import search_keywords

    return frozenset(_tokens(search_keywords(instruction)))


def price_limit(instruction: str) -> float | None:
    """The instruction's "price lower than X dollars" in dollars, or None."""
    m = _LIMIT.search(instruction)
    return float(m.group(1)) if m else None


def _price_level(tag: str, limit: float | None) -> float:
    m = _PRICE.search(tag)
    if limit is None or m is None:
        return 1.0
    low = float(m.group(1))
    high = float(m.group(2)) if m.group(2) else low
    return 1.0 if high <= limit else 0.5 if low <= limit else 0.0


def _coverage(instruction: str, text: str) -> float:
    words = keywords(instruction)
    return len(words & _tokens(text)) / len(words) if words else 1.0


def _results(observation: str) -> dict[str, tuple[str, str]]:
    """{asin (lower case): (title, price tag)} of a results page's shown results."""
    lines = [line.strip() for line in observation.splitlines()]
    out = {}
    for i, line in enumerate(lines[:-2]):
        m = _ASIN_LINE.match(line)
        if m:
            out[m.group(1).lower()] = (lines[i + 1], lines[i + 2])
    return out


def _item(observation: str) -> tuple[str, str]:
    """(title and option values, price tag) of an item page."""
    lines = [line.strip() for line in observation.splitlines()]
    try:
        at = next(i for i, line in enumerate(lines) if line.startswith("Price:"))
    except StopIteration:
        return "", ""
    options = [line for line in lines[:at - 1] if _OPTIONS_LINE.match(line) and not line.startswith("[")]
    return " ".join([lines[at - 1], *options]), lines[at]


@functools.lru_cache(maxsize=65_536)
def _action_fit(instruction: str, observation: str, page: str, action: str) -> Fit | None:
    limit = price_limit(instruction)
    if page == "item":
        text, tag = _item(observation)
        return (_coverage(instruction, text), _price_level(tag, limit)) if tag else None
    if page != "results":
        return None
    results = _results(observation)
    m = _CLICK.match(action)
    target = results.get(m.group(1).strip().lower()) if m else None
    if target is not None:
        return _coverage(instruction, target[0]), _price_level(target[1], limit)
    fits = [(_coverage(instruction, t), _price_level(p, limit)) for t, p in results.values()]
    return max(fits) if fits else (0.0, 0.0)


def action_fit(instruction: str, observation: str, available_actions: Sequence[str], action: str) -> Fit | None:
    """φ of ``action`` on the page (see the module docstring); None on pages without a target."""
    return _action_fit(instruction, observation, page_type_of(available_actions), action)


def fit_kernel(a: Fit | None, b: Fit | None, scale: float) -> float:
    """exp(−‖a − b‖₁ / scale) in (0, 1]; 1.0 when either point is None or ``scale`` is 0 (no kernel)."""
    if a is None or b is None or scale <= 0:
        return 1.0
    return math.exp(-(abs(a[0] - b[0]) + abs(a[1] - b[1])) / scale)


def fit_cell(fit: Fit | None, bins: int) -> str:
    """The cell of a fit point on a grid: coverage cut into ``bins`` equal bins (the last one closed),
    the price level as is. ``"fit 2/3, price 1"``; ``""`` when ``fit`` is None or ``bins`` ≤ 0.

    The ``episodic-control`` policy's fit-keyed roles (``PolicyConfig.fit_bins``) append it to an
    action's role, so a remembered purchase counts for candidates whose fit falls in the same cell.
    """
    if fit is None or bins <= 0:
        return ""
    return f"fit {min(int(fit[0] * bins), bins - 1)}/{bins}, price {fit[1]:g}"
