"""Note retrieval as a one-step RLEM decision: Q from reward re-ranks the notes (real LanceDB, no torch)."""

from __future__ import annotations

import sys
from pathlib import Path

from vectors import HashEmbedder

from tui_agent.chat.notes import NOTE_KIND, NoteRetriever, contains_answer
from tui_agent.memory.store import ExperienceStore
from tui_agent.notes.add import remember
from tui_agent.notes.store import NoteStore


def make(tmp_path: Path):
    notes = NoteStore(tmp_path / "mem")
    emb = HashEmbedder()
    for text in ("The cat sleeps on the red sofa.", "The cat is called Biscuit.", "The dog is called Rex."):
        remember(notes, emb, text)
    return notes, ExperienceStore(tmp_path / "mem"), emb


def test_thumbs_down_on_a_wrong_note_changes_the_next_retrieval(tmp_path: Path):
    notes, experiences, emb = make(tmp_path)
    retriever = NoteRetriever(notes, experiences, emb)
    question = "cat sofa called?"
    first = retriever.retrieve(question, k=2)
    assert len(first) == 2 and first[0].q == 0.0 and first[0].n == 0
    wrong = first[0]
    updates = retriever.learn(question, [wrong], [-1.0])
    assert updates == [(wrong.id, -1.0, 1)]
    again = retriever.retrieve(question, k=2)
    assert again[0].id != wrong.id
    demoted = next(u for u in retriever.retrieve(question, k=3) if u.id == wrong.id)
    assert demoted.q == -1.0 and demoted.n == 1
    # the same decision is updated in place (running mean), not stored twice
    retriever.learn(question, [demoted], [1.0])
    assert experiences.count(NOTE_KIND) == 1
    row = experiences.all(NOTE_KIND)[0]
    assert (row.q, row.n, row.task, row.action) == (0.0, 2, question, wrong.id)
    assert row.reason.startswith("note ")  # the citation of a /remember note


def test_reward_one_promotes_the_note_that_contains_the_answer(tmp_path: Path):
    notes, experiences, emb = make(tmp_path)
    retriever = NoteRetriever(notes, experiences, emb)
    question = "What is the cat called?"
    used = retriever.retrieve(question, k=3)
    rewards = [1.0 if contains_answer(u.text, "biscuit") else 0.0 for u in used]
    retriever.learn(question, used, rewards)
    best = retriever.retrieve(question, k=1)[0]
    assert "Biscuit" in best.text and best.q == 1.0
    plain = NoteRetriever(notes, experiences, emb, learned=False).retrieve(question, k=3)
    assert all(u.q == 0.0 for u in plain)


def test_no_torch_imported():
    """These modules load without torch (checked in a fresh interpreter: other test files may load it here)."""
    import subprocess

    code = "import sys, tui_agent.chat.notes, tui_agent.chat.grounding, tui_agent.chat.agent; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_thumbs_down_with_a_correction_keeps_the_note_that_has_it(tmp_path: Path):
    from tui_agent.chat.agent import ChatAgent
    from tui_agent.config.settings import load_settings

    agent = ChatAgent(load_settings(memory_dir=tmp_path / "mem", notes_ranker=False),  # per-item Q only
                      embedder=HashEmbedder())
    agent.remember("My cat is called Biscuit.")
    agent.remember("The vet for my cat is Dr. Hale.")
    question = "What is the name of my cat?"
    used = agent.note_retriever.retrieve(question, 2)
    assert len(used) == 2
    q_vec = HashEmbedder().encode_one(question)
    answer_id = agent._store_answer(question, "", "Dr. Hale.", q_vec.tolist(), "test")
    agent.notes_used[answer_id] = (question, used)
    agent.rate(answer_id, up=False, correction="Her name is Biscuit")
    after = {u.text: (u.q, u.n) for u in agent.note_retriever.retrieve(question, 2)}
    assert after == {"My cat is called Biscuit.": (0.0, 2), "The vet for my cat is Dr. Hale.": (-1.0, 1)}
    assert agent.note_retriever.retrieve(question, 1)[0].text == "My cat is called Biscuit."
