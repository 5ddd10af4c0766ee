"""The chat policy's pure parts (tui_agent.chat.policy, tui_agent.chat.prompt) on the RLEM core."""

from __future__ import annotations

import random

import numpy as np

from tui_agent.chat import policy as p
from tui_agent.chat.prompt import chat_messages, format_exemplar, pick_exemplars
from tui_agent.memory.schema import Experience
from tui_agent.rlem.records import records_from_rows, score_records


def unit(i: int, dim: int = 384) -> np.ndarray:
    v = np.zeros(dim, dtype=np.float32)
    v[i] = 1.0
    return v


def cand(action: str, q: float, f_task: float, f_obs: float = 1.0, n: int = 1, task: str = "t") -> p.Candidate:
    exp = Experience(task=task, action=action, q=q, n=n, vector=[0.0] * 384)
    return p.Candidate(exp, f_task, f_obs, 0.5 * f_task + 0.5 * f_obs)


def row(task: str, action: str, q: float, n: int, vec: np.ndarray, observation: str = "", reason: str = ""):
    return Experience(task=task, action=action, q=q, n=n, vector=vec.tolist(), observation=observation,
                      reason=reason)


def test_context_similarity_cases():
    assert p.context_similarity(True, True, 0.0) == 1.0
    assert p.context_similarity(True, False, 0.9) == p.ONE_SIDED_CONTEXT_SIMILARITY
    assert p.context_similarity(False, False, 0.42) == 0.42


def test_chat_similarity_is_the_lambda_mix_of_question_and_context():
    q = (unit(0) + unit(1)) / np.sqrt(2)
    rows = [row("a", "x", 1.0, 1, unit(0)), row("b", "y", 1.0, 1, unit(2), observation="User: hi")]
    records = records_from_rows(rows)
    query = p.ChatQuery(q, unit(5), context_empty=True)
    scored = score_records(p.chat_similarity(0.5), query, records)
    assert scored[0].record.key.task == "a"
    assert abs(scored[0].score - (0.5 * (1 / np.sqrt(2)) + 0.5 * 1.0)) < 1e-6  # both contexts empty → 1
    assert abs(scored[1].f_obs - p.ONE_SIDED_CONTEXT_SIMILARITY) < 1e-9
    with_context = p.ChatQuery(q, unit(7), False, {"User: hi": unit(7)})
    b = [s for s in score_records(p.chat_similarity(0.25), with_context, records) if s.record.key.task == "b"][0]
    assert abs(b.f_obs - 1.0) < 1e-6 and abs(b.score - 0.75) < 1e-6


def test_exemplars_rated_similar_records_most_similar_last():
    q = unit(0)
    rows = [
        row("far", "far", 1.0, 1, unit(3)),
        row("unrated", "u", 0.0, 0, unit(0)),
        row("r1", "r1", 1.0, 1, (0.7 * unit(0) + np.sqrt(1 - 0.49) * unit(4)).astype(np.float32)),
        row("r2", "r2", -1.0, 1, (0.9 * unit(0) + np.sqrt(1 - 0.81) * unit(5)).astype(np.float32)),
    ]
    scored = score_records(p.chat_similarity(), p.ChatQuery(q, q, True), records_from_rows(rows))
    eligible = p.exemplar_records(scored, 0.6)
    assert [s.record.key.task for s in eligible] == ["r2", "r1"]  # unrated and dissimilar left out
    chosen = pick_exemplars(eligible, 2, random.Random(0))
    assert [s.record.key.task for s, _ in chosen] == ["r1", "r2"]  # most similar last
    assert pick_exemplars(eligible, 0, random.Random(0)) == []


def test_exemplar_advice_in_the_reference_line_format():
    rows = [row("What is the capital of Zorbania?", "Paris.", -1.0, 1, unit(0)),
            row("What is the capital of Zorbania?", "Quellport.", 1.0, 1, unit(0), reason="corrected by the user")]
    rec = records_from_rows(rows)[0]
    text = format_exemplar(rec, random.Random(0))
    assert text == ("Question: What is the capital of Zorbania?\nEncouraged:\nQuellport. -> 1.0 corrected by the user"
                    "\nDiscouraged:\nParis. -> -1.0 ")
    only_bad = records_from_rows(rows[:1])[0]
    assert format_exemplar(only_bad, random.Random(0)).split("\n")[1:3] == ["Encouraged:", ""]  # no fill in chat


