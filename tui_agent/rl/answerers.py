"""Who writes the answer text for the PPO policy's ``answer`` action (the policy only decides *when*).

* ``"extractive"`` — :func:`tui_agent.rl.features.extractive_answerer`, the answerer every policy
  shares in the benchmarks (no model).
* ``"llm"`` — the model writes the answer from the passage read, as in the blog: the DocQA agent's
  answer prompt (:func:`tui_agent.docqa.prompt.answer_prompt`), greedy decoding, at most 48 tokens;
  the bundled model is called directly, a hosted one through :class:`tui_agent.llm.client.LLM`. An
  empty reply falls back to the extractive answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tui_agent.rl.features import extractive_answerer

__all__ = ["llm_answerer"]

MAX_ANSWER_TOKENS = 48


def llm_answerer(model: str | None = None) -> Callable[[str, str], str]:
    """``answerer(question, passage) -> text`` written by ``model`` (None: the configured model; the
    model loads on the first answer).

    Raises (when called):
        tui_agent.llm.client.LLMError: the model failed.
    """
    state: dict[str, Any] = {}

    def answer(question: str, passage: str) -> str:
        from tui_agent.config.settings import load_settings
        from tui_agent.docqa.prompt import answer_prompt
        from tui_agent.llm.client import LLM

        if not passage:
            return ""
        if "llm" not in state:
            state["llm"] = LLM.from_settings(load_settings(**({"model": model} if model else {})))
        llm = state["llm"]
        messages = answer_prompt(question, passage)
        if llm.is_local:
            from tui_agent.llm.local import runtime

            reply = runtime().chat(messages, max_tokens=MAX_ANSWER_TOKENS, temperature=0.0)
            text = reply["choices"][0]["message"]["content"]
        else:
            text = asyncio.run(llm.complete(messages, temperature=0.0, max_tokens=MAX_ANSWER_TOKENS)).text
        return " ".join((text or "").split()) or extractive_answerer(question, passage)

    return answer
