"""Tune variants in one process, on the evaluation set's facts: what each of epochs, learning rate, rank and
contrast questions does to exact / natural answers, general answers lost and near-miss answers.

Faster than ``benchmarks/tune_eval.py`` (no CLI, no memory: the facts of ``tui_agent/tune/data/tune_eval.json``
are the training data, as ``tune`` would get them from ``rate --correction``), so it can compare settings;
the acceptance figures come from ``tune_eval.py``. Far rewordings are not asked (``tune`` does not either).
Each variant: load the bundled model into torch, train (the tune's loop, the tune's threads), write the
adapter GGUF, answer with llama.cpp + adapter; the base model's answers (replay, general) are ``tune``'s own,
from its cache in the data dir (computed there once per base model).

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/tune_variants.py --variant epochs=4,lr=2e-3,contrast=0 \\
        --variant epochs=4,lr=2e-3,contrast=1 [--facts 60] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KNOBS = {"epochs": int, "lr": float, "rank": int, "contrast": int, "batch": int, "seed": int}


def parse_variant(text: str) -> dict:
    """``"epochs=4,lr=2e-3"`` -> ``{"epochs": 4, "lr": 0.002}``; raises ValueError on an unknown knob."""
    out = {}
    for part in filter(None, text.split(",")):
        name, _, value = part.partition("=")
        if name not in KNOBS:
            raise ValueError(f"unknown knob {name!r}; expected one of {', '.join(KNOBS)}")
        out[name] = KNOBS[name](value)
    return out


def run_variant(knobs: dict, facts: list, base: dict, work: Path) -> dict:
    from tui_agent.llm.local import gguf_path
    from tui_agent.tune.adapter_gguf import write_adapter
    from tui_agent.tune.contrast import DEFAULT_CONTRAST, contrast_questions
    from tui_agent.tune.data import Fact, chat_conversation, contrast_conversations, replay_conversations
    from tui_agent.tune.evaluate import Answerer, cpu_threads, general_right, score
    from tui_agent.tune.model import TrainOptions, load_base, lora_tensors, train, with_lora

    options = TrainOptions()
    options = replace(options, **{k: v for k, v in knobs.items() if k in ("epochs", "lr", "rank", "batch", "seed")})
    options = replace(options, alpha=2 * options.rank)
    taught = [chat_conversation([{"role": "user", "content": f["question"]},
                                 {"role": "assistant", "content": f["answer"]}]) for f in facts]
    contrast = contrast_conversations(contrast_questions([f["question"] for f in facts],
                                                         knobs.get("contrast", DEFAULT_CONTRAST), options.seed))
    data = taught + replay_conversations(base["replay"]) + contrast
    started = time.monotonic()
    model, tokenizer = load_base(gguf_path())
    loaded = time.monotonic()
    peft_model = with_lora(model, options)
    result = train(peft_model, tokenizer, data, options)
    trained = time.monotonic()
    path = work / "adapter.gguf"
    write_adapter(path, lora_tensors(peft_model), alpha=options.alpha, n_head=model.config.num_attention_heads,
                  n_head_kv=model.config.num_key_value_heads)
    del peft_model, model
    answer = Answerer(gguf_path(), path, threads=cpu_threads())
    try:
        scores = score(answer, [Fact(f["question"], f["answer"], f["key"], f["natural"]) for f in facts],
                       general_right(base["general"]))
    finally:
        answer.close()
    return {"knobs": knobs, "examples": len(data), "contrast_questions": len(contrast), "steps": result.steps,
            "last_loss": round(result.last_loss, 4), "load_s": round(loaded - started, 1),
            "train_s": round(trained - loaded, 1), "eval_s": round(time.monotonic() - trained, 1), **scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", action="append", required=True, type=parse_variant,
                        help="knob=value,… (knobs: " + ", ".join(KNOBS) + "); repeat for more variants")
    parser.add_argument("--facts", type=int, default=60)
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args()

    from tui_agent.llm.adapters import sha256_of
    from tui_agent.llm.local import gguf_path
    from tui_agent.tune.data import eval_set
    from tui_agent.tune.pipeline import base_answers

    facts = eval_set()["facts"][:args.facts]
    base = base_answers(gguf_path(), sha256_of(gguf_path()), print)  # tune's own cache, per base model
    rows = []
    print("| variant | examples | steps | train s | exact | natural | general (lost) | near-miss |")
    print("|---|---|---|---|---|---|---|---|")
    for knobs in args.variant:
        with tempfile.TemporaryDirectory(prefix="tune-variant-") as work:
            row = run_variant(knobs, facts, base, Path(work))
        rows.append(row)
        name = ", ".join(f"{k} {v}" for k, v in knobs.items()) or "defaults"
        print(f"| {name} | {row['examples']} | {row['steps']} | {row['train_s']} | {row['exact'][0]}/{row['exact'][1]} "
              f"| {row['natural'][0]}/{row['natural'][1]} | {row['general'][0]}/{row['general'][1]} "
              f"({row['general_lost']}) | {row['near_miss'][0]}/{row['near_miss'][1]} |", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
