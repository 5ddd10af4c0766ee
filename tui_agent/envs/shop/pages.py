"""The shop's pages as a state machine, rendered as WebShop's text environment shows them.

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

Observation text: the ``text_rich`` mode of WebShop's ``WebAgentTextEnv``
(``web_agent_site/envs/web_agent_text_env.py``, ``convert_html_to_text``) in
the zdy023/WebShop fork that REMEMBERER ran, in the form its history pools
store it: a leading newline, one element a line, a trailing newline; the
instruction on every page; buttons in ``[x]``; option values after their
group name as ``[x]`` or, when chosen, ``[[x]]`` with a "You have clicked x."
line on top (in reverse page order); ``Price: $a`` or a range ``$a to $b``;
results pages of WebShop's 10 products of which the first
``results_per_page`` are shown and clickable (the fork: 3; WebShop: 10),
items already visited as ``[[ASIN]]``. An item page::

    You have clicked bright citrus.
    Instruction:
    i would like a 3 ounce bottle of bright citrus deodorant ...
    [Back to Search]
    [< Prev]
    scent [assorted scents][[bright citrus]][calming lavender]
    size [travel set (4-pack)][3 ounce (pack of 1)]
    Bright Citrus Deodorant by Earth Mama ...
    Price: $10.99
    Rating: 4.3
    [Description]
    [Features]
    [Reviews]
    [Buy Now]

``clickables()`` lists, like WebShop's ``get_available_actions``, the
buttons in page order, then the shown product links, then the option values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog
from .reward import get_reward
from .search import SearchEngine

PRODUCT_WINDOW = 10  # WebShop engine.PRODUCT_WINDOW: products per results page
RESULTS_PER_PAGE = 3  # product links shown per page: the REMEMBERER fork's text env (WebShop: 10)
SUB_PAGES = ("description", "features", "reviews")
SEARCH_PLACEHOLDER = "search[<keywords>]"
_ACTION = re.compile(r"^\s*(search|click)\[(.*)\]\s*$", re.IGNORECASE | re.DOTALL)

__all__ = ["PRODUCT_WINDOW", "RESULTS_PER_PAGE", "price_tag", "SEARCH_PLACEHOLDER", "ShopSession", "parse_action"]


def parse_action(action: str) -> tuple[str, str] | None:
    """``"click[Buy Now]"`` -> ``("click", "Buy Now")``; None if not search[...]/click[...]."""
    if not isinstance(action, str):
        return None
    m = _ACTION.match(action)
    if m is None:
        return None
    return m.group(1).lower(), m.group(2).strip()


def price_tag(product: dict[str, Any]) -> str:
    """WebShop's price tag: ``$18.49``, or ``$17.33 to $26.97`` for a price range."""
    rng = product.get("price_range")
    if rng:
        return f"${rng[0]:.2f} to ${rng[1]:.2f}"
    return f"${product['price']:.2f}"


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
    results_per_page: int = RESULTS_PER_PAGE
    page: str = "search"
    keywords: str = ""
    results: list[int] = field(default_factory=list)
    page_num: int = 1
    asin: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    visited: set[str] = field(default_factory=set)  # ASINs of item pages seen
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

    def item(self) -> dict[str, Any]:
        """The product of the item page (or its description, features, reviews page) being shown.

        Raises:
            RuntimeError: no product is open (a search or results page).
        """
        product = self.product
        if product is None:
            raise RuntimeError(f"no product is open on the {self.page} page")
        return product

    @property
    def n_pages(self) -> int:
        return max(1, -(-len(self.results) // PRODUCT_WINDOW))

    def page_products(self) -> list[dict[str, Any]]:
        """Products shown on the current results page: the first ``results_per_page`` of its 10."""
        start = (self.page_num - 1) * PRODUCT_WINDOW
        window = self.results[start:start + PRODUCT_WINDOW][:self.results_per_page]
        return [self.catalog.products[i] for i in window]

    def buttons(self) -> list[str]:
        """Clickable elements of the current page, display case, in WebShop's clickables order."""
        if self.page == "results":
            out = ["Back to Search"]
            if self.page_num > 1:
                out.append("< Prev")
            if self.page_num < self.n_pages:
                out.append("Next >")
            return out + [p["asin"] for p in self.page_products()]
        if self.page == "item":
            opts = [v for values in self.item()["options"].values() for v in values]
            return ["Back to Search", "< Prev", "Description", "Features", "Reviews", "Buy Now",
                    *opts]
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
                self.visited.add(self.asin)
        elif self.page == "item":
            self._click_item(target)
        elif self.page == "item_sub":  # only "< prev" is left
            self.page, self.sub_page = "item", None
        return True

    def _click_item(self, target: str) -> None:
        product = self.item()
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
        """The current page as WebShop's text env shows it (see module docstring)."""
        if self.page == "search":
            lines = ["WebShop", "Instruction:", self.instruction, "[Search]"]
        elif self.page == "done":
            lines = self._done_lines()
        else:
            lines = self._clicked_lines() if self.page == "item" else []
            lines += ["Instruction:", self.instruction]
            lines += getattr(self, f"_{self.page}_lines")()
        return "\n" + "\n".join(lines) + "\n"

    def _clicked_lines(self) -> list[str]:
        """WebShop prepends "You have clicked x." per chosen option, so they read in reverse page order."""
        chosen = [v for g, values in self.item()["options"].items() for v in values
                  if self.options.get(g) == v]
        return [f"You have clicked {v}." for v in reversed(chosen)]

    def _results_lines(self) -> list[str]:
        lines = ["[Back to Search]", f"Page {self.page_num} (Total results: {len(self.results)})"]
        if self.page_num > 1:
            lines.append("[< Prev]")
        if self.page_num < self.n_pages:
            lines.append("[Next >]")
        for p in self.page_products():
            asin = f"[[{p['asin']}]]" if p["asin"] in self.visited else f"[{p['asin']}]"
            lines += [asin, p["title"], price_tag(p)]
        return lines

    def _item_lines(self) -> list[str]:
        p = self.item()
        lines = ["[Back to Search]", "[< Prev]"]
        for group, values in p["options"].items():
            chosen = self.options.get(group)
            lines.append(group + " " + "".join(f"[[{v}]]" if v == chosen else f"[{v}]"
                                                for v in values))
        rating = p.get("rating")
        return lines + [p["title"], f"Price: {price_tag(p)}",
                        f"Rating: {rating:.1f}" if rating is not None else "Rating: N.A.",
                        "[Description]", "[Features]", "[Reviews]", "[Buy Now]"]

    def _item_sub_lines(self) -> list[str]:
        p = self.item()
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
        if bought is None:
            raise RuntimeError("the done page without a purchase")
        opts = ", ".join(f"{k}: {v}" for k, v in bought["options"].items()) or "none"
        return ["Thank you for shopping with us!",
                f"Purchased: [{bought['asin']}] {bought['title']}",
                f"Options: {opts}", f"Price: ${bought['price']:.2f}",
                "Your score (min 0.0, max 1.0)", f"{self.reward:.2f}"]
