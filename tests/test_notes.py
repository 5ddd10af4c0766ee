"""Knowledge notes: ingest (Markdown, reST, HTML, text), re-add no-op, bad input, search, CLI (no torch)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vectors import HashEmbedder

from tui_agent.notes.add import add_paths, remember
from tui_agent.notes.ingest import IngestError, read_document
from tui_agent.notes.store import NoteStore

MD = "# Pets\n\nIntro line.\n\n## Cat\n\nMy cat is called Biscuit.\n\n## Dog\n\nThe dog is Rex.\n"
RST = "Tools\n=====\n\nTop text.\n\nHammer\n------\n\n.. index:: single: hammer\n\nA hammer drives nails.\n"
HTML = "<html><head><title>Garden</title><script>x=1</script></head><body><h1>Garden</h1><p>Roses are red.</p>" \
       "<h2>Soil</h2><p>Loam drains well.</p></body></html>"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "pets.md").write_text(MD)
    (d / "tools.rst").write_text(RST)
    (d / "garden.html").write_text(HTML)
    (d / "plain.txt").write_text("The wifi password is hunter2.\n")
    return d


def test_parsers_give_heading_paths(docs: Path):
    md = read_document(docs / "pets.md")
    assert md.title == "Pets"
    assert [s.headings for s in md.sections] == [["Pets"], ["Pets", "Cat"], ["Pets", "Dog"]]
    rst = read_document(docs / "tools.rst")
    assert rst.title == "Tools" and rst.sections[-1].headings == ["Tools", "Hammer"]
    assert "index::" not in rst.sections[-1].text and "drives nails" in rst.sections[-1].text
    html = read_document(docs / "garden.html")
    assert html.title == "Garden" and html.sections[-1].headings == ["Garden", "Soil"]
    assert "x=1" not in " ".join(s.text for s in html.sections)


def test_add_search_readd_remove(tmp_path: Path, docs: Path):
    store = NoteStore(tmp_path / "mem")
    seen = []
    report = add_paths(store, HashEmbedder(), [docs], lambda d, t, s, st: seen.append((d, t, st)))
    assert len(report.added) == 4 and not report.problems and seen[-1][:2] == (4, 4)
    count, version = store.count(), store.version
    found = store.search_text("what is my cat called?", 3)
    assert "Biscuit" in found[0].note.text and found[0].note.heading == "Pets › Cat"
    hybrid = store.search_hybrid("cat Biscuit", HashEmbedder().encode_one("x"), 3)
    assert any("Biscuit" in f.note.text for f in hybrid)
    again = add_paths(store, HashEmbedder(), [docs])
    assert not again.added and len(again.unchanged) == 4 and store.count() == count and store.version == version
    (docs / "pets.md").write_text(MD.replace("Biscuit", "Muffin"))
    changed = add_paths(store, HashEmbedder(), [docs])
    assert len(changed.added) == 1 and store.count() == count
    assert "Muffin" in store.search_text("cat", 1)[0].note.text
    assert store.remove(source=str((docs / "pets.md").resolve())) == 3 and store.count() == count - 3


@pytest.mark.parametrize("name,data,message", [
    ("bin.txt", b"\x00\x01\x02abc", "binary file"),
    ("latin.md", "caf\xe9".encode("latin-1"), "not valid UTF-8"),
    ("empty.txt", b"   \n", "no text"),
])
def test_bad_files_one_line_nothing_added(tmp_path: Path, name: str, data: bytes, message: str):
    d = tmp_path / "in"
    d.mkdir()
    (d / name).write_bytes(data)
    (d / "good.txt").write_text("good note")
    store = NoteStore(tmp_path / "mem")
    report = add_paths(store, HashEmbedder(), [d])
    assert len(report.problems) == 1 and message in report.problems[0] and "\n" not in report.problems[0]
    assert store.sources().keys() == {str((d / "good.txt").resolve())}


def test_huge_file_and_empty_folder(tmp_path: Path, monkeypatch):
    import tui_agent.notes.ingest as ingest

    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    with pytest.raises(IngestError, match="too large"):
        read_document(big)
    empty = tmp_path / "empty"
    empty.mkdir()
    report = add_paths(NoteStore(tmp_path / "mem"), HashEmbedder(), [empty, tmp_path / "missing"])
    assert [p.split(": ", 1)[1][:8] for p in report.problems] == ["no Markd", "no such "]


def test_remember_is_a_chat_note(tmp_path: Path):
    store = NoteStore(tmp_path / "mem")
    note = remember(store, HashEmbedder(), "  My cat is called Biscuit. ")
    assert note.source == "chat" and store.get(note.id).text == "My cat is called Biscuit."
    remember(store, HashEmbedder(), "My cat is called Biscuit.")
    assert store.count() == 1
    with pytest.raises(ValueError):
        remember(store, HashEmbedder(), "  ")


def test_cli_add_list_search_show_remove(tmp_path: Path, docs: Path, monkeypatch):
    import tui_agent.embedding.encoder

    monkeypatch.setattr(tui_agent.embedding.encoder, "shared_embedder", lambda: HashEmbedder())
    from tui_agent.cli import app

    runner = CliRunner()
    mem = ["--memory-dir", str(tmp_path / "mem")]
    out = runner.invoke(app, ["notes", "add", str(docs), "--json", *mem])
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.stdout)["added"]) == 4
    (docs / "x.bin.txt").write_bytes(b"\x00\x00")
    out = runner.invoke(app, ["notes", "add", str(docs), *mem])
    assert out.exit_code == 1 and "binary file" in out.stderr and "4 unchanged" in out.stdout
    listed = json.loads(runner.invoke(app, ["notes", "list", "--json", *mem]).stdout)
    assert len(listed) == 8 and {"id", "source", "heading", "text"} <= listed[0].keys()
    hits = json.loads(runner.invoke(app, ["notes", "search", "hunter2 password", "--mode", "text", "--json",
                                          *mem]).stdout)
    assert "hunter2" in hits[0]["text"]
    shown = runner.invoke(app, ["notes", "show", hits[0]["id"][:8], *mem])
    assert shown.exit_code == 0 and "hunter2" in shown.stdout
    gone = runner.invoke(app, ["notes", "remove", str(docs / "plain.txt"), "--json", *mem])
    assert json.loads(gone.stdout) == {"removed": 1, "notes": 7}
    assert runner.invoke(app, ["notes", "show", "ffffffff", *mem]).exit_code == 1


def test_builtin_corpus_is_shipped():
    from tui_agent.notes.builtin import PYTHON_DOCS_PAGES, builtin_files

    files = builtin_files("python-docs")
    assert len(files) == len(PYTHON_DOCS_PAGES) == 21 and all(p.is_file() for p, _ in files)
    assert (files[0][0].parent.parent / "NOTICE.txt").is_file()
    assert "PSF LICENSE AGREEMENT" in (files[0][0].parent.parent / "LICENSE.rst").read_text().upper()


def test_no_torch_imported():
    """These modules load without torch (checked in a fresh interpreter: other test files may load it here)."""
    import subprocess

    code = "import sys, tui_agent.notes.store, tui_agent.notes.ingest, tui_agent.notes.add, tui_agent.cli.notes; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_export_import_round_trip_and_bad_file(tmp_path: Path, docs: Path, suffix: str):
    from tui_agent.notes.transfer import NotesImportError, export_notes, import_notes

    src = NoteStore(tmp_path / "a")
    add_paths(src, HashEmbedder(), [docs])
    out = tmp_path / f"notes{suffix}"
    assert export_notes(src, out) == src.count()
    dst = NoteStore(tmp_path / "b")
    report = import_notes(dst, out)
    assert (report.read, report.added) == (src.count(), src.count())
    assert [(n.id, n.text, n.heading, n.vector) for n in dst.all()] == [(n.id, n.text, n.heading, n.vector)
                                                                         for n in src.all()]
    assert import_notes(dst, out).added == 0
    assert dst.search_text("Biscuit", 1)[0].note.heading == "Pets › Cat"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "source": "s", "vector": [1.0]}\n')
    with pytest.raises(NotesImportError, match="vector of 384"):
        import_notes(dst, bad)
    assert dst.count() == src.count()
