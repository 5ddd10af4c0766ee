"""Gymnasium environments of tui-agent.

Importing this package registers:

* ``tui_agent/Shop-v0`` -> :class:`tui_agent.envs.shop.env.ShopEnv` (WebShop-style
  shopping over the bundled catalog). ``gymnasium.make("tui_agent/Shop-v0",
  split="test")``; the env truncates episodes itself after 15 steps.
* ``tui_agent/DocumentQA-v0`` -> :class:`tui_agent.envs.docqa.env.DocQAEnv` (search, read and answer
  questions about the bundled Python docs); truncates itself after ``max_steps`` (8).
* ``tui_agent/WikiHow-v0`` -> :class:`tui_agent.envs.wikihow.env.WikiHowEnv` (REMEMBERER's WikiHow app tasks as a
  text simulation); truncates itself after ``max_steps`` (20).
"""

from __future__ import annotations

import gymnasium

SHOP_ENV_ID = "tui_agent/Shop-v0"
DOCQA_ENV_ID = "tui_agent/DocumentQA-v0"

if SHOP_ENV_ID not in gymnasium.registry:
    gymnasium.register(id=SHOP_ENV_ID, entry_point="tui_agent.envs.shop.env:ShopEnv",
                       disable_env_checker=False)

if DOCQA_ENV_ID not in gymnasium.registry:
    gymnasium.register(id=DOCQA_ENV_ID, entry_point="tui_agent.envs.docqa.env:DocQAEnv",
                       disable_env_checker=False)

__all__ = ["DOCQA_ENV_ID", "SHOP_ENV_ID"]

WIKIHOW_ENV_ID = "tui_agent/WikiHow-v0"

if WIKIHOW_ENV_ID not in gymnasium.registry:
    gymnasium.register(id=WIKIHOW_ENV_ID, entry_point="tui_agent.envs.wikihow.env:WikiHowEnv",
                       disable_env_checker=False)

__all__ += ["WIKIHOW_ENV_ID"]
