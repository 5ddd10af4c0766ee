"""Advice constrained to the page's valid actions: a llama.cpp grammar, or a JSON schema for hosted models.

The paper's policy (``rememberer``) lets the model write advice in the reference's format,
``action -> Q reason`` lines after ``Encouraged:`` (:func:`tui_agent.rlem.advice.advice_line`), and
takes the top encouraged action. The bundled 135M model mostly writes actions the page does not
offer (an exemplar's product, an option of another item: 100 of 133 steps unreadable, measured on
main). Constrained, its output is exactly one encouraged line whose action is one of the page's
valid actions, character for character:

* the bundled model: a GBNF grammar (:func:`advice_grammar`) built per step, for
  ``llama_cpp.LlamaGrammar.from_string``;
* a hosted model: LiteLLM structured output (``response_format``, :func:`advice_response_format`)
  where ``litellm.supports_response_schema`` says the provider has it; its JSON answer is turned
  back into the advice line (:func:`advice_from_json`).

The search page offers ``search[<keywords>]``: there the keywords are free text (no ``]`` or line
break, 1–``KEYWORD_CHARS`` characters). The value is the reference's one-decimal Q in [0, 1]; the
reason is free text on the same line, 1–``REASON_CHARS`` characters. Pure: no model is loaded here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tui_agent.envs.shop.pagetype import page_type_of
from tui_agent.llm.grammar import gbnf_literal, supports_schema
from tui_agent.rlem.advice import advice_line
from tui_agent.rlem.records import ActionKey

__all__ = ["KEYWORD_CHARS", "REASON_CHARS", "advice_from_json", "advice_grammar", "advice_response_format",
           "advice_schema", "gbnf_literal", "supports_schema"]

REASON_CHARS = 120
KEYWORD_CHARS = 80
PREFIX = "Encouraged:\n"


def _searchable(available: Sequence[str]) -> bool:
    return page_type_of(available) == "search"


def advice_grammar(available: Sequence[str]) -> str:
    """A GBNF grammar for the continuation of ``Encouraged:\\n``: one line ``action -> Q reason\\n``.

    ``available``: the page's valid actions (``click[Buy Now]``, ``search[<keywords>]`` …); the
    action is one of them exactly, or on the search page ``search[...]`` with free keywords.
    Q is ``0.0``–``0.9`` or ``1.0``.

    Raises:
        ValueError: no valid actions.
    """
    actions = list(dict.fromkeys(a for a in available if a.strip()))
    if not actions:
        raise ValueError("no valid actions to constrain the advice to")
    alternatives = [gbnf_literal(a) for a in actions if not (_searchable(actions) and a.lower().startswith("search"))]
    if _searchable(actions):
        alternatives.append('"search[" keywords "]"')
    return "\n".join([
        'root ::= action " -> " value " " reason "\\n"',
        "action ::= " + " | ".join(alternatives),
        'value ::= "1.0" | "0." [0-9]',
        f"reason ::= [^\\n\\r]{{1,{REASON_CHARS}}}",
        f"keywords ::= [^\\]\\n\\r]{{1,{KEYWORD_CHARS}}}",
    ]) + "\n"


def advice_schema(available: Sequence[str]) -> dict[str, Any]:
    """A JSON schema of one encouraged advice: ``{"action": str, "value": number in [0, 1], "reason": str}``.

    ``action`` is one of ``available`` (an ``enum``), or on the search page a ``search[...]``
    string (a ``pattern``).

    Raises:
        ValueError: no valid actions.
    """
    actions = list(dict.fromkeys(a for a in available if a.strip()))
    if not actions:
        raise ValueError("no valid actions to constrain the advice to")
    action: dict[str, Any] = ({"type": "string", "pattern": r"^search\[[^\]\n]{1,%d}\]$" % KEYWORD_CHARS}
                              if _searchable(actions) else {"type": "string", "enum": actions})
    return {"type": "object",
            "properties": {"action": action,
                           "value": {"type": "number", "minimum": 0, "maximum": 1},
                           "reason": {"type": "string"}},
            "required": ["action", "value", "reason"], "additionalProperties": False}


def advice_response_format(available: Sequence[str]) -> dict[str, Any]:
    """LiteLLM's / OpenAI's ``response_format`` for :func:`advice_schema` (strict JSON schema)."""
    return {"type": "json_schema", "json_schema": {"name": "advice", "schema": advice_schema(available),
                                                   "strict": True}}


def advice_from_json(text: str) -> str | None:
    """A structured answer (:func:`advice_schema`) as the reference's advice text
    ``Encouraged:\\naction -> Q reason``, or None when it is not such JSON."""
    try:
        data = json.loads(text)
        action, value, reason = str(data["action"]), float(data["value"]), str(data.get("reason", ""))
    except (ValueError, TypeError, KeyError):
        return None
    if not action.strip():
        return None
    return PREFIX + advice_line(ActionKey(action, " ".join(reason.split())), min(max(value, 0.0), 1.0))
