"""Conformance: the project's RLEM update path against REMEMBERER's own numbers.

``rememberer_nstep.json`` holds Q and N after 300 random episodes fed to the
unmodified ``HistoryReplay`` of OpenDFM/Rememberer (see the reference dir's
README). Here the same episodes go through :class:`HistoryReplay` — the
object the chat and shop agents learn with — and every (record, action) must
match to 1e-6. Fast: no model, no LanceDB (the sink is in RAM; the LanceDB
sink is checked on a prefix in ``test_replay_store.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from reference import load_reference
from tui_agent.rlem.learning import LearningConfig
from tui_agent.rlem.records import ActionKey, RecordKey, Similarity
from tui_agent.rlem.replay import HistoryReplay, InMemoryRows

DATA = load_reference("rememberer_nstep.json")


def reference_matcher(query: RecordKey, records) -> np.ndarray:
    """The matcher the reference run used: 1 for equal keys, 0.5 for the same page prefix, else 0."""
    prefix = query.observation.split(":", 1)[0]
    return np.array([1.0 if r.key == query else 0.5 if r.key.observation.split(":", 1)[0] == prefix else 0.0
                     for r in records])


def key(observation: str) -> RecordKey:
    return RecordKey("task", observation, "acts")


def feed(replay: HistoryReplay, episodes) -> None:
    for ep in episodes:
        run = replay.begin_episode()
        obs, acts, rewards = ep["observations"], ep["actions"], ep["rewards"]
        for t, (a, r) in enumerate(zip(acts, rewards)):
            nxt = key(obs[t + 1]) if t + 1 < len(acts) else None
            replay.step(run, key(obs[t]), ActionKey(a, ""), r, nxt)
        replay.end_episode(run)


def make_replay(case, sink=None) -> HistoryReplay:
    n = None if case["n_step"] in (None, "None") else int(case["n_step"])
    similarity = Similarity(f_task=reference_matcher, f_obs=reference_matcher, lam=1.0)
    return HistoryReplay(similarity, query_of=lambda k: k, sink=sink,
                            config=LearningConfig(gamma=float(case["gamma"]), n=n))


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda c: f"n={c['n_step']}-gamma={c['gamma']}")
@pytest.mark.parametrize("with_sink", [False, True], ids=["ram", "sink"])
def test_q_and_n_match_reference(case, with_sink):
    replay = make_replay(case, InMemoryRows() if with_sink else None)
    feed(replay, case["episodes"])
    got = {(rec.key.observation, a.action): v for rec in replay.records.values() for a, v in rec.actions.items()}
    expected = {(e["observation"], e["action"]): e for e in case["expected"]}
    assert set(got) == set(expected)
    worst = max(abs(got[k].q - e["q"]) for k, e in expected.items())
    assert worst <= 1e-6, f"max |ΔQ| = {worst:.3g}"
    assert all(got[k].n == e["n"] for k, e in expected.items())
    if with_sink:  # what was stored is what the replay holds
        stored = {(k.observation, a.action): v for k, a, v, _ in replay.sink.rows.values()}
        assert all(abs(stored[k].q - got[k].q) < 1e-12 and stored[k].n == got[k].n for k in got)
