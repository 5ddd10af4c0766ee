"""DocumentQA-v0: search, read and answer questions about documents (the RL + LLM agent blog's task).

Modules: ``env`` (``DocQAEnv``), ``corpus`` (what is searched: the bundled Python docs with BM25, or a
notes table), ``questions`` (the bundled question set), ``answer`` (correctness and the extractive
answerer). Names are imported lazily, so ``from tui_agent.envs.docqa import is_correct`` loads no
bm25s (gymnasium comes with ``tui_agent.envs``, which registers the environments).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "DocQAEnv": "env",
    "parse_action": "env",
    "MAX_STEPS": "env",
    "TOP_K": "env",
    "STEP_COST": "env",
    "TIMEOUT_REWARDS": "env",
    "parse_timeout_reward": "env",
    "Corpus": "corpus",
    "BuiltinCorpus": "corpus",
    "NotesCorpus": "corpus",
    "Result": "corpus",
    "builtin_corpus": "corpus",
    "load_questions": "questions",
    "is_correct": "answer",
    "token_f1": "answer",
    "normalize": "answer",
    "extractive_answer": "answer",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
