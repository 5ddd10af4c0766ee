"""Saved conversations: a SQLite file in the user data dir (:mod:`.store`) and its Markdown / JSON export
(:mod:`.export`). Standard library only; knows no UI, model or memory."""
