"""The WikiHow prompt of the reference, and the grammar that keeps the model's advice to the screen's actions.

Source: OpenDFM/Rememberer ``prompts/prompt_pth.txt`` (whole prompt), ``prompts/input_template.txt``
(one step: task, last 5 actions, screen, step instruction, last and total reward),
``prompts/advice_template.txt`` and ``wikihow_agent.py`` (``_instantiate_input_template``,
``_examplar_to_string``, ``_action_to_string``: ``action -> value element``; ``launch.sh``: at most
100 new tokens, stop at "Discouraged"; 3,700 prompt tokens). As for the shop, the description and
principles go in a system message and the examples and new input in a user message.

An exemplar's step instruction is its row's (imported pools keep it); its rewards are not kept by the
memory, so an exemplar shows the total reward its step instruction implies (the steps before it) and
a last reward of 0.0 at the start, else 1.0 when the instruction is past the first step.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from tui_agent.llm.grammar import gbnf_literal
from tui_agent.rlem.advice import AdviceOptions, make_advice
from tui_agent.rlem.records import ActionKey, Scored, choose_exemplars
from tui_agent.wikihow.records import random_action

__all__ = ["MAX_NEW_TOKENS", "PROMPT_TOKENS", "STOP", "SYSTEM_PROMPT", "advice_grammar", "build_prompt",
           "format_input"]

PROMPT_TOKENS = 3700
MAX_NEW_TOKENS = 100
STOP = "Discouraged"
TEMPERATURE = 0.1
PREFIX = "Encouraged:\n"
INPUT_CHARS = 80
ELEMENT_CHARS = 240

SYSTEM_PROMPT = """Given a several information about the task and the screen at the current step, I need to take an appropriate action according to the given information to finish the task. Available actions are:

INPUT(element_id, text)
CLICK(element_id)
SCROLL(direction)
GOBACK

Specifically, given an input, I will give some action advices with encouraging or discouraging along with their value estimation, and the operated element if the action is an INPUT or a CLICK.

Here are several common principles to make a decision:

1. If a link to the desired contents is on the screen, I will click it directly. Otherwise, I may search for the contents or scroll down the page to find it.
2. I will explore several different keywords if I find that a group of keyword cannot lead me to the target.
3. I will avoid always repeating a wrong action.
4. I should encourage the actions with higher value estimations and discouraged the actions with low value estimations.
5. If there appears a title in the instruction, it is usually not the title of the current page."""


def approx_tokens(text: str) -> int:
    """≈ 4 characters a token."""
    return len(text) // 4 + 1


def format_input(task: str, screen: str, instruction: str, last_actions: Sequence[ActionKey], reward: float,
                 total_reward: float) -> str:
    """One step as ``input_template.txt`` (the last 5 actions as ``action element``)."""
    acts = "\n".join(" ".join((a.action, a.reason)) for a in list(last_actions)[-5:])
    return (f"```\nTask:\n{task}\nLast 5 Actions:\n{acts}\nScreen:\n{screen}\nInstruction:\n{instruction}\n"
            f"Last Reward:\n{reward:.1f}\nTotal Reward:\n{total_reward:.1f}\n---")


def _step_instruction(scored: Scored) -> str:
    for value in scored.record.actions.values():
        text = getattr(value.row, "step_instruction", "") if value.row is not None else ""
        if text:
            return str(text)
    return ""


def _rewards(task: str, instruction: str) -> tuple[float, float]:
    lines = [line.strip().removeprefix("Then,").strip().lower() for line in task.splitlines()]
    done = next((i for i, line in enumerate(lines) if instruction and line.startswith(instruction.lower()[:20])), 0)
    return (1.0 if done else 0.0), float(done)


def build_prompt(task: str, screen: str, instruction: str, last_actions: Sequence[ActionKey], reward: float,
                 total_reward: float, retrieved: Sequence[Scored], rng: random.Random, m: int = 2,
                 options: AdviceOptions = AdviceOptions(), budget: int = PROMPT_TOKENS,
                 length: Callable[[str], int] = approx_tokens) -> tuple[list[dict[str, str]], list[str]]:
    """Chat messages for one step, and the exemplars' advice texts (best first)."""
    new_input = format_input(task, screen, instruction, last_actions, reward, total_reward)
    advice_texts: dict[int, str] = {}

    def render(scored: Scored, index: int) -> str:
        rec = scored.record
        advice = make_advice(rec, rng, random_action, options).text(options.discouraged)
        advice_texts[index] = advice
        step = _step_instruction(scored)
        last, total = _rewards(rec.key.task, step)
        return (f"Example {index + 1}:\n\n"
                + format_input(rec.key.task, rec.key.observation, step, rec.action_history, last, total)
                + "\n\n" + advice + "\n```")

    chosen = choose_exemplars(retrieved, m, budget - length(new_input), render, length)
    examples = "\n".join(text for _, text in reversed(chosen)).strip()
    user = f"Here are some examples:\n\n{examples}\n\nNow the new input:\n\n{new_input}"
    shown = [advice_texts[i] for i in sorted(advice_texts) if i < len(chosen)]
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}], shown


def advice_grammar(available: Sequence[str]) -> str:
    """A GBNF grammar for the continuation of ``Encouraged:\\n``: one line ``action -> value element``.

    ``available``: the screen's actions (``CLICK(3)``, ``INPUT(2, <text>)``, ``SCROLL(DOWN)``, ``GOBACK``);
    an ``INPUT`` takes free text (no ``)`` or line break, 1–80 characters). The value is ``d.d``
    (returns up to 4 steps); the element, free text up to 240 characters, may be empty.

    Raises:
        ValueError: no actions.
    """
    alternatives = []
    for a in dict.fromkeys(a for a in available if a.strip()):
        if a.startswith("INPUT(") and a.endswith("<text>)"):
            alternatives.append(gbnf_literal(a[: -len("<text>)")]) + ' text ")"')
        else:
            alternatives.append(gbnf_literal(a))
    if not alternatives:
        raise ValueError("no valid actions to constrain the advice to")
    return "\n".join([
        'root ::= action " -> " value element "\\n"',
        "action ::= " + " | ".join(alternatives),
        'value ::= [0-9] "." [0-9]',
        f'element ::= "" | " " [^\\n\\r]{{1,{ELEMENT_CHARS}}}',
        f"text ::= [^)\\n\\r]{{1,{INPUT_CHARS}}}",
    ]) + "\n"
