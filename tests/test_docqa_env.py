"""DocumentQA-v0: every action kind, invalid actions, the step limit, rewards worked out by hand,
the correctness check, the corpus (same chunks and note ids as the notes table) and ``check_env``."""

from __future__ import annotations

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import tui_agent.envs  # noqa: F401  (registers the ids)
from tui_agent.envs import DOCQA_ENV_ID
from tui_agent.envs.docqa import (
    DocQAEnv,
    builtin_corpus,
    extractive_answer,
    is_correct,
    load_questions,
    normalize,
    parse_action,
    token_f1,
)
from tui_agent.envs.docqa.env import ANSWER_PLACEHOLDER, SEARCH_PLACEHOLDER


@pytest.fixture(scope="module")
def env() -> DocQAEnv:
    return gymnasium.make(DOCQA_ENV_ID).unwrapped


def test_question_set_is_packaged_with_both_splits():
    train, test = load_questions("train"), load_questions("test")
    assert len(train) == len(test) == 196
    assert {q["fact"] for q in train} == {q["fact"] for q in test}
    assert all(q["question"] and q["answer"] for q in train + test)
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        load_questions("dev")


def test_corpus_chunks_are_the_notes_tables_with_the_same_ids():
    from tui_agent.notes.builtin import builtin_files
    from tui_agent.notes.ingest import chunk_document, read_document
    from tui_agent.notes.schema import Note

    corpus = builtin_corpus()
    path, source = builtin_files("python-docs")[0]
    doc = read_document(path)
    expected = [Note(source, text, title=doc.title, heading=h, position=j).id
                for j, (h, text) in enumerate(chunk_document(doc, "rst"))]
    ours = [p.note_id for p in corpus.passages if p.source == source]
    assert ours == expected and len(corpus.passages) > 2000


def test_reset_shows_the_questions_own_search(env):
    obs, info = env.reset(options={"split": "test", "question_index": 0})
    q = load_questions("test")[0]
    assert obs.startswith(f"Question: {q['question']}\nSearch results for \"{q['question']}\":\n[1] ")
    assert info["question"] == q["question"] and info["step"] == 0 and info["valid"]
    assert info["available_actions"] == [SEARCH_PLACEHOLDER, *(f"read[{i}]" for i in range(1, 6)), ANSWER_PLACEHOLDER]
    assert len(info["results"]) == 5 and info["passage"] is None
    assert info["gold"]["answer"] == q["answer"] and q["answer"] not in obs.split("\n")[0]


def test_search_read_and_a_correct_answer(env):
    env.reset(options={"split": "train", "question_index": 0})
    obs, r, term, trunc, info = env.step("search[removeprefix]")
    assert (r, term, trunc, info["valid"], info["query"]) == (-0.01, False, False, True, "removeprefix")
    assert 'Search results for "removeprefix":' in obs
    obs, r, term, trunc, info = env.step("read[1]")
    assert (r, term, info["valid"]) == (-0.01, False, True)
    assert info["passage"] and info["read_note_id"] == info["results"][0]["note_id"]
    assert "\nPassage read ([1] " in obs and info["passage"] in obs
    obs, r, term, trunc, info = env.step("answer[It returns a copy of the original string.]")
    assert (r, term, trunc, info["correct"], info["success"]) == (1.0, True, False, True, True)
    assert info["answer"] == "It returns a copy of the original string." and info["available_actions"] == []
    # after the end: no-ops
    assert env.step("read[1]")[1:4] == (0.0, True, False)


def test_a_wrong_answer_costs_one(env):
    env.reset(options={"split": "train", "question_index": 0})
    _, r, term, _, info = env.step("answer[a new list]")
    assert (r, term, info["correct"]) == (-1.0, True, False)


@pytest.mark.parametrize("action", ["click[Buy Now]", "read[0]", "read[6]", "read[x]", "search[]", "answer[]",
                                    SEARCH_PLACEHOLDER, ANSWER_PLACEHOLDER, "", "read 1", "answer"])
def test_invalid_actions_are_no_ops_that_cost_a_step(env, action):
    obs0, _ = env.reset(options={"split": "test", "question_index": 1})
    obs, r, term, trunc, info = env.step(action)
    assert (obs, r, term, trunc, info["valid"], info["step"]) == (obs0, -0.01, False, False, False, 1)


def test_time_out_after_max_steps_adds_nothing():
    env = DocQAEnv(max_steps=3, step_cost=0.05)
    env.reset(options={"split": "test", "question_index": 2})
    rewards = [env.step("read[1]")[1] for _ in range(2)]
    _, r, term, trunc, info = env.step("read[2]")
    assert rewards == [-0.05, -0.05] and (r, term, trunc) == (-0.05, False, True)
    assert info["answer"] is None and info["correct"] is False and info["truncated"] is True


def test_a_users_own_question_has_no_gold(env):
    obs, info = env.reset(options={"question": "How do I join path parts?"})
    assert obs.startswith("Question: How do I join path parts?") and info["gold"]["split"] == "user"
    _, r, term, _, info = env.step("answer[os.path.join]")
    assert (r, term, info["correct"], info["judged"]) == (0.0, True, False, False)  # no gold answer: not judged


def test_settings_are_checked():
    with pytest.raises(ValueError):
        DocQAEnv(split="dev")
    with pytest.raises(ValueError):
        DocQAEnv(max_steps=0)
    with pytest.raises(ValueError, match="out of range"):
        DocQAEnv().reset(options={"split": "test", "question_index": 196})


def test_check_env_passes():
    check_env(gymnasium.make(DOCQA_ENV_ID).unwrapped, skip_render_check=True)


@pytest.mark.parametrize("answer, gold, ok", [
    ("It returns a copy of the original string.", "copy of the original string", True),
    ("COPY of the original-string", "copy of the original string", True),
    ("a copy of the string", "copy of the original string", True),       # F1 0.86
    ("the original", "copy of the original string", False),              # F1 0.4 (articles dropped)
    ("original string copy", "copy of the original string", True),       # F1 0.86
    ("nothing", "copy of the original string", False),
    ("", "x", False),
    ("copy of the original string " + "padding " * 60, "copy of the original string", False),  # > 60 words
])
def test_correctness_by_hand(answer, gold, ok):
    assert is_correct(answer, gold) is ok


def test_token_f1_and_normalize_by_hand():
    assert normalize("The os.path.join() — Join!") == "os path join join"
    assert token_f1("x y z", "x y") == pytest.approx(0.8)  # precision 2/3, recall 1
    assert token_f1("the x", "x") == 1.0  # articles do not count
    assert token_f1("x", "") == 0.0


def test_action_parser():
    assert parse_action(" Read[2] ") == ("read", "2")
    assert parse_action("answer[a [nested] text]") == ("answer", "a [nested] text")
    assert parse_action("click[x]") is None


def test_extractive_answer_picks_the_sentence_with_the_question_words():
    passage = ("Strings are immutable. If the string starts with the prefix, return string[len(prefix):]. "
               "Otherwise, return a copy of the original string.")
    assert extractive_answer("Otherwise, what does it return: a copy?", passage) \
        == "Otherwise, return a copy of the original string."
    assert extractive_answer("anything", "") == ""
