"""The chat policy's pure functions (tui_agent.rlem.chat_policy)."""

from __future__ import annotations

from tui_agent.memory.schema import Experience
from tui_agent.rlem import chat_policy as p
from tui_agent.rlem.advice import advice_line, chat_messages


def cand(action: str, q: float, f_task: float, f_obs: float = 1.0, n: int = 1, task: str = "t") -> p.Candidate:
    exp = Experience(task=task, action=action, q=q, n=n, vector=[0.0] * 384)
    return p.Candidate(exp, f_task, f_obs, p.combined_score(f_task, f_obs))


def test_combined_score_is_lambda_mix():
    assert p.combined_score(0.8, 0.2, 0.5) == 0.5
    assert p.combined_score(0.8, 0.2, 1.0) == 0.8
    assert abs(p.combined_score(0.8, 0.2, 0.25) - 0.35) < 1e-12


def test_context_similarity_cases():
    assert p.context_similarity(True, True, 0.0) == 1.0
    assert p.context_similarity(True, False, 0.9) == p.ONE_SIDED_CONTEXT_SIMILARITY
    assert p.context_similarity(False, False, 0.42) == 0.42


def test_recall_needs_both_similarity_and_q():
    good = cand("Quellport", 1.0, 0.9)
    assert p.choose_recall([good], 0.78, 0.5) is good
    assert p.choose_recall([cand("x", 1.0, 0.7)], 0.78, 0.5) is None  # different question
    assert p.choose_recall([cand("x", 0.0, 0.99)], 0.78, 0.5) is None  # unrated
    assert p.choose_recall([cand("x", -1.0, 0.99)], 0.78, 0.5) is None  # discouraged


def test_recall_prefers_highest_estimated_value():
    a = cand("a", 0.6, 0.95)
    b = cand("b", 1.0, 0.85)
    assert p.choose_recall([a, b], 0.78, 0.5) is b  # 0.85 > 0.57


def test_rank_breaks_ties_by_visits():
    a = cand("a", 0.0, 0.8, n=1)
    b = cand("b", 0.0, 0.8, n=5)
    assert p.rank([a, b])[0] is b


def test_exemplars_filtered_rated_first_most_similar_last():
    far = cand("far", 1.0, 0.3)
    unrated = cand("unrated", 0.0, 0.99, n=0)
    r1 = cand("r1", 1.0, 0.7)
    r2 = cand("r2", -1.0, 0.9)
    chosen = p.choose_exemplars([far, unrated, r1, r2], 2, 0.6)
    assert [c.experience.action for c in chosen] == ["r1", "r2"]  # unrated and dissimilar left out
    assert p.choose_exemplars([r1], 0, 0.0) == []


def test_discouraged_answers_only_for_same_question():
    cands = [cand("bad", -1.0, 0.9), cand("bad elsewhere", -1.0, 0.5), cand("good", 1.0, 0.9)]
    assert p.discouraged_answers(cands, 0.78) == ["bad"]


def test_near_duplicate():
    bad = ["The capital of Zorbania is Paris."]
    assert p.near_duplicate("the capital of zorbania is  Paris", bad, 85) == bad[0]
    assert p.near_duplicate("Paris is the capital of Zorbania.", bad, 85) == bad[0]  # word order
    assert p.near_duplicate("I am not sure which city that is.", bad, 85) is None


def test_roles():
    assert cand("a", 0.5, 1).role == "encouraged"
    assert cand("a", -0.5, 1).role == "discouraged"
    assert cand("a", 0.0, 1).role == "neutral"


def test_advice_line_and_prompt():
    assert advice_line("click[Buy Now]", 1.0, "it matches") == "click[Buy Now] -> 1.00 it matches"
    assert advice_line("two\nlines", -0.5) == "two lines -> -0.50"
    ex = cand("Quellport", 1.0, 0.9, task="What is the capital of Zorbania?")
    msgs = chat_messages("Zorbania's capital?", [("hi", "hello")], [ex])
    assert msgs[0]["role"] == "system" and "Encouraged answer" in msgs[0]["content"]
    assert "Quellport -> 1.00" in msgs[0]["content"]
    assert [m["role"] for m in msgs[1:]] == ["user", "assistant", "user"]
    assert msgs[-1]["content"] == "Zorbania's capital?"
    assert "Past questions" not in chat_messages("q", [], [])[0]["content"]


def test_clean_answer_strips_echoed_advice():
    assert p.clean_answer("Berlin is the capital. -> 0.01") == "Berlin is the capital."
    assert p.clean_answer("x -> -1.00 ") == "x"
    assert p.clean_answer("a -> b stays") == "a -> b stays"
