"""Rows 9 and 11 of issue 24 and the builtin corpus of issue 23: ``notes add`` in linear time, few commits.

9.  Deeply nested HTML was quadratic (every text node walked all its ancestors: 16k levels 19 s, 5 MB
    hours) and a 5 MB one-line text chunked in quadratic time. Now HTML is one pass of libxml2's event
    parser and the splitter sees bounded windows (figures: ``benchmarks/notes_add.py``, ``docs/notes_add.md``).
11. Many small files made one commit (table version) each, never cleaned: 1,000 files → 1,003 versions.
    Now a batch of files is one commit, old versions are removed after the add, and a batch that fails
    stops the add with an error naming what was added and what was not.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from vectors import HashEmbedder

from tui_agent.notes import add as add_module
from tui_agent.notes.add import NotesAddError, add_paths
from tui_agent.notes.ingest import CHUNK_CHARS, WINDOW_CHARS, chunk_document, parse_text, windows
from tui_agent.notes.store import KEEP_VERSIONS, NoteStore


# --- row 9 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [2_000, 20_000])
def test_deeply_nested_html_parses_with_its_text_and_headings(depth):
    html = ("<html><head><title>Deep</title><script>var x = 1;</script></head><body><h1>Top</h1>"
            + "<div><span>word " * depth + "<h2>Inner</h2><p>the bottom</p>" + "</span></div>" * depth
            + "<p>after</p></body></html>")
    doc = parse_text(html, "html")
    assert doc.title == "Deep"
    text = " ".join(s.text for s in doc.sections)
    assert text.count("word") == depth and "the bottom" in text and "after" in text and "var x" not in text
    assert doc.sections[-1].headings == ["Top", "Inner"]


@pytest.mark.parametrize("junk", ["<a x='", "</x", "<!", "<a", "<?"])
def test_malformed_tags_repeated_parse(junk):
    """Python 3.11's html.parser is quadratic on these (20,000 × ``<a x='``: 166 s); libxml2 is not."""
    doc = parse_text("<p>kept</p>" + junk * 20_000, "html")
    assert "kept" in doc.sections[0].text


def test_a_long_one_line_text_chunks_to_bounded_sizes():
    line = " ".join(f"word{i % 977}" for i in range(200_000))  # ~1.7 MB, no line break
    chunks = [t for _h, t in chunk_document(parse_text(line, "text"), "text")]
    assert max(len(c) for c in chunks) <= CHUNK_CHARS[1]
    assert " ".join(chunks).split() == line.split()  # nothing lost or doubled at the window edges


def test_windows_are_bounded_and_lossless():
    for text in ["x" * 50_000, "a b " * 20_000, ("line\n" * 9_000), ""]:
        parts = list(windows(text))
        assert "".join(parts) == text and all(len(p) <= WINDOW_CHARS for p in parts)
    assert all(p.endswith(" ") for p in list(windows("ab " * 20_000))[:-1])  # cut after a space


# --- row 11 -------------------------------------------------------------------------------------------


@pytest.fixture
def many(tmp_path):
    d = tmp_path / "many"
    d.mkdir()
    for i in range(200):
        (d / f"n{i:03d}.txt").write_text(f"tiny note number {i}\n")
    return d


def test_200_files_make_few_table_versions(tmp_path, many, monkeypatch):
    monkeypatch.setattr(add_module, "BATCH_FILES", 64)  # 4 batches
    store = NoteStore(tmp_path / "mem")
    report = add_paths(store, HashEmbedder(), [many])
    assert len(report.added) == 200 and store.count() == 200 and not report.problems
    assert len(store.table.list_versions()) <= 8
    (many / "n000.txt").write_text("changed\n")
    again = add_paths(store, HashEmbedder(), [many])
    assert len(again.added) == 1 and len(again.unchanged) == 199 and store.count() == 200
    assert len(store.table.list_versions()) <= KEEP_VERSIONS + 2  # old versions are removed after every add


class FailingStore(NoteStore):
    """A store whose n-th batch write fails as a full disk would."""

    fail_at = 3

    def replace_sources(self, batch):
        self.fail_at -= 1
        if self.fail_at == 0:
            raise RuntimeError("No space left on device (os error 28)")
        return super().replace_sources(batch)


def test_a_batch_failing_midway_names_what_was_and_was_not_added(tmp_path, many, monkeypatch):
    monkeypatch.setattr(add_module, "BATCH_FILES", 50)
    store = FailingStore(tmp_path / "mem")
    with pytest.raises(NotesAddError) as caught:
        add_paths(store, HashEmbedder(), [many])
    report, message = caught.value.report, str(caught.value)
    assert len(report.added) == 100 and len(report.not_added) == 100 and store.count() == 100
    assert set(report.added) | set(report.not_added) == {str(p.resolve()) for p in many.iterdir()}
    assert set(report.added) == set(store.sources())
    assert "No space left" in message and "100 file(s) were added" in message and "100 were not" in message
    assert "\n" not in message
    retry = add_paths(NoteStore(tmp_path / "mem"), HashEmbedder(), [many])  # the rest, nothing twice
    assert len(retry.added) == 100 and len(retry.unchanged) == 100


def test_the_cli_reports_a_failed_batch(tmp_path, many, monkeypatch):
    import tui_agent.embedding.encoder
    import tui_agent.notes.store as store_module
    from tui_agent.cli import app

    monkeypatch.setattr(tui_agent.embedding.encoder, "shared_embedder", lambda: HashEmbedder())
    monkeypatch.setattr(add_module, "BATCH_FILES", 50)
    original, calls = store_module.NoteStore.replace_sources, []

    def second_fails(self, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise RuntimeError("No space left on device (os error 28)")
        return original(self, batch)

    monkeypatch.setattr(store_module.NoteStore, "replace_sources", second_fails)
    out = CliRunner().invoke(app, ["notes", "add", str(many), "--json", "--memory-dir", str(tmp_path / "mem")])
    assert out.exit_code == 1
    assert "50 file(s) were added" in out.stderr and "150 were not" in out.stderr
    assert len(json.loads(out.stdout)["not_added"]) == 150


def test_progress_starts_at_once_and_ends_at_the_total(tmp_path, many):
    seen = []
    add_paths(NoteStore(tmp_path / "mem"), HashEmbedder(), [many], lambda *a: seen.append(a))
    assert seen[0] == (0, 200, "", "reading")
    done = [d for d, _t, _s, status in seen if status != "reading"]
    assert done == list(range(1, 201))


# --- issue 23: the builtin corpus is shipped pre-embedded ---------------------------------------------


def test_every_builtin_chunk_has_a_shipped_vector():
    """Fails after a change to the builtin pages, the reader or the splitter: run scripts/embed_builtin_notes.py."""
    import numpy as np

    from tui_agent.notes.builtin import _key, builtin_texts, vectors_path

    with np.load(vectors_path("python-docs")) as data:
        keys = {bytes(k) for k in data["keys"]}
        assert data["vectors"].shape == (len(data["keys"]), 384)
    missing = [t[:60] for t in builtin_texts("python-docs") if _key(t) not in keys]
    assert not missing, f"{len(missing)} chunks have no shipped vector, e.g. {missing[:2]}"


def test_shipped_vectors_are_used_and_checked(monkeypatch, tmp_path):
    import numpy as np

    from tui_agent.notes import builtin

    class Model(HashEmbedder):
        calls = 0

        def encode(self, texts):
            Model.calls += len(texts)
            return super().encode(texts)

    texts = ["alpha", "beta", "gamma", "delta", "epsilon"]
    path = tmp_path / "vectors.npz"
    monkeypatch.setattr(builtin, "builtin_texts", lambda name: texts[:4])
    monkeypatch.setattr(builtin, "vectors_path", lambda name: path)
    builtin.write_shipped_vectors("python-docs", HashEmbedder())
    shipped = builtin.ShippedVectors(Model(), "python-docs")
    got = shipped.encode(texts)
    assert np.allclose(got, HashEmbedder().encode(texts), atol=1e-3)
    assert shipped.shipped_used == 4 and Model.calls == builtin.VERIFY_SAMPLE + 1  # the check, then "epsilon"
    other = builtin.ShippedVectors(HashEmbedder(), "python-docs")
    monkeypatch.setattr(other.embedder, "encode", lambda ts: -HashEmbedder().encode(ts))  # another model
    assert np.allclose(other.encode(texts[:2]), -HashEmbedder().encode(texts[:2])) and other.shipped_used == 0
