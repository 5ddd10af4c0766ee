"""The PPO baseline's encoding of DocumentQA-v0 (tui_agent/rl/features.py): check_env, feature shapes and
ranges, values and the action mapping worked out by hand on a hand-made corpus. No Ray, no torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from tui_agent.envs.docqa.corpus import Result
from tui_agent.envs.docqa.env import DocQAEnv
from tui_agent.rl.features import DocQAFeatureEnv, content_words, keywords, observation_size

QUESTION = "Which function joins path components?"
GOLD = "os.path.join"
PASSAGES = {
    "n1": "Path helpers. The function os.path.join joins path components intelligently.",
    "n2": "Other text about files and directories.",
    "n3": "Sorting lists with sorted() returns a new list.",
}
RESULTS = [
    Result("n1", "os.path › join", "Path helpers. The function os.path.join joins path components", 8.0),
    Result("n2", "os › files", "Other text about files and directories.", 4.0),
]
KEYWORD_RESULTS = [Result("n3", "sorting", "Sorting lists", 2.0)]


class HandCorpus:
    """Two results for the question, one other for its keywords; records the queries."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def search(self, query: str, k: int) -> list[Result]:
        self.queries.append(query)
        return list(RESULTS[:k]) if query == QUESTION else list(KEYWORD_RESULTS[:k])

    def read(self, note_id: str) -> str:
        return PASSAGES[note_id]


def hand_env(**kw) -> DocQAFeatureEnv:
    qs = {s: [{"question": QUESTION, "answer": GOLD}] for s in ("train", "test")}
    inner = DocQAEnv(corpus=HandCorpus(), questions=qs, top_k=3, max_steps=4, **kw)
    return DocQAFeatureEnv({"top_k": 3}, env=inner)


def test_check_env_passes_on_the_bundled_docs_and_on_a_hand_corpus():
    check_env(DocQAFeatureEnv(), skip_render_check=True)
    check_env(hand_env(), skip_render_check=True)


def test_spaces_follow_top_k():
    env = hand_env()
    assert env.action_space.n == 3 + 2 and env.answer_action == 3 and env.search_action == 4
    assert env.observation_space.shape == (observation_size(3),) == (5 * 3 + 8,)
    no_search = DocQAFeatureEnv({"keyword_search": False})
    assert no_search.action_space.n == 5 + 1 and no_search.search_action is None


def test_features_by_hand():
    env = hand_env()
    obs, info = env.reset(seed=0)
    q = content_words(QUESTION)
    assert q == {"function", "joins", "path", "components"}
    expect = np.zeros(23, np.float32)
    # result 1: present, score 8/8, title "os.path › join" has {path}, snippet has function, joins, path, components
    expect[0:5] = [1, 1, 1 / 4, 4 / 4, 0]
    # result 2: score 4/8, no overlap; slot 3 empty
    expect[5:10] = [1, 0.5, 0, 0, 0]
    expect[15 + 3] = 8 / 18  # best score squashed s/(s+10)
    np.testing.assert_allclose(obs, expect, atol=1e-6)
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)

    obs, reward, terminated, truncated, info = env.step(0)  # read[1]
    assert info["action_text"] == "read[1]" and info["valid"] and reward == pytest.approx(-0.01)
    assert obs[4] == 1.0  # result 1 read
    assert obs[15 + 0] == 1.0 and obs[15 + 1] == 1.0  # a passage read; all 4 question words in it
    assert obs[15 + 2] == 1.0  # its best sentence holds all 4 too
    assert obs[15 + 4] == pytest.approx(1 / 4)  # 1 of 4 steps
    assert obs[15 + 6] == pytest.approx(1 / 3)  # 1 distinct passage of top_k 3
    assert obs[15 + 7] == 1.0  # the passage read is result 1


def test_answer_action_answers_from_the_passage_read():
    env = hand_env()
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(env.answer_action)  # nothing read yet: empty answer = no-op
    assert info["action_text"] == "answer[]" and not info["valid"] and not terminated
    assert reward == pytest.approx(-0.01)
    env.step(0)
    _, reward, terminated, _, info = env.step(env.answer_action)
    assert info["action_text"] == "answer[The function os.path.join joins path components intelligently.]"
    assert terminated and reward == 1.0 and info["success"]


def test_wrong_answer_and_read_of_a_missing_result():
    env = hand_env()
    env.reset(seed=0)
    _, reward, _, _, info = env.step(2)  # read[3]: only 2 results shown
    assert info["action_text"] == "read[3]" and not info["valid"] and reward == pytest.approx(-0.01)
    env.step(1)  # read[2]
    _, reward, terminated, _, info = env.step(env.answer_action)
    assert terminated and reward == -1.0 and not info["success"]


def test_keyword_search_replaces_the_results():
    env = hand_env()
    env.reset(seed=0)
    assert keywords(QUESTION) == "function joins path components"
    obs, _, _, _, info = env.step(env.search_action)
    assert info["action_text"] == "search[function joins path components]" and info["valid"]
    assert env.env.corpus.queries == [QUESTION, "function joins path components"]
    assert [r["note_id"] for r in info["results"]] == ["n3"]
    assert obs[15 + 5] == 1.0 and obs[0] == 1.0 and obs[5] == 0.0


def test_keywords_fall_back_to_short_content_words():
    assert keywords("What is os.sep?") == "os sep"
    assert keywords("How do I sort a list, sort it?") == "sort list"


def test_time_out_after_max_steps():
    env = hand_env()
    env.reset(seed=0)
    outs = [env.step(0) for _ in range(4)]
    assert [o[3] for o in outs] == [False, False, False, True] and not any(o[2] for o in outs)
    assert sum(o[1] for o in outs) == pytest.approx(-0.04)


def test_random_rollouts_stay_in_the_box():
    env = DocQAFeatureEnv()
    rng = np.random.default_rng(0)
    for episode in range(20):
        obs, _ = env.reset(seed=episode)
        done = False
        while not done:
            assert obs.shape == (observation_size(),) and env.observation_space.contains(obs)
            obs, reward, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
            assert -1.0 <= reward <= 1.0
            done = terminated or truncated
    with pytest.raises(ValueError):
        env.action_text(env.action_space.n)


def test_importing_the_rl_package_loads_neither_ray_nor_torch():
    code = ("import sys, tui_agent.rl.features, tui_agent.rl.ppo, tui_agent.rl.answerers, tui_agent.cli.ppo; "
            "print('ray' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_action_index_inverts_the_mapping_and_text_observation_is_kept():
    env = hand_env()
    env.reset(seed=0)
    assert env.text_observation.startswith(f"Question: {QUESTION}")
    assert [env.action_index(t) for t in ("read[1]", "read[3]", "answer[anything]", "search[x y]")] == [0, 2, 3, 4]
    for bad in ("read[4]", "read[0]", "click[1]", "read[x]"):
        with pytest.raises(ValueError):
            env.action_index(bad)
    with pytest.raises(ValueError):
        DocQAFeatureEnv({"keyword_search": False}, env=env.env).action_index("search[x]")
    env.step(0)
    assert "Passage read ([1] os.path › join):" in env.text_observation


def test_iteration_episode_rows_from_rllib_item_series():
    from tui_agent.rl.ppo import _episode_rows

    assert _episode_rows(float("nan")) == [] and _episode_rows(None) == []
    assert _episode_rows((-0.08, False, 8, 5)) == [(-0.08, False, 8, 5)]  # one episode: RLlib gives the bare item
    assert _episode_rows([(1.0, True, 2, 7), [-1.0, 0, 3, 9]]) == [(1.0, True, 2, 7), (-1.0, False, 3, 9)]
