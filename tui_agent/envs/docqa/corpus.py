"""What DocumentQA-v0 searches and reads: a corpus of notes (passages with a heading path).

* :class:`BuiltinCorpus` — the default: the bundled Python 3.11 docs pages chunked exactly as
  ``tui-agent notes add --builtin python-docs`` chunks them (same chunk texts, headings and note ids:
  :func:`tui_agent.notes.schema.note_id`), searched with BM25 (``bm25s``: k1 1.5, b 0.75, words of 2+
  characters, :data:`STOPWORDS` left out) over heading + text, in RAM. No embedder, no LanceDB, no torch: an
  episode step is a BM25 query (~1 ms for 2,613 passages). Built once per process (~3 s).
* :class:`NotesCorpus` — a user's notes table (:class:`tui_agent.notes.store.NoteStore`), searched with
  its LanceDB full-text index.

Both give :class:`Result` lists, best first.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

from tui_agent.notes.schema import HEADING_SEP, note_id

SNIPPET_CHARS = 160
STOPWORDS: tuple[str, ...] = tuple(sorted(STOPWORDS_EN_PLUS))
"""Words BM25 leaves out: bm25s's fuller English list (NLTK's 179 words), which has the words of a
question ("how", "do", "I", "what", "can", "from") as well as articles and prepositions. With bm25s's
short list ("en", 33 words) "How do I remove a prefix from a string?" ranked an argparse passage first
on "do" and "from"; on the 196 test questions the gold passage is first for 29 % instead of 25 % and in
the top 5 for 57 % instead of 54 % (train phrasings: 67 % and 88 %, from 65 % and 88 %)."""

__all__ = ["BuiltinCorpus", "Corpus", "NotesCorpus", "Result", "builtin_corpus", "snippet"]


def snippet(text: str, chars: int = SNIPPET_CHARS) -> str:
    """The first ``chars`` characters of ``text``, whitespace collapsed, "…" when cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[: chars - 1].rstrip() + "…"


@dataclass(frozen=True)
class Result:
    """One search result: the note's id, its title (heading path, or the document title), a snippet of
    at most :data:`SNIPPET_CHARS` characters, and the search score (BM25; higher is better, > 0)."""

    note_id: str
    title: str
    snippet: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Corpus(Protocol):
    """What the environment needs of a corpus."""

    def search(self, query: str, k: int) -> list[Result]:
        """At most ``k`` results for ``query``, best first (none for a query without known words)."""

    def read(self, note_id: str) -> str:
        """The passage of a note.

        Raises:
            KeyError: no note with that id.
        """


@dataclass(frozen=True)
class Passage:
    note_id: str
    source: str
    heading: str
    text: str


class BuiltinCorpus:
    """The bundled Python-docs pages as a BM25-searchable corpus (module docstring).

    Attributes:
        passages: every chunk, in page then position order (2,613 for the shipped pages).
    """

    def __init__(self, name: str = "python-docs") -> None:
        import bm25s

        from tui_agent.notes.builtin import builtin_files
        from tui_agent.notes.ingest import chunk_document, kind_of, read_document

        passages: list[Passage] = []
        for path, source in builtin_files(name):
            doc = read_document(path)
            for j, (heading, text) in enumerate(chunk_document(doc, kind_of(path) or "text")):
                passages.append(Passage(note_id(source, j, text), source, heading or doc.title, text))
        self.passages: tuple[Passage, ...] = tuple(passages)
        self._by_id = {p.note_id: p for p in passages}
        self._bm25 = bm25s.BM25(k1=1.5, b=0.75)
        self._bm25.index(bm25s.tokenize([self._index_text(p) for p in passages], stopwords=list(STOPWORDS),
                                        show_progress=False), show_progress=False)

    @staticmethod
    def _index_text(p: Passage) -> str:
        return f"{p.heading.replace(HEADING_SEP, ' ')}\n{p.text}"

    def search(self, query: str, k: int) -> list[Result]:
        import bm25s

        tokens = bm25s.tokenize([query], stopwords=list(STOPWORDS), show_progress=False, return_ids=False)[0]
        vocab = self._bm25.vocab_dict
        tokens = [t for t in tokens if t in vocab]
        if not tokens or k <= 0:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float64)
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return [Result(self.passages[i].note_id, self.passages[i].heading, snippet(self.passages[i].text),
                       round(float(scores[i]), 4)) for i in order if scores[i] > 0]

    def read(self, note_id: str) -> str:
        return self._by_id[note_id].text

    def passage(self, note_id: str) -> Passage:
        """The passage with that id (source and heading included).

        Raises:
            KeyError: no passage with that id.
        """
        return self._by_id[note_id]


@functools.lru_cache(maxsize=2)
def builtin_corpus(name: str = "python-docs") -> BuiltinCorpus:
    """The :class:`BuiltinCorpus` of ``name``, built once per process."""
    return BuiltinCorpus(name)


class NotesCorpus:
    """A notes table as a corpus: LanceDB full-text search, passages read by id.

    Args:
        store: a :class:`tui_agent.notes.store.NoteStore`.
    """

    def __init__(self, store: Any) -> None:
        self.store = store

    @property
    def passages(self) -> tuple[Passage, ...]:
        """Every note as a :class:`Passage` (read from the table on each call)."""
        return tuple(Passage(n.id, n.source, n.heading or n.title, n.text) for n in self.store.all())

    def search(self, query: str, k: int) -> list[Result]:
        found: Sequence[Any] = self.store.search_text(query, limit=k) if k > 0 else []
        return [Result(f.note.id, f.note.heading or f.note.title or f.note.source, snippet(f.note.text),
                       round(float(f.score), 4)) for f in found]

    def read(self, note_id: str) -> str:
        note = self.store.get(note_id)
        if note is None:
            raise KeyError(note_id)
        return note.text
