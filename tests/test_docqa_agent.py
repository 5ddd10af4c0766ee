"""The DocumentQA agent over the RLEM core: policies run, the episodic-control policy explores, learns a note's
Q-value, exploits it, brings it back by a remembered search, and takes 👍/👎. Real LanceDB memory;
question embeddings from a stand-in (the learning claim on the real embedder is the model test)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.vectors import HashEmbedder
from tui_agent.docqa.agent import DocQAAgent, DocQAConfig, docqa_policy
from tui_agent.docqa.records import role_of
from tui_agent.envs.docqa import DocQAEnv, builtin_corpus, extractive_answer, is_correct, load_questions


class AliasEmbedder(HashEmbedder):
    """HashEmbedder, but the texts of ``alias`` get the vector of the text they map to."""

    def __init__(self, alias: dict[str, str]) -> None:
        super().__init__()
        self.alias = alias

    def encode_one(self, text):
        return super().encode_one(self.alias.get(text, text))


@pytest.fixture(scope="module")
def env() -> DocQAEnv:
    return DocQAEnv(split="train")


def _late_answer(max_rank: int = 4) -> tuple[int, int]:
    """A train question whose first result does not answer it but result k (2..max_rank) does."""
    corpus = builtin_corpus()
    for i, q in enumerate(load_questions("train")):
        results = corpus.search(q["question"], 5)
        ok = [is_correct(extractive_answer(q["question"], corpus.read(r.note_id)), q["answer"]) for r in results]
        if ok and not ok[0] and True in ok[:max_rank]:
            return i, ok.index(True) + 1
    raise AssertionError("no such question")


def agent_for(store, embedder=None, **config) -> DocQAAgent:
    return DocQAAgent(store, embedder or HashEmbedder(), None, DocQAConfig(scorer="constant", seed=0, **config))


def test_policy_names():
    assert docqa_policy("rlem") == "episodic-control"
    with pytest.raises(ValueError, match="unknown policy 'greedy'"):
        docqa_policy("greedy")
    with pytest.raises(ValueError, match="unknown answerer"):
        DocQAConfig(answerer="oracle")


def test_random_policy_runs_valid_steps_and_writes_nothing(store, env):
    agent = agent_for(store)
    r = agent.run_episode(env, {"split": "test", "question_index": 0}, "random")
    assert r.steps and all(s.valid for s in r.steps) and r.ret == pytest.approx(sum(s.reward for s in r.steps))
    assert store.count("docqa") == 0 and not r.learned


def test_episodic_control_explores_result_by_result_then_exploits_what_worked(store, env):
    index, rank = _late_answer()
    agent = agent_for(store)
    tried = []
    for _ in range(rank):
        r = agent.run_episode(env, {"split": "train", "question_index": index}, "episodic-control", learn=True)
        tried.append(r.steps[0].action)
        assert [s.chosen_by for s in r.steps] == ["explore", "explore"]
    assert tried == [f"read[{k}]" for k in range(1, rank + 1)]  # one new note per episode, in rank order
    assert r.correct and r.ret == pytest.approx(1 - 0.01)
    # what failed is remembered as failing: Q = -1 - 0.01 for reading, -1 for answering (γ = 1, n-step return)
    rows = store.all(kind="docqa")
    reads = {role_of(x.action, x.reason)[1]: x.q for x in rows if x.action.startswith("read[")}
    assert sorted(round(q, 4) for q in reads.values()) == sorted([-1.01] * (rank - 1) + [0.99])
    # frozen memory, no exploration: the remembered note is read and answered from at once
    again = agent.run_episode(env, {"split": "train", "question_index": index}, "episodic-control")
    assert again.correct and [s.chosen_by for s in again.steps] == ["memory", "memory"]
    assert again.steps[0].action == f"read[{rank}]" and store.count("docqa") == len(rows)


def test_a_remembered_question_brings_its_note_back_by_search(store, env):
    index, rank = _late_answer()
    q = load_questions("train")[index]
    other = "zebra xylophone quokka"  # no word in common: its own search finds something else
    agent = agent_for(store, AliasEmbedder({other: q["question"]}))
    for _ in range(rank):
        agent.run_episode(env, {"split": "train", "question_index": index}, "episodic-control", learn=True)
    good = next(x for x in store.all(kind="docqa") if x.action.startswith("read[") and x.q > 0)
    r = agent.run_episode(env, {"question": other, "answer": q["answer"]}, "episodic-control")
    assert r.steps[0].action == f"search[{q['question']}]" and r.steps[0].chosen_by == "memory"
    assert r.steps[1].action == f"read[{rank}]" and r.steps[1].action_reason == good.reason
    assert r.steps[2].action.startswith("answer[")  # (from the right note; the words come from the user's question)


def test_feedback_moves_every_step_towards_plus_or_minus_one(store, env):
    agent = agent_for(store)
    r = agent.run_episode(env, {"split": "test", "question_index": 3}, "episodic-control")
    updates = agent.feedback(r, up=True)
    assert len(updates) == len(r.steps) and all(q == 1.0 and n == 1 for _, q, n in updates)
    updates = agent.feedback(r, up=False)
    assert all(q == pytest.approx(0.0) and n == 2 for _, q, n in updates)


def test_llm_and_rememberer_rank_actions_with_the_scorer(store, env):
    seen = []

    def scorer(prompt, continuations):
        seen.append((prompt, continuations))
        return list(np.arange(len(continuations), dtype=float))  # the last candidate is most likely

    for policy in ("llm", "rememberer"):
        agent = DocQAAgent(store, HashEmbedder(), None, DocQAConfig(seed=0), scorer=scorer)
        r = agent.run_episode(env, {"split": "test", "question_index": 4}, policy)
        assert r.steps[0].action == "read[5]" and r.steps[0].chosen_by == policy
    assert all("read[1] ->" in c[0] for _, c in seen[:1])


@pytest.mark.model
def test_rlem_on_the_real_embedder_answers_more_test_questions_after_training(store):
    """Two passes over the train questions (episodic-control, memory updated every step): the test questions —
    other phrasings of the same facts — are answered correctly more often than with an empty memory
    (always answering), and the return rises (the default: no blind answers where they failed)."""
    from tui_agent.docqa.policy import PolicyConfig
    from tui_agent.docqa.protocol import evaluate, train
    from tui_agent.embedding.encoder import shared_embedder

    def agent(**policy):
        return DocQAAgent(store, shared_embedder(), None,
                          DocQAConfig(scorer="constant", seed=0, policy=PolicyConfig(**policy)))

    env = DocQAEnv(split="train")
    before = evaluate(agent(generic=False), env, 196, "episodic-control")
    report = train(agent(), env, 2 * 196, 0, "episodic-control")
    first, second = report["successes"][:196], report["successes"][196:]
    assert sum(second) > sum(first)  # the second pass over the same questions is answered better
    eager = evaluate(agent(generic=False), env, 196, "episodic-control")
    assert eager["success_rate"] >= before["success_rate"] + 0.03, (before["success_rate"], eager["success_rate"])
    default = evaluate(agent(), env, 196, "episodic-control")
    assert default["avg_return"] >= before["avg_return"] + 0.2, (before["avg_return"], default["avg_return"])


def test_where_answering_unknown_notes_failed_the_policy_keeps_reading_instead(store, env):
    """Generic (per action kind) estimates: after answers from unknown notes failed, a question the memory
    knows nothing about is not answered blindly (−1) but read through to the time-out (−0.08);
    ``generic=False`` (the chat's /doc) answers anyway."""
    from tui_agent.docqa.policy import PolicyConfig

    corpus = builtin_corpus()
    failing = [i for i, q in enumerate(load_questions("train"))
               if not is_correct(extractive_answer(q["question"], corpus.read(corpus.search(q["question"], 1)[0].note_id)),
                                 q["answer"])][:6]
    agent = agent_for(store)
    for i in failing:
        assert not agent.run_episode(env, {"split": "train", "question_index": i}, "episodic-control", learn=True).correct
    r = agent.run_episode(env, {"split": "test", "question_index": 100}, "episodic-control")
    assert r.answer is None and len(r.steps) == env.max_steps and r.ret == pytest.approx(-0.08)
    assert [s.action for s in r.steps[:5]] == [f"read[{k}]" for k in range(1, 6)]
    eager = agent_for(store, policy=PolicyConfig(generic=False))
    r = eager.run_episode(env, {"split": "test", "question_index": 100}, "episodic-control")
    assert r.answer is not None and len(r.steps) == 2
