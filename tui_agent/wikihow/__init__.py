"""REMEMBERER on the WikiHow app simulation (tui_agent/WikiHow-v0): agent, policies, prompt, protocol."""
