"""The WikiHow app's pages as element lists (what :mod:`~tui_agent.envs.wikihow.app` scrolls and shows).

A :class:`Page` has a fixed ``header`` (always on screen), a ``content`` list shown ``window``
elements at a time, and the ``scrolled`` element that replaces the page top once scrolled (the
pools' ``<div class="header container" …>``). The element structure of each kind is the pools'
(OpenDFM/Rememberer ``history-pools/*.q.yaml``): home, search results (8 elements a result with a
badge, 6 without), article top (breadcrumb, byline, last update, references, badge, intro, method
heading, steps), category (root: banner and featured topics; others: the header placeholders),
author (photo, website, follow, profession, bio, editorial process, co-authored articles). Pages the
pools never show (search input, about, drawer, options menu) follow the same conventions.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from tui_agent.envs.wikihow.corpus import Corpus
from tui_agent.envs.wikihow.screen import Element

__all__ = ["PAGE_KINDS", "Page", "about_page", "article_page", "author_page", "category_page", "drawer_page",
           "home_page", "options_page", "results_page", "search_page"]

PAGE_KINDS = ("home", "search", "results", "article", "category", "author", "about", "drawer", "options")
DRAWER = Element("button", alt="Open navigation drawer", target=("drawer",))
SEARCH = Element("img", cls="search button", alt="Search", target=("search",), inputs=True)


@dataclass
class Page:
    """One page: ``kind`` (:data:`PAGE_KINDS`), fixed ``header``, scrolled ``content``; ``data`` says which
    article / category / author / query it shows."""

    kind: str
    header: list[Element]
    content: list[Element]
    window: int
    scrolled: Element | None = None
    data: dict[str, Any] = field(default_factory=dict)
    offset: int = 0
    anchors: dict[str, int] = field(default_factory=dict)

    @property
    def step(self) -> int:
        """Elements a ``SCROLL`` moves (a screen less an overlap of a quarter)."""
        return max(1, self.window - self.window // 4)

    def visible(self) -> list[Element]:
        """The elements on screen, header first (the status bar is added by the app)."""
        top = [self.scrolled] if self.offset and self.scrolled is not None else []
        return self.header + top + self.content[self.offset:self.offset + self.window]

    def scroll(self, direction: str) -> None:
        """Move by :attr:`step` (``DOWN`` / ``UP``; no further than the last screen; others: no move)."""
        last = max(0, len(self.content) - self.window)
        if direction == "DOWN":
            self.offset = min(last, self.offset + self.step)
        elif direction == "UP":
            self.offset = max(0, self.offset - self.step)


def _p(text: str, target: tuple[str, ...] | None = None, clickable: bool = True) -> Element:
    return Element("p", text, clickable=clickable, target=target)


def _div(text: str = "", target: tuple[str, ...] | None = None, clickable: bool = True, cls: str = "") -> Element:
    return Element("div", text, cls=cls, clickable=clickable, target=target)


def home_page() -> Page:
    """The start screen: drawer, logo, search button, the (empty) web view."""
    return Page("home", [DRAWER, Element("img", cls="wikihow toolbar logo", clickable=False), SEARCH,
                         _div(cls="webView")], [], 1)


def _search_header(query: str) -> list[Element]:
    return [DRAWER, Element("input", cls="search src text", value=query, type="text", target=("search",), inputs=True),
            Element("img", cls="search close btn", alt="Clear query", target=("clear",))]


def search_page() -> Page:
    """The search box, focused and empty."""
    return Page("search", _search_header(""), [], 1)


def results_page(corpus: Corpus, query: str) -> Page:
    """Search results: per result its title, views, last update and the expert / tested badge."""
    content: list[Element] = []
    for a in corpus.search(query):
        go = ("article", a["slug"])
        content += [_div(a["title"], go), _div("• ", go), _p(f"{a['views']:,} views", go), _div("• ", go),
                    _p("Updated", go), _p(a["updated_ago"], go)]
        badge = "Expert Co-Authored" if a["expert"] else "Quality Tested" if a["badge"] == "Tested" else ""
        if badge:
            content += [_div("• ", go), _p(badge, go)]
    return Page("results", _search_header(query.strip() + " "), content, 52, data={"query": query})


def _img_alt(slug: str, step: int, prefix: str = "v4-460px-") -> str:
    return f"{prefix}{slug}-Step-{step}.jpg"


def _article_item(a: dict[str, Any], i: int) -> list[Element]:
    go = ("article", a["slug"])
    out = [Element("img", cls=f"62e{zlib.crc32(a['slug'].encode()):08x}{i % 256:02x}", alt=_img_alt(a["slug"], 1 + i % 9,
                   "-crop-375-300-375px-nowatermark-"), target=go), _p("How to", go), _div(a["phrase"], go)]
    return out + ([_div("Expert", go)] if a["expert"] else [])


def article_page(corpus: Corpus, slug: str) -> Page:
    """An article from its top: options, breadcrumb, byline, update, references link, badge, intro, steps,
    tips, references, about-this-article, related articles. ``anchors["references"]``: the offset of the
    reference list (``None`` when it has none)."""
    a = corpus.article(slug)
    middle, leaf = a["path"][-2], a["path"][-1]
    c: list[Element] = [Element("img", alt="More options", target=("options",)),
                        _p("Learn why people ", ("about",)), _p("trust wikiHow", ("about",)),
                        _p(middle.upper(), ("category", middle)), _p(" »", clickable=False),
                        _p(leaf.upper(), ("category", leaf)), _p(a["title"]), _p(a["byline"], clickable=False),
                        _p(" ", clickable=False)]
    for i, name in enumerate(a["authors"]):
        c += ([_p(" and ", clickable=False)] if i else []) + [_p(name, ("author", name))]
    c.append(Element("button", f"Last Updated: {a['updated']}"))
    if a["references"]:
        c += [_p("References", ("references",)), _p(" ", clickable=False)]
    if a["badge"]:
        c.append(Element("button", a["badge"]))
    c.append(_div(a["intro"], clickable=False))
    k = 0
    for section in a["sections"]:
        c.append(_div(section["heading"], clickable=False))
        for text in section["steps"]:
            k += 1
            c += [_div(str(k), clickable=False), _div(text, clickable=False),
                  Element("img", alt=_img_alt(slug, k), clickable=False)]
    c += [_div("Tips", clickable=False)] + [_div(t, clickable=False) for t in a["tips"]]
    anchors = {}
    if a["references"]:
        anchors["references"] = len(c)
        c.append(_div("References", clickable=False))
        c += [_p(f"{i + 1}. ↑ {url}") for i, url in enumerate(a["references"])]
    c += [_div("About This Article", clickable=False), _p(a["byline"], clickable=False)]
    c += [_p(name, ("author", name)) for name in a["authors"]]
    c += [_p(f"This article has been viewed {a['views']:,} times.", clickable=False),
          _div("Related wikiHows", clickable=False)]
    for other in [o for o in corpus.in_category(leaf) if o["slug"] != slug][:4]:
        c += [_p("How to", ("article", other["slug"])), _div(other["phrase"], ("article", other["slug"]))]
    return Page("article", [DRAWER, SEARCH], c, 17, _div(cls="header container", clickable=False),
                {"slug": slug}, anchors=anchors)


def category_page(corpus: Corpus, name: str) -> Page:
    """A category: the root's banner and featured topics, or a subcategory's header; the description with
    article links, featured articles and all its articles."""
    cat = corpus.by_category[name]
    articles = corpus.in_category(name)
    parent = ("category", cat["parent"]) if cat["parent"] else ("back",)
    if cat["parent"] is None:
        c = [_div(name, cls="category banner title"),
             Element("input", cls="category banner search input", type="text", target=("search",), inputs=True),
             Element("button", cls="category banner submit")]
    else:
        c = [_div(cls="header container"), _div(cls="header top watch"), _div(cls="siteNotice")]
    c += [_p("<", parent), _div(), _div(name)]
    linked = articles[:3]
    c.append(_p(f"Learn everything you want about {name} with the wikiHow {name} Category. Learn about topics such as "))
    for i, a in enumerate(linked):
        c += ([_p(", ")] if i else []) + [_p(a["title"], ("article", a["slug"]))]
    c.append(_p(", and more with our helpful step-by-step instructions with photos and videos."))
    if cat["parent"] is None:
        c.append(_div("Featured Topics"))
        for child in cat["children"]:
            alt = f"-crop-250-100-150px-{name.split()[0]}-{child.split()[0].lower()}"
            c += [Element("img", alt=alt, target=("category", child)), _div(child, ("category", child))]
    c.append(_div("Featured Articles"))
    for i, a in enumerate(sorted(articles, key=lambda x: -x["views"])[:4]):
        c += _article_item(a, i)
    c.append(_div(f"Articles about {name}"))
    for i, a in enumerate(articles):
        c += _article_item(a, i)
    return Page("category", [DRAWER, SEARCH], c, 22, _div(cls="header container"), {"category": name})


def author_page(corpus: Corpus, name: str) -> Page:
    """An author: photo, website, follow, name, profession, bio, the editorial process, co-authored articles."""
    author = corpus.by_author[name]
    written = corpus.by(name)
    c = [Element("img", alt=name, clickable=False), _p("Website"), _p("+ Follow"), _div(name, clickable=False),
         _div(author["profession"], clickable=False), _div(author["bio"], clickable=False), _div(clickable=False),
         _p("wikiHow's Editorial Process", clickable=False),
         _p("wikiHow partners with over 1000+ experts from a wide range of fields to ensure our content is accurate "
            "and based on well-established research and testimony. ", clickable=False),
         _p("Learn more about our editorial process and why millions of readers trust wikiHow.", ("about",)),
         _div(clickable=False), _div(f"Co-authored Articles ({len(written)})", clickable=False)]
    for a in written:
        go = ("article", a["slug"])
        c += [_div("How to", go), _div(a["phrase"], go), _div(a["intro"][:200] + "...", go)]
    return Page("author", [DRAWER, SEARCH], c, 9, _div(cls="header container", clickable=False), {"author": name})


def about_page() -> Page:
    """Why people trust wikiHow (the about page)."""
    c = [_div("About wikiHow", clickable=False), _p("Why People Trust wikiHow", clickable=False),
         _p("wikiHow is where trusted research and expert knowledge come together. Since 2005, wikiHow has helped "
            "billions of people learn how to solve problems large and small.", clickable=False),
         _div("Our Mission", clickable=False),
         _p("Our mission is to empower every person on the planet to learn how to do anything.", clickable=False),
         _div("Expert Co-Authors", clickable=False),
         _p("Articles are co-authored by experts and checked by our editorial team.", clickable=False),
         _div("Reader-Tested", clickable=False), _p("Many articles are tested by readers before they are published.",
                                                   clickable=False)]
    return Page("about", [DRAWER, SEARCH], c, 12, _div(cls="header container", clickable=False))


def drawer_page(corpus: Corpus) -> Page:
    """The navigation drawer: home, random article, about, the root categories."""
    c = [Element("img", alt="wikiHow", clickable=False), _p("Home", ("home",)), _p("Random Article", ("random",)),
         _p("About wikiHow", ("about",)), _div("Categories", clickable=False)]
    c += [_p(cat["name"], ("category", cat["name"])) for cat in corpus.categories if cat["parent"] is None]
    return Page("drawer", [], c, 30)


def options_page(slug: str) -> Page:
    """The article's "More options" menu: bookmark, share."""
    return Page("options", [], [_p("Bookmark", ("bookmark",)), _p("Share", ("share",))], 5, data={"slug": slug})
