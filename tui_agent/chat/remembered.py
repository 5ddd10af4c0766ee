"""Taught answers in the chat agent: recall and suggestion pairings, and this memory's recall bands.

A mixin of :class:`~tui_agent.chat.agent.ChatAgent` (it uses the agent's ``settings``, ``store``,
``embedder``, ``replay`` and ``_answer_from_memory``). The band decision itself is pure:
:func:`tui_agent.chat.taught.match_taught` and :mod:`tui_agent.chat.bands`.

A *pairing* is the experience (the question asked → a taught answer given to another wording),
stored unrated when the answer is recalled or suggested: a 👍/👎 on the recalled or suggested answer
rates the pairing, so the taught fact keeps its Q and a correction is filed under the question asked
(issue 20: "What is my gym locker number?" answered with the storage-room code).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui_agent.chat import policy
from tui_agent.chat.taught import TaughtMatch, match_taught
from tui_agent.memory.errors import MemoryStoreError, RowLimitError
from tui_agent.rlem.records import ActionKey, RecordKey

if TYPE_CHECKING:
    from tui_agent.chat.answer import ChatAnswer

__all__ = ["Suggestion", "TaughtMixin", "suggestion_of"]

log = logging.getLogger(__name__)


@dataclass
class Suggestion:
    """A taught answer shown beside the model's (:mod:`tui_agent.chat.bands`, the *suggest* band).

    ``id`` is the pairing (this question → the taught answer), stored unrated: rate it 👍 to accept
    (the new wording becomes a recall key of the fact), 👎 to dismiss (not suggested again for this
    question). ``question``: the question it was taught for; ``similarity``: their question cosine
    in [−1, 1]; ``p``: the estimated probability that it answers this question, in (0, 1).
    """

    id: str | None
    answer: str
    question: str
    similarity: float
    p: float


class TaughtMixin:
    """Recall and suggestion of taught answers for :class:`~tui_agent.chat.agent.ChatAgent`."""

    settings: Any
    store: Any
    embedder: Any
    replay: Any
    _calibration: Any = None
    _answer_from_memory: Any  # ChatAgent's: the answer text from a remembered experience

    def match_taught(self, question: str, q_vec: list[float], cands: list[policy.Candidate]) -> list[TaughtMatch]:
        """Taught answers for ``question`` with their band (:func:`tui_agent.chat.taught.match_taught`;
        blocking: embeds the taught answers and the question's novel words)."""
        return match_taught(question, q_vec, cands, self.embedder.encode, self.calibration.model, self.settings.recall_q)

    @property
    def calibration(self):
        """This memory's recall bands, learned from ratings (:class:`tui_agent.chat.bands.Calibration`)."""
        if self._calibration is None:
            from tui_agent.chat.bands import Calibration, RecallModel

            from tui_agent.chat.bands import RECALL_P, SUGGEST_P

            s = self.settings
            where = getattr(self.store, "path", None)  # beside the LanceDB table; in RAM for a test's store
            self._calibration = Calibration.open(where, RecallModel(recall_p=s.recall_band or RECALL_P,
                                                                    suggest_p=s.suggest_band or SUGGEST_P))
        return self._calibration

    def _pairing(self, question: str, context: str, q_vec: list[float], match: TaughtMatch,
                 cands: list[policy.Candidate], source: str) -> Suggestion:
        """Store (this question → the taught answer) unrated, or find it stored already; remember its features.

        The pairing is the experience a 👍/👎 on a recalled or suggested answer rates: the taught
        fact itself keeps its Q, and a correction after 👎 is filed under the question asked.
        """
        taught = match.candidate.experience
        action = ActionKey(taught.action, f"taught for: {taught.task}")
        asked = policy.normalise(question)
        for c in cands:
            e = c.experience
            if (policy.normalise(e.task) == asked and e.observation == context and e.action == action.action
                    and e.reason == action.reason and c.q >= 0):
                pair_id = e.id
                break
        else:
            pair_id = self.replay.add_unrated(RecordKey(question, context), action, vector=q_vec, model="memory",
                                              source=source)  # one of taught.PAIRING_SOURCES
        self.calibrate(lambda cal: cal.remember(pair_id, match.features))
        return suggestion_of(pair_id, match)

    def calibrate(self, change) -> None:
        """Apply ``change(calibration)``; a calibration file that cannot be written (disk full, read-only,
        locked for 30 s) only costs this example, never the answer or the rating (a warning is logged)."""
        try:
            change(self.calibration)
        except (OSError, ValueError) as exc:  # UserFileError is a ValueError, filelock.Timeout an OSError
            log.warning("recall calibration not updated: %s", exc)

    async def _recall(self, question: str, context: str, q_vec: list[float], match: TaughtMatch,
                      cands: list[policy.Candidate], on_token: Any) -> ChatAnswer:
        """Answer from memory (the recall band). The same wording (in any context) answers with the taught
        row itself; another wording with its pairing row, so a 👎 there leaves the taught fact as it is."""
        chosen = match.candidate
        answer = await self._answer_from_memory(question, chosen, on_token, "recall", "episodic-control")
        if match.same_question:
            return answer
        try:
            answer.id = (await asyncio.to_thread(self._pairing, question, context, q_vec, match, cands, "recall")).id
        except (MemoryStoreError, RowLimitError) as exc:  # shown, but there is nothing right to rate
            answer.id, answer.warning = None, f"answer not stored: {exc}"
        return answer


def suggestion_of(pair_id: str | None, match: TaughtMatch) -> Suggestion:
    e = match.candidate.experience
    return Suggestion(pair_id, e.action, e.task, round(match.candidate.f_task, 4), round(match.p, 4))
