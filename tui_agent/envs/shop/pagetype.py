"""Page types of the shop and REMEMBERER's observation similarity f_obs for it.

Source: OpenDFM/Rememberer ``history.py``, ``PagePatMatcher``: the page type
is read off the available actions, and two pages score 1 if they have the
same type, 0.3 for an item page vs. an item sub-page (Description / Features /
Reviews), else 0. This module needs no third-party packages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PAGE_TYPES = ("search", "results", "item", "item_sub", "done")
_ASIN = re.compile(r"^b0[0-9][0-9a-z]{7}$")
_CLICK = re.compile(r"^\s*click\[(.*)\]\s*$", re.IGNORECASE | re.DOTALL)

__all__ = ["PAGE_TYPES", "page_type_of", "page_type_similarity"]


def _element(action: str) -> str:
    m = _CLICK.match(action)
    return (m.group(1) if m else action).strip().lower()


def page_type_of(available_actions: Sequence[str] | str) -> str:
    """Page type from a page's available actions.

    Accepts this env's ``info["available_actions"]`` (``"search[<keywords>]"``,
    ``"click[Buy Now]"``, ...), WebShop's lower-case clickables (``"search"``,
    ``"buy now"``, ``"b078gwrc1j"``, ...) or REMEMBERER's newline-joined string
    of them. Returns one of ``"search"``, ``"results"``, ``"item"``,
    ``"item_sub"``, ``"done"`` (no actions) or ``"unknown"``.

    Differs from the reference: a results page is recognised by any ASIN-like
    element (the reference requires elements 3.. to be ASINs, which misses
    pages with both < Prev and Next >) and an empty result list (only
    [Back to Search]) counts as results.
    """
    if isinstance(available_actions, str):
        available_actions = available_actions.splitlines()
    actions = [a for a in available_actions if a.strip()]
    if not actions:
        return "done"
    if len(actions) == 1 and (actions[0].strip().lower().startswith("search[")
                              or actions[0].strip().lower() == "search"):
        return "search"
    elements = [_element(a) for a in actions]
    if "buy now" in elements:
        return "item"
    if any(_ASIN.match(e) for e in elements) or elements == ["back to search"]:
        return "results"
    if sorted(elements) == ["< prev", "back to search"]:
        return "item_sub"
    return "unknown"


_SIMILARITY = {("item", "item_sub"): 0.3, ("item_sub", "item"): 0.3}


def page_type_similarity(a: str | Sequence[str], b: str | Sequence[str]) -> float:
    """REMEMBERER's f_obs for the shop, in [0, 1].

    ``a`` and ``b`` are page types (from :data:`PAGE_TYPES`) or lists of
    available actions (passed through :func:`page_type_of`). 1.0 for the same
    known type, 0.3 for item vs. item_sub, else 0.0 ("unknown" matches nothing).
    """
    ta = a if isinstance(a, str) and a in PAGE_TYPES else page_type_of(a)
    tb = b if isinstance(b, str) and b in PAGE_TYPES else page_type_of(b)
    if ta == "unknown" or tb == "unknown":
        return 0.0
    if ta == tb:
        return 1.0
    return _SIMILARITY.get((ta, tb), 0.0)
