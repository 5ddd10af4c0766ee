"""The shop prompt in the reference's structure: principles, exemplars with advice, the new input.

Source: OpenDFM/Rememberer ``prompts/prompt_pthw.txt`` (whole prompt),
``prompts/input_template_w.txt`` (one step), ``prompts/advice_template*.txt``,
``webshop_agent.py`` (``_instantiate_input_template``, ``_examplar_to_string``,
``_get_action``) and the released run's settings (``launchw.sh``: at most 200
new tokens, stop at "Discouraged", temperature 0.1; 3,700 prompt tokens, of
which the new input is paid first and the exemplars share the rest).

The observation is the page text (which starts with the instruction, as
WebShop's does) indented by two spaces; the available actions are listed as
the reference lists WebShop's clickables (``- back to search``,
``- b078gwrc1j``, ``- search``), whether a record stores them so (imported
pools) or as exact actions (``click[Back to Search]``, our own records).
Deviation, on purpose: the prompt is sent to chat models as a system message (the description and principles) and
a user message (examples and the new input) instead of one completion prompt.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from tui_agent.rlem.advice import AdviceOptions, make_advice
from tui_agent.rlem.records import ActionKey, Scored, choose_exemplars
from tui_agent.shop.records import element, random_action

PROMPT_TOKENS = 3700  # the reference's input length limit (tokens)
MAX_NEW_TOKENS = 200
STOP = "Discouraged"
TEMPERATURE = 0.1
LAST_ACTIONS = 5

SYSTEM_PROMPT = """I'm visiting a shopping website and need to complete the shopping following an instruction about the desired commodity. On the shopping website, my available actions are:

search[keywords]
click[element]

Specifically, given an input, I will give some action advices with encouraging or discouraging along with their value estimation, and the reason of this advice if the action is a "click".

Here are several common principles to make a decision:

1. I need to follow the instruction to search and select the most relevant item.
2. I should only know the properties of the commodity from its description, but not from my imagination.
3. I may click into a commodity item to check more detailed features.
4. I can return to the previous page to select a more suitable item if the current commodity cannot satisfy all the requirements.
5. I will avoid always repeating a wrong action.
6. I can search only if "search" is listed as an available action. If "search" is not listed as an available action, I need to click "back to search" before conducting a search.
7. If multiple groups of options are listed in the item page, I should choose an option for all the groups. Then I can click "buy now".
8. I need to click "buy now" to finish the shopping after all the options are seletect.
9. I should encourage the actions with higher value estimations like 1 and discourage the actions with low value estimations like 0."""

__all__ = ["LAST_ACTIONS", "MAX_NEW_TOKENS", "PROMPT_TOKENS", "STOP", "SYSTEM_PROMPT", "TEMPERATURE",
           "approx_tokens", "build_prompt", "format_input"]


def approx_tokens(text: str) -> int:
    """A token count estimate for English text (≈ 4 characters a token, the tokenizers' usual rate)."""
    return len(text) // 4 + 1


def format_input(instruction: str, observation: str, available_actions: Sequence[str],
                 last_actions: Sequence[ActionKey] = ()) -> str:
    """One step as ``input_template_w``: last 5 (action reason) pairs, the observation indented, the clickables.

    ``instruction`` is unused in the text (the page shows it) and kept for callers' symmetry.
    """
    acts = "\n".join("- " + " ".join((a.action, a.reason)) for a in list(last_actions)[-LAST_ACTIONS:])
    obs = "\n".join("  " + line for line in observation.splitlines())
    avail = "\n".join(f"- {element(a)}" for a in available_actions)
    return f"---\nLast 5 Actions:\n{acts}\nObservation: |\n{obs}\nAvailable Actions:\n{avail}\n..."


def build_prompt(instruction: str, observation: str, available_actions: Sequence[str],
                 last_actions: Sequence[ActionKey], retrieved: Sequence[Scored], rng: random.Random,
                 m: int = 2, options: AdviceOptions = AdviceOptions(), budget: int = PROMPT_TOKENS,
                 length: Callable[[str], int] = approx_tokens) -> tuple[list[dict[str, str]], list[str]]:
    """Chat messages for one step, and the exemplars' advice texts (best first) to show the user.

    ``retrieved``: records best first; the first ``m`` whose text fits the
    budget left after the new input become exemplars, shown most similar last.
    """
    new_input = format_input(instruction, observation, available_actions, last_actions)
    advice_texts: dict[int, str] = {}

    def render(scored: Scored, index: int) -> str:
        rec = scored.record
        advice = make_advice(rec, rng, random_action, options).text(options.discouraged)
        advice_texts[index] = advice
        return (f"Example {index + 1}:\n\n"
                + format_input(rec.key.task, rec.key.observation, rec.key.actions, rec.action_history)
                + "\n" + advice)

    chosen = choose_exemplars(retrieved, m, budget - length(new_input), render, length)
    examples = "\n".join(text for _, text in chosen).strip()
    user = f"Here are some examples:\n\n{examples}\n\nNow the new input:\n\n{new_input}"
    shown = [advice_texts[i] for i in sorted(advice_texts) if i < len(chosen)]
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}], shown
