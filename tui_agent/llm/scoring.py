"""Constrained action choice with a llama.cpp model: score each candidate's log-likelihood.

Instead of letting the bundled 135M model write free text (which it often
gets wrong: invented elements, broken brackets), every candidate action is
scored as a continuation of the prompt and the most likely one is taken, so
the output is always a valid action. One forward pass per candidate over its
few tokens, after one pass over the prompt; a prompt prefix shared with the
previous call (system text, exemplars) is reused from the KV cache.

``score_continuations(llama, prompt, continuations)`` returns the summed
log-probabilities (natural log, ≤ 0) and token counts. The caller holds the
model's lock (``tui_agent.llm.local.runtime().lock``): a ``llama_cpp.Llama``
is not thread-safe.

Measured here (2 cores shared, SmolLM2-135M Q4_1, 1 thread): ~130 prompt
tokens/s, ~15 ms per candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["Scorer", "chatml", "constant_scorer", "local_scorer", "log_softmax", "score_continuations"]

Scorer = Callable[[str, list[str]], list[float]]
"""``(prompt, continuations) -> scores``: one score per continuation, higher = more likely."""


def local_scorer() -> Scorer:
    """Log-likelihood scorer over the bundled model: Σ log p (natural log, ≤ 0) of each continuation's tokens."""
    from tui_agent.llm.local import runtime

    def score(prompt: str, continuations: list[str]) -> list[float]:
        rt = runtime()
        with rt.lock:
            return [lp for lp, _ in score_continuations(rt.llama, prompt, continuations)]

    return score


def constant_scorer(_prompt: str, continuations: list[str]) -> list[float]:
    """The same score for every candidate (ties go to the first): a policy's choice without a model."""
    return [0.0] * len(continuations)


def chatml(system: str, user: str, assistant_prefix: str = "") -> str:
    """A ChatML prompt (SmolLM2's chat template) ending inside the assistant turn."""
    return (f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
            f"<|im_start|>assistant\n{assistant_prefix}")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax in float64; ``logits`` shape ``(rows, vocab)``."""
    x = np.asarray(logits, dtype=np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def _last_logits(llama: Any, n_vocab: int) -> np.ndarray:
    return np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(n_vocab,)).copy()


def score_continuations(llama: Any, prompt: str, continuations: Sequence[str],
                        max_prompt_tokens: int | None = None) -> list[tuple[float, int]]:
    """Log-likelihood of each continuation given ``prompt``.

    Args:
        llama: a loaded ``llama_cpp.Llama`` (caller holds its lock).
        prompt: the prompt text; special tokens (``<|im_start|>``) are parsed.
        continuations: candidate texts appended to the prompt (non-empty).
        max_prompt_tokens: keep only the last this many prompt tokens (default:
            the context size minus 64).

    Returns:
        ``[(sum log p, n_tokens), ...]`` in the order of ``continuations``.

    Raises:
        ValueError: an empty continuation.
    """
    n_ctx = llama.n_ctx()
    limit = max_prompt_tokens or n_ctx - 64
    tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)[-limit:]
    cached = list(llama.input_ids[: llama.n_tokens])
    common = 0
    for a, b in zip(cached, tokens[:-1]):
        if a != b:
            break
        common += 1
    llama.n_tokens = common
    llama.eval(tokens[common:])
    n0 = llama.n_tokens
    n_vocab = llama.n_vocab()
    first = _last_logits(llama, n_vocab)
    out: list[tuple[float, int]] = []
    try:
        for text in continuations:
            ids = llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
            if not ids:
                raise ValueError("empty continuation")
            ids = ids[: max(1, n_ctx - n0)]
            llama._ctx.kv_cache_seq_rm(-1, n0, -1)
            llama._batch.set_batch(batch=ids, n_past=n0, logits_all=True)
            llama._ctx.decode(llama._batch)
            rows = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(len(ids) * n_vocab,))
            logits = np.vstack([first[None, :], rows.reshape(len(ids), n_vocab)[:-1]])
            logp = log_softmax(logits)[np.arange(len(ids)), ids]
            out.append((float(logp.sum()), len(ids)))
    finally:
        llama._ctx.kv_cache_seq_rm(-1, n0, -1)
        llama.n_tokens = n0
    return out
