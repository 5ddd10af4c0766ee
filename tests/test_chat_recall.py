"""Recall of taught facts from reworded questions, with the real bundled embedding model.

Data: ``tests/data/chat_paraphrases.json`` (dev: tuned on; test: evaluated
once with the rule fixed) and the 10 facts of ``tests/learning_facts.py``.
The evaluation is ``benchmarks/chat_recall.py`` (all facts of a split in
memory together, Q = 1). See docs/chat_recall.md for the figures.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "chat_recall.py"


@pytest.fixture(scope="module")
def results(embedder) -> dict[tuple[str, str], dict]:
    spec = importlib.util.spec_from_file_location("chat_recall_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = {}
    for split in ("dev", "test", "learning"):
        for rule in bench.evaluate(split, embedder)["rules"]:
            out[(split, rule["rule"])] = rule
    return out


@pytest.mark.xfail(strict=True, reason="goal not reached with MiniLM alone: test split recall 40 %, false recall 8 % "
                                       "(docs/chat_recall.md); strict, so meeting it shows up")
def test_goal_on_test_split(results):
    new = results[("test", "new")]
    assert new["recall"] >= 0.95, new["missed"]
    assert new["false_recall"] <= 0.05, new["false_examples"]
    assert new["wrong_fact"] <= 0.05, new["wrong_examples"]


def test_new_rule_measured_figures_on_test_split(results):
    """Regression guard at the measured figures (19/48 recalled, 0 wrong, 4/52 false), with one item of slack."""
    new, old = results[("test", "new")], results[("test", "old f_q>=0.78")]
    assert new["recalled"] >= 18, new["missed"]
    assert new["wrong"] <= 1, new["wrong_examples"]
    assert new["false"] <= 5, new["false_examples"]
    assert new["recall"] > old["recall"] and new["false_recall"] < old["false_recall"]


def test_new_rule_on_dev_split(results):
    """Tuned here: 11/22 recalled, 0 wrong, 0/26 false (the old rule: 2/22 and 3/26)."""
    new = results[("dev", "new")]
    assert new["recalled"] >= 11 and new["wrong"] == 0 and new["false"] == 0, new


def test_learning_facts_still_recalled(results):
    """The 10 facts of tests/test_learning.py: all paraphrases recalled, no unrelated question answered from memory."""
    new = results[("learning", "new")]
    assert new["recalled"] == 10 and new["wrong"] == 0, new["missed"]
    assert new["false"] == 0, new["false_examples"]
