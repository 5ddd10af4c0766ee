"""Building agents: the one factory that makes a domain's agent (and its rollout worker) from settings.

The CLI, the TUI and the Ray workers call :mod:`tui_agent.agents.factory`; nothing else constructs a
:class:`~tui_agent.shop.agent.ShopAgent` or :class:`~tui_agent.docqa.agent.DocQAAgent`.
"""
