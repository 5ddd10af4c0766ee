"""Decode speed of the bundled model through our client (``LLM.stream``, what ``ask`` and the TUI use)
vs raw llama-cpp-python streaming the same prompt with the same parameters, interleaved.

Usage::

    .venv/bin/python benchmarks/perf_llm.py                                # 2 runs of 160 tokens each
    .venv/bin/python benchmarks/perf_llm.py --runs 1 --max-tokens 32       # the smallest useful run
"""

from __future__ import annotations

import argparse
import asyncio
import time

from perf_common import emit, p50

MESSAGES = [{"role": "user", "content": "Write a short story about a lighthouse keeper and a storm."}]
PARAMS = {"max_tokens": 160, "temperature": 0.0, "seed": 1}


def tokens_per_second(runs: int, max_tokens: int = PARAMS["max_tokens"]) -> None:
    """Emit ``decode_tokens_per_s``: p50 tokens/s (and time to first token) of ``runs`` answers of at most
    ``max_tokens`` tokens each, ours vs raw llama-cpp-python, after one warm-up of each."""
    from llama_cpp import Llama

    from tui_agent.llm.client import LLM
    from tui_agent.llm.local import _llama_params, _without_amx_buffers, gguf_path, runtime

    llm = LLM()
    llama = runtime().llama
    threads = llama.context_params.n_threads
    with _without_amx_buffers():  # the same AMX work-around as the app (llama.cpp's AMX matmul crashes here)
        raw = Llama(model_path=str(gguf_path()), n_ctx=2048, verbose=False)  # llama.cpp's own defaults
    request = {**PARAMS, "max_tokens": max_tokens}
    params = _llama_params(request)

    def count(text: str) -> int:
        return len(llama.tokenize(text.encode(), add_bos=False, special=False))

    def ours() -> tuple[float, float]:
        first: list[float] = []
        start = time.perf_counter()
        result = asyncio.run(llm.stream(MESSAGES, lambda _p: first or first.append(time.perf_counter()), **request))
        end = time.perf_counter()
        return count(result.text) / (end - first[0]), first[0] - start

    def reference() -> tuple[float, float]:
        start = time.perf_counter()
        first, pieces = None, []
        for chunk in raw.create_chat_completion(messages=MESSAGES, stream=True, **params):
            piece = chunk["choices"][0].get("delta", {}).get("content")
            if piece:
                first = first or time.perf_counter()
                pieces.append(piece)
        end = time.perf_counter()
        return count("".join(pieces).strip()) / (end - first), first - start

    ours()  # warm-up (LiteLLM import, if used; the model load)
    reference()
    a, b = [], []
    for _ in range(runs):
        a.append(ours())
        b.append(reference())
    emit("decode_tokens_per_s", p50([x[0] for x in a]), "tokens/s", "raw llama-cpp-python (default threads)",
         p50([x[0] for x in b]), ">= 0.95 of raw", runs=runs, max_tokens=max_tokens, threads=threads,
         ttft_ms=p50([x[1] for x in a]) * 1000, reference_ttft_ms=p50([x[1] for x in b]) * 1000)
    raw.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="timed answers of each (after one warm-up)")
    parser.add_argument("--max-tokens", type=int, default=PARAMS["max_tokens"], help="tokens per answer at most")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.max_tokens < 2:
        parser.error("--runs must be at least 1 and --max-tokens at least 2")
    tokens_per_second(args.runs, args.max_tokens)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
