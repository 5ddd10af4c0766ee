"""What the shop plugs into the RLEM core: its similarity (f_task, f_obs) and its random actions.

Source: OpenDFM/Rememberer ``webshop.py`` / ``history.py`` (the WebShop
``LambdaMatcher`` of a dense instruction matcher and ``PagePatMatcher``) and
``webshop_agent.py`` (``_random_action`` and its canned reasons).

* f_task: dot product of the L2-normalised all-MiniLM-L6-v2 embeddings of the
  two instructions, in [−1, 1].
* f_obs: the page types read off the available actions (search / results /
  item / item sub-page): 1 if equal, 0.3 item ↔ item sub-page, else 0
  (:func:`~tui_agent.envs.shop.pagetype.page_type_similarity`).
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tui_agent.envs.shop.pagetype import page_type_of, page_type_similarity
from tui_agent.rlem.records import ActionKey, Record, RecordKey, Similarity, dot_similarity

__all__ = ["ShopQuery", "element", "random_action", "shop_similarity"]


@dataclass(frozen=True)
class ShopQuery:
    """A retrieval query: the instruction's float32 ``(384,)`` embedding and the page type."""

    vector: np.ndarray
    page_type: str


def _f_task(query: ShopQuery, records: Sequence[Record]) -> np.ndarray:
    return dot_similarity(query.vector, records)


@functools.lru_cache(maxsize=65_536)
def key_page_type(available_actions: str) -> str:
    """The page type of a record key's ``available_actions`` (its JSON text), cached: a retrieval
    asks it of every record, and parsing the JSON each time cost most of a shop step (issue 11)."""
    return page_type_of(json.loads(available_actions) if available_actions else [])


_types: list = [None, None]  # (the records tuple, (distinct page types, each record's index into them))


def _f_obs(query: ShopQuery, records: Sequence[Record]) -> np.ndarray:
    if isinstance(records, tuple) and _types[0] is records:  # the replay's unchanged records: kept
        distinct, index = _types[1]
    else:
        distinct, index = np.unique([key_page_type(r.key.available_actions) for r in records], return_inverse=True)
        if isinstance(records, tuple):
            _types[:] = [records, (distinct, index)]
    return np.array([page_type_similarity(query.page_type, str(t)) for t in distinct], dtype=np.float64)[index]


def shop_similarity(lam: float = 0.5) -> Similarity:
    """λ·f_task + (1−λ)·f_obs for the shop (λ = 0.5 in the paper)."""
    return Similarity(_f_task, _f_obs, lam)


def element(action: str) -> str:
    """``click[Buy Now]`` → ``"buy now"``; ``search[...]`` → ``"search"``."""
    a = action.strip()
    if a.lower().startswith("click[") and a.endswith("]"):
        return a[6:-1].strip().lower()
    return "search" if a.lower().startswith("search[") else a.lower()


_ENCOURAGE = {
    "< prev": "The current item doesn't offer the desired options and I need to go back to check other items.",
    "back to search": "The current item doesn't offer the desired options and I need to search for other items.",
    "buy now": "All the options are ready now and I will click \"buy now\" to complete the shopping.",
}
_DISCOURAGE = {
    "search": "The search button shouldn't be clicked.",
    "features": "There is no need to check the features.",
    "description": "There is no need to check the description.",
    "reviews": "There is no need to review.",
    "buy now": "Not all the requirements are ready now.",
    "< prev": "The current item offers the desired options and I don't need to go back to check other items.",
    "back to search": "The current item offers the desired options and I don't need to search for other items.",
}


def random_action(record: Record, encourages: bool, rng: random.Random) -> ActionKey | None:
    """A random available action of ``record``'s page with the reference's canned reason.

    Actions stored as WebShop clickables (imported pools: ``back to search``)
    are written as clicks (``click[back to search]``), as the reference does.
    Encouraged: ``search[<the instruction>]`` on the search page (no reason),
    else the click with "<element> conforms to the instruction." or the
    button's reason. Discouraged: the click with "<element> is not the desired
    item." or the button's reason. None when the record has no available actions.
    """
    actions = record.key.actions
    if not actions:
        return None
    action = actions[rng.randrange(len(actions))]
    name = element(action)
    if not action.lower().startswith(("click[", "search[")):  # a WebShop clickable, as in imported pools
        action = f"click[{action}]"
    if encourages:
        if name == "search":
            return ActionKey(f"search[{record.key.task}]", "")
        return ActionKey(action, _ENCOURAGE.get(name, f"{name} conforms to the instruction."))
    if name == "search":
        return ActionKey("click[search]", _DISCOURAGE["search"])
    return ActionKey(action, _DISCOURAGE.get(name, f"{name} is not the desired item."))


def query_for(key: RecordKey, vector: np.ndarray) -> ShopQuery:
    """The retrieval query of a record key, given its instruction embedding."""
    return ShopQuery(np.asarray(vector, dtype=np.float32), page_type_of(key.actions))
