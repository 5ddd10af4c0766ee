"""The recall rule as a pure function: hand-made similarities, no model, no torch."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np

from tui_agent.chat.recall import (
    choose_recall,
    content_words,
    dropped_words,
    eligible,
    is_substitution,
    novel_words,
    recall_features,
    recall_scores,
    stem,
)

NAN = math.nan


def test_import_does_not_load_torch():
    code = "import sys, tui_agent.chat.recall; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_empty_memory_recalls_nothing():
    empty = np.zeros(0)
    assert choose_recall(empty, empty, np.zeros(0, bool), empty) is None


def test_near_identical_without_substitution_is_recalled():
    # A: f_q ≥ 0.78 and the question only adds words ("Which city is the capital of X?")
    assert choose_recall(np.array([0.95]), np.array([0.34]), np.array([False]), np.array([1.0])) == 0
    # no novel words at all (NaN) counts as not a substitution
    assert choose_recall(np.array([0.80]), np.array([NAN]), np.array([False]), np.array([1.0])) == 0
    assert choose_recall(np.array([0.77]), np.array([NAN]), np.array([False]), np.array([1.0])) is None


def test_substitution_with_unrelated_novel_word_is_not_recalled():
    # "What is the Wi-Fi password for staff?" vs "… for guests?": f_q 0.85, f_novel("staff") 0.10
    assert choose_recall(np.array([0.85]), np.array([0.10]), np.array([True]), np.array([1.0])) is None
    # even at f_q 0.95 an unrelated substitution (f_novel < 0.25 and < 0.40) is refused
    assert choose_recall(np.array([0.95]), np.array([0.20]), np.array([True]), np.array([1.0])) is None


def test_near_identical_substitution_with_related_word_is_recalled():
    # A′: "How many moons orbit Vextor?" vs "… does the planet Vextor have?": 0.90 / 0.32
    assert choose_recall(np.array([0.90]), np.array([0.32]), np.array([True]), np.array([1.0])) == 0
    assert choose_recall(np.array([0.87]), np.array([0.32]), np.array([True]), np.array([1.0])) is None


def test_reworded_question_needs_related_novel_words():
    # B: f_q ≥ 0.40 and f_novel ≥ 0.40
    assert choose_recall(np.array([0.56]), np.array([0.55]), np.array([True]), np.array([1.0])) == 0
    assert choose_recall(np.array([0.56]), np.array([0.39]), np.array([True]), np.array([1.0])) is None
    assert choose_recall(np.array([0.39]), np.array([0.60]), np.array([True]), np.array([1.0])) is None
    # B needs novel words: a low-similarity question fully covered by the fact is not enough
    assert choose_recall(np.array([0.50]), np.array([NAN]), np.array([False]), np.array([1.0])) is None


def test_q_gate():
    fq, fn, sub = np.array([0.95]), np.array([NAN]), np.array([False])
    assert choose_recall(fq, fn, sub, np.array([0.49])) is None
    assert choose_recall(fq, fn, sub, np.array([0.5])) == 0
    assert choose_recall(fq, fn, sub, np.array([-1.0])) is None


def test_best_value_wins_among_eligible():
    fq = np.array([0.60, 0.90, 0.95, 0.70])
    fn = np.array([0.50, NAN, NAN, 0.10])
    sub = np.array([True, False, False, True])
    q = np.array([1.0, 1.0, 0.3, 1.0])  # index 2 fails the Q gate, index 3 fails B
    assert eligible(fq, fn, sub, q).tolist() == [True, True, False, False]
    scores = recall_scores(fq, fn, sub, q)
    assert np.isclose(scores[1], 0.90) and np.isclose(scores[0], 0.60) and np.isinf(scores[2:]).all()
    assert choose_recall(fq, fn, sub, q) == 1


def test_settings_override_defaults():
    fq, fn, sub, q = np.array([0.50]), np.array([0.35]), np.array([True]), np.array([1.0])
    assert choose_recall(fq, fn, sub, q) is None
    assert choose_recall(fq, fn, sub, q, reworded_novel=0.30) == 0
    assert choose_recall(np.array([0.70]), np.array([NAN]), np.array([False]), q, near_identical=0.65) == 0


def test_lexical_helpers():
    assert content_words("What is the Wi-Fi password for guests?") == ["wi-fi", "password", "guests"]
    assert stem("singer") == stem("sings") == "sing"
    assert stem("invented") == stem("inventor")
    q, a = "What is the Wi-Fi password for guests?", "The guest Wi-Fi password is bluefinch-77."
    assert novel_words("What is the Wi-Fi password for staff?", q, a) == ["staff"]
    assert dropped_words("What is the Wi-Fi password for staff?", q) == ["guests"]
    assert is_substitution("What is the Wi-Fi password for staff?", q, a)
    assert not is_substitution("Which city is the capital of Zorbania?", "What is the capital of Zorbania?",
                               "The capital of Zorbania is Quellport.")
    assert novel_words("What's the guest Wi-Fi password?", q, a) == []


def test_recall_features_with_a_fake_encoder():
    # 3-d unit vectors; the "encoder" maps the novel-word text to a fixed vector
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([[0.0, 1.0, 0.0]] * len(texts), dtype=np.float32)

    qv = np.array([1.0, 0.0, 0.0])
    sq = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    sa = np.array([[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]])
    rf = recall_features("What is the Wi-Fi password for staff?", qv,
                         ["What is the Wi-Fi password for guests?", "Who fixes the printer?"],
                         ["The guest Wi-Fi password is bluefinch-77.", "Raj fixes it."], sq, sa, encode)
    assert rf.f_question.tolist() == [1.0, 0.0]
    assert np.allclose(rf.f_answer, [0.6, 0.0])
    assert np.isclose(rf.f_novel[0], 0.8)  # max(novel·stored q = 0, novel·stored answer = 0.8)
    assert math.isnan(rf.f_novel[1])  # below the f_question floor: not embedded
    assert rf.substitution.tolist() == [True, True]
    assert calls == [["staff"]]
