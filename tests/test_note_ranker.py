"""The learned feature scorer of knowledge notes: update direction, persistence, one 👎's bound (no torch)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vectors import HashEmbedder

from tui_agent.embedding.encoder import EMBEDDING_DIM
from tui_agent.chat.note_ranker import FEATURES, RANKER_FILE, NoteRanker, QEvidence, note_features, shrunk_q
from tui_agent.chat.notes import relevant, strict_answer_match
from tui_agent.notes.schema import Note

D = len(FEATURES)


def candidates(n: int = 6, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(0, 0.3, (n, D))
    x[:, FEATURES.index("rrf_rank")] = 1.0 / (1.0 + np.arange(n))
    return x


def test_a_reward_moves_the_weights_along_the_used_note_minus_the_policy_mean():
    ranker = NoteRanker.open(None)
    x = candidates()
    before, mean = ranker.scores(x), ranker.expected(x)
    w = ranker.learn([(x[3], mean)], [1.0]).copy()
    assert np.allclose(w - ranker.initial, ranker.lr * (x[3] - mean))  # baseline 0, no L2 pull on the first step
    after = ranker.scores(x)
    assert after[3] - before[3] > max(after[i] - before[i] for i in range(len(x)) if i != 3)
    down = NoteRanker.open(None)
    down.learn([(x[3], mean)], [-1.0])
    assert down.scores(x)[3] - before[3] < 0
    assert down.summary()["updates"] == 1 and down.baseline < 0


def test_state_is_saved_beside_the_memory_and_read_back(tmp_path: Path):
    ranker = NoteRanker.open(tmp_path)
    x = candidates()
    ranker.learn([(x[2], ranker.expected(x))], [1.0])
    saved = json.loads((tmp_path / RANKER_FILE).read_text())
    assert saved["features"] == list(FEATURES) and saved["updates"] == 1
    again = NoteRanker.open(tmp_path)
    assert np.allclose(again.weights, ranker.weights) and again.baseline == ranker.baseline
    # two processes: the second one's update starts from the first one's
    other = NoteRanker.open(tmp_path)
    ranker.learn([(x[1], ranker.expected(x))], [1.0])
    other.learn([(x[1], other.expected(x))], [1.0])
    assert NoteRanker.open(tmp_path).updates == 3


def test_an_unreadable_state_file_is_set_aside_and_the_initial_weights_used(tmp_path: Path):
    (tmp_path / RANKER_FILE).write_text("{not json")
    ranker = NoteRanker.open(tmp_path)
    assert np.allclose(ranker.weights, ranker.initial)
    assert (tmp_path / (RANKER_FILE + ".bad")).exists()
    (tmp_path / RANKER_FILE).write_text(json.dumps({"features": ["other"], "weights": [1.0]}))
    assert np.allclose(NoteRanker.open(tmp_path).weights, ranker.initial)  # another feature set: ignored


def test_bad_input_is_refused_with_a_clear_error():
    import pytest

    ranker = NoteRanker.open(None)
    with pytest.raises(ValueError, match="rewards"):
        ranker.learn([(np.zeros(D), np.zeros(D))], [1.0, 0.0])
    with pytest.raises(ValueError, match="values"):
        ranker.learn([(np.zeros(3), np.zeros(3))], [1.0])
    assert ranker.updates == 0


def test_one_thumbs_down_cannot_push_a_note_with_strong_features_out_of_the_top_two():
    ranker = NoteRanker.open(None)
    x = candidates()
    strong = 0  # first by hybrid rank, and its section, heading and BM25 agree
    for name in ("bm25", "bm25_rank", "heading", "words", "section_notes", "section_rrf", "cosine", "cosine_rank"):
        x[strong, FEATURES.index(name)] = 1.0
    x[strong, FEATURES.index("q_prior")] = shrunk_q(-1.0, 1.0)  # and the same question's Q took the 👎 too
    top = np.argsort(-ranker.scores(x), kind="stable")[:2]
    assert strong in top
    ranker.learn([(x[i], ranker.expected(x)) for i in top], [-1.0, -1.0])
    assert strong in np.argsort(-ranker.scores(x), kind="stable")[:2]


def note(text: str, heading: str = "", source: str = "doc.md", title: str = "") -> Note:
    return Note(source=source, text=text, heading=heading, title=title, vector=HashEmbedder().encode_one(text).tolist())


def test_features_have_the_documented_shape_and_ranges():
    notes = [note("str.removeprefix returns a copy of the original string.", "Text › String Methods"),
             note("Lists are mutable sequences.", "Sequence Types › Lists"),
             note(".. function:: len(s)\n\n   >>> len('ab')\n   2", "Built-in Functions", source="chat")]
    ev = {notes[0].id: QEvidence()}
    ev[notes[0].id].add(0.9, 1.0, 1)
    x = note_features("What does removeprefix return on strings?", notes, [0.03, 0.02, 0.01], [0.5, 0.1, -0.2],
                      {notes[0].id: 4.0}, ev)
    assert x.shape == (3, D) and np.all(x >= -1) and np.all(x <= 1)
    row = dict(zip(FEATURES, x[0]))
    assert row["rrf"] == 1.0 and row["bm25"] == 1.0 and row["heading"] > 0 and row["words"] > row["heading"]
    assert row["q_close"] == row["q_prior"] == shrunk_q(0.9, 0.9) > 0
    assert dict(zip(FEATURES, x[1]))["bm25_rank"] == 0.0  # not found by the full-text search
    assert dict(zip(FEATURES, x[2]))["definition"] == 1.0 and dict(zip(FEATURES, x[2]))["chat"] == 1.0
    assert note_features("q", [], [], [], {}, {}).shape == (0, D)


def test_strict_answer_match_needs_whole_words_and_a_minimum_length():
    assert strict_answer_match("It returns a copy of the\noriginal string.", "copy of the original string")
    assert not strict_answer_match("Use ord() for code points", "ord")  # too short to prove anything
    assert not strict_answer_match("a recorded value", "record")  # part of a word
    assert strict_answer_match("Raises KeyError.", "keyerror")


class WordsEmbedder(HashEmbedder):
    """Bag of words: the normalised sum of a random unit vector per content word, so texts that share words
    are similar (like a sentence embedder, unlike :class:`HashEmbedder`)."""

    def encode(self, texts):
        from tui_agent.chat.recall import content_words

        out = []
        for t in texts:
            v = sum((np.asarray(HashEmbedder.encode(self, [w])[0]) for w in content_words(t)), np.zeros(EMBEDDING_DIM))
            out.append(v / (np.linalg.norm(v) or 1.0))
        return np.asarray(out, dtype=np.float32).reshape(len(out), EMBEDDING_DIM)


def test_in_the_chat_one_thumbs_down_keeps_a_strong_note_in_the_prompt(tmp_path: Path):
    from tui_agent.chat.agent import ChatAgent
    from tui_agent.chat.grounding import CHAT_NOTES
    from tui_agent.config.settings import load_settings

    emb = WordsEmbedder()
    agent = ChatAgent(load_settings(memory_dir=tmp_path / "mem", notes_ranker=True), embedder=emb)
    right = "My cat Biscuit sleeps on the red sofa."
    for text in (right, "My dog Rex sleeps in the garden.", "The vet visits on Mondays.", "The sofa is red."):
        agent.remember(text)
    question = "Where does my cat Biscuit sleep?"
    q_vec = emb.encode_one(question)
    used = agent.note_retriever.retrieve(question, CHAT_NOTES, q_vec)
    assert used[0].text == right and used[0].features
    answer_id = agent._store_answer(question, "", "In the garden.", q_vec.tolist(), "test")  # a bad model answer
    agent.notes_used[answer_id] = (question, used)
    agent.rate(answer_id, up=False)
    assert agent.note_retriever.ranker.updates == 1 and (tmp_path / "mem" / RANKER_FILE).exists()
    again = agent.note_retriever.retrieve(question, CHAT_NOTES, q_vec)
    assert right in [u.text for u in relevant(again)]
    assert again[[u.text for u in again].index(right)].q == shrunk_q(-1.0, 1.0)  # the 👎 counted, shrunk
