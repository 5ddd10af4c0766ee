"""Reading documents into note chunks: Markdown, reStructuredText, HTML and plain text.

Parsing is the libraries' (no hand-made parser): Markdown sections from markdown-it-py's heading
tokens (their source line maps), reStructuredText sections from docutils' doctree (section titles and
their source lines; Sphinx roles and directives stay as written), HTML in one linear pass of the standard
library's ``html.parser`` (:mod:`tui_agent.notes.html_text`: ``h1``–``h6`` start sections; scripts and
styles dropped); each section's text is split into chunks of at most :data:`CHUNK_CHARS` characters at
semantic boundaries by ``semantic-text-splitter`` (``MarkdownSplitter`` for Markdown, ``TextSplitter``
otherwise), fed windows of at most :data:`WINDOW_CHARS` characters cut at a line break or space (the
splitter's time grows with the square of what it is given: a 5 MB line would take hours).

Bad input raises :class:`IngestError` with one user-facing line: a binary file (NUL bytes), a file over
:data:`MAX_FILE_BYTES`, text that is not UTF-8 / UTF-16 (with a BOM), a file with no text, an
unsupported type. Nothing is stored by this module (:mod:`tui_agent.notes.add` stores).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tui_agent.notes.schema import HEADING_SEP
from tui_agent.storage.files import UserFileError, read_bounded

__all__ = ["CHUNK_CHARS", "MAX_FILE_BYTES", "SUFFIXES", "Document", "IngestError", "Section", "chunk_document",
           "decode", "embed_text", "parse_text", "read_document", "windows"]

MAX_FILE_BYTES = 5 * 1024 * 1024
INGEST_VERSION = 1
"""Part of every content hash: a new parser or splitter version re-reads files that did not change."""
CHUNK_CHARS = (300, 900)  # (desired minimum, maximum) characters of a chunk
WINDOW_CHARS = 16_384
"""Most characters handed to the splitter at once (its time is quadratic in its input; see the module doc)."""
SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".rest": "rst", ".txt": "text",
            ".text": "text", ".html": "html", ".htm": "html"}


class IngestError(ValueError):
    """A file that cannot be read as a document; the message is one user-facing line naming it."""


@dataclass
class Section:
    """A section of a document: its heading path (titles from the top, outermost first) and its text."""

    headings: list[str]
    text: str


@dataclass
class Document:
    """A parsed document: ``title``, sections in order, ``content_hash`` = SHA-256 hex of the file's bytes
    (prefixed by :data:`INGEST_VERSION`)."""

    title: str
    sections: list[Section] = field(default_factory=list)
    content_hash: str = ""


def kind_of(path: Path) -> str | None:
    """The format of ``path`` by its name ("markdown", "rst", "html", "text"), None when unsupported.

    ``*.rst.txt`` (Sphinx's ``_sources``) counts as reStructuredText.
    """
    name = path.name.lower()
    if name.endswith(".rst.txt"):
        return "rst"
    return SUFFIXES.get(path.suffix.lower())


def decode(data: bytes, name: str) -> str:
    """``data`` as text: UTF-8 (BOM allowed) or UTF-16 with a BOM.

    Raises:
        IngestError: NUL bytes (binary), or bytes that are not valid UTF-8 (position given).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(f"{name}: broken UTF-16 text at byte {exc.start}") from exc
    if b"\x00" in data[:65536]:
        raise IngestError(f"{name}: binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{name}: not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                          "convert it to UTF-8 first") from exc


def read_document(path: Path, kind: str | None = None) -> Document:
    """Read and parse one file.

    Raises:
        IngestError: unreadable, not a regular file, over :data:`MAX_FILE_BYTES`, binary, not UTF-8, unsupported
            or without text.
    """
    kind = kind or kind_of(path)
    if kind is None:
        raise IngestError(f"{path}: unsupported file type (use .md, .rst, .txt or .html)")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise IngestError(f"{path}: too large ({size / 1e6:.1f} MB; at most {MAX_FILE_BYTES / 1e6:.0f} MB)")
        data = read_bounded(path, MAX_FILE_BYTES)  # a regular file only: a FIFO swapped in now cannot block
    except UserFileError as exc:
        raise IngestError(str(exc)) from exc
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    text = decode(data, str(path))
    default_title = path.name.removesuffix(".txt") if kind == "rst" else path.stem
    doc = parse_text(text, kind, default_title)
    doc.content_hash = hashlib.sha256(f"tui-agent notes v{INGEST_VERSION}\0".encode() + data).hexdigest()
    if not any(s.text.strip() for s in doc.sections):
        raise IngestError(f"{path}: no text to add")
    return doc


def parse_text(text: str, kind: str, title: str = "") -> Document:
    """Parse ``text`` of format ``kind`` ("markdown", "rst", "html", "text") into sections."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "markdown":
        return _markdown(text, title)
    if kind == "rst":
        return _rst(text, title)
    if kind == "html":
        return _html(text, title)
    return Document(title, [Section([], text)])


def windows(text: str, size: int = WINDOW_CHARS) -> Iterator[str]:
    """``text`` in consecutive pieces of at most ``size`` characters (``size`` ≥ 2), each cut after the last
    line break in its second half, else after the last space there, else at ``size``. Joined they give ``text``."""
    start = 0
    while len(text) - start > size:
        end = start + size
        cut = text.rfind("\n", start + size // 2, end)
        if cut < 0:
            cut = text.rfind(" ", start + size // 2, end)
        end = cut + 1 if cut >= 0 else end
        yield text[start:end]
        start = end
    if start < len(text):
        yield text[start:]


def chunk_document(doc: Document, kind: str, chars: tuple[int, int] = CHUNK_CHARS) -> Iterator[tuple[str, str]]:
    """``(heading path, chunk text)`` for every chunk of ``doc``, in order; empty chunks dropped.

    Every chunk has at most ``chars[1]`` characters; time is linear in the text's length (the splitter
    sees windows of :data:`WINDOW_CHARS`).
    """
    from semantic_text_splitter import MarkdownSplitter, TextSplitter

    splitter = MarkdownSplitter(chars) if kind == "markdown" else TextSplitter(chars)
    for section in doc.sections:
        heading = HEADING_SEP.join(h for h in section.headings if h)
        for window in windows(section.text):
            for chunk in splitter.chunks(window):
                if chunk.strip():
                    yield heading, chunk.strip()


def embed_text(heading: str, text: str) -> str:
    """The text that is embedded for a chunk: its heading path, a line break, its text (text alone without one)."""
    return f"{heading}\n{text}" if heading else text


# --- formats -----------------------------------------------------------------------

_ROLE = re.compile(r":[\w:.+-]+:`!?~?([^`<]*?)(?:\s*<[^>]*>)?`")


def clean_title(title: str) -> str:
    """A heading without reST role markup (``:class:`int``` → ``int``) and doubled spaces."""
    return " ".join(_ROLE.sub(r"\1", title).replace("``", "").split())


def _markdown(text: str, title: str) -> Document:
    from markdown_it import MarkdownIt

    lines = text.split("\n")
    tokens = MarkdownIt("commonmark").parse(text)
    heads: list[tuple[int, int, int, str]] = []  # (level, first line, line after, title)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.map:
            heads.append((int(tok.tag[1:]), tok.map[0], tok.map[1], tokens[i + 1].content.strip()))
    h1 = next((h[3] for h in heads if h[0] == 1), "")
    doc = Document(h1 or title)
    preamble = "\n".join(lines[: heads[0][1]] if heads else lines)
    if preamble.strip():
        doc.sections.append(Section([], preamble))
    stack: list[tuple[int, str]] = []
    for j, (level, _start, after, name) in enumerate(heads):
        stack = [s for s in stack if s[0] < level] + [(level, name)]
        end = heads[j + 1][1] if j + 1 < len(heads) else len(lines)
        doc.sections.append(Section([s[1] for s in stack], "\n".join(lines[after:end])))
    return doc


_PUNCT_LINE = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")
_DOCUTILS_SETTINGS = {"report_level": 5, "halt_level": 5, "warning_stream": False, "file_insertion_enabled": False,
                      "raw_enabled": False, "doctitle_xform": False, "input_encoding": "unicode",
                      "syntax_highlight": "none"}


def _rst_body(lines: list[str]) -> str:
    """Section lines without link targets and ``.. index::`` blocks (Sphinx bookkeeping, no content)."""
    out: list[str] = []
    skip_deeper: int | None = None  # skipping the lines indented deeper than this (an index block's body)
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if skip_deeper is not None and (not stripped or indent > skip_deeper):
            continue
        skip_deeper = None
        if stripped.startswith(".. index::") or stripped.startswith(".. _"):
            skip_deeper = indent if stripped.startswith(".. index::") else None
            continue
        out.append(line)
    return "\n".join(out)


def _rst(text: str, title: str) -> Document:
    import docutils.core
    import docutils.nodes as nodes

    lines = text.split("\n")
    try:
        tree = docutils.core.publish_doctree(text, settings_overrides=_DOCUTILS_SETTINGS)
    except Exception as exc:
        raise IngestError(f"reStructuredText could not be parsed: {str(exc).splitlines()[0][:200]}") from exc
    spans: list[tuple[int, int, list[str]]] = []  # (first title line, first body line, heading path)
    for sec in tree.findall(nodes.section):
        if not sec.children or not isinstance(sec[0], nodes.title) or not sec[0].line:
            continue
        path = [clean_title(a[0].astext()) for a in _ancestors(sec) if isinstance(a[0], nodes.title)]
        underline = sec[0].line - 1  # 0-based index of the underline
        start = underline - 1
        if start > 0 and _PUNCT_LINE.match(lines[start - 1]):
            start -= 1
        spans.append((start, underline + 1, path))
    spans.sort()
    doc_title = spans[0][2][0] if spans else title
    doc = Document(doc_title or title)
    if not spans:
        doc.sections.append(Section([], _rst_body(lines)))
        return doc
    pre = _rst_body(lines[: spans[0][0]])
    if pre.strip() and not pre.lstrip().startswith(":"):
        doc.sections.append(Section([doc_title], pre))
    for j, (_start, body, path) in enumerate(spans):
        end = spans[j + 1][0] if j + 1 < len(spans) else len(lines)
        doc.sections.append(Section(path, _rst_body(lines[body:end])))
    return doc


def _ancestors(section):
    import docutils.nodes as nodes

    chain = []
    node = section
    while node is not None:
        if isinstance(node, nodes.section):
            chain.append(node)
        node = node.parent
    return list(reversed(chain))


def _html(text: str, title: str) -> Document:
    from tui_agent.notes.html_text import html_sections

    found, sections = html_sections(text)
    return Document(found or title, [Section(path, body) for path, body in sections])
