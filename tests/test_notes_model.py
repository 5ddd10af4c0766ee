"""The bundled model answers from a remembered note and cites it; a 👎 with a correction changes which notes
are retrieved next (real all-MiniLM-L6-v2, real SmolLM2-135M, real LanceDB tables)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.model


async def test_answer_grounded_in_a_note_and_learning_from_the_correction(tmp_path, embedder):
    from tui_agent.chat.agent import ChatAgent
    from tui_agent.config.settings import load_settings

    agent = ChatAgent(load_settings(memory_dir=tmp_path / "mem"), embedder=embedder)
    agent.remember("My cat is called Biscuit.")
    agent.remember("The vet for my cat is Dr. Hale.")
    agent.remember("The bins go out on Tuesday.")
    first = await agent.answer("What is my cat's name?")
    cited = [n["text"] for n in first.notes]
    assert "My cat is called Biscuit." in cited and "The bins go out on Tuesday." not in cited
    assert "biscuit" in first.answer.lower()
    agent.rate(first.id, up=False, correction="Biscuit")  # the wrong note(s) get −1, the one with the answer +1
    # the next answer would be recalled from the correction; the notes it would use for a rewording:
    question = "What's the name of my cat?"
    used = agent._notes_for(question, embedder.encode_one(question))
    assert used and used[0].text == "My cat is called Biscuit." and used[0].n == 2
    assert all("Hale" not in u.text for u in used)
