"""Recall bands (tui_agent/chat/bands.py), the repeat test (chat/policy.py) and light words (chat/recall.py).

Pure numpy: no embedding model, no LanceDB.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tui_agent.chat import bands
from tui_agent.chat.policy import key_content, says_same
from tui_agent.chat.recall import is_substitution


def test_fit_logistic_without_examples_is_the_prior():
    prior = (0.5, -1.0, 2.0)
    assert np.allclose(bands.fit_logistic(np.zeros((0, 2)), np.zeros(0), prior, 1.0), prior)


def test_fit_logistic_separates_and_the_prior_holds_it_back():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 1))
    y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(int)
    loose = bands.fit_logistic(x, y, (0.0, 0.0), 0.01)
    tight = bands.fit_logistic(x, y, (0.0, 0.0), 1000.0)
    assert loose[1] > 2.0  # learns the direction
    assert 0 < tight[1] < 0.5  # a strong prior at 0 keeps it small


def test_bands_of_probability():
    model = bands.RecallModel(recall_p=0.9, suggest_p=0.2)
    assert [model.band(p) for p in (0.95, 0.9, 0.5, 0.2, 0.1)] == ["recall", "recall", "suggest", "suggest", "none"]


def test_calibration_learns_from_ratings_and_persists(tmp_path):
    x = [0.8, 0.1, 1.0, 0.6, 0.4, 0.0]  # a reworded question with a weakly related new word
    cal = bands.Calibration.open(tmp_path)
    before = float(cal.model.probability(np.array([x]))[0])
    assert cal.model.band(before) == "none"
    for i in range(8):
        cal.remember(f"id{i}", x)
        assert cal.label(f"id{i}", correct=True)
    after = float(cal.model.probability(np.array([x]))[0])
    assert after > before + 0.1
    assert not cal.label("never-shown", correct=True)  # not a recalled / suggested pairing: no label
    again = bands.Calibration.open(tmp_path)  # another process reads the same file
    assert again.summary()["accepted"] == 8 and again.summary()["pending"] == 0
    assert float(again.model.probability(np.array([x]))[0]) == pytest.approx(after)
    dismissed = bands.Calibration.open(tmp_path)
    for i in range(30):
        dismissed.remember(f"d{i}", x)
        dismissed.label(f"d{i}", correct=False)
    assert float(dismissed.model.probability(np.array([x]))[0]) < after


def test_unreadable_calibration_is_set_aside(tmp_path):
    (tmp_path / bands.CALIBRATION_FILE).write_text("{not json")
    cal = bands.Calibration.open(tmp_path)
    assert cal.model.weights == bands.DEFAULT_WEIGHTS
    assert (tmp_path / (bands.CALIBRATION_FILE + ".bad")).exists()
    cal.remember("a", [0.5] * len(bands.FEATURES))
    assert json.loads((tmp_path / bands.CALIBRATION_FILE).read_text())["pending"]["a"]


def test_key_content_is_what_the_question_does_not_say():
    q = "Who is the mayor of Quellport?"
    assert key_content("Pierre LeBlanc", q) == {"pierre", "leblanc"}
    assert key_content("The mayor of Quellport is Pierre LeBlanc.", q) == {"pierre", "leblanc"}
    assert key_content("The door code is 43456.", "What is the bike room code?") == {"43456"}
    assert key_content("bright orange", "What colour is the tail?") == {"bright", "orange"}
    assert key_content("Use ls.", "How do I list files?") == {"use", "ls"}  # "Use" starts the sentence: no name


def test_says_same_by_key_content_else_by_text():
    q = "Who is the mayor of Quellport?"
    assert says_same("…is Pierre LeBlanc.", "Pierre LeBlanc", q, 85)
    assert says_same("pierre leblanc", "Pierre LeBlanc", q, 85)
    assert not says_same("The mayor of Quellport is Mara Lindqvist.", "Pierre LeBlanc", q, 85)
    assert not says_same("Pierre is a common name.", "Pierre LeBlanc", q, 85)  # one of two key tokens
    port = "Which port does the Krell server listen on?"  # alike texts, another number: not the same answer
    assert not says_same("The Krell server listens on port 7311.", "The Krell server listens on port 8080.", port, 85)
    assert says_same("I am not sure which port that is", "I'm not sure which port that is.", port, 85)  # no key: text


@pytest.mark.parametrize("asked, taught", [
    ("What's my favorite restaurant called?", "What is the name of my favorite restaurant?"),
    ("What is the capital city of Zorbania?", "What is the capital of Zorbania?"),
])
def test_light_words_are_no_substitution(asked, taught):
    assert not is_substitution(asked, taught, "")


def test_a_swapped_subject_is_still_a_substitution():
    assert is_substitution("What is the Wi-Fi password for staff?", "What is the Wi-Fi password for guests?", "")


def test_feedback_never_widens_the_recall_band(tmp_path):
    """Ratings can move P, but a refitted model recalls only what the measured defaults recall too."""
    x = [0.8, 0.1, 1.0, 0.6, 0.4, 0.0]
    cal = bands.Calibration(tmp_path / "c.json", precision=0.01)
    for i in range(50):
        cal.remember(f"id{i}", x)
        cal.label(f"id{i}", correct=True)
    p, found = cal.model.assess(np.array([x]))
    assert p[0] >= cal.model.recall_p  # the refit alone would recall it …
    assert found == ["suggest"]  # … the defaults would not, so it is suggested
