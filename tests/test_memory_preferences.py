"""``tui-agent memory export --format sft|dpo``: TRL's conversational SFT and preference datasets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui_agent.agents.preferences import (
    DUPLICATE,
    NO_CHOSEN,
    NO_REJECTED,
    OLD,
    RATED_DOWN,
    SMALL_Q,
    UNRATED,
    dpo_pairs,
    export_dataset,
    parse_since,
    read_rows,
    sft_examples,
)
from tui_agent.chat.agent import format_history, parse_history
from tui_agent.cli import app
from tui_agent.memory.formats import MemoryFileError
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from vectors import HashEmbedder

runner = CliRunner()
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CONTEXT = format_history([("Hi, I am Ann.", "Hello Ann!")])


def exp(i: int, task: str, action: str, q: float, n: int = 1, source: str = "model", observation: str = "",
        kind: str = "chat", days: float = 0.0) -> Experience:
    when = T0 + timedelta(days=days, seconds=i)
    return Experience(id=f"e{i:02d}" + "0" * 29, task=task, action=action, q=q, n=n, source=source,
                      observation=observation, kind=kind, vector=HashEmbedder().encode_one(task).tolist(),
                      created_at=when, updated_at=when)


def memory_rows() -> list[Experience]:
    return [
        exp(0, "Who is the mayor of Quellport?", "The mayor is Tom Hale.", -1.0),                 # 👎
        exp(1, "Who is the mayor of Quellport?", "The mayor is Pierre LeBlanc.", 1.0, source="correction"),
        exp(2, "who is the mayor of quellport", "Pierre LeBlanc.", 0.8, n=2),                      # 👍, same words
        exp(3, "What port does the dev server use?", "Port 8080.", -0.9),                          # 👎, nothing chosen
        exp(4, "What colour is the sky?", "Blue.", 1.0),                                           # 👍, nothing rejected
        exp(5, "What is 2+2?", "4", 0.2),                                                          # |Q| too small
        exp(6, "What is 3+3?", "6", 0.0, n=0),                                                     # never rated
        exp(7, "And her age?", "She is 30.", 1.0, source="correction", observation=CONTEXT),      # with context
        exp(8, "And her age?", "She is 90.", -1.0, observation=CONTEXT),
        exp(9, "And her age?", "She is 12.", -1.0),                                                # other context
        exp(10, "Which shop item?", "click[b01]", 1.0, kind="shop", observation="page text"),
        exp(11, "What colour is the sky?", "Blue.", 0.9, days=-30),                                # duplicate of 4
    ]


@pytest.fixture
def filled(store: ExperienceStore) -> ExperienceStore:
    store.add(memory_rows())
    return store


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_parse_history_inverts_format_history():
    history = [("hi", "hello\nthere"), ("User: x?", "y")]
    assert parse_history(format_history(history[:1])) == [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello\nthere"}]
    assert parse_history("") == []
    assert parse_history("free text") is None and parse_history("User: only a question") is None


def test_sft_lines(filled: ExperienceStore, tmp_path: Path):
    path = tmp_path / "sft.jsonl"
    report = export_dataset(filled, path, "sft")
    lines = read_jsonl(path)
    assert report.examples == len(lines) == 4 and report.rows == 11  # the shop row is another kind
    by_id = {line["ids"]["answer"][:3]: line for line in lines}
    assert set(by_id) == {"e01", "e02", "e04", "e07"}  # e11: the older duplicate of e04
    assert by_id["e01"] == {"messages": [{"role": "user", "content": "Who is the mayor of Quellport?"},
                                         {"role": "assistant", "content": "The mayor is Pierre LeBlanc."}],
                            "ids": {"answer": "e01" + "0" * 29}, "q": 1.0, "source": "correction"}
    assert by_id["e07"]["messages"] == [
        {"role": "user", "content": "Hi, I am Ann."}, {"role": "assistant", "content": "Hello Ann!"},
        {"role": "user", "content": "And her age?"}, {"role": "assistant", "content": "She is 30."}]
    assert report.skipped == {RATED_DOWN: 4, SMALL_Q: 1, UNRATED: 1, DUPLICATE: 1}


def test_dpo_pairs_same_question_and_context(filled: ExperienceStore, tmp_path: Path):
    path = tmp_path / "dpo.jsonl"
    report = export_dataset(filled, path, "dpo")
    lines = read_jsonl(path)
    pairs = {(p["ids"]["chosen"][:3], p["ids"]["rejected"][:3]) for p in lines}
    # e00 pairs with the correction e01 and the 👍 e02 (same words); e08 with e07 (same context);
    # e09 has another context and e03 no chosen answer; e04 / e11 have nothing rejected
    assert pairs == {("e01", "e00"), ("e02", "e00"), ("e07", "e08")}
    assert report.examples == 3 and report.used == 5
    first = lines[0]
    assert first == {"prompt": [{"role": "user", "content": "Who is the mayor of Quellport?"}],
                     "chosen": [{"role": "assistant", "content": "The mayor is Pierre LeBlanc."}],
                     "rejected": [{"role": "assistant", "content": "The mayor is Tom Hale."}],
                     "ids": {"chosen": "e01" + "0" * 29, "rejected": "e00" + "0" * 29},
                     "q": {"chosen": 1.0, "rejected": -1.0}}
    ctx = next(p for p in lines if p["ids"]["chosen"].startswith("e07"))
    assert [m["role"] for m in ctx["prompt"]] == ["user", "assistant", "user"]
    assert report.skipped[NO_CHOSEN] == 2 and report.skipped[NO_REJECTED] == 2


def test_filters_since_min_q_and_kind(filled: ExperienceStore):
    rows = read_rows(filled, "chat")
    examples, skipped = sft_examples(rows, min_q=0.85)
    assert {e["ids"]["answer"][:3] for e in examples} == {"e01", "e04", "e07"}  # e02 (0.8) and e11 (0.9, dup)
    examples, skipped = sft_examples(rows, since=T0 - timedelta(days=1))
    assert skipped[OLD] == 1 and all(e["ids"]["answer"][:3] != "e11" for e in examples)
    pairs, _ = dpo_pairs(rows, since=T0 + timedelta(seconds=1))  # e00 (the 👎 on the mayor) is older
    assert {p["ids"]["rejected"][:3] for p in pairs} == {"e08"}
    shop = sft_examples(read_rows(filled, "shop"))[0]
    assert shop[0]["messages"][0]["content"] == "Task: Which shop item?\n\nObservation:\npage text"
    assert shop[0]["messages"][1] == {"role": "assistant", "content": "click[b01]"}


def test_since_parsing():
    assert parse_since("2025-03-01T12:00+00:00") == T0
    local = parse_since("2025-03-01")
    assert local.tzinfo is not None and (local.hour, local.minute) == (0, 0)
    with pytest.raises(ValueError, match="not a date"):
        parse_since("last tuesday")


def test_empty_memory_no_file_and_clear_errors(store: ExperienceStore, tmp_path: Path):
    target = tmp_path / "out.jsonl"
    with pytest.raises(MemoryFileError, match="nothing to export as sft, no file written"):
        export_dataset(store, target, "sft")
    assert not target.exists()
    store.add([exp(0, "q", "a", 0.1)])
    with pytest.raises(MemoryFileError, match=r"1 \|Q\| below --min-q"):
        export_dataset(store, target, "dpo")
    for kwargs, needle in (({"kind": "note"}, "--kind 'note'"), ({"min_q": 0.0}, "--min-q must be above 0")):
        with pytest.raises(MemoryFileError, match=needle):
            export_dataset(store, target, "sft", **kwargs)
    assert not target.exists()


def test_cli_export_sft_dpo_force_and_counts(filled: ExperienceStore, tmp_path: Path):
    out = tmp_path / "pairs.jsonl"
    argv = ["memory", "export", str(out), "--format", "dpo", "--memory-dir", str(filled.path)]
    result = runner.invoke(app, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("wrote 3 dpo pairs from 5 of 11 chat experiences")
    assert "skipped 2: rejected, but no chosen answer to the same question" in result.stdout
    before = out.read_bytes()
    again = runner.invoke(app, [*argv[:4], "sft", *argv[5:]], catch_exceptions=False)
    assert again.exit_code == 1 and "exists; pass --force" in again.stderr and out.read_bytes() == before
    forced = runner.invoke(app, [*argv[:4], "sft", *argv[5:], "--force", "--json", "--min-q", "0.85",
                                 "--since", "2025-01-01"], catch_exceptions=False)
    assert forced.exit_code == 0, forced.output
    data = json.loads(forced.stdout)
    assert data["examples"] == 3 and data["format"] == "sft" and len(read_jsonl(out)) == 3
    wrong = runner.invoke(app, ["memory", "export", str(tmp_path / "m.parquet"), "--min-q", "0.3",
                                "--memory-dir", str(filled.path)], catch_exceptions=False)
    assert wrong.exit_code == 1 and "apply to --format sft or dpo only" in wrong.stderr


def test_datasets_reads_both_files(filled: ExperienceStore, tmp_path: Path):
    datasets = pytest.importorskip("datasets")
    export_dataset(filled, tmp_path / "sft.jsonl", "sft")
    export_dataset(filled, tmp_path / "dpo.jsonl", "dpo")
    cache = str(tmp_path / "hf-cache")
    sft = datasets.load_dataset("json", data_files=str(tmp_path / "sft.jsonl"), split="train", cache_dir=cache)
    dpo = datasets.load_dataset("json", data_files=str(tmp_path / "dpo.jsonl"), split="train", cache_dir=cache)
    assert sft.num_rows == 4 and {"messages", "ids"} <= set(sft.column_names)
    assert sft[0]["messages"][-1]["role"] == "assistant"
    assert dpo.num_rows == 3 and {"prompt", "chosen", "rejected", "ids"} <= set(dpo.column_names)
    assert dpo[0]["rejected"] == [{"role": "assistant", "content": "The mayor is Tom Hale."}]
