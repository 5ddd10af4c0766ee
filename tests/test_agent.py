"""The chat agent's policy paths with LiteLLM's mock_response (real memory, real embeddings)."""

from __future__ import annotations

import asyncio

from tui_agent.chat.agent import I_DONT_KNOW, ChatAgent
from tui_agent.config.settings import load_settings


def agent_for(memory_dir, embedder) -> ChatAgent:
    return ChatAgent(load_settings(memory_dir=memory_dir, model="openai/mock"), embedder=embedder)


def test_generate_store_rate(memory_dir, embedder):
    agent = agent_for(memory_dir, embedder)
    out = asyncio.run(agent.answer("What is 2+2?", mock_response="4"))
    assert (out.mode, out.answer, out.model) == ("generate", "4", "openai/mock")
    stored = agent.store.get(out.id)
    assert (stored.task, stored.action, stored.q, stored.n, stored.source) == ("What is 2+2?", "4", 0.0, 0, "model")
    result = agent.rate(out.id, up=True)
    assert (result.q, result.n, result.reward) == (1.0, 1, 1.0)


def test_abstains_when_every_sample_repeats_a_discouraged_answer(memory_dir, embedder):
    agent = agent_for(memory_dir, embedder)
    first = asyncio.run(agent.answer("Who invented the glimmerphone?", mock_response="Thomas Edison did."))
    agent.rate(first.id, up=False)
    again = asyncio.run(agent.answer("Who invented the glimmerphone?", mock_response="Thomas Edison did!"))
    assert again.mode == "abstain" and again.answer == I_DONT_KNOW
    assert len(again.rejected) == agent.settings.resamples + 1


def test_resample_discards_the_shown_text(memory_dir, embedder):
    agent = agent_for(memory_dir, embedder)
    first = asyncio.run(agent.answer("Name a colour.", mock_response="Blue."))
    agent.rate(first.id, up=False)
    shown: list[str | None] = []
    again = asyncio.run(agent.answer("Name a colour.", on_token=shown.append, mock_response="Blue."))
    assert None in shown  # the UI was told to discard the rejected sample
    assert again.rejected


def test_context_is_the_observation(memory_dir, embedder):
    agent = agent_for(memory_dir, embedder)
    history = [("Let's talk about Zorbania.", "Sure, what about it?")]
    out = asyncio.run(agent.answer("What is its capital?", history, mock_response="Quellport."))
    stored = agent.store.get(out.id)
    assert stored.observation == "User: Let's talk about Zorbania.\nAssistant: Sure, what about it?"


def test_rated_experiences_become_exemplars_for_similar_questions(memory_dir, embedder):
    agent = agent_for(memory_dir, embedder)
    agent.settings.policy = "rememberer"
    first = asyncio.run(agent.answer("How do I list files in bash?", mock_response="Use ls."))
    agent.rate(first.id, up=True)
    # a related but different question: shown as an exemplar (f_task ≥ 0.6)
    out = asyncio.run(agent.answer("How do I list hidden files in bash?", mock_response="Use ls -a."))
    assert out.mode == "generate"
    assert [(e.id, e.role) for e in out.exemplars] == [(first.id, "encouraged")]
    assert 0.6 <= out.exemplars[0].f_task < 0.78, out.exemplars[0].f_task


def test_episodic_control_suggests_a_well_rated_answer_to_a_related_question_instead_of_prompting_with_it(
        memory_dir, embedder):
    """episodic-control: the taught answer is shown to the user beside the model's, never put in the model's prompt
    (the small model copies what it is shown into questions about other subjects)."""
    agent = agent_for(memory_dir, embedder)
    first = asyncio.run(agent.answer("How do I list files in bash?", mock_response="Use ls."))
    agent.rate(first.id, up=True)
    out = asyncio.run(agent.answer("How do I list hidden files in bash?", mock_response="Try find."))
    assert (out.mode, out.answer, out.exemplars) == ("generate", "Try find.", [])
    assert out.suggestion is not None and out.suggestion.answer == "Use ls."
    assert 0.665 <= out.suggestion.p < 0.908


def test_answers_and_ratings_go_through_the_episodic_seam(memory_dir, embedder):
    from tui_agent.rlem.episodic import EpisodicMemory

    agent = agent_for(memory_dir, embedder)
    assert isinstance(agent.memory, EpisodicMemory) and agent.replay is agent.memory.replay
    assert agent.note_retriever.replay is agent.note_retriever.memory.replay
    out = asyncio.run(agent.answer("What colour is the sky?", mock_response="Green."))
    assert (out.mode, out.policy) == ("generate", "episodic-control") and out.to_json()["mode"] == "generate"
    agent.rate(out.id, up=False, correction="Blue.")
    fixed = [e for e in agent.store.all(kind="chat") if e.source == "correction"]
    assert [(e.task, e.action, e.q, e.n) for e in fixed] == [("What colour is the sky?", "Blue.", 1.0, 1)]
    assert not agent.replay.records  # one-step episodes: nothing kept in RAM
