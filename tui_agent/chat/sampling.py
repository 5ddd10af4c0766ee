"""The *generate* step of a chat answer, with ``episodic-control``'s *reject & resample* (:mod:`tui_agent.chat.policy`).

The model answers the prompt; a sample that says what a rated-down answer to a similar question said
(:func:`tui_agent.chat.policy.says_same`) is rejected and the model asked again without exemplars, at
:data:`RESAMPLE_TEMPERATURE`, up to ``resamples`` times; when every sample was rejected the answer is
:data:`I_DONT_KNOW`. No memory access: the caller stores the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui_agent.chat import policy

__all__ = ["I_DONT_KNOW", "RESAMPLE_TEMPERATURE", "Sample", "generate"]

RESAMPLE_TEMPERATURE = 0.9
I_DONT_KNOW = (
    "I don't know. My earlier answers to this were rated down. "
    "Rate this 👎 and type the right answer to teach me."
)


@dataclass
class Sample:
    """What the model's turn gave: the answer ``text``, how it was made (``mode``: "generate", "resample"
    or "abstain"), the last completion (``model``, ``incomplete``, ``fell_back``, ``error``) and the
    rejected samples, first first."""

    text: str
    mode: str
    completion: Any
    rejected: list[str] = field(default_factory=list)


async def generate(llm: Any, messages: list[dict[str, str]], plain: list[dict[str, str]],
                   avoid: Sequence[tuple[str, str]], on_token: Callable[[str | None], Any] | None,
                   llm_params: dict[str, Any], *, temperature: float, resamples: int,
                   reject_similarity: float) -> Sample:
    """Sample an answer to ``messages``; resample ``plain`` (the prompt without exemplars) while it repeats one of
    ``avoid`` (``(rated-down answer, its question)``; empty: one sample, never rejected).

    ``llm_params`` go to the model's ``stream`` (LiteLLM's, e.g. ``mock_response``); ``temperature`` is
    the first sample's unless ``llm_params`` has one; a resample uses
    :data:`RESAMPLE_TEMPERATURE` and ``seed`` = its attempt number (1, 2, …). ``reject_similarity`` is the
    near-duplicate threshold in [0, 100]. ``on_token(piece)`` receives streamed text, and ``None`` before
    a resample or the abstention (meaning "discard what was shown").

    Raises:
        tui_agent.llm.LLMError: the model failed.
    """
    rejected: list[str] = []
    completion = None
    attempts = resamples + 1 if avoid else 1
    for attempt in range(attempts):
        if attempt and on_token is not None:
            on_token(None)
        params = dict(llm_params)
        if attempt:
            params.update(temperature=RESAMPLE_TEMPERATURE, seed=attempt)
        else:
            params.setdefault("temperature", temperature)
        completion = await llm.stream(plain if attempt else messages, on_token, **params)
        completion.text = policy.clean_answer(completion.text)
        if not any(policy.says_same(completion.text, a, q, reject_similarity) for a, q in avoid):
            break
        rejected.append(completion.text)
    assert completion is not None
    if avoid and len(rejected) == attempts:
        if on_token is not None:
            on_token(None)
            on_token(I_DONT_KNOW)
        return Sample(I_DONT_KNOW, "abstain", completion, rejected)
    return Sample(completion.text, "resample" if rejected else "generate", completion, rejected)
