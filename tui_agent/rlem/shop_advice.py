"""Exemplars and encouraged/discouraged advice for web-task prompts (pure, no I/O).

Source: OpenDFM/Rememberer ``agent_protos.py`` (``HistoryReplayClient._get_examplars``),
``webshop_agent.py`` (``_examplar_to_string``, ``_random_action``,
``_action_to_string``) and ``prompts/`` (``prompt_pthw.txt``,
``input_template_w.txt``, ``advice_template.txt``, ``advice_template_nodis.txt``).

Advice for one exemplar record, with its actions sorted by Q (best first):

* **Encouraged**: the top-Q action if its Q > 0; else (*random fill*) a random
  available action of the record shown with a small value ``U(0, 1)/2``.
* **Discouraged**: the actions with Q ≤ 0 (the reference takes the trailing
  Q == 0 ones; with 👎 feedback Q can go below 0 here, so ≤); if every action
  has Q > 0, (*random fill*) a random *other* available action shown with 0.0.

Ablations: ``random_fill=False`` ("w/o random": Encouraged = the top action
even with Q ≤ 0, Discouraged = the lowest action when all are positive, as
the reference's ``norandom``); ``discouraged=False`` ("w/o discouraged": no
Discouraged section). Line format ``action -> Q`` with Q to one decimal (the
reference's ``_action_to_string``), optionally followed by the stored reason.

Exemplars come best first from retrieval; those that fit the character budget
are kept until ``m`` are chosen, and the prompt shows them most similar *last*
(the reference reverses the list).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from tui_agent.rlem.shop_memory import ScoredRecord, ShopRecord

SYSTEM_PROMPT = (
    "I'm visiting a shopping website and need to complete the shopping following an instruction "
    "about the desired commodity. My available actions are search[keywords] and click[element]. "
    "Given an input, I give the action advice with encouraging or discouraging along with its "
    "value estimation. I avoid repeating a wrong action, and I can search only if search is an "
    "available action."
)
OBSERVATION_CHARS = 500
LAST_ACTIONS = 5

__all__ = [
    "SYSTEM_PROMPT",
    "Advice",
    "AdviceOptions",
    "choose_exemplars",
    "clip_observation",
    "format_exemplar",
    "format_input",
    "make_advice",
]


@dataclass(frozen=True)
class AdviceOptions:
    """Advice switches: ``random_fill`` (paper default on) and ``discouraged`` (on)."""

    random_fill: bool = True
    discouraged: bool = True


@dataclass
class Advice:
    """Encouraged and discouraged ``(action, value, reason)`` triples of one exemplar."""

    encouraged: list[tuple[str, float, str]] = field(default_factory=list)
    discouraged: list[tuple[str, float, str]] = field(default_factory=list)

    def text(self, with_discouraged: bool = True, reasons: bool = False) -> str:
        def line(item: tuple[str, float, str]) -> str:
            action, value, reason = item
            tail = f" {reason}" if reasons and reason else ""
            return f"{action} -> {value:.1f}{tail}"

        out = "Encouraged:\n" + "\n".join(line(i) for i in self.encouraged)
        if with_discouraged:
            out += "\nDiscouraged:\n" + "\n".join(line(i) for i in self.discouraged)
        return out


def make_advice(record: ShopRecord, rng: random.Random, options: AdviceOptions = AdviceOptions()) -> Advice:
    """Encouraged/discouraged advice for ``record`` (see the module docstring).

    ``rng`` drives the random fill (a ``random.Random``; seeded for
    reproducible prompts). A record has at least one action row.
    """
    ranked = record.ranked_actions()
    if not ranked:
        raise ValueError("a record without actions has no advice")
    available = record.key.actions or [e.action for e in ranked]
    top = ranked[0]
    if top.q > 0 or not options.random_fill:
        encouraged = [(top.action, top.q, top.reason)]
    else:
        encouraged = [(rng.choice(available), rng.random() / 2.0, "")]
    chosen = {a for a, _, _ in encouraged}
    advice = Advice(encouraged)
    if not options.discouraged:
        return advice
    if ranked[-1].q > 0:
        if options.random_fill:
            others = [a for a in available if a not in chosen]
            if others:
                advice.discouraged = [(rng.choice(others), 0.0, "")]
        elif ranked[-1].action not in chosen:
            advice.discouraged = [(ranked[-1].action, ranked[-1].q, ranked[-1].reason)]
    else:
        advice.discouraged = [(e.action, e.q, e.reason) for e in reversed(ranked)
                              if e.q <= 0 and e.action not in chosen]
    return advice


def clip_observation(observation: str, limit: int = OBSERVATION_CHARS) -> str:
    """The observation cut to ``limit`` characters (at a line end when possible), `` ...`` marking a cut."""
    if len(observation) <= limit:
        return observation
    cut = observation.rfind("\n", 0, limit)
    return observation[: cut if cut > limit // 2 else limit] + "\n..."


def format_input(instruction: str, observation: str, available_actions: Sequence[str],
                 last_actions: Sequence[str] = (), obs_chars: int = OBSERVATION_CHARS) -> str:
    """One step as the reference's ``input_template_w`` (instruction added on top).

    The observation is clipped to ``obs_chars`` characters; the last 5 actions are listed.
    """
    acts = "\n".join(f"- {a}" for a in last_actions[-LAST_ACTIONS:]) or "- (none)"
    obs = "\n".join("  " + line for line in clip_observation(observation, obs_chars).splitlines())
    avail = "\n".join(f"- {a}" for a in available_actions)
    return (f"Instruction: {instruction}\nLast {LAST_ACTIONS} Actions:\n{acts}\nObservation: |\n{obs}\n"
            f"Available Actions:\n{avail}\n")


def format_exemplar(index: int, scored: ScoredRecord, advice: Advice, last_actions: Sequence[str] = (),
                    options: AdviceOptions = AdviceOptions(), obs_chars: int = OBSERVATION_CHARS) -> str:
    """``Example i:`` + the record's input + its advice (``advice_template``)."""
    key = scored.record.key
    return (f"Example {index}:\n" + format_input(key.task, key.observation, key.actions, last_actions, obs_chars)
            + advice.text(with_discouraged=options.discouraged) + "\n")


def choose_exemplars(candidates: Sequence[ScoredRecord], m: int, budget_chars: int,
                     render: callable) -> list[tuple[ScoredRecord, str]]:
    """The first ``m`` candidates (best first) whose rendered text fits the remaining budget.

    ``render(scored, index)`` returns the exemplar text. Returns (record, text)
    pairs in prompt order: most similar *last*. Source: ``_get_examplars`` +
    ``"\\n".join(reversed(examplars))`` in the reference.
    """
    chosen: list[tuple[ScoredRecord, str]] = []
    for scored in candidates:
        if len(chosen) >= m:
            break
        if not scored.record.rows:
            continue
        text = render(scored, len(chosen) + 1)
        if len(text) + 1 <= budget_chars:
            chosen.append((scored, text))
            budget_chars -= len(text) + 1
    return list(reversed(chosen))
