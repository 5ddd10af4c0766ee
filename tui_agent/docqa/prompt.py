"""Prompts of the ``llm`` and ``rememberer`` DocumentQA policies, and of the LLM answerer.

The model ranks the valid actions by log-likelihood after a short prompt (as the shop's ``llm`` /
``episodic-control`` policies do with the bundled model, :mod:`tui_agent.llm.scoring`). ``rememberer`` adds
up to ``m`` exemplars retrieved from the memory, each with its encouraged / discouraged actions and
their Q-values (the reference's advice: ``rlem.advice.make_advice``); ``llm`` shows none.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from tui_agent.rlem.advice import AdviceOptions, make_advice
from tui_agent.rlem.records import Scored, choose_exemplars

SYSTEM_PROMPT = (
    "I answer questions about documentation. My available actions are search[query], read[result number] "
    "and answer[text]. I read the result most likely to hold the answer, and I answer only from a passage I "
    "have read. Given an input, I give the action advice with encouraging or discouraging along with its "
    "value estimation."
)
ANSWER_SYSTEM = ("Answer the question from the passage in one short sentence. If the passage does not say, "
                 "answer with the passage's most relevant sentence.")
OBSERVATION_CHARS = 700
EXEMPLAR_CHARS = 1600

__all__ = ["ANSWER_SYSTEM", "SYSTEM_PROMPT", "answer_prompt", "build_prompt", "format_input"]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "\n..."


def format_input(observation: str, available_actions: Sequence[str]) -> str:
    """One step: the observation (cut to 700 characters) and the valid actions."""
    avail = "\n".join(f"- {a}" for a in available_actions)
    return f"Observation:\n{_clip(observation, OBSERVATION_CHARS)}\nAvailable Actions:\n{avail}\n"


def build_prompt(observation: str, available_actions: Sequence[str], retrieved: Sequence[Scored],
                 rng: random.Random, m: int, options: AdviceOptions = AdviceOptions()
                 ) -> tuple[str, str, list[str]]:
    """(system text, user text, the exemplars' advice texts best first); no exemplars when ``m`` = 0."""
    shown: dict[int, str] = {}

    def render(scored: Scored, index: int) -> str:
        advice = make_advice(scored.record, rng, None, options)
        lines = ["Encouraged:", *(f"{a.action} -> {v:.2f}" for a, v in advice.encouraged)]
        if options.discouraged:
            lines += ["Discouraged:", *(f"{a.action} -> {v:.2f}" for a, v in advice.discouraged)]
        text = "\n".join(lines)
        shown[index] = f"Example {index + 1} (score {scored.score:.2f}: {scored.record.key.task[:70]}):\n{text}"
        rec = scored.record
        return f"Example {index + 1}:\n{format_input(rec.key.observation, rec.key.actions)}{text}\n"

    chosen = choose_exemplars(retrieved, m, EXEMPLAR_CHARS, render) if m > 0 else []
    examples = "\n".join(text for _, text in chosen)
    user = ((f"Here are some examples:\n\n{examples}\n" if examples else "")
            + f"Now the new input:\n\n{format_input(observation, available_actions)}")
    return SYSTEM_PROMPT, user, [shown[i] for i in sorted(shown) if i < len(chosen)]


def answer_prompt(question: str, passage: str) -> list[dict[str, str]]:
    """Chat messages asking the model to answer ``question`` from ``passage`` (cut to 1,500 characters)."""
    return [{"role": "system", "content": ANSWER_SYSTEM},
            {"role": "user", "content": f"Passage:\n{_clip(passage, 1500)}\n\nQuestion: {question}"}]
