"""Exemplar choice with a lower bound of each exemplar's cost (issue 11): the same candidates are chosen
as by rendering every one, and the shop score prompt's bound never exceeds a rendered exemplar's cost."""

from __future__ import annotations

import random

import numpy as np

from tui_agent.rlem.advice import AdviceOptions
from tui_agent.rlem.records import (ActionKey, ActionValue, Record, RecordKey, ScoredList, Similarity,
                                    choose_exemplars, dot_similarity, score_records)
from tui_agent.shop.score_prompt import build_score_prompt, exemplar_min_chars

ITEM = ["click[Back to Search]", "click[< Prev]", "click[Buy Now]", "click[red]"]


def _records(n: int, seed: int = 0) -> tuple[Record, ...]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        v = rng.normal(size=8).astype(np.float32)
        obs = f"[item page {i}]\n" + "word " * int(rng.integers(10, 120))
        history = [ActionKey(f"click[b{j}]", "r") for j in range(int(rng.integers(0, 7)))]
        rec = Record(RecordKey.of(f"task {i}", obs, ITEM[: 1 + i % 4]), v / np.linalg.norm(v),
                     action_history=history)
        if i % 5:
            rec.actions[ActionKey(ITEM[0], "why")] = ActionValue(float(rng.uniform(-1, 1)), int(rng.integers(0, 3)))
        out.append(rec)
    return tuple(out)


def _scored(records):
    sim = Similarity(lambda q, rs: dot_similarity(q, rs), lambda q, rs: np.zeros(len(rs)), 1.0)
    query = np.ones(8, np.float32) / np.sqrt(8)
    return score_records(sim, query, records)


def test_the_bound_skips_renders_but_chooses_the_same_candidates():
    records = _records(400)
    scored = _scored(records)
    assert isinstance(scored, ScoredList) and len(scored) == 400
    lengths = {r.key: 300 + len(r.key.observation) for r in records}

    def render(s, index):  # deterministic text of a known length
        return "x" * lengths[s.record.key]

    for budget in (200, 700, 900, 1500, 4000):
        for m in (1, 2, 3):
            plain = choose_exemplars(scored, m, budget, render)
            bounded = choose_exemplars(scored, m, budget, render, min_cost=lambda r: lengths[r.key] - 5)
            assert [(s.record.key, t) for s, t in plain] == [(s.record.key, t) for s, t in bounded]
            as_list = choose_exemplars(list(scored), m, budget, render, min_cost=lambda r: lengths[r.key] - 5)
            assert [s.record.key for s, _ in as_list] == [s.record.key for s, _ in plain]


def test_score_prompt_bound_is_below_every_rendered_exemplar():
    records = _records(200, seed=1)
    scored = _scored(records)
    rng = random.Random(0)
    seen = []
    import tui_agent.shop.score_prompt as sp

    original = sp.choose_exemplars

    def spy(candidates, m, budget, render, length=len, min_cost=None):
        for index in (0, 1):
            for s in list(candidates)[:120]:
                if s.record.actions:
                    seen.append((min_cost(s.record), length(render(s, index)) + 1))
        return original(candidates, m, budget, render, length, min_cost)

    sp.choose_exemplars = spy
    try:
        build_score_prompt("buy red", "[item]", ITEM, [], scored, rng, 2, AdviceOptions())
    finally:
        sp.choose_exemplars = original
    assert seen and all(bound <= cost for bound, cost in seen)
    assert exemplar_min_chars(records[0]) > 0
