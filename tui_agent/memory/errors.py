"""The memory's user-facing error (its own module so every memory module can raise it)."""

from __future__ import annotations


class MemoryStoreError(RuntimeError):
    """The memory directory cannot be opened or written; the message is user-facing."""
