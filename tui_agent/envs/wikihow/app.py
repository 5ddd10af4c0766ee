"""The simulated WikiHow app: pages, a back stack, scrolling, and the actions of REMEMBERER's WikiHow agent.

Actions (the reference's ``wikihow_agent.py`` forms, exactly):

* ``CLICK(id)`` — tap element ``id`` of the screen. Valid for any id on the screen; tapping an element
  without an effect (clickable or not) changes nothing.
* ``INPUT(id, text)`` — type ``text`` into element ``id`` and submit: valid on a search element (the
  search button of the toolbar, the search box, a category's search input) with non-empty text;
  opens the results for ``text``.
* ``SCROLL(direction)`` — ``UP`` / ``DOWN`` by most of a screen; ``LEFT`` / ``RIGHT`` are valid and
  change nothing (the app has no horizontal scrolling).
* ``GOBACK`` — the previous page (on the home screen: nothing).

Anything else (an unknown form, an id not on the screen, INPUT on an element that takes no text) is
invalid and changes nothing. Each action reports :class:`Event` facts about the page it leads to,
which the task's steps are checked against (:mod:`~tui_agent.envs.wikihow.tasks`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from tui_agent.envs.wikihow import pages as pg
from tui_agent.envs.wikihow.corpus import Corpus
from tui_agent.envs.wikihow.screen import Element, render_screen, status_bar

__all__ = ["DIRECTIONS", "Event", "ParsedAction", "WikiHowApp", "parse_action"]

DIRECTIONS = ("LEFT", "UP", "RIGHT", "DOWN")
_ACTION = re.compile(r"^(?P<atype>\w+)\((?P<arg1>\w+)(?:,\s*(?P<arg2>.+))?\)$", re.DOTALL)


@dataclass(frozen=True)
class ParsedAction:
    """``kind`` CLICK / INPUT / SCROLL / GOBACK, the element id, the text or direction."""

    kind: str
    element: int = -1
    text: str = ""


def parse_action(action: str) -> ParsedAction | None:
    """The action's parts, or None when it is not one of the four forms (the reference's pattern)."""
    action = action.strip()
    if action == "GOBACK":
        return ParsedAction("GOBACK")
    m = _ACTION.match(action)
    if m is None:
        return None
    kind, arg1, arg2 = m.group("atype"), m.group("arg1"), m.group("arg2")
    if kind == "CLICK" and arg1.isdecimal() and arg2 is None:
        return ParsedAction("CLICK", int(arg1))
    if kind == "INPUT" and arg1.isdecimal() and arg2 is not None and arg2.strip():
        return ParsedAction("INPUT", int(arg1), arg2.strip())
    if kind == "SCROLL" and arg1.upper() in DIRECTIONS and arg2 is None:
        return ParsedAction("SCROLL", text=arg1.upper())
    return None


@dataclass(frozen=True)
class Event:
    """A fact after an action: ``kind`` (a page kind, "search" or "bookmark", or "references" when an
    article's reference list is on screen) and its argument (slug, category, author, query)."""

    kind: str
    arg: str = ""


class WikiHowApp:
    """One app session over ``corpus``, starting on the home screen (``rng``: the drawer's random article)."""

    def __init__(self, corpus: Corpus, rng: random.Random | None = None) -> None:
        self.corpus = corpus
        self.rng = rng or random.Random(0)
        self.page: pg.Page = pg.home_page()
        self.stack: list[pg.Page] = []
        self.bookmarks: list[str] = []

    # --- what is shown -------------------------------------------------------------------

    def elements(self) -> list[Element]:
        """The screen's elements in id order, the status bar last."""
        return self.page.visible() + [status_bar()]

    def screen(self) -> str:
        """The screen text in the pools' format (:mod:`~tui_agent.envs.wikihow.screen`)."""
        return render_screen(self.elements())

    def available_actions(self) -> list[str]:
        """The actions with an effect's chance: ``CLICK(id)`` for each clickable element, ``INPUT(id, <text>)``
        for each search element (substitute the text), the four ``SCROLL``s and ``GOBACK``."""
        out = []
        for i, e in enumerate(self.elements()):
            if e.clickable:
                out.append(f"CLICK({i})")
            if e.inputs:
                out.append(f"INPUT({i}, <text>)")
        return out + [f"SCROLL({d})" for d in DIRECTIONS] + ["GOBACK"]

    def events(self) -> list[Event]:
        """Facts about the current page."""
        p = self.page
        arg = str(p.data.get("slug") or p.data.get("category") or p.data.get("author") or p.data.get("query") or "")
        out = [Event(p.kind, arg)]
        refs = p.anchors.get("references")
        if p.kind == "article" and refs is not None and p.offset <= refs < p.offset + p.window:
            out.append(Event("references", arg))
        return out

    # --- acting ------------------------------------------------------------------------------

    def act(self, action: str) -> tuple[bool, list[Event]]:
        """Apply ``action``; returns (valid, events: what this action did and where it leads)."""
        parsed = parse_action(action)
        if parsed is None:
            return False, self.events()
        done: list[Event] = []
        if parsed.kind == "GOBACK":
            if self.stack:
                self.page = self.stack.pop()
        elif parsed.kind == "SCROLL":
            self.page.scroll(parsed.text)
        else:
            elements = self.elements()
            if not 0 <= parsed.element < len(elements):
                return False, self.events()
            element = elements[parsed.element]
            if parsed.kind == "INPUT":
                if not element.inputs:
                    return False, self.events()
                done.append(Event("search", parsed.text))
                self._open(pg.results_page(self.corpus, parsed.text), replace=self.page.kind in ("search", "results"))
            elif element.target is not None:
                done += self._click(element.target)
        return True, done + self.events()

    def _open(self, page: pg.Page, replace: bool = False) -> None:
        if not replace:
            self.stack.append(self.page)
        self.page = page

    def _click(self, target: tuple[str, ...]) -> list[Event]:
        what, arg = target[0], target[1] if len(target) > 1 else ""
        overlay = self.page.kind in ("drawer", "options")
        if overlay and what not in ("drawer",):
            self.page = self.stack.pop()  # a menu closes when an item is chosen
        if what == "article":
            self._open(pg.article_page(self.corpus, arg))
        elif what == "category":
            self._open(pg.category_page(self.corpus, arg))
        elif what == "author":
            self._open(pg.author_page(self.corpus, arg))
        elif what == "about":
            self._open(pg.about_page())
        elif what == "home":
            self.stack, self.page = [], pg.home_page()
        elif what == "random":
            self._open(pg.article_page(self.corpus, self.rng.choice(self.corpus.articles)["slug"]))
        elif what == "search":
            self._open(pg.search_page(), replace=self.page.kind == "results")
        elif what == "clear":
            self.page = pg.search_page()
        elif what == "back" and self.stack:
            self.page = self.stack.pop()
        elif what == "drawer" and not overlay:
            self._open(pg.drawer_page(self.corpus))
        elif what == "drawer":
            self.page = self.stack.pop()
        elif what == "options":
            self._open(pg.options_page(str(self.page.data.get("slug", ""))))
        elif what == "references" and "references" in self.page.anchors:
            self.page.offset = min(self.page.anchors["references"], max(0, len(self.page.content) - self.page.window))
        elif what == "bookmark":
            slug = str(self.page.data.get("slug", ""))
            if slug and slug not in self.bookmarks:
                self.bookmarks.append(slug)
            return [Event("bookmark", slug)]
        return []
