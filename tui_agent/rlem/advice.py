"""Encouraged / discouraged advice for an exemplar, and reading the model's advice (pure, no I/O).

Source: OpenDFM/Rememberer ``agent_protos.py`` (``HistoryReplayClient._get_examplars``,
``parse_action_with_optional``) and ``webshop_agent.py`` (``_action_to_string``).

For one exemplar record, with its action table sorted by Q (best first):

* **Encouraged**: the top-Q action if its Q > 0; else (*random fill*) a
  random valid action from the domain, shown with the value ``U(0, 1)/2``.
* **Discouraged**: the trailing actions with Q = 0 — here Q ≤ 0, because 👎
  feedback makes Q negative in this project while the reference's rewards
  never are (on the reference's data the two rules agree); if every action
  has Q > 0, (*random fill*) a random other action shown with 0.0 (the
  reference draws up to 10 times to avoid the encouraged one).
* Ablations: ``random_fill=False`` is the reference's ``norandom``
  (Encouraged = the top action even with Q ≤ 0, Discouraged = the lowest
  action when all are positive); ``discouraged=False`` drops the section
  (``advice_template_nodis.txt``).

A line is ``action -> Q reason`` with Q to one decimal, exactly the
reference's ``"{:} -> {:.1f} {:}"``. The domain supplies the random action
with its canned reason (:data:`RandomAction`), or None when it has no set of
valid actions (chat): then nothing is encouraged when no action has Q > 0,
and nothing is discouraged when every action has Q > 0.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tui_agent.rlem.records import ActionKey, Record

__all__ = ["Advice", "AdviceOptions", "RandomAction", "advice_line", "make_advice", "parse_advice"]

RandomAction = Callable[[Record, bool, random.Random], ActionKey | None]
"""``(record, encourages, rng) -> ActionKey``: a random valid action of the record's page with the
reference's canned reason for encouraging (True) or discouraging it; None if the domain has none."""

DISCOURAGED_TRIES = 10


@dataclass(frozen=True)
class AdviceOptions:
    """Advice switches: ``random_fill`` (the paper's default, on) and ``discouraged`` (on)."""

    random_fill: bool = True
    discouraged: bool = True


@dataclass
class Advice:
    """Encouraged and discouraged ``(action, shown value)`` pairs of one exemplar."""

    encouraged: list[tuple[ActionKey, float]] = field(default_factory=list)
    discouraged: list[tuple[ActionKey, float]] = field(default_factory=list)

    def text(self, with_discouraged: bool = True) -> str:
        """The reference's ``advice_template`` (or ``advice_template_nodis``) filled in."""
        out = "Encouraged:\n" + "\n".join(advice_line(a, v) for a, v in self.encouraged)
        if with_discouraged:
            out += "\nDiscouraged:\n" + "\n".join(advice_line(a, v) for a, v in self.discouraged)
        return out


def advice_line(action: ActionKey, value: float) -> str:
    """``action -> Q reason`` (Q to one decimal), as the reference's ``_action_to_string``."""
    return "{:} -> {:.1f} {:}".format(" ".join(action.action.split()), value, action.reason)


def make_advice(record: Record, rng: random.Random, random_action: RandomAction | None = None,
                options: AdviceOptions = AdviceOptions()) -> Advice:
    """Encouraged / discouraged advice for ``record`` (see the module docstring).

    Raises:
        ValueError: the record has no actions.
    """
    ranked = [(a, v.q) for a, v in record.ranked()]
    if not ranked:
        raise ValueError("a record without actions has no advice")
    fill = random_action or (lambda _r, _e, _g: None)
    encouraged = ranked[:1]
    if ranked[0][1] <= 0 and options.random_fill:
        drawn = fill(record, True, rng)
        encouraged = [(drawn, rng.random() / 2.0)] if drawn is not None else []
    advice = Advice(encouraged)
    if not options.discouraged:
        return advice
    chosen = {a for a, _ in encouraged}
    if ranked[-1][1] > 0:
        if not options.random_fill:
            advice.discouraged = ranked[-1:]
        else:
            drawn = fill(record, False, rng)
            for _ in range(DISCOURAGED_TRIES):
                if drawn is None or drawn not in chosen:
                    break
                drawn = fill(record, False, rng)
            advice.discouraged = [(drawn, 0.0)] if drawn is not None else []
    else:
        tail = []
        for a, q in reversed(ranked):
            if q > 0:
                break
            tail.append((a, q))
        advice.discouraged = tail
    return advice


def parse_advice(response: str) -> ActionKey | None:
    """The top encouraged (action, reason) of a model's advice, or None when it cannot be read.

    Format (the reference's ``parse_action_with_optional``): the text before
    the first ``Disc`` is the encouraged part; after its first ``:`` each line
    is ``action -> value [reason]``; the line with the highest value wins
    (first on ties). Lines without ``->`` or a number make the whole answer
    unreadable, as in the reference (which then takes no action).
    """
    try:
        part = response.split("Disc", maxsplit=1)[0].split(":", maxsplit=1)[1]
        best: tuple[float, ActionKey] | None = None
        for line in part.strip().splitlines():
            text, tail = line.split("->", maxsplit=1)
            bits = tail.strip().split(maxsplit=1)
            value = float(bits[0].strip())
            key = ActionKey(text.strip(), bits[1].strip() if len(bits) > 1 else "")
            if best is None or value > best[0]:
                best = (value, key)
        return best[1] if best is not None else None
    except (IndexError, ValueError):
        return None
