"""The shop's pages as a state machine, rendered as WebShop/ReAct-style text.

One :class:`ShopSession` is one shopper on the site (used by ``ShopEnv`` and
by the HTML server). Pages and their clickable elements, as in WebShop
(princeton-nlp/WebShop ``web_agent_site/templates``)::

    search   : search bar                                   -> results
    results  : [Back to Search] [< Prev] [Next >] [ASIN]..  -> search / results / item
    item     : [Back to Search] [< Prev] option values
               [Description] [Features] [Reviews] [Buy Now] -> search / results / item
                                                               / item_sub / done
    item_sub : [Back to Search] [< Prev]                    -> search / item
    done     : (no actions; the episode has ended)

Actions are ``search[keywords]`` (only on the search page) and
``click[element]`` (element text, case-insensitive, e.g. ``click[Buy Now]``,
``click[b078gwrc1j]``, ``click[18 inch]``). Anything else is invalid.

Observation text: one element per line; clickable elements in ``[x]``, the
chosen option of a group in ``[[x]]``, e.g. a results page::

    [Back to Search]
    Page 1 (Total results: 50)
    [Next >]
    [B078GWRC1J]
    Bright Citrus Deodorant ...
    $10.99
    ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog
from .reward import get_reward
from .search import SearchEngine

RESULTS_PER_PAGE = 10
SUB_PAGES = ("description", "features", "reviews")
SEARCH_PLACEHOLDER = "search[<keywords>]"
_ACTION = re.compile(r"^\s*(search|click)\[(.*)\]\s*$", re.IGNORECASE | re.DOTALL)

__all__ = ["RESULTS_PER_PAGE", "SEARCH_PLACEHOLDER", "ShopSession", "parse_action"]


def parse_action(action: str) -> tuple[str, str] | None:
    """``"click[Buy Now]"`` -> ``("click", "Buy Now")``; None if not search[...]/click[...]."""
    if not isinstance(action, str):
        return None
    m = _ACTION.match(action)
    if m is None:
        return None
    return m.group(1).lower(), m.group(2).strip()


@dataclass
class ShopSession:
    """One shopper's state: current page, search keywords, result page, item, options.

    ``act(action) -> bool`` applies an action (False = invalid, nothing
    changed); ``observation()``, ``available_actions()`` and ``clickables()``
    describe the current page. After ``click[Buy Now]`` ``page == "done"`` and
    ``reward`` / ``reward_info`` / ``purchased`` are set.
    """

    catalog: Catalog
    engine: SearchEngine
    goal: dict[str, Any]
    show_instruction: bool = False
    page: str = "search"
    keywords: str = ""
    results: list[int] = field(default_factory=list)
    page_num: int = 1
    asin: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    sub_page: str | None = None
    reward: float = 0.0
    reward_info: dict[str, Any] = field(default_factory=dict)
    purchased: dict[str, Any] | None = None

    # -- state queries ---------------------------------------------------------
    @property
    def instruction(self) -> str:
        return self.goal["instruction"]

    @property
    def product(self) -> dict[str, Any] | None:
        return self.catalog.product(self.asin) if self.asin else None

    @property
    def n_pages(self) -> int:
        return max(1, -(-len(self.results) // RESULTS_PER_PAGE))

    def page_products(self) -> list[dict[str, Any]]:
        """Products shown on the current results page (at most 10)."""
        start = (self.page_num - 1) * RESULTS_PER_PAGE
        return [self.catalog.products[i] for i in self.results[start:start + RESULTS_PER_PAGE]]

    def buttons(self) -> list[str]:
        """Clickable elements of the current page, display case, in page order."""
        if self.page == "results":
            out = ["Back to Search"]
            if self.page_num > 1:
                out.append("< Prev")
            if self.page_num < self.n_pages:
                out.append("Next >")
            return out + [p["asin"] for p in self.page_products()]
        if self.page == "item":
            opts = [v for values in self.product["options"].values() for v in values]
            return ["Back to Search", "< Prev", *opts, "Description", "Features", "Reviews",
                    "Buy Now"]
        if self.page == "item_sub":
            return ["Back to Search", "< Prev"]
        return []

    def clickables(self) -> list[str]:
        """WebShop's ``get_available_actions()["clickables"]``: lower-case element texts.

        The search page gives ``["search"]`` (its search button), as WebShop.
        """
        if self.page == "search":
            return ["search"]
        return [b.lower() for b in self.buttons()]

    def available_actions(self) -> list[str]:
        """Exact valid action strings; the search page gives ``["search[<keywords>]"]``."""
        if self.page == "search":
            return [SEARCH_PLACEHOLDER]
        return [f"click[{b}]" for b in self.buttons()]

    # -- transitions -----------------------------------------------------------
    def act(self, action: str) -> bool:
        """Apply ``action``; return False (and change nothing) if it is invalid here."""
        parsed = parse_action(action)
        if parsed is None or self.page == "done":
            return False
        kind, arg = parsed
        if kind == "search":
            if self.page != "search" or not arg or arg.lower() == "<keywords>":
                return False
            self.keywords = arg.lower()
            self.results = self.engine.search(self.keywords)
            self.page, self.page_num, self.asin, self.options = "results", 1, None, {}
            return True
        target = arg.lower()
        if target == "search" or target not in self.clickables():
            return False
        if target == "back to search":
            self.page, self.keywords, self.results = "search", "", []
            self.asin, self.options, self.sub_page = None, {}, None
        elif self.page == "results":
            if target == "next >":
                self.page_num += 1
            elif target == "< prev":
                self.page_num -= 1
            else:
                self.page, self.asin, self.options = "item", target.upper(), {}
        elif self.page == "item":
            self._click_item(target)
        elif self.page == "item_sub":  # only "< prev" is left
            self.page, self.sub_page = "item", None
        return True

    def _click_item(self, target: str) -> None:
        product = self.product
        if target == "< prev":
            self.page, self.asin, self.options = "results", None, {}
        elif target in SUB_PAGES:
            self.page, self.sub_page = "item_sub", target
        elif target == "buy now":
            self.page = "done"
            self.reward, self.reward_info = get_reward(product, self.goal, product["price"],
                                                       self.options, verbose=True)
            self.purchased = {"asin": product["asin"], "title": product["title"],
                              "price": product["price"], "options": dict(self.options)}
        else:
            for group, values in product["options"].items():
                if target in values:
                    self.options[group] = target

    # -- text observation ------------------------------------------------------
    def observation(self) -> str:
        """The current page as text (see module docstring)."""
        lines: list[str] = []
        if self.page == "search":
            lines = ["WebShop", "Instruction:", self.instruction, "[Search]"]
        elif self.page == "done":
            lines = self._done_lines()
        else:
            if self.show_instruction:
                lines = ["Instruction:", self.instruction]
            lines += getattr(self, f"_{self.page}_lines")()
        return "\n".join(lines)

    def _results_lines(self) -> list[str]:
        lines = ["[Back to Search]", f"Page {self.page_num} (Total results: {len(self.results)})"]
        if self.page_num > 1:
            lines.append("[< Prev]")
        if self.page_num < self.n_pages:
            lines.append("[Next >]")
        for p in self.page_products():
            lines += [f"[{p['asin']}]", p["title"], f"${p['price']:.2f}"]
        return lines

    def _item_lines(self) -> list[str]:
        p = self.product
        lines = ["[Back to Search]", "[< Prev]"]
        for group, values in p["options"].items():
            chosen = self.options.get(group)
            lines.append(group + " " + " ".join(f"[[{v}]]" if v == chosen else f"[{v}]"
                                                for v in values))
        return lines + [p["title"], f"Price: ${p['price']:.2f}",
                        f"Rating: {p['rating']:.1f} out of 5",
                        "[Description]", "[Features]", "[Reviews]", "[Buy Now]"]

    def _item_sub_lines(self) -> list[str]:
        p = self.product
        lines = ["[Back to Search]", "[< Prev]"]
        if self.sub_page == "description":
            lines.append(p["description"])
        elif self.sub_page == "features":
            lines += p["features"]
        else:
            for r in p["reviews"]:
                lines += [r["title"], f"Rating: {r['score']} out of 5", r["body"]]
        return lines

    def _done_lines(self) -> list[str]:
        bought = self.purchased
        opts = ", ".join(f"{k}: {v}" for k, v in bought["options"].items()) or "none"
        return ["Thank you for shopping with us!",
                f"Purchased: [{bought['asin']}] {bought['title']}",
                f"Options: {opts}", f"Price: ${bought['price']:.2f}",
                "Your score (min 0.0, max 1.0)", f"{self.reward:.2f}"]