def test_discouraged_answers_only_for_similar_questions():
    cands = [cand("bad", -1.0, 0.9), cand("bad elsewhere", -1.0, 0.4), cand("good", 1.0, 0.9)]
    assert [answer for answer, _question in p.discouraged_answers(cands, 0.5)] == ["bad"]


def test_near_duplicate():
    bad = ["The capital of Zorbania is Paris."]
    assert p.near_duplicate("the capital of zorbania is  Paris", bad, 85) == bad[0]
    assert p.near_duplicate("Paris is the capital of Zorbania.", bad, 85) == bad[0]  # word order
    assert p.near_duplicate("I am not sure which city that is.", bad, 85) is None


def test_roles():
    assert cand("a", 0.5, 1).role == "encouraged"
    assert cand("a", -0.5, 1).role == "discouraged"
    assert cand("a", 0.0, 1).role == "neutral"


def test_prompt_messages():
    msgs = chat_messages("Zorbania's capital?", [("hi", "hello")], ["Question: x\nEncouraged:\nQuellport -> 1.0 "])
    assert msgs[0]["role"] == "system" and "Quellport -> 1.0" in msgs[0]["content"]
    assert [m["role"] for m in msgs[1:]] == ["user", "assistant", "user"]
    assert msgs[-1]["content"] == "Zorbania's capital?"
    assert "Past questions" not in chat_messages("q", [], [])[0]["content"]


def test_clean_answer_strips_echoed_advice():
    assert p.clean_answer("Berlin is the capital. -> 0.01") == "Berlin is the capital."
    assert p.clean_answer("x -> -1.0 corrected by the user") == "x"
    assert p.clean_answer("a -> b stays") == "a -> b stays"


def test_every_chat_policy_has_one_rule_and_aliases_resolve():
    import pytest

    from tui_agent.config.base import POLICY_TABLE

    assert set(p.CHAT_RULES) == {spec.name for spec in POLICY_TABLE if "chat" in spec.domains}
    for spec in POLICY_TABLE:
        for alias in spec.aliases:
            assert p.chat_rule(alias) is p.CHAT_RULES[spec.name]
    assert p.chat_rule("episodic-control").taught and p.chat_rule("episodic-control").reject
    assert not p.chat_rule("llm").memory_in_prompt and p.chat_rule("random").pick_random
    with pytest.raises(ValueError, match="unknown policy"):
        p.chat_rule("greedy")


def test_generate_rejects_repeats_then_resamples_without_exemplars():
    import asyncio
    from types import SimpleNamespace

    from tui_agent.chat.sampling import I_DONT_KNOW, RESAMPLE_TEMPERATURE, generate

    class Scripted:
        def __init__(self, texts):
            self.texts, self.calls = list(texts), []

        async def stream(self, messages, on_token, **params):
            self.calls.append((messages, params))
            text = self.texts.pop(0)
            if on_token is not None:
                on_token(text)
            return SimpleNamespace(text=text, model="m", incomplete=False, fell_back=False, error=None)

    avoid = [("The mayor is Pierre LeBlanc.", "Who is the mayor of Quellport?")]
    shown: list = []
    llm = Scripted(["Pierre LeBlanc is the mayor. -> 0.0", "Mara Lindqvist."])
    out = asyncio.run(generate(llm, ["with"], ["plain"], avoid, shown.append, {"mock": 1}, temperature=0.2,
                               resamples=2, reject_similarity=90))
    assert (out.text, out.mode, out.rejected) == ("Mara Lindqvist.", "resample", ["Pierre LeBlanc is the mayor."])
    assert llm.calls == [(["with"], {"mock": 1, "temperature": 0.2}),
                         (["plain"], {"mock": 1, "temperature": RESAMPLE_TEMPERATURE, "seed": 1})]
    assert shown == ["Pierre LeBlanc is the mayor. -> 0.0", None, "Mara Lindqvist."]
    gave_up = asyncio.run(generate(Scripted(["Pierre LeBlanc."] * 2), ["with"], ["plain"], avoid, None, {}, temperature=0.2,
                                   resamples=1, reject_similarity=90))
    assert (gave_up.text, gave_up.mode, len(gave_up.rejected)) == (I_DONT_KNOW, "abstain", 2)
    once = asyncio.run(generate(Scripted(["LeBlanc."]), ["with"], ["plain"], [], None, {"temperature": 0.7},
                                temperature=0.2, resamples=3, reject_similarity=90))
    assert (once.mode, once.rejected) == ("generate", [])  # nothing to avoid: one sample, its own temperature
