"""Knowledge notes in the chat agent: ``/remember``, ``/forget`` and the notes an answer is grounded in.

A mixin of :class:`~tui_agent.chat.agent.ChatAgent` (it uses the agent's ``settings``, ``store`` and
``embedder``); the learned retrieval itself is :class:`~tui_agent.chat.notes.NoteRetriever`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["CHAT_NOTES", "NotesMixin"]

CHAT_NOTES = 2  # notes an answer may use (the bundled model's 2,048-token context; fewer is clearer for it)


class NotesMixin:
    """Notes of the agent's memory directory, and their retrieval for a question."""

    settings: Any
    store: Any
    embedder: Any
    _notes: Any = None
    _note_retriever: Any = None

    @property
    def notes(self):
        """The knowledge notes (:class:`~tui_agent.notes.store.NoteStore`) of the memory directory."""
        if self._notes is None:
            from tui_agent.notes.store import NoteStore

            self._notes = NoteStore(self.settings.resolved_memory_dir())
        return self._notes

    @property
    def note_retriever(self):
        """Note retrieval that learns (:class:`~tui_agent.chat.notes.NoteRetriever`), re-ranked by this memory's
        :class:`~tui_agent.chat.note_ranker.NoteRanker` when the setting ``notes_ranker`` is on."""
        if self._note_retriever is None:
            from tui_agent.chat.note_ranker import NoteRanker
            from tui_agent.chat.notes import NoteRetriever

            ranker = None
            if self.settings.notes_ranker:  # state beside the LanceDB table; in RAM for a test's store
                ranker = NoteRanker.open(getattr(self.store, "path", None))
            self._note_retriever = NoteRetriever(self.notes, self.store, self.embedder, ranker=ranker)
        return self._note_retriever

    def remember(self, text: str):
        """``/remember TEXT``: store a note of source "chat"; returns it.

        Raises:
            ValueError: empty text. NoteStoreError: the notes cannot be written.
        """
        from tui_agent.notes.add import remember

        return remember(self.notes, self.embedder, text)

    def forget(self, target: str = "") -> list[Any]:
        """``/forget [ID|TEXT]``: remove the chat note with that id (prefix), else the chat note most similar to
        TEXT, else the last chat note remembered; returns the removed notes ([] when none)."""
        from tui_agent.notes.schema import CHAT_SOURCE

        chat_notes = self.notes.all(source=CHAT_SOURCE)
        target = target.strip()
        if not chat_notes:
            return []
        chosen = [n for n in chat_notes if target and n.id.startswith(target.lower())]
        if not chosen and target:
            found = [f.note for f in self.notes.search_vector(self.embedder.encode_one(target), 10)
                     if f.note.source == CHAT_SOURCE]
            chosen = found[:1]
        if not chosen and not target:
            chosen = [max(chat_notes, key=lambda n: n.created_at or datetime.min.replace(tzinfo=UTC))]
        if chosen:
            self.notes.remove(ids=[n.id for n in chosen[:1]])
        return chosen[:1]

    def reward_supporting_notes(self, experience_id: str, correction: str) -> list[tuple[str, float, int]]:
        """After a correction: reward +1 to each note the answer used that contains it (the tutorial's reward,
        the correction as the answer); returns ``[(note id, Q, N)]`` of the notes updated."""
        from tui_agent.chat.notes import supports

        asked, used = getattr(self, "notes_used", {}).pop(experience_id, ("", []))
        right = [u for u in used if supports(u.text, correction, asked)]
        return self.note_retriever.learn(asked, right, [1.0] * len(right), source="correction") if right else []

    def _notes_for(self, question: str, q_vec: Sequence[float]) -> list[Any]:
        """The relevant notes for ``question`` by learned retrieval (blocking); [] when there are none."""
        import numpy as np

        from tui_agent.chat.notes import relevant
        from tui_agent.notes.store import NoteStoreError

        try:
            if self.notes.count() == 0:
                return []
            return relevant(self.note_retriever.retrieve(question, CHAT_NOTES, np.asarray(q_vec, dtype=np.float32)))
        except NoteStoreError as exc:
            log.warning("notes not used: %s", exc)
            return []

