"""The benchmarks' one paired bootstrap (``benchmarks/stats.py``) against cases whose answer is known, and the
shop's seen / unseen split read from saved reports (``benchmarks/shop_heldout.py``) on a tiny report."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.shop_heldout import main as shop_heldout
from benchmarks.shop_heldout import read_report, row
from benchmarks.stats import paired_bootstrap


def test_equal_differences_give_a_point_interval():
    ci = paired_bootstrap([1, 1, 0, 1], [0.5, 0.5, -0.5, 0.5])
    assert (ci.mean, ci.low, ci.high, ci.n, ci.clusters) == (0.5, 0.5, 0.5, 4, 4)
    assert ci.excludes_zero() and ci.text() == "+0.500 [+0.500, +0.500]"


def test_two_items_match_the_exact_bootstrap_distribution():
    # d = (0, 1): a resample's mean is 0, 0.5 or 1 with probability 1/4, 1/2, 1/4, so the 2.5 % and
    # 97.5 % percentiles are 0 and 1 exactly.
    ci = paired_bootstrap([0.0, 1.0], resamples=2000)
    assert (ci.mean, ci.low, ci.high) == (0.5, 0.0, 1.0)


def test_a_large_sample_matches_the_normal_interval():
    d = np.array([0.0, 1.0] * 100)  # mean 0.5, standard error 0.5 / √200 ≈ 0.0354
    ci = paired_bootstrap(d, resamples=4000)
    half = 1.96 * 0.5 / math.sqrt(200)
    assert ci.low == pytest.approx(0.5 - half, abs=0.01) and ci.high == pytest.approx(0.5 + half, abs=0.01)
    narrow = paired_bootstrap(d, resamples=4000, level=0.5)
    assert ci.low < narrow.low < narrow.high < ci.high


def test_pairing_removes_what_both_conditions_share():
    rng = np.random.default_rng(1)
    hardness = rng.normal(0, 1, 50)
    a, b = hardness + 0.2, hardness  # a gains 0.2 on every item; items vary a lot
    assert paired_bootstrap(a, b).text() == "+0.200 [+0.200, +0.200]"


def test_the_same_seed_gives_the_same_interval_and_a_generator_advances():
    d = np.random.default_rng(3).normal(0, 1, 30)
    assert paired_bootstrap(d, seed=7) == paired_bootstrap(d, seed=7)
    rng = np.random.default_rng(0)
    first, second = paired_bootstrap(d, seed=rng), paired_bootstrap(d, seed=rng)
    assert first == paired_bootstrap(d, seed=0) and second != first


def test_clusters_are_drawn_whole_and_widen_the_interval():
    # 10 facts, 3 rewordings each, the rewordings of a fact identical: by item the interval is too narrow
    per_fact = np.array([0.0, 1.0] * 5)
    items = np.repeat(per_fact, 3)
    groups = np.repeat(np.arange(10), 3).tolist()
    by_item, by_fact = paired_bootstrap(items), paired_bootstrap(items, groups=groups)
    assert by_fact.clusters == 10 and by_fact.n == 30 and by_fact.mean == by_item.mean == 0.5
    assert by_fact.high - by_fact.low > by_item.high - by_item.low
    # equal cluster sizes: the same draws as resampling the 10 per-fact means
    once = paired_bootstrap(per_fact)
    assert (by_fact.low, by_fact.high) == pytest.approx((once.low, once.high))


@pytest.mark.parametrize("kwargs, message", [
    ({"a": [], "b": None}, "non-empty"),
    ({"a": [1, 2], "b": [1]}, "pair item by item"),
    ({"a": [1, float("nan")], "b": None}, "finite"),
    ({"a": [1, 2], "b": None, "groups": ["x"]}, "label every item"),
    ({"a": [1, 2], "b": None, "resamples": 10}, "resamples"),
    ({"a": [1, 2], "b": None, "level": 1.0}, "level"),
])
def test_bad_input_is_refused_with_its_reason(kwargs, message):
    with pytest.raises(ValueError, match=message):
        paired_bootstrap(**kwargs)


def _train_report(test_success: list[list[bool]]) -> dict:
    """A ``tui-agent train`` report: training goals 0, 1 (0 solved in epoch 1, 1 in epoch 2), tests per epoch."""
    tests = [{"results": [{"goal_index": g, "success": ok} for g, ok in enumerate(epoch)]} for epoch in test_success]
    return {"train_set": "S0", "goals": [0, 1], "command": "tui-agent train …",
            "episodes": [{"epoch": 0, "goal_index": 0, "success": True}, {"epoch": 0, "goal_index": 1, "success": False},
                         {"epoch": 1, "goal_index": 1, "success": True}],
            "epochs": [{"epoch": k, "test": t} for k, t in enumerate(tests)]}


def test_shop_rows_split_seen_and_unseen_goals_and_average_seeds(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_train_report([[False, False, True, True], [True, False, True, True]])))
    b.write_text(json.dumps(_train_report([[False, False, True, True], [True, True, True, True]])))
    figures = row("x", [read_report(a), read_report(b)])
    assert figures["seeds"] == 2 and figures["unseen_goals"] == 4
    assert figures["seen_epoch1"] == 0.5 and figures["seen_last"][0] == 1.0  # goal 1 solved in epoch 2
    assert figures["unseen_epoch1"] == 0.5 and figures["unseen_last"][0] == pytest.approx(0.875)
    assert figures["unseen_per_seed"] == [0.75, 1.0]
    assert figures["unseen_gain"][0] == pytest.approx(0.375)  # per goal: +1, +0.5, 0, 0
    assert shop_heldout(["--row", f"x={a},{b}"]) == 0
    assert "| x | 2 | 50 % → 100 %" in capsys.readouterr().out


def test_shop_rows_refuse_a_file_that_is_no_report(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert shop_heldout(["--row", f"x={bad}"]) == 2
    assert "neither a training report" in capsys.readouterr().err
