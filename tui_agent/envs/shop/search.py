"""BM25 product search over the shop catalog (the ``bm25s`` library).

WebShop searches its catalog with Pyserini's BM25 and returns the top 50
products (``SEARCH_RETURN_N`` in princeton-nlp/WebShop
``web_agent_site/engine/engine.py``); so do we. Each product is indexed by
its title (twice, as titles matter most), product type, category path,
attributes, option values and features. Tokens: lower-case alphanumeric
runs, English stop words removed, a trailing plural "s" stripped
("extensions" -> "extension"). Ranking: BM25 score (k1 = 1.5, b = 0.75),
ties broken by catalog order, products scoring 0 dropped; so results are
deterministic.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import bm25s
import numpy as np

SEARCH_RETURN_N = 50

_STOP = frozenset(
    "a an and are as at be but by for from has have i i'm im in is it its looking me my need "
    "of on or our price lower than dollars that the this to was which with would like want "
    "find buy".split())
_TOKEN = re.compile(r"[a-z0-9]+")

__all__ = ["SEARCH_RETURN_N", "tokenize", "SearchEngine", "engine_for"]


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words, plural "s" stripped."""
    out = []
    for tok in _TOKEN.findall(text.lower()):
        if tok in _STOP:
            continue
        if len(tok) > 3 and tok.endswith("s") and not tok.endswith("ss"):
            tok = tok[:-1]
        out.append(tok)
    return out


def _document(p: dict[str, Any]) -> str:
    options = ", and ".join(f"{group}: {', '.join(values)}"
                            for group, values in p["options"].items())
    return " ".join([p["title"], p["description"], p["features"][0], options,
                     " ".join(p["category_path"])])


class SearchEngine:
    """BM25 index over a list of products; ``search(keywords) -> [product indices]``."""

    def __init__(self, products: Sequence[dict[str, Any]]):
        self._n = len(products)
        self._bm25 = bm25s.BM25(k1=1.5, b=0.75)
        self._bm25.index([tokenize(_document(p)) for p in products], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)

    def scores(self, keywords: str) -> np.ndarray:
        """BM25 score of every product for ``keywords``: float array of shape (n_products,)."""
        tokens = [t for t in tokenize(keywords) if t in self._vocab]
        if not tokens:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def search(self, keywords: str, k: int = SEARCH_RETURN_N) -> list[int]:
        """Indices of the top ``k`` products (score > 0), best first, ties by catalog order."""
        scores = self.scores(keywords)
        order = np.lexsort((np.arange(self._n), -scores))
        return [int(i) for i in order[:k] if scores[i] > 0]


def engine_for(catalog) -> SearchEngine:
    """The search engine of a :class:`~tui_agent.envs.shop.catalog.Catalog`, built once."""
    engine = catalog.cache.get("search_engine")
    if engine is None:
        engine = catalog.cache["search_engine"] = SearchEngine(catalog.products)
    return engine
