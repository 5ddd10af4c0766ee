"""Exemplars and action advice for the prompt (REMEMBERER §3.3, ``prompts/`` of the reference code).

Each exemplar shows a past task with its *encouraged* actions (Q > 0) and
*discouraged* actions (Q < 0), one per line as ``action -> Q reason``.
Pure string formatting, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from tui_agent.rlem.chat_policy import Candidate

SYSTEM_PROMPT = (
    "You are a helpful assistant in a terminal. Answer the user's question directly and concisely."
)


def advice_line(action: str, q: float, reason: str = "") -> str:
    """One advice line: ``action -> Q reason`` with Q to two decimals."""
    one_line = " ".join(action.split())
    return f"{one_line} -> {q:.2f}{' ' + reason if reason else ''}"


def format_chat_exemplar(candidate: Candidate) -> str:
    """One chat exemplar: the past question and the rated answer as advice."""
    exp = candidate.experience
    heading = "Encouraged" if exp.q > 0 else "Discouraged" if exp.q < 0 else "Unrated"
    return f"Question: {exp.task}\n{heading} answer:\n  {advice_line(exp.action, exp.q, exp.reason)}"


def chat_messages(
    question: str,
    history: Sequence[tuple[str, str]],
    exemplars: Sequence[Candidate],
) -> list[dict[str, str]]:
    """The chat prompt: system (+ exemplars with advice), the history, the question.

    ``history`` is (user, assistant) pairs, oldest first. Exemplars come most
    similar last, closest to the question.
    """
    system = SYSTEM_PROMPT
    if exemplars:
        blocks = "\n\n".join(format_chat_exemplar(c) for c in exemplars)
        system += (
            "\n\nPast questions and how the user rated the answers (Q near 1 = correct, "
            "Q below 0 = wrong). Prefer encouraged answers; never repeat discouraged ones.\n\n" + blocks
        )
    messages = [{"role": "system", "content": system}]
    for user, assistant in history:
        messages.append({"role": "user", "content": user})
        messages.append({"role": "assistant", "content": assistant})
    messages.append({"role": "user", "content": question})
    return messages
