"""The ``q-driven`` DocumentQA policy (this project's extension, as on the shop): Q from memory chooses.

No I/O. Candidates are the valid actions of the page: ``read[k]`` for each result not read yet in this
episode, and ``answer[…]`` once a passage is read (the answer text comes from the agent's answerer). A
new ``search`` is not a candidate: the first page already shows the question's results.

1. **Q by role**: Q̂(c) = Σ_r w_r·Q_r(role(c)) / (Σ_r w_r + k) over the ``top_k`` retrieved records r of
   the same state holding an entry of c's role (:func:`tui_agent.docqa.records.role_of`: read / answer
   a given note); w_r = max(retrieval score, 0); support = Σ_r w_r. k = ``prior_weight`` in
   evaluation, 0 while training (the shop's rule).
2. **Choice**: candidates with support ≥ ``min_support`` and Q̂ ≥ ``q_min`` → the best is taken.
   Otherwise the model (or the constant scorer: the first) picks among the candidates the memory does
   not advise against (Q̂ ≤ −``q_min`` with support), in the default order — answer first once a passage
   is read, then unread results by rank. If the memory advises against all of them, the first unread
   result is read (the episode times out rather than answer wrongly: −1 costs more than K step costs).
3. **Exploration while training**: a candidate whose role the memory has never seen gets Q̂ =
   ``optimistic_q``, for at most ``explore_per_episode`` choices an episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui_agent.docqa.records import Role, role_of, state_of
from tui_agent.rlem.records import Scored

__all__ = ["Candidate", "Estimate", "PolicyConfig", "choose", "estimate_q"]


@dataclass(frozen=True)
class PolicyConfig:
    """Thresholds of the q-driven policy (module docstring)."""

    q_min: float = 0.5
    min_support: float = 0.3
    top_k: int = 40
    prior_weight: float = 0.5
    optimistic_q: float = 1.0
    explore_per_episode: int = 2


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


def estimate_q(candidates: Sequence[Candidate], retrieved: Sequence[Scored], observation: str,
               config: PolicyConfig, optimistic: bool = False, training: bool = False) -> list[Estimate]:
    """Q̂ and support of every candidate from the retrieved records of the same state."""
    state = state_of(observation)
    sums: dict[Role, list[float]] = {}
    seen = 0
    for scored in retrieved:
        if seen >= config.top_k:
            break
        if state_of(scored.record.key.observation) != state:
            continue
        seen += 1
        w = max(float(scored.score), 0.0)
        for key, value in scored.record.actions.items():
            if value.n <= 0:
                continue
            acc = sums.setdefault(role_of(key.action, key.reason), [0.0, 0.0])
            acc[0] += w * value.q
            acc[1] += w
    k = 0.0 if training else config.prior_weight
    out = []
    for c in candidates:
        total, support = sums.get(c.role, (0.0, 0.0))
        if support > 0:
            out.append(Estimate(c, total / (support + k), support))
        else:
            out.append(Estimate(c, config.optimistic_q if optimistic else 0.0, 0.0, optimistic=optimistic))
    return out


def choose(estimates: Sequence[Estimate], config: PolicyConfig) -> tuple[list[Estimate], bool]:
    """(the candidates left to choose from, best first; whether the memory decided alone).

    One candidate and True: the memory (or optimism) chose. Several and False: the caller's scorer picks
    among them in this order (answer first, then results by rank).
    """
    known = [e for e in estimates if (e.support >= config.min_support or e.optimistic) and e.q >= config.q_min]
    if known:
        best = max(known, key=lambda e: e.q)
        return [best], True
    allowed = [e for e in estimates if not (e.support >= config.min_support and e.q <= -config.q_min)]
    if not allowed:
        reads = [e for e in estimates if e.candidate.role[0] == "read"]
        return ([reads[0]] if reads else list(estimates[:1])), True
    allowed.sort(key=lambda e: 0 if e.candidate.role[0] == "answer" else 1)
    return allowed, False
