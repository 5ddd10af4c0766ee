"""The ``episodic-control`` DocumentQA policy (this project's extension, as on the shop): Q from memory chooses.

No I/O. Candidates are the valid actions of the page: ``read[k]`` for each result not read yet in this
episode, and ``answer[…]`` once a passage is read (the answer text comes from the agent's answerer). A
new ``search`` is a candidate only to bring back a note the memory rates well for a similar question
(:func:`recall_searches`: the remembered question as the query); the first page already shows the
question's own results.

1. **Q by role**: Q̂(c) = Σ_r w_r·Q_r(role(c)) / (Σ_r w_r + k) over the ``top_k`` retrieved records r of
   the same state whose question similarity f_task ≥ ``min_task_similarity`` (0.35) and that hold an
   entry of c's role (:func:`tui_agent.docqa.records.role_of`: read / answer a given note);
   support = Σ_r w_r. Weights are a kernel on the question similarity relative to the nearest
   record's, w_r = exp((f_r − f_best)/τ), τ = ``temperature`` (0.05): the nearest question weighs 1,
   one 0.1 less similar 0.14. (The shop's plain retrieval-score weights let every question on the
   page outvote the nearest question's own record. Measured on the bundled questions: a test
   question's own train phrasing has cosine 0.58 (median) and is the nearest train question for
   73 % of them.) k = ``prior_weight`` in evaluation, 0 while training.
2. **Choice**: candidates with support ≥ ``min_support`` and Q̂ ≥ ``q_min`` → the best is taken
   (exploitation first: the task is deterministic, so a known good answer is not re-explored).
   Otherwise the model (or the constant scorer: the first) picks among the candidates the memory does
   not advise against (Q̂ ≤ −``q_min`` with support), in the default order — answer first once a passage
   is read, then unread results by rank. If the memory advises against all of them, the first unread
   result is read (the episode times out rather than answer wrongly: −1 costs more than K step costs).
   A candidate whose note the memory has no entry for is estimated by its *kind* (``generic``): the
   mean Q of all read / answer entries of the best-scored same-state records — so when answering
   from unknown notes has mostly failed (−1 against the −0.08 of a time-out), the policy stops
   answering blindly and keeps reading, as the return asks; with every result read it re-reads the
   passage (a *stall*, Q̂ = ``stall_q``, the env's time-out reward: 0 by default, where the time-out
   costs only the step costs; −1 when the time-out counts as a failure) instead of answering (turn off
   with ``generic=False``: then an answer is always given, as the chat's ``/doc`` wants).
3. **Exploration while training**: when nothing known is good, the first candidate (default order)
   whose role the memory has never seen is tried (Q̂ shown as ``optimistic_q``), for at most
   ``explore_per_episode`` choices an episode.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tui_agent.docqa.records import Role, role_of, state_of
from tui_agent.rlem.records import Scored

__all__ = ["Candidate", "Estimate", "PolicyConfig", "choose", "estimate_q", "recall_searches"]


@dataclass(frozen=True)
class PolicyConfig:
    """Thresholds of the episodic-control policy (module docstring)."""

    q_min: float = 0.5
    min_support: float = 0.3
    generic: bool = True
    generic_min_entries: int = 5
    top_k: int = 40
    prior_weight: float = 0.1
    min_task_similarity: float = 0.35
    min_recall_similarity: float = 0.5
    temperature: float = 0.05
    optimistic_q: float = 1.0
    explore_per_episode: int = 2
    stall_q: float = 0.0  # the time-out reward: what waiting out the clock is worth


@dataclass(frozen=True)
class Candidate:
    """A valid action now, its role and its text (``read[2]``, ``answer[The copy …]``)."""

    action: str
    role: Role
    title: str = ""


@dataclass
class Estimate:
    """Q̂ of a candidate (a return, about [−1.1, 1]) and its support (Σ retrieval weights, ≥ 0)."""

    candidate: Candidate
    q: float
    support: float
    optimistic: bool = False
    generic: bool = False  # Q̂ from every note's entries of this kind (no entry for this note)


def estimate_q(candidates: Sequence[Candidate], retrieved: Sequence[Scored], observation: str,
               config: PolicyConfig, optimistic: bool = False, training: bool = False) -> list[Estimate]:
    """Q̂ and support of every candidate from the retrieved records of the same state."""
    state = state_of(observation)
    near = [r for r in retrieved if state_of(r.record.key.observation) == state
            and r.f_task >= config.min_task_similarity][:config.top_k]
    best = max((float(r.f_task) for r in near), default=0.0)
    sums: dict[Role, list[float]] = {}
    for scored in near:
        w = math.exp((float(scored.f_task) - best) / config.temperature)
        for key, value in scored.record.actions.items():
            if value.n <= 0:
                continue
            acc = sums.setdefault(role_of(key.action, key.reason), [0.0, 0.0])
            acc[0] += w * value.q
            acc[1] += w
    k = 0.0 if training else config.prior_weight
    generic = _generic(retrieved, state, config) if config.generic and not optimistic else {}
    out = []
    for c in candidates:
        role = ("read", c.role[1]) if c.role[0] == "search" else c.role  # search to bring a note back: its read Q
        total, support = sums.get(role, (0.0, 0.0))
        if support > 0:
            out.append(Estimate(c, total / (support + k), support))
        elif c.role[0] == "stall":
            out.append(Estimate(c, config.stall_q, config.min_support, generic=True))
        elif c.role[0] in generic:
            out.append(Estimate(c, generic[c.role[0]], config.min_support, generic=True))
        else:
            out.append(Estimate(c, config.optimistic_q if optimistic else 0.0, 0.0, optimistic=optimistic))
    return out


def _generic(retrieved: Sequence[Scored], state: str, config: PolicyConfig) -> dict[str, float]:
    """Mean Q per action kind ("read", "answer") over the entries of the ``top_k`` best-scored records of
    the same state, whatever the note: what reading / answering from a note the memory knows nothing
    about is worth. Kinds with fewer than ``generic_min_entries`` entries are left out."""
    values: dict[str, list[float]] = {}
    seen = 0
    for r in retrieved:
        if seen >= config.top_k:
            break
        if state_of(r.record.key.observation) != state:
            continue
        seen += 1
        for key, value in r.record.actions.items():
            if value.n > 0:
                values.setdefault(role_of(key.action, key.reason)[0], []).append(value.q)
    return {kind: sum(qs) / len(qs) for kind, qs in values.items() if len(qs) >= config.generic_min_entries}


def recall_searches(retrieved: Sequence[Scored], observation: str, shown: set[str], searched: set[str],
                    config: PolicyConfig) -> list[Candidate]:
    """Searches that bring back a note the memory rates well for a similar question but that is not shown:
    ``search[<that question>]`` (role ``("search", note id)``), at most one per note, nearest first, from
    records whose question similarity is at least ``min_recall_similarity`` (0.5; a note *not* in this
    question's results needs a closer question than one that is).

    The reformulated query comes from experience: the remembered question's own search found the note.
    """
    state = state_of(observation)
    out: dict[str, Candidate] = {}
    for r in retrieved[: config.top_k]:
        if state_of(r.record.key.observation) != state or r.f_task < config.min_recall_similarity:
            continue
        query = r.record.key.task
        if query in searched:
            continue
        for key, value in r.record.actions.items():
            kind, note = role_of(key.action, key.reason)
            if kind == "read" and note and note not in shown and value.n > 0 and value.q >= config.q_min:
                out.setdefault(note, Candidate(f"search[{query}]", ("search", note), key.reason.rsplit(" #", 1)[0]))
    return list(out.values())


def choose(estimates: Sequence[Estimate], config: PolicyConfig) -> tuple[list[Estimate], bool]:
    """(the candidates left to choose from, best first; whether the memory decided alone).

    One candidate and True: the memory (or optimism) chose. Several and False: the caller's scorer picks
    among them in this order (answer first, then results by rank).
    """
    known = [e for e in estimates if not e.optimistic and e.support >= config.min_support and e.q >= config.q_min]
    if known:
        return [max(known, key=lambda e: e.q)], True
    untried = [e for e in estimates if e.optimistic]
    if untried:
        return untried[:1], True
    allowed = [e for e in estimates if not (e.support >= config.min_support and e.q <= -config.q_min)]
    if not allowed:
        reads = [e for e in estimates if e.candidate.role[0] == "read"]
        return ([reads[0]] if reads else list(estimates[:1])), True
    allowed.sort(key=lambda e: 0 if e.candidate.role[0] == "answer" else 1)
    return allowed, False
