"""Held-out evaluation of a tune, with llama.cpp (what the chat runs), before it is switched on.

Scores (counts, with their totals): taught facts asked exactly, and with their natural rewordings
(when the fact is one of the evaluation set's; far rewordings are left to ``benchmarks/tune_eval.py``),
the evaluation set's general questions (right when the answer has the question's key as a whole token)
against the base model, and near-miss questions (:func:`near_miss_questions`: same form as a fact's
question, another subject; *answered with a taught fact* when the answer has any taught fact's key). The gate (:func:`verdict`): a tune that loses more than :data:`MAX_GENERAL_LOST` general
answers the base model got right, answers more than :data:`MAX_NEAR_MISS_SHARE` of the near-miss
questions with a taught fact, or states fewer than :data:`MIN_EXACT_SHARE` of the taught facts asked
exactly (it learnt nothing worth loading: e.g. its time budget ran out early) is kept but not switched on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tui_agent.chat.prompt import SYSTEM_PROMPT
from tui_agent.tune.data import Fact, eval_set, states

MAX_GENERAL_LOST = 1
MAX_NEAR_MISS_SHARE = 0.10
MIN_EXACT_SHARE = 0.5
ANSWER_TOKENS = 48


class Answerer:
    """The bundled model (with the LoRA GGUF ``lora``, or the base model when ``None``) in llama.cpp,
    answering one question as the chat does (its system prompt, greedy, repeat penalty 1.1)."""

    def __init__(self, model_path: Path, lora: Path | None = None, n_ctx: int = 1024, threads: int = 1) -> None:
        from llama_cpp import Llama

        from tui_agent.llm.local import _without_amx_buffers

        extra = {"lora_path": str(lora)} if lora is not None else {}
        with _without_amx_buffers():
            self.llama = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                               verbose=False, **extra)

    def __call__(self, question: str) -> str:
        out = self.llama.create_chat_completion(
            messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": question}],
            max_tokens=ANSWER_TOKENS, temperature=0.0, repeat_penalty=1.1)
        return str(out["choices"][0]["message"]["content"] or "")

    def close(self) -> None:
        self.llama.close()


def general_right(answers: Sequence[str]) -> list[bool]:
    """For each general question of the evaluation set, whether ``answers`` (one a question, in order)
    got it right."""
    return [states(text, g["key"]) for text, g in zip(answers, eval_set()["general"], strict=True)]


def cpu_threads(sample_s: float = 0.5) -> int:
    """Threads for a tune's torch and llama.cpp: every CPU this process may use when the others' work
    leaves more than half of them idle (CPU use sampled over ``sample_s`` seconds, between a tune's
    phases, so the tune's own work is not counted), else 1. Idle, two threads trained 1.7× faster than
    one (1.2 vs 2.0 s a step on 2 cores); on a busy 2-core machine one was 5–10× faster (issue 25)."""
    import os

    import psutil

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    busy = psutil.cpu_percent(interval=sample_s) / 100 * (psutil.cpu_count() or cpus)
    return cpus if busy < cpus / 2 else 1


def near_miss_questions(facts: Sequence[Fact], trained: Sequence[str] = (), seed: int = 0) -> list[str]:
    """The near-miss questions a tune is judged on: the evaluation set's 24, and for each taught fact that
    is not one of the set's (a user's own) up to 2 contrast questions (:mod:`tui_agent.tune.contrast`,
    drawn with ``seed + 1``) that are not among the ``trained`` ones: held out from training."""
    from tui_agent.tune.contrast import contrast_questions

    own = [f.question for f in facts if f.natural is None]
    skip = set(trained)
    extra = [q for q in contrast_questions(own, 2, seed + 1) if q not in skip]
    return [g["question"] for g in eval_set()["near_miss"]] + extra


def score(answer: Callable[[str], str], facts: Sequence[Fact], base_general: Sequence[bool],
          tick: Callable[[], None] = lambda: None, near_miss: Sequence[str] | None = None) -> dict[str, Any]:
    """The scores of ``answer`` (see the module docstring) as a dict: ``exact``, ``natural``,
    ``general``, ``near_miss`` each ``[hits, total]``; ``general_base`` and ``general_lost`` counts;
    ``near_miss``: the questions (default: the evaluation set's, :func:`near_miss_questions` adds a user's);
    ``tick()`` after every question."""

    def hit(question: str, key: str) -> bool:
        ok = states(answer(question), key)
        tick()
        return ok

    out: dict[str, Any] = {}
    out["exact"] = [sum(hit(f.question, f.key) for f in facts), len(facts)]
    for kind in ("natural",):  # far rewordings are not gated on: benchmarks/tune_eval.py reports them
        asked = [(getattr(f, kind), f.key) for f in facts if getattr(f, kind)]
        out[kind] = [sum(hit(q, k) for q, k in asked), len(asked)]
    texts = []
    for g in eval_set()["general"]:
        texts.append(answer(g["question"]))
        tick()
    right = general_right(texts)
    out["general"] = [sum(right), len(right)]
    out["general_base"] = sum(base_general)
    out["general_lost"] = sum(1 for b, t in zip(base_general, right) if b and not t)
    any_key = "|".join(f.key for f in facts)
    near = list(near_miss) if near_miss is not None else [g["question"] for g in eval_set()["near_miss"]]
    out["near_miss"] = [sum(hit(q, any_key) for q in near), len(near)] if facts else [0, len(near)]
    return out


def questions_asked(facts: Sequence[Fact], near_miss: int) -> int:
    """How many questions :func:`score` asks for ``facts`` and ``near_miss`` near-miss questions."""
    return len(facts) + sum(1 for f in facts if f.natural) + len(eval_set()["general"]) + near_miss


def verdict(scores: dict[str, Any]) -> tuple[bool, str]:
    """(switch on?, the reason when not)."""
    reasons = []
    if scores["general_lost"] > MAX_GENERAL_LOST:
        reasons.append(f"it lost {scores['general_lost']} of the {scores['general_base']} general answers the "
                       f"base model got right (at most {MAX_GENERAL_LOST} allowed)")
    hits, total = scores["near_miss"]
    if total and hits / total > MAX_NEAR_MISS_SHARE:
        reasons.append(f"it answered {hits} of {total} near-miss questions with a taught fact "
                       f"(at most {MAX_NEAR_MISS_SHARE:.0%} allowed)")
    hits, total = scores["exact"]
    if total and hits / total < MIN_EXACT_SHARE:
        reasons.append(f"it states only {hits} of the {total} taught facts when asked exactly "
                       f"(at least {MIN_EXACT_SHARE:.0%} needed)")
    return (not reasons, "; ".join(reasons))
