"""The shipped WikiHow corpus: articles, categories, authors, and the app's search.

``data/wikihow_corpus.json.gz`` is written by :mod:`~tui_agent.envs.wikihow.generate` (seed 0) and
loaded once per process by :func:`load_corpus`. Sizes (seed 0): 252 articles in 28 leaf categories
(8 roots), 37 authors.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tui_agent.envs.wikihow.generate import DATA_PATH

__all__ = ["Corpus", "STOPWORDS", "keywords", "load_corpus"]

STOPWORDS = frozenset("a an the to of in on for from with and or your you how is at by be".split())
RESULTS = 20
_WORD = re.compile(r"[a-z0-9']+")


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def keywords(text: str) -> list[str]:
    """The words of ``text`` that a search matches on: lower case, stop words dropped, a plural ``s`` cut."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


@dataclass(frozen=True)
class Corpus:
    """Articles (dicts, see :func:`~tui_agent.envs.wikihow.generate.build_corpus`), categories and authors."""

    articles: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    authors: list[dict[str, Any]]
    by_slug: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)
    by_category: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)
    by_author: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.by_slug.update({a["slug"]: a for a in self.articles})
        self.by_category.update({c["name"]: c for c in self.categories})
        self.by_author.update({a["name"]: a for a in self.authors})

    def article(self, slug: str) -> dict[str, Any]:
        """The article with this slug (KeyError if none)."""
        return self.by_slug[slug]

    def in_category(self, name: str) -> list[dict[str, Any]]:
        """The articles of category ``name`` and its subcategories, in corpus order."""
        return [a for a in self.articles if name in a["path"]]

    def by(self, author: str) -> list[dict[str, Any]]:
        """The articles ``author`` wrote or co-wrote."""
        return [a for a in self.articles if author in a["authors"]]

    def search(self, query: str, limit: int = RESULTS) -> list[dict[str, Any]]:
        """The app's search: articles sharing a keyword with ``query``, most shared keywords first
        (an exact title match first of all), then most viewed; at most ``limit``."""
        words = set(keywords(query))
        if not words:
            return []
        wanted = " ".join(keywords(query))
        scored = []
        for a in self.articles:
            title_words = keywords(a["phrase"])
            shared = len(words & set(title_words))
            if shared:
                scored.append((" ".join(title_words) != wanted, -shared, -a["views"], a["slug"]))
        return [self.by_slug[s[-1]] for s in sorted(scored)[:limit]]


@lru_cache(maxsize=4)
def load_corpus(path: Path = DATA_PATH) -> Corpus:
    """The corpus in ``path`` (default the shipped file), cached per path.

    Raises:
        OSError: the file cannot be read; ValueError: it is not the corpus's JSON.
    """
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    try:
        return Corpus(data["articles"], data["categories"], data["authors"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a WikiHow corpus ({exc})") from exc
