"""The bundled model answers from a remembered note and cites it; a 👎 with a correction changes which notes
are retrieved next (real all-MiniLM-L6-v2, real SmolLM2-135M, real LanceDB tables)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.model


async def test_answer_grounded_in_a_note_and_learning_from_the_correction(tmp_path, embedder):
    from tui_agent.chat.agent import ChatAgent
    from tui_agent.config import load_settings

    agent = ChatAgent(load_settings(memory_dir=tmp_path / "mem"), embedder=embedder)
    agent.remember("My cat is called Biscuit.")
    agent.remember("The vet for my cat is Dr. Hale.")
    agent.remember("The bins go out on Tuesday.")
    first = await agent.answer("What is my cat's name?")
    cited = [n["text"] for n in first.notes]
    assert "My cat is called Biscuit." in cited and "The bins go out on Tuesday." not in cited
    assert "biscuit" in first.answer.lower()
    agent.rate(first.id, up=False, correction="Biscuit")  # the wrong note(s) get −1, the one with the answer +1
    again = await agent.answer("What's the name of my cat?")
    assert again.notes and again.notes[0]["text"] == "My cat is called Biscuit."
    assert all("Hale" not in n["text"] for n in again.notes)
