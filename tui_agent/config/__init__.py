"""Configuration: the pydantic-free names, directories and UI state file (:mod:`.base`, imported before the
TUI's first paint) and the pydantic-settings :class:`~tui_agent.config.settings.Settings` (:mod:`.settings`).
Deliberately empty: importing this package must not import pydantic, so nothing is re-exported here.
"""
