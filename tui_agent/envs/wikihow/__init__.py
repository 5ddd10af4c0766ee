"""REMEMBERER's WikiHow setting as a text simulation: a WikiHow-like app over a generated corpus.

Modules: ``screen`` (the pools' element format), ``vocab`` / ``generate`` / ``corpus`` (the seeded
corpus shipped as ``data/wikihow_corpus.json.gz``, and the app's search), ``pages`` (each kind of
page as elements), ``app`` (the app: navigation, scrolling, the four actions), ``tasks`` (Mobile-Env's
multi-step tasks, splits), ``env`` (``WikiHowEnv``, gymnasium ``tui_agent/WikiHow-v0``), ``oracle``
(a scripted solver: the upper bound and the tests' walker).

Names are imported lazily, so ``from tui_agent.envs.wikihow import parse_screen`` imports no gymnasium.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "WikiHowEnv": "env",
    "MAX_STEPS": "env",
    "WikiHowApp": "app",
    "parse_action": "app",
    "Corpus": "corpus",
    "load_corpus": "corpus",
    "TaskSet": "tasks",
    "load_tasks": "tasks",
    "training_set": "tasks",
    "parse_screen": "screen",
    "render_screen": "screen",
    "oracle_action": "oracle",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
