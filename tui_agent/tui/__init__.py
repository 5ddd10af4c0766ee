"""The Textual user interface (imports nothing heavy at module level)."""
