"""The chat prompt: exemplars with encouraged / discouraged answers, the history, the question.

The exemplar structure follows the reference's (``prompts/`` of
OpenDFM/Rememberer): a past input, then ``Encouraged:`` / ``Discouraged:``
lines ``action -> Q reason`` (:mod:`tui_agent.rlem.advice`), most similar
exemplar last. A chat record has no set of valid actions, so there is no
random fill. Pure string formatting, no I/O.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from tui_agent.rlem.advice import AdviceOptions, make_advice
from tui_agent.rlem.records import Record, Scored, choose_exemplars

SYSTEM_PROMPT = (
    "You are a helpful assistant in a terminal. Answer the user's question directly and concisely."
)
EXEMPLAR_CHARS = 4000  # prompt budget of the exemplars, characters

__all__ = ["EXEMPLAR_CHARS", "SYSTEM_PROMPT", "chat_messages", "format_exemplar", "pick_exemplars"]


def format_exemplar(record: Record, rng: random.Random, options: AdviceOptions = AdviceOptions()) -> str:
    """One exemplar: the past question (and its context) and the rated answers as advice lines."""
    context = f"Context:\n{record.key.observation}\n" if record.key.observation else ""
    advice = make_advice(record, rng, None, options).text(options.discouraged)
    return f"{context}Question: {record.key.task}\n{advice}"


def pick_exemplars(scored: Sequence[Scored], m: int, rng: random.Random,
                   budget: int = EXEMPLAR_CHARS) -> list[tuple[Scored, str]]:
    """The m best records that fit the budget, as (record, text), most similar last."""
    return choose_exemplars(scored, m, budget, lambda s, _i: format_exemplar(s.record, rng))


def chat_messages(question: str, history: Sequence[tuple[str, str]], exemplars: Sequence[str],
                  system_prompt: str | None = None) -> list[dict[str, str]]:
    """The chat prompt: system (+ exemplars with advice), the history, the question.

    ``history`` is (user, assistant) pairs, oldest first; ``exemplars`` are
    texts from :func:`format_exemplar`, most similar last; ``system_prompt``
    replaces :data:`SYSTEM_PROMPT` (a chat's own, set from the palette).
    """
    system = system_prompt.strip() if system_prompt and system_prompt.strip() else SYSTEM_PROMPT
    if exemplars:
        system += (
            "\n\nPast questions and how the user rated the answers (value near 1 = correct, "
            "below 0 = wrong). Prefer encouraged answers; never repeat discouraged ones.\n\n"
            + "\n\n".join(exemplars)
        )
    messages = [{"role": "system", "content": system}]
    for user, assistant in history:
        messages.append({"role": "user", "content": user})
        messages.append({"role": "assistant", "content": assistant})
    messages.append({"role": "user", "content": question})
    return messages
