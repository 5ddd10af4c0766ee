"""A correction holds (issue 20): a rated-down answer never comes back, a correction is filed under the
question the user asked, and a dismissed suggestion is not suggested again.

The Quellport session of the issue runs on the real bundled model (marker ``model``); the rest use
LiteLLM's ``mock_response`` for the model and the real embedder.
"""

from __future__ import annotations

import asyncio

import pytest

from tui_agent.chat.agent import ChatAgent
from tui_agent.config.settings import load_settings

MAYOR = "Who is the mayor of Quellport?"
REWORDINGS = ["Who is Quellport's mayor?", "Tell me the name of the person who governs Quellport.",
              "Who runs Quellport?", "Who is the mayor of Paris?"]


def agent_for(memory_dir, embedder, model: str = "openai/mock", **settings) -> ChatAgent:
    return ChatAgent(load_settings(memory_dir=memory_dir, model=model, **settings), embedder=embedder)


def teach(agent: ChatAgent, question: str, wrong: str, right: str) -> str:
    first = asyncio.run(agent.answer(question, mock_response=wrong))
    return agent.rate(first.id, up=False, correction=right).correction_id


@pytest.mark.model
def test_quellport_rated_down_mayor_never_comes_back(memory_dir, embedder):
    """The issue's tmux session: 👎 "Pierre LeBlanc" + correction, then rewordings on the real model."""
    agent = agent_for(memory_dir, embedder, model="local/smollm2")
    teach(agent, MAYOR, "Pierre LeBlanc", "Mara Lindqvist")
    for question in REWORDINGS:
        out = asyncio.run(agent.answer(question))
        shown = out.answer + (out.suggestion.answer if out.suggestion else "")
        assert "leblanc" not in out.answer.lower(), (question, out)
        assert "leblanc" not in shown.lower()
    near = asyncio.run(agent.answer("Who is Quellport's mayor?"))
    assert (near.mode, near.answer) == ("recall", "Mara Lindqvist")


def test_repeat_of_a_rated_down_answer_is_rejected_for_a_reworded_question(memory_dir, embedder):
    agent = agent_for(memory_dir, embedder, resamples=1)
    teach(agent, MAYOR, "Pierre LeBlanc", "Mara Lindqvist")
    out = asyncio.run(agent.answer("Who is the mayor of Paris?", mock_response="The mayor is Pierre LeBlanc."))
    assert out.mode == "abstain" and out.rejected == ["The mayor is Pierre LeBlanc."] * 2
    assert "LeBlanc" not in out.answer


def test_correction_of_a_recalled_answer_is_filed_under_the_question_asked(memory_dir, embedder):
    """The locker / storage-room case: recall forced (recall band 0.01), then 👎 + correction."""
    agent = agent_for(memory_dir, embedder, recall_band=0.01, suggest_band=0.005)
    storage = teach(agent, "What is the door code of the storage room?", "1234", "The storage room code is 4471.")
    locker = "What is my gym locker number?"
    out = asyncio.run(agent.answer(locker, mock_response="unused"))
    assert out.mode == "recall" and out.answer == "The storage room code is 4471."
    assert out.id != storage  # the pairing (locker question → storage answer) is rated, not the fact
    result = agent.rate(out.id, up=False, correction="Your gym locker is number 112.")
    filed = agent.store.get(result.correction_id)
    assert (filed.task, filed.action, filed.q) == (locker, "Your gym locker is number 112.", 1.0)
    assert agent.store.get(storage).q == 1.0  # the taught fact keeps its value
    again = asyncio.run(agent.answer(locker, mock_response="unused"))
    assert (again.mode, again.answer) == ("recall", "Your gym locker is number 112.")


def test_dismissed_suggestion_is_not_suggested_again_and_accepted_one_is_recalled(memory_dir, embedder):
    agent = agent_for(memory_dir, embedder, recall_band=0.99, suggest_band=0.3)
    teach(agent, "What is the guest Wi-Fi password?", "hunter2", "The guest Wi-Fi password is bluefinch-77.")
    staff = "What is the staff Wi-Fi password?"
    out = asyncio.run(agent.answer(staff, mock_response="I do not know."))
    assert out.suggestion is not None and out.suggestion.answer == "The guest Wi-Fi password is bluefinch-77."
    agent.rate(out.suggestion.id, up=False)  # dismiss
    again = asyncio.run(agent.answer(staff, mock_response="I do not know."))
    assert again.suggestion is None and again.mode == "generate"
    visitors = "How do visitors get on the wifi?"
    offered = asyncio.run(agent.answer(visitors, mock_response="Ask at the desk."))
    assert offered.suggestion is not None
    agent.rate(offered.suggestion.id, up=True)  # accept: the new wording becomes a recall key
    recalled = asyncio.run(agent.answer(visitors, mock_response="unused"))
    assert (recalled.mode, recalled.answer) == ("recall", "The guest Wi-Fi password is bluefinch-77.")
    assert agent.calibration.summary()["accepted"] == 1 and agent.calibration.summary()["dismissed"] == 1
