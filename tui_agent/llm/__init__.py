"""LLM access through LiteLLM, with the bundled model as provider ``local``."""

from tui_agent.llm.client import LLM, Completion, LLMError
from tui_agent.llm.local import LOCAL_MODEL

__all__ = ["LLM", "LLMError", "Completion", "LOCAL_MODEL"]
