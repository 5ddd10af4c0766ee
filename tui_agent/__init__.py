"""tui-agent: a terminal chat assistant that learns from its user with RLEM.

Importing this package is cheap: heavy libraries (torch, litellm, lancedb,
llama.cpp) load lazily, on first use.
"""

__version__ = "0.1.0"
