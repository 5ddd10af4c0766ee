"""A WebShop-compatible shop: generated catalog, BM25 search, WebShop reward, gym env, HTML server.

Modules: ``catalog`` (data + splits), ``search`` (BM25), ``reward``
(WebShop's reward), ``pages`` (page state machine and text observations),
``pagetype`` (page types, REMEMBERER's f_obs), ``env`` (``ShopEnv``),
``server`` (HTML on localhost), ``initial_pool`` (the hand-written exemplar
trajectory), ``generate`` (rebuilds the data file).

Names are imported lazily so ``from tui_agent.envs.shop import page_type_of``
does not import gymnasium or bm25s.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ShopEnv": "env",
    "Catalog": "catalog",
    "load_catalog": "catalog",
    "goal_keywords": "catalog",
    "get_reward": "reward",
    "ShopSession": "pages",
    "parse_action": "pages",
    "SearchEngine": "search",
    "page_type_of": "pagetype",
    "page_type_similarity": "pagetype",
    "PAGE_TYPES": "pagetype",
    "serve": "server",
    "make_server": "server",
    "initial_trajectory": "initial_pool",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
