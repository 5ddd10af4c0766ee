"""HTML to sections of text in one pass: libxml2's HTML parser (lxml) as a stream of events.

lxml's ``HTMLParser(target=…)`` calls :class:`_Sections` for every start tag, end tag and run of text,
with no tree built; each is handled in constant (amortised) time, so the time is linear in the size of
the file whatever its nesting: the tree walk it replaces asked every text node for all its ancestors (a
file of 16k nested tags took 19 s, a 5 MB one hours; issue 24 row 9). libxml2 was chosen over the
standard library's ``html.parser``, which (Python 3.11) is quadratic on malformed tags: 20,000 repeats
of ``<a x='`` took 166 s there and milliseconds here.

What it keeps, as the Beautiful Soup walk did: ``h1``–``h6`` start sections (their text is the
heading, outer headings first in the path, a heading closing those of its level and below); block
elements (``p``, ``li``, ``div``, ``br``, …) start a new line; the text of ``script``, ``style``,
``noscript``, ``template`` and ``head`` is dropped (the ``<title>`` is the document's title);
comments and declarations are dropped; entities are decoded. Malformed markup is repaired as libxml2
does (``recover``: unclosed elements are closed, stray end tags ignored), so every start has its end.
"""

from __future__ import annotations

import re

__all__ = ["html_sections"]

BLOCKS = frozenset({"p", "li", "pre", "td", "th", "dd", "dt", "blockquote", "div", "section", "article", "tr",
                    "br", "table", "ul", "ol", "dl", "figcaption", "caption"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
DROPPED = frozenset({"script", "style", "noscript", "template", "head"})
MAX_HEADING_CHARS = 300
"""A heading's text is cut to this many characters (an unclosed ``<h1>`` would otherwise hold the page)."""


class _Sections:
    """The parser's target: lxml calls :meth:`start`, :meth:`end`, :meth:`data` and :meth:`close`."""

    def __init__(self) -> None:
        self.sections: list[tuple[list[str], str]] = []
        self.title = ""
        self.path: list[tuple[int, str]] = []  # (level, heading) from the outermost
        self.parts: list[str] = []
        self.open: list[str] = []  # the elements open now, innermost last
        self.dropped = 0  # open elements whose text is dropped
        self.heading: tuple[int, list[str]] | None = None  # level and text of the heading being read
        self.title_parts: list[str] | None = None

    # --- the element stack ------------------------------------------------------------

    def start(self, tag: str, attrib: object) -> None:
        tag = tag.lower() if isinstance(tag, str) else ""
        if tag in HEADINGS:
            self._end_heading()
            self.flush()
            self.heading = (int(tag[1]), [])
        elif tag == "title" and not self.title:
            self.title_parts = []
        elif tag in BLOCKS and not self.dropped:
            self.parts.append("\n")
        self.open.append(tag)
        if tag in DROPPED:
            self.dropped += 1

    def end(self, tag: object) -> None:
        if not self.open:
            return
        name = self.open.pop()  # libxml2 balances the events: this is ``tag``
        if name in DROPPED:
            self.dropped -= 1
        if name in HEADINGS:
            self._end_heading()
        elif name == "title" and self.title_parts is not None:
            self.title = " ".join(" ".join(self.title_parts).split())
            self.title_parts = None

    def _end_heading(self) -> None:
        if self.heading is None:
            return
        level, words = self.heading
        self.heading = None
        text = " ".join(" ".join(words).split())[:MAX_HEADING_CHARS]
        self.path = [p for p in self.path if p[0] < level] + [(level, text)]

    # --- text ---------------------------------------------------------------------------

    def data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)
            return
        if self.dropped:
            return
        if self.heading is not None:
            self.heading[1].append(data)
        elif data.strip():
            self.parts.append(" ".join(data.split()) + " ")

    def flush(self) -> None:
        body = re.sub(r"\n{3,}", "\n\n", re.sub(r" *\n *", "\n", "".join(self.parts))).strip()
        if body:
            self.sections.append(([p[1] for p in self.path], body))
        self.parts.clear()

    def close(self) -> None:
        self._end_heading()
        self.flush()


def html_sections(text: str) -> tuple[str, list[tuple[list[str], str]]]:
    """``(title, [(heading path, text), …])`` of an HTML document, in document order.

    ``title`` is the ``<title>``'s text, else the first heading still in the path at the end, else "".
    Never raises for malformed markup. Time and memory are linear in ``len(text)``.
    """
    from lxml import etree

    target = _Sections()
    if text.strip():
        parser = etree.HTMLParser(target=target, recover=True, huge_tree=True, no_network=True,
                                  remove_comments=True, remove_pis=True)
        parser.feed(text)
        parser.close()
    title = target.title or next((p[1] for p in target.path), "")
    return title, target.sections
