"""Screens in REMEMBERER's WikiHow element format: one HTML-like element a line, ids numbered from 0.

The reference (OpenDFM/Rememberer ``vh_to_html.py``) turns the Android view hierarchy into one
element per line, e.g. ``<img class="search button" alt="Search" id="2" clickable="true">``:

* tags ``button``, ``img``, ``input``, ``div``, ``p``; ``img`` and ``input`` have no closing tag;
* attributes in the order ``class``, ``alt``, ``value``, ``type``, ``id``, ``clickable`` (``id`` and
  ``clickable`` always, the others when set);
* text and attribute values escaped as lxml does (``&amp;``, ``&lt;``, ``&gt;``; ``&quot;`` in
  attributes), line breaks written ``&#10;``;
* ids are the element's position on the screen (0, 1, 2, … in order), so they change with scrolling.

Pure: no I/O. :func:`parse_screen` reads a screen back (the conformance test and the policies use it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Element", "ParsedElement", "node_sequence", "parse_screen", "render_screen", "screen_kind", "status_bar"]

VOID_TAGS = ("img", "input")
TAGS = ("button", "img", "input", "div", "p")
_LINE = re.compile(r'^<(?P<tag>\w+)(?P<attrs>(?: \w+="[^"]*")*)>(?P<text>.*?)(?:</(?P=tag)>)?$')
_ATTR = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Element:
    """One element before numbering: ``tag`` (one of :data:`TAGS`), its text and attributes.

    ``target``: what a click does, read by the app (``("article", slug)``, ``("back",)``, …; None:
    nothing). ``inputs``: a search box (``INPUT(id, text)`` searches).
    """

    tag: str
    text: str = ""
    cls: str = ""
    alt: str = ""
    value: str | None = None
    type: str = ""
    clickable: bool = True
    target: tuple[str, ...] | None = None
    inputs: bool = False

    def html(self, index: int) -> str:
        """The element's line with id ``index``."""
        attrs = [f'class="{_attr(self.cls)}"'] if self.cls else []
        attrs += [f'alt="{_attr(self.alt)}"'] if self.alt else []
        attrs += [f'value="{_attr(self.value)}"'] if self.value is not None else []
        attrs += [f'type="{self.type}"'] if self.type else []
        attrs += [f'id="{index}"', f'clickable="{"true" if self.clickable else "false"}"']
        head = f"<{self.tag} {' '.join(attrs)}>"
        return head if self.tag in VOID_TAGS else f"{head}{_text(self.text)}</{self.tag}>"


def status_bar() -> Element:
    """The last element of every screen."""
    return Element("div", cls="statusBarBackground", clickable=False)


def render_screen(elements: Iterable[Element]) -> str:
    """The screen text: one line per element, ids 0, 1, 2, … in order."""
    return "\n".join(e.html(i) for i, e in enumerate(elements))


def _text(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;").replace("\n", "&#10;"))


def _attr(text: str) -> str:
    return _text(text).replace('"', "&quot;")


@dataclass(frozen=True)
class ParsedElement:
    """An element read back from a screen line: tag, attributes (in order, escaped as written), text."""

    tag: str
    attrs: tuple[tuple[str, str], ...]
    text: str
    line: str

    def get(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.attrs if k == name), default)

    @property
    def id(self) -> int:
        return int(self.get("id", "-1"))

    @property
    def clickable(self) -> bool:
        return self.get("clickable") == "true"


def parse_screen(screen: str) -> list[ParsedElement]:
    """A screen's elements in order.

    Raises:
        ValueError: a line that is not one element (the message quotes it).
    """
    out = []
    for line in screen.splitlines():
        if not line.strip():
            continue
        m = _LINE.match(line.strip())
        if m is None:
            raise ValueError(f"not a screen element: {line[:120]!r}")
        out.append(ParsedElement(m.group("tag"), tuple(_ATTR.findall(m.group("attrs"))), m.group("text"), line.strip()))
    return out


def node_sequence(screen: str | Sequence[ParsedElement]) -> list[str]:
    """The tag sequence of a screen (the reference's LCS matcher compares these)."""
    elements = parse_screen(screen) if isinstance(screen, str) else screen
    return [e.tag for e in elements]


def screen_kind(elements: Sequence[ParsedElement]) -> str:
    """The kind of page a screen shows, read off its elements alone (the pools' screens and the simulation's):
    home, results (or the empty search box), article, author, category, about, drawer, options, or other."""
    classes = {e.get("class") for e in elements}
    alts = {e.get("alt") for e in elements}
    texts = [e.text for e in elements]
    if "wikihow toolbar logo" in classes:
        return "home"
    if "search src text" in classes:
        return "results"
    if "More options" in alts or "Related wikiHows" in texts or "About This Article" in texts or \
            any(a.startswith("v4-460px-") for a in alts):
        return "article"
    if "+ Follow" in texts or any(t.startswith("Co-authored Articles") for t in texts) or \
            any(t.endswith("...") for t in texts):
        return "author"
    if any(c.startswith("category banner") for c in classes) or "&lt;" in texts or \
            any(a.startswith("-crop-") for a in alts):
        return "category"
    if "About wikiHow" in texts:
        return "drawer" if "Random Article" in texts else "about"
    if "Bookmark" in texts:
        return "options"
    return "other"
