"""One tune, start to end: data, base answers, LoRA training, the adapter GGUF, evaluation, the manifest.

:func:`run_tune` is what ``tui-agent tune`` runs. Messages (the estimate, the verdict) go to ``say``;
progress bars (tqdm) to standard error.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tui_agent.llm import adapters
from tui_agent.llm.local import gguf_path
from tui_agent.memory.store import ExperienceStore
from tui_agent.tune.contrast import DEFAULT_CONTRAST, contrast_questions
from tui_agent.tune.data import (Fact, contrast_conversations, eval_set, replay_conversations, replay_questions,
                                 taught)
from tui_agent.tune.evaluate import (Answerer, cpu_threads, general_right, near_miss_questions, questions_asked, score,
                                     verdict)
from tui_agent.tune.model import TrainOptions, epochs_for, steps_planned

SECONDS_PER_TOKEN = 0.006
"""Training cost (forward + backward) of one token, seconds, on an idle 2-core machine (2 torch threads):
measured 1.0 s a step of 4 examples of ~56 tokens (0.0045 s), with some margin. A busy machine is much
slower (docs/tune.md: 57 s a step at load 30, one thread)."""
SECONDS_PER_ANSWER = 0.5
"""Evaluation cost of one answer with llama.cpp (≤ 48 tokens), seconds (measured 0.46 idle)."""
LOAD_SECONDS = 25.0
"""Loading torch, transformers and the dequantised model, seconds (measured 21–22 idle)."""


@dataclass(frozen=True)
class TuneOptions:
    """A tune's settings: the LoRA's (``train``), the training budget ``max_minutes`` (> 0; training
    stops when it is spent and the adapter keeps what was learnt), ``replay`` the base model's answers,
    ``contrast`` contrast questions a taught question (≥ 0, :mod:`tui_agent.tune.contrast`, trained towards
    "I don't know"), ``min_q`` the |Q| a rated answer needs, ``switch_on`` a tune that passes its evaluation."""

    train: TrainOptions = field(default_factory=TrainOptions)
    max_minutes: float = 10.0
    replay: bool = True
    contrast: int = DEFAULT_CONTRAST
    min_q: float = 0.5
    switch_on: bool = True


class NothingToTune(ValueError):
    """The memory has no corrections or 👍 answers to learn from."""


def _progress(total: int, desc: str, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)


def base_answers(base: Path, sha: str, say: Callable[[str], None]) -> dict[str, Any]:
    """The base model's answers: ``replay`` (question → answer) and ``general`` (the evaluation set's
    general questions' answers, in order), cached per base model in ``<tuned dir>/base2-<sha>.json``
    (computed once, ~1 minute)."""
    cache = adapters.tuned_dir() / f"base2-{sha[:16]}.json"
    try:
        return dict(json.loads(cache.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    questions = replay_questions()
    say(f"answering {len(questions)} replay and the general questions with the base model (once per base model)…")
    general = [g["question"] for g in eval_set()["general"]]
    answer = Answerer(base, threads=cpu_threads())
    try:
        with _progress(len(questions) + len(general), "base answers", "q") as bar:
            texts = {}
            for q in [*questions, *general]:
                texts[q] = answer(q)
                bar.update()
        data = {"replay": {q: texts[q] for q in questions}, "general": [texts[q] for q in general]}
    finally:
        answer.close()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return data


def estimate_seconds(conversations: list[list[dict[str, str]]], options: TrainOptions, eval_answers: int) -> float:
    """Rough wall time of a tune: loading, training (tokens × :data:`SECONDS_PER_TOKEN`) and evaluation."""
    chars = sum(len(m["content"]) + 12 for c in conversations for m in c)
    train_s = epochs_for(len(conversations), options) * chars / 4 * SECONDS_PER_TOKEN
    return LOAD_SECONDS + train_s + eval_answers * SECONDS_PER_ANSWER


def new_id() -> str:
    """A fresh adapter id: the local time, ``YYYYMMDD-HHMMSS`` (a suffix when taken)."""
    stem = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate, n = stem, 1
    while (adapters.tuned_dir() / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}"
    return candidate


def run_tune(store: ExperienceStore, options: TuneOptions, say: Callable[[str], None]) -> adapters.Manifest:
    """Tune the bundled model on ``store``'s corrections and 👍 answers; returns the new adapter's manifest
    (switched on when it passed its evaluation and ``options.switch_on``).

    Raises:
        NothingToTune: no example in the memory.
        ValueError: bad options (the message names the value).
        LocalModelError: the bundled model is missing.
    """
    options.train.check()
    if options.contrast < 0:
        raise ValueError(f"--contrast must be 0 or more, got {options.contrast}")
    if not options.max_minutes > 0:
        raise ValueError(f"--max-minutes must be above 0, got {options.max_minutes}")
    conversations, facts = taught(store, options.min_q)
    if not conversations:
        raise NothingToTune("nothing to tune on: the memory has no corrected or 👍 chat answers "
                            "(teach with: tui-agent rate ID down --correction \"…\")")
    started = time.monotonic()
    base = gguf_path()
    sha = adapters.sha256_of(base)
    base_data = base_answers(base, sha, say)
    replay = replay_conversations(base_data["replay"]) if options.replay else []
    contrast_asked = contrast_questions([f.question for f in facts], options.contrast, options.train.seed)
    contrast = contrast_conversations(contrast_asked)
    near_miss = near_miss_questions(facts, contrast_asked, options.train.seed)
    data = conversations + replay + contrast
    guess = estimate_seconds(data, options.train, questions_asked(facts, len(near_miss)))
    say(f"tuning on {len(conversations)} taught answers + {len(replay)} replayed base answers + "
        f"{len(contrast)} contrast questions, "
        f"{epochs_for(len(data), options.train)} epochs ({steps_planned(len(data), options.train)} steps): about "
        f"{math.ceil(guess / 60)} min on an idle 2-core machine (budget {options.max_minutes:g} min of training)")
    result, tensors, config = _train(data, options, say)
    adapter_id = new_id()
    folder = adapters.tuned_dir() / adapter_id
    folder.mkdir(parents=True)
    from tui_agent.tune.adapter_gguf import write_adapter

    size = write_adapter(folder / adapters.ADAPTER_FILE, tensors, alpha=options.train.alpha,
                         n_head=config.num_attention_heads, n_head_kv=config.num_key_value_heads,
                         name=f"tui-agent tune {adapter_id}")
    say(f"adapter written: {folder / adapters.ADAPTER_FILE} ({size / 1e6:.1f} MB); evaluating…")
    scores = _evaluate(base, folder / adapters.ADAPTER_FILE, facts, general_right(base_data["general"]), near_miss)
    passed, reason = verdict(scores)
    manifest = adapters.Manifest(
        id=adapter_id, created=datetime.now().astimezone().isoformat(timespec="seconds"),
        base_model=base.name, base_sha256=sha,
        experience_ids=sorted({i for f in facts for i in f.ids}),
        hyper={**asdict(options.train), "replay": len(replay), "contrast": len(contrast), "max_minutes": options.max_minutes,
               "min_q": options.min_q, "target_modules": "q k v o gate up down"},
        train={"steps": result.steps, "planned": result.planned, "first_loss": round(result.first_loss, 4),
               "last_loss": round(result.last_loss, 4), "train_seconds": round(result.seconds, 1),
               "stopped_by_budget": result.stopped, "wall_seconds": round(time.monotonic() - started, 1),
               "adapter_bytes": size},
        eval=scores, passed=passed, reason=reason)
    adapters.write_manifest(manifest)
    if passed and options.switch_on:
        adapters.use(adapter_id)
    return manifest


def _train(data: list[list[dict[str, str]]], options: TuneOptions, say: Callable[[str], None]
           ) -> tuple[Any, dict[Any, Any], Any]:
    say("loading the bundled model into torch…")
    from tui_agent.tune.model import load_base, lora_tensors, train, with_lora

    model, tokenizer = load_base(gguf_path())
    peft_model = with_lora(model, options.train)
    with _progress(steps_planned(len(data), options.train), "tuning", "step") as bar:
        def on_step(_step: int, loss: float) -> None:
            bar.set_postfix(loss=f"{loss:.3f}")
            bar.update()

        result = train(peft_model, tokenizer, data, options.train,
                       deadline=time.monotonic() + options.max_minutes * 60, on_step=on_step)
    if result.stopped:
        say(f"the {options.max_minutes:g}-minute budget ran out after {result.steps} of {result.planned} steps; "
            "the adapter keeps what was learnt")
    return result, lora_tensors(peft_model), model.config


def _evaluate(base: Path, adapter: Path, facts: list[Fact], base_general: list[bool], near_miss: list[str]
              ) -> dict[str, Any]:
    answer = Answerer(base, adapter, threads=cpu_threads())
    try:
        with _progress(questions_asked(facts, len(near_miss)), "evaluating", "q") as bar:
            return score(answer, facts, base_general, tick=bar.update, near_miss=near_miss)
    finally:
        answer.close()


def describe(manifest: adapters.Manifest) -> str:
    """The scores of a manifest in one line: exact / natural / far, general, near-miss."""
    s = manifest.eval
    if not s:
        return "not evaluated"
    parts = [f"{k} {s[k][0]}/{s[k][1]}" for k in ("exact", "natural", "far") if s.get(k) and s[k][1]]
    parts.append(f"general {s['general'][0]}/{s['general'][1]} (base {s['general_base']}, lost {s['general_lost']})")
    parts.append(f"near-miss answered with a taught fact {s['near_miss'][0]}/{s['near_miss'][1]}")
    return ", ".join(parts)
