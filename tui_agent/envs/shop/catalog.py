"""The shipped shop catalog: products, goals and fixed train / eval / test splits.

The data file ``data/shop_catalog.json.gz`` is written by ``generate.py``
(deterministic, seeded) and loaded once per process by :func:`load_catalog`.
Sizes: 1,536 products in 12 categories (48 product types, 32 each), 1,536
goals (one per product); splits train = 100, test = 200, eval = the other
1,236 goals.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).parent / "data" / "shop_catalog.json.gz"
SPLITS = ("train", "eval", "test")

__all__ = ["Catalog", "DATA_PATH", "SPLITS", "load_catalog", "goal_keywords", "file_digest"]


@dataclass(frozen=True)
class Catalog:
    """Products and goals of the shop.

    ``products``: list of product dicts (asin, title, product_type, query,
    category, category_path, price, brand, attributes, options {group:
    [values]}, description, features, reviews, rating). ``goals``: list of
    goal dicts (id, split, asin, instruction, attributes, options {group:
    value}, price_upper, product_type, query, category, product_category,
    name). ``splits``: split name -> list of goal ids.
    """

    products: list[dict[str, Any]]
    goals: list[dict[str, Any]]
    splits: dict[str, list[int]]
    digest: str = ""
    by_asin: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.by_asin:
            self.by_asin.update({p["asin"]: i for i, p in enumerate(self.products)})

    def product(self, asin: str) -> dict[str, Any]:
        """The product with this ASIN (case-insensitive); KeyError if unknown."""
        return self.products[self.by_asin[asin.upper()]]

    def split_size(self, split: str) -> int:
        return len(self._split(split))

    def goal(self, split: str, index: int) -> dict[str, Any]:
        """Goal number ``index`` (0-based) of ``split`` ("train", "eval" or "test")."""
        ids = self._split(split)
        if not 0 <= index < len(ids):
            raise IndexError(f"goal_index {index} outside split {split!r} of {len(ids)} goals")
        return self.goals[ids[index]]

    def _split(self, split: str) -> list[int]:
        try:
            return self.splits[split]
        except KeyError:
            raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}") from None

    @property
    def categories(self) -> list[str]:
        return sorted({p["category"] for p in self.products})


def file_digest(path: Path = DATA_PATH) -> str:
    """sha256 of the decompressed (canonical JSON) content of a catalog file."""
    return hashlib.sha256(gzip.decompress(Path(path).read_bytes())).hexdigest()


@lru_cache(maxsize=4)
def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load (and cache) the catalog from ``path`` (default: the shipped file)."""
    raw = gzip.decompress(Path(path or DATA_PATH).read_bytes())
    data = json.loads(raw)
    return Catalog(products=data["products"], goals=data["goals"], splits=data["splits"],
                   digest=hashlib.sha256(raw).hexdigest())


_PRICE_CLAUSE = re.compile(r",?\s*and price lower than [0-9.]+ dollars\s*$")


def goal_keywords(goal: dict[str, Any]) -> str:
    """Search keywords a careful shopper would type for ``goal``.

    Product type + wanted attributes + wanted option values, e.g.
    ``"clip-in hair extension natural looking heat resistant 18 inch"``. Used by
    tests (reachability) and scripted baselines; the price clause is left out.
    """
    return " ".join([goal["product_type"], *goal["attributes"], *goal["options"].values()])


def instruction_keywords(instruction: str) -> str:
    """The instruction without its trailing ", and price lower than X dollars" clause."""
    return _PRICE_CLAUSE.sub("", instruction)
