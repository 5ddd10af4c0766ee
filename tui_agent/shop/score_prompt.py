"""The short prompt of the ``llm`` and ``episodic-control`` shop policies (this project's, not the reference's).

These policies never read the model's text: the model ranks the valid actions
by log-likelihood after this prompt (:mod:`tui_agent.llm.scoring`). The prompt is
the one these policies had before the ``rememberer`` policy existed — a
one-paragraph system text, observations cut to 300 characters, exemplars
within 1,300 characters, advice lines ``action -> Q`` — because on 2 CPU
cores the reference's prompt (:mod:`tui_agent.shop.prompt`) costs ~15 s a
step and, measured, does not rank better: with it the trained ``episodic-control``
policy solved 43 of 100 test goals, with this one 72 (docs/shop_results.md).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence

from tui_agent.rlem.advice import AdviceOptions, make_advice
from tui_agent.rlem.records import ActionKey, RecordKey, Scored, choose_exemplars
from tui_agent.shop.records import random_action

SYSTEM_PROMPT = (
    "I'm visiting a shopping website and need to complete the shopping following an instruction "
    "about the desired commodity. My available actions are search[keywords] and click[element]. "
    "Given an input, I give the action advice with encouraging or discouraging along with its "
    "value estimation. I avoid repeating a wrong action, and I can search only if search is an "
    "available action."
)
OBSERVATION_CHARS = 300
EXEMPLAR_CHARS = 1300
LAST_ACTIONS = 5

__all__ = ["EXEMPLAR_CHARS", "OBSERVATION_CHARS", "SYSTEM_PROMPT", "build_score_prompt", "clip_observation",
           "format_input"]


def clip_observation(observation: str, limit: int = OBSERVATION_CHARS) -> str:
    """The observation cut to ``limit`` characters (at a line end when possible), ``...`` marking a cut."""
    if len(observation) <= limit:
        return observation
    cut = observation.rfind("\n", 0, limit)
    return observation[: cut if cut > limit // 2 else limit] + "\n..."


def format_input(instruction: str, observation: str, available_actions: Sequence[str],
                 last_actions: Sequence[str] = ()) -> str:
    """One step: the instruction, the last 5 actions, the clipped observation, the available actions."""
    acts = "\n".join(f"- {a}" for a in list(last_actions)[-LAST_ACTIONS:]) or "- (none)"
    obs = "\n".join("  " + line for line in clip_observation(observation).splitlines())
    avail = "\n".join(f"- {a}" for a in available_actions)
    return (f"Instruction: {instruction}\nLast {LAST_ACTIONS} Actions:\n{acts}\nObservation: |\n{obs}\n"
            f"Available Actions:\n{avail}\n")


@functools.lru_cache(maxsize=16_384)
def _record_input(task: str, observation: str, available_actions: str, last_actions: tuple[str, ...]) -> str:
    """:func:`format_input` of a stored record, kept per record: the exemplar walk renders every retrieved
    record while none fits the budget, and records do not change (their Q-values are in the advice)."""
    return format_input(task, observation, RecordKey(task, observation, available_actions).actions, last_actions)


_NO_ACTIONS = len("- (none)")


def exemplar_min_chars(record) -> int:
    """A lower bound of an exemplar's cost in :func:`build_score_prompt` (characters + 1 separator), for any
    index, advice and action history: its fixed text without the last actions plus the shortest
    possible "Example N:" line, last-actions line ("- " and an action) and advice ("Encouraged:")."""
    key = record.key
    fixed = len(_record_input(key.task, key.observation, key.available_actions, ())) - _NO_ACTIONS
    return len("Example 1:\n") + fixed + len("- ") + len("Encouraged:") + len("\n") + 1


def _advice_text(scored: Scored, rng: random.Random, options: AdviceOptions) -> str:
    advice = make_advice(scored.record, rng, random_action, options)
    lines = ["Encouraged:", *(f"{a.action} -> {v:.1f}" for a, v in advice.encouraged)]
    if options.discouraged:
        lines += ["Discouraged:", *(f"{a.action} -> {v:.1f}" for a, v in advice.discouraged)]
    return "\n".join(lines)


def build_score_prompt(instruction: str, observation: str, available_actions: Sequence[str],
                       last_actions: Sequence[ActionKey], retrieved: Sequence[Scored], rng: random.Random,
                       m: int = 2, options: AdviceOptions = AdviceOptions()) -> tuple[str, str, list[str]]:
    """(system text, user text, the exemplars' advice texts best first) for likelihood ranking."""
    shown: dict[int, str] = {}

    def render(scored: Scored, index: int) -> str:
        text = _advice_text(scored, rng, options)
        shown[index] = f"Example {index + 1} (score {scored.score:.2f}: {scored.record.key.task[:70]}):\n{text}"
        rec = scored.record
        return (f"Example {index + 1}:\n" + _record_input(rec.key.task, rec.key.observation,
                                                           rec.key.available_actions,
                                                           tuple(a.action for a in rec.action_history))
                + text + "\n")

    chosen = choose_exemplars(retrieved, m, EXEMPLAR_CHARS, render, min_cost=exemplar_min_chars)
    examples = "\n".join(text for _, text in chosen)
    new_input = format_input(instruction, observation, available_actions, [a.action for a in last_actions])
    user = (f"Here are some examples:\n\n{examples}\n" if examples else "") + f"Now the new input:\n\n{new_input}"
    return SYSTEM_PROMPT, user, [shown[i] for i in sorted(shown) if i < len(chosen)]
