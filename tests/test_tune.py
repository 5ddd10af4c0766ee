"""``tui-agent tune`` without torch: the evaluation set, keys, the gate, the adapter registry, the CLI's
managing options, the training data out of the memory (issue 25). Training itself: tests/test_tune_model.py."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui_agent.chat.policy import normalise
from tui_agent.chat.prompt import SYSTEM_PROMPT
from tui_agent.cli import app
from tui_agent.llm import adapters
from tui_agent.memory.schema import Experience
from tui_agent.tune.data import content_key, eval_set, replay_questions, states, taught
from tui_agent.tune.evaluate import score, verdict
from vectors import HashEmbedder

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def test_eval_set_has_the_promised_shape():
    data = eval_set()
    facts, general, near = data["facts"], data["general"], data["near_miss"]
    assert len(facts) >= 60 and len(general) >= 20 and len(near) >= 20
    ids = [f["id"] for f in facts]
    assert len(set(ids)) == len(ids)
    questions = {normalise(f["question"]) for f in facts}
    for f in facts:
        assert f["natural"] and f["far"] and f["key"]
        assert states(f["answer"], f["key"]), f["id"]                    # the answer states its own key
        assert not states(f["question"], f["key"]), f["id"]              # the question does not give it away
        assert normalise(f["natural"]) not in questions and normalise(f["far"]) not in questions
    every_key = "|".join(f["key"] for f in facts)
    for n in near:
        assert n["near"] in ids and normalise(n["question"]) not in questions
        assert not states(n["question"], every_key), n["question"]
    replay = {normalise(q) for q in replay_questions()}
    assert len(replay) >= 40 and not replay & {normalise(g["question"]) for g in general}  # held out


def test_keys_alternatives_and_content_keys():
    assert states("It is SEVEN days", "seven|7") and states("7", "seven|7") and not states("six", "seven|7")
    assert states("Pierre LeBlanc is mayor", "pierre&leblanc") and not states("Pierre Hale", "pierre&leblanc")
    key = content_key("Who is the mayor of Quellport?", "The mayor of Quellport is Dara Vintner.")
    assert set(key.split("&")) == {"dara", "vintner"}
    assert states("Dara Vintner runs it.", key) and not states("The mayor of Quellport is Tom.", key)
    assert content_key("What?", "the") == "the"


def test_keys_are_whole_tokens():
    assert not states("The password is 123456.", "34") and states("Her size is 34.", "34")
    assert states("Collected on Tuesdays.", "Tuesday") and not states("a tabby cat", "AB")
    assert states("It is 10.4.7.23.", "10.4.7.23") and states("call 555-0192", "0192")
    assert states("at 7:30 pm", "seven|7") and not states("1977", "seven|7")


def test_score_and_verdict_count_hits_losses_and_near_misses():
    from tui_agent.tune.data import Fact

    facts = [Fact("What is the code for the garage door?", "The garage door code is 5829.", "5829",
                  "What's the garage door code again?", "keypad?")]
    data = eval_set()
    answers = {facts[0].question: "5829", facts[0].natural: "It is 5829", "keypad?": "no idea",
               data["near_miss"][0]["question"]: "The code is 5829."}
    base = [True] * len(data["general"])
    general = {g["question"]: (g["key"].split("|")[0] if i >= 2 else "dunno") for i, g in enumerate(data["general"])}
    scores = score(lambda q: answers.get(q) or general.get(q, ""), facts, base)
    assert scores["exact"] == [1, 1] and scores["natural"] == [1, 1] and "far" not in scores  # far: benchmark only
    assert scores["general"] == [len(base) - 2, len(base)] and scores["general_lost"] == 2
    assert scores["near_miss"] == [1, len(data["near_miss"])]
    ok, reason = verdict(scores)
    assert not ok and "lost 2 of the 20 general answers" in reason
    ok, reason = verdict({**scores, "general_lost": 1, "near_miss": [3, 24]})
    assert not ok and "3 of 24 near-miss" in reason and "general" not in reason
    assert verdict({**scores, "general_lost": 1, "near_miss": [2, 24]}) == (True, "")
    ok, reason = verdict({**scores, "general_lost": 1, "near_miss": [0, 24], "exact": [1, 3]})
    assert not ok and reason.startswith("it states only 1 of the 3 taught facts")


def _fake_adapter(adapter_id: str, passed: bool = True) -> adapters.Manifest:
    folder = adapters.tuned_dir() / adapter_id
    folder.mkdir(parents=True)
    (folder / adapters.ADAPTER_FILE).write_bytes(b"GGUF")
    manifest = adapters.Manifest(id=adapter_id, created="2026-01-01T00:00:00+00:00", base_model="m.gguf",
                                 base_sha256="0" * 64, experience_ids=["e1"], passed=passed,
                                 reason="" if passed else "it lost 3 of the 14 general answers")
    adapters.write_manifest(manifest)
    return manifest


def test_registry_use_off_remove_and_active(agent_home):
    assert adapters.list_adapters() == [] and adapters.active() is None
    _fake_adapter("20260101-000000")
    _fake_adapter("20260102-000000", passed=False)
    assert [m.id for m in adapters.list_adapters()] == ["20260101-000000", "20260102-000000"]
    assert adapters.active() is None                                     # nothing switched on yet
    adapters.use("20260101-000000")
    assert adapters.active().id == "20260101-000000"
    assert adapters.tuned_dir() == agent_home / "data" / "tuned"
    adapters.off()
    assert adapters.active() is None and adapters.read_state()["selected"] == "20260101-000000"
    adapters.use("20260101-000000")
    adapters.remove("20260101-000000")
    assert adapters.active() is None and [m.id for m in adapters.list_adapters()] == ["20260102-000000"]
    for bad in ("nope", "../x", ""):
        with pytest.raises(adapters.AdapterError, match="no tuned model"):
            adapters.use(bad)
    (adapters.tuned_dir() / "state.json").write_text("{not json")
    assert adapters.read_state() == {"selected": None, "off": False}     # a broken state file: nothing in use


def test_cli_manages_tuned_models(agent_home):
    _fake_adapter("20260101-000000")
    _fake_adapter("20260102-000000", passed=False)
    out = runner.invoke(app, ["tune", "--list"])
    assert out.exit_code == 0 and "20260101-000000" in out.stdout and "kept, not switched on: it lost 3" in out.stdout
    out = runner.invoke(app, ["tune", "--use", "20260102-000000"])
    assert out.exit_code == 0 and "did not pass its evaluation" in out.stdout
    data = json.loads(runner.invoke(app, ["tune", "--list", "--json"]).stdout)
    assert data["active"] == "20260102-000000" and len(data["adapters"]) == 2
    assert runner.invoke(app, ["tune", "--off"]).exit_code == 0 and adapters.active() is None
    out = runner.invoke(app, ["tune", "--remove", "missing-id"])
    assert out.exit_code == 1 and "no tuned model 'missing-id'" in out.stderr
    assert runner.invoke(app, ["tune", "--off", "--list"]).exit_code == 2
    assert runner.invoke(app, ["tune", "--remove", "20260101-000000"]).exit_code == 0
    assert [m.id for m in adapters.list_adapters()] == ["20260102-000000"]


def test_tune_with_an_empty_memory_says_what_to_do(agent_home, memory_dir):
    pytest.importorskip("peft", reason="the tune extra is not installed")
    out = runner.invoke(app, ["tune", "--memory-dir", str(memory_dir)])
    assert out.exit_code == 1 and "nothing to tune on" in out.stderr and "--correction" in out.stderr


def test_taught_examples_come_from_corrections_with_the_chat_system_prompt(store):
    t0 = datetime(2025, 3, 1, tzinfo=UTC)

    def exp(i: int, task: str, action: str, q: float, source: str = "model") -> Experience:
        when = t0 + timedelta(seconds=i)
        return Experience(id=f"e{i:02d}" + "0" * 29, task=task, action=action, q=q, n=1, source=source,
                          kind="chat", vector=HashEmbedder().encode_one(task).tolist(), created_at=when,
                          updated_at=when)

    store.add([exp(0, "What is the code for the garage door?", "I don't know.", -1.0),
               exp(1, "What is the code for the garage door?", "The garage door code is 5829.", 1.0, "correction"),
               exp(2, "Who is my plumber?", "Your plumber is Ned Varga.", 1.0, "correction")])
    conversations, facts = taught(store)
    assert [c[0] for c in conversations] == [{"role": "system", "content": SYSTEM_PROMPT}] * 2
    assert conversations[0][1:] == [{"role": "user", "content": "What is the code for the garage door?"},
                                    {"role": "assistant", "content": "The garage door code is 5829."}]
    assert facts[0].key == "5829" and facts[0].natural and facts[0].ids == ("e01" + "0" * 29,)  # from the eval set
    assert set(facts[1].key.split("&")) == {"varga", "ned"}
    assert facts[1].natural is None


def test_tune_modules_and_the_chat_do_not_import_torch():
    code = ("import sys, tui_agent.tune.pipeline, tui_agent.cli.tune, tui_agent.llm.local, tui_agent.llm.adapters; "
            "bad = [m for m in ('torch', 'transformers', 'peft', 'gguf', 'trl') if m in sys.modules]; "
            "assert not bad, bad; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]


def test_the_chat_names_the_switched_on_tuned_model(agent_home, monkeypatch):
    from tui_agent.llm import local

    monkeypatch.setattr(local, "_runtime", None)                         # the model not loaded yet
    assert local.tuned_adapter_id(local.LOCAL_MODEL) is None
    _fake_adapter("20260101-000000")
    adapters.use("20260101-000000")
    assert local.tuned_adapter_id(local.LOCAL_MODEL) == "20260101-000000"
    assert local.tuned_adapter_id(local.LOCAL_MODEL, tuned=False) is None  # setting tuned_model = false
    assert local.tuned_adapter_id("openai/gpt-4o-mini") is None            # a hosted model is never tuned
    rt = local.LocalRuntime(tuned=True)
    assert rt.model_name() == local.LOCAL_MODEL and rt.adapter is None


def test_contrast_questions_are_near_but_never_the_held_out_near_misses():
    import re

    from tui_agent.tune.contrast import contrast_questions, word_classes

    data = eval_set()
    taught = [f["question"] for f in data["facts"]]
    out = contrast_questions(taught, 2, seed=0)
    assert out == contrast_questions(taught, 2, seed=0) and len(out) >= len(taught)      # deterministic
    assert not {normalise(q) for q in out} & {normalise(q) for q in taught}
    assert not {normalise(q) for q in out} & {normalise(n["question"]) for n in data["near_miss"]}
    words = lambda text: {w.lower() for w in re.findall(r"[A-Za-z]+", text)}  # noqa: E731
    facts = {f["id"]: f for f in data["facts"]}
    classes, _ = word_classes()
    vocabulary = {w.lower() for ws in classes.values() for w in ws}
    for n in data["near_miss"]:                 # a near-miss's own words are never in the word classes
        assert not (words(n["question"]) - words(facts[n["near"]]["question"])) & vocabulary, n["question"]
    assert contrast_questions(["Who is my son's piano teacher?"], 3, seed=1)
    assert contrast_questions([], 2) == [] and contrast_questions(taught, 0) == []


def test_a_users_own_facts_get_held_out_near_miss_questions():
    from tui_agent.tune.contrast import contrast_questions
    from tui_agent.tune.data import Fact
    from tui_agent.tune.evaluate import near_miss_questions

    own = Fact("What is the code for my bike lock?", "It is 4417.", "4417")
    listed = eval_set()["facts"][0]
    known = Fact(listed["question"], listed["answer"], listed["key"], listed["natural"], listed["far"])
    trained = contrast_questions([own.question, known.question], 1, seed=0)
    near = near_miss_questions([own, known], trained, seed=0)
    extra = near[len(eval_set()["near_miss"]):]
    assert near[:len(eval_set()["near_miss"])] == [n["question"] for n in eval_set()["near_miss"]]
    assert extra and not set(extra) & set(trained)                       # held out from training
    assert all("lock" in q or "bike" in q or "code" in q for q in extra)  # near the user's own fact


def test_tune_variants_parses_knobs():
    from benchmarks.tune_variants import parse_variant

    assert parse_variant("epochs=4,lr=2e-3,contrast=0") == {"epochs": 4, "lr": 0.002, "contrast": 0}
    with pytest.raises(ValueError, match="unknown knob 'alpha'"):
        parse_variant("alpha=3")


def test_a_taught_fact_is_learnt_on_its_own_question_without_the_turns_before():
    from tui_agent.tune.data import standalone

    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q1"},
            {"role": "assistant", "content": "a bad answer"}, {"role": "user", "content": "Q2"},
            {"role": "assistant", "content": "the correction"}]
    assert standalone(chat) == [chat[0], chat[3], chat[4]]
    assert standalone(chat[1:]) == chat[3:]


def test_a_few_facts_get_more_passes_until_the_minimum_steps():
    from tui_agent.tune.model import TrainOptions, epochs_for, steps_planned

    assert epochs_for(160, TrainOptions()) == 4 and steps_planned(160, TrainOptions()) == 160  # 60 facts: as set
    assert epochs_for(46, TrainOptions()) == 9 and steps_planned(46, TrainOptions()) == 108    # 3 facts: raised
    assert epochs_for(46, TrainOptions(min_steps=0)) == 4
    with pytest.raises(ValueError, match="min_steps"):
        TrainOptions(min_steps=-1).check()
