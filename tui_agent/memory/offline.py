"""Reads of a memory in a bucket while the store is unreachable: from this process's copy in RAM, read-only.

A running app that loses its object store (the network, the server, the credentials) keeps answering from
what it has read: the in-RAM vector index of the last table version it loaded
(:mod:`tui_agent.memory.vector_index`: every row of a kind it searched, with its vector), the ratings heads
it last read (:class:`~tui_agent.memory.remote_ratings.RemoteRatingsLog`) and the row counts it last saw.
The first read that fails sets :attr:`OfflineReads.problem`, one line —
``memory s3://… is unreachable (connection refused): read-only from this process's copy (table version 7)
until the store is back`` — logged once (a CLI prints it as one stderr line; the chat shows it in its
status line). While it is set, reads are served from RAM without asking the store (each failed request
costs ~5 s of retries), and the store is tried again at most every :data:`RETRY_AFTER_S`; the first read
that succeeds clears it (logged once). A read that RAM cannot serve (a kind never searched, a whole-table
read such as ``stats`` or an export) fails with one line, :class:`~tui_agent.memory.errors.MemoryStoreError`.
Writes are not served: they fail with one line and write nothing (at once while the store is known
unreachable, :meth:`OfflineReads.check_write`).

Standard library only; the store passes in what to read and what to serve instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from tui_agent.memory.errors import MemoryStoreError
from tui_agent.storage.object_store import unreachable_reason

__all__ = ["RETRY_AFTER_S", "OfflineReads"]

T = TypeVar("T")
RETRY_AFTER_S = 30.0
"""While unreachable, ask the store again at most this often (seconds); reads in between come from RAM."""

log = logging.getLogger(__name__)


class OfflineReads:
    """The read-only fallback of one remote store.

    Args:
        where: the memory's URI (for the messages).
        version: ``() -> int | None``: the table version the RAM copy belongs to (for the message).
        retry_after_s: seconds between tries of an unreachable store.
    """

    def __init__(self, where: object, version: Callable[[], int | None],
                 retry_after_s: float = RETRY_AFTER_S) -> None:
        self.where = where
        self.version = version
        self.retry_after_s = retry_after_s
        self.problem: str | None = None
        """One line while the store is unreachable (the memory is read-only), else ``None``."""
        self.reason = ""
        self._retry_at = 0.0

    def read(self, online: Callable[[], T], cached: Callable[[], T] | None) -> T:
        """``online()``; when the store is unreachable (now, or at the last try less than ``retry_after_s``
        ago), ``cached()`` instead.

        Raises:
            MemoryStoreError: unreachable and ``cached`` is None or raises ``LookupError`` (one line).
            Exception: any other error of ``online()``, as it is.
        """
        if self.problem is not None and time.monotonic() < self._retry_at:
            return self._cached(cached)
        try:
            value = online()
        except (OSError, RuntimeError, ValueError) as exc:
            reason = unreachable_reason(exc)
            if reason is None:
                raise
            self._went(reason)
            return self._cached(cached, exc)
        if self.problem is not None:
            self.problem = None
            log.warning("memory %s is reachable again: reads and writes go to the store", self.where)
        return value

    def check_write(self) -> None:
        """Before a write: while the store is known unreachable (the last try less than ``retry_after_s`` ago),
        refuse at once instead of waiting for the store's retries.

        Raises:
            MemoryStoreError: one line; nothing was written.
        """
        if self.problem is not None and time.monotonic() < self._retry_at:
            raise MemoryStoreError(f"memory {self.where} is unreachable ({self.reason}): the memory is read-only until "
                                   "the store is back; nothing was written")

    def _went(self, reason: str) -> None:
        self._retry_at = time.monotonic() + self.retry_after_s
        if self.problem is not None:
            return
        version = self.version()
        copy = f"this process's copy (table version {version})" if version is not None else "this process's copy"
        self.reason = reason
        self.problem = f"memory {self.where} is unreachable ({reason}): read-only from {copy} until the store is back"
        log.warning("%s", self.problem)

    def _cached(self, cached: Callable[[], T] | None, cause: BaseException | None = None) -> T:
        if cached is not None:
            try:
                return cached()
            except LookupError:
                pass
        raise MemoryStoreError(f"memory {self.where} is unreachable ({self.reason}) and this process has no copy of "
                               "what was asked: check the endpoint, the bucket and the AWS_* credentials") from cause
