"""Constrained decoding helpers shared by the domains: GBNF literals for llama.cpp grammars, and whether a
hosted model takes a JSON-schema ``response_format`` (the shop's and WikiHow's constrained advice).

Pure but for :func:`supports_schema`, which imports LiteLLM when called.
"""

from __future__ import annotations

__all__ = ["gbnf_literal", "supports_schema"]


def gbnf_literal(text: str) -> str:
    """``text`` as a GBNF string literal (quotes, backslashes and control characters escaped).

    Raises:
        ValueError: ``text`` is empty (GBNF has no empty alternative worth matching).
    """
    if not text:
        raise ValueError("an empty action cannot be a grammar alternative")
    escaped = []
    for ch in text:
        if ch in ('"', "\\"):
            escaped.append("\\" + ch)
        elif ch == "\n":
            escaped.append("\\n")
        elif ch == "\r":
            escaped.append("\\r")
        elif ch == "\t":
            escaped.append("\\t")
        elif ord(ch) < 0x20:
            escaped.append(f"\\x{ord(ch):02X}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def supports_schema(model: str) -> bool:
    """Whether LiteLLM knows ``model``'s provider to take a JSON schema ``response_format`` (imports LiteLLM);
    False for unknown models."""
    from tui_agent.llm.client import litellm_module

    try:
        return bool(litellm_module().supports_response_schema(model=model))
    except Exception:  # noqa: BLE001 - LiteLLM raises assorted errors for models it does not know
        return False
