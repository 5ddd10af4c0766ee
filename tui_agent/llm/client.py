"""One way to call any model: LiteLLM with time limits, retries and a local fallback.

* Any LiteLLM model string works (``openai/gpt-4o-mini``, ``anthropic/…``,
  ``ollama/llama3``, ``openai/<name>`` with an OpenAI-compatible ``api_base``),
  plus ``local/smollm2``, the bundled model (see :mod:`tui_agent.llm.local`), which is called
  directly: LiteLLM (2–2.5 s to import) is imported only for hosted models and ``mock_response``.
* Time limit: ``timeout_s`` is one budget for the whole answer from a model — every attempt
  and every back-off wait together — enforced with :func:`asyncio.timeout` (LiteLLM does not
  enforce ``timeout=`` for custom providers); each request gets what is left of it. The local
  fallback, when it answers, has a budget of its own (so at most 2 × ``timeout_s`` in all).
* One retry layer: tenacity here (exponential back-off), on transient errors only —
  connection errors, rate limits, 5xx, time-outs — and only before the first streamed token (a
  half-shown answer is never silently restarted). LiteLLM's and the OpenAI SDK's own retries
  are switched off (``num_retries=0``, ``max_retries=0``), so ``retries = 2`` means at most 3
  requests. Credential errors (401, a missing key) are never retried.
* Keys: ``api_key`` (from the variable named by ``api_key_env``) is passed on; a server given by
  ``api_base`` without a key (llama.cpp server, vLLM, LM Studio) gets a placeholder key, since
  the OpenAI SDK refuses to send a request without one.
* Streams: an answer whose stream ended without a finish reason (connection cut, server
  stopped) is returned with ``incomplete=True``; the caller shows it as such and does not store
  it as a normal answer. ``finish_reason = "length"`` (the ``max_tokens`` limit) is a normal end.
* Fallback: when a hosted model still fails, the bundled model answers if
  ``fallback_to_local`` is on; the result says which model answered.
* No network traffic at import: the LiteLLM price map is read from the package.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui_agent.llm.local import LOCAL_MODEL, PROVIDER, runtime

_litellm = None


def litellm_module() -> Any:
    """Import LiteLLM once, offline-safe, with the local provider registered (~2.5 s)."""
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_TELEMETRY", "False")
        import litellm

        from tui_agent.llm.local import make_provider

        litellm.telemetry = False
        litellm.suppress_debug_info = True
        litellm.drop_params = True
        litellm.custom_provider_map = [
            *[p for p in litellm.custom_provider_map if p.get("provider") != PROVIDER],
            {"provider": PROVIDER, "custom_handler": make_provider()},
        ]
        _litellm = litellm
    return _litellm


class LLMError(RuntimeError):
    """A model call failed for good (after retries and any fallback); the message is user-facing."""


@dataclass
class Completion:
    """The outcome of a call: the text and the model that actually produced it."""

    text: str
    model: str
    fell_back: bool = False
    error: str | None = None  # why the primary model failed, when fell_back
    incomplete: bool = False  # the stream ended without a finish reason (cut off): not a whole answer


KEYLESS_PLACEHOLDER = "no-key"
"""The key sent to an ``api_base`` server when none is configured (keyless local servers ignore it)."""

_CREDENTIAL_HINTS = ("api_key", "api key", "missing credentials", "credentials", "unauthorized", "401")


def _transient_types() -> tuple[type[BaseException], ...]:
    exc = litellm_module().exceptions
    return (
        exc.APIConnectionError,
        exc.RateLimitError,
        exc.ServiceUnavailableError,
        exc.InternalServerError,
        exc.Timeout,
        TimeoutError,
    )


def is_credentials_error(error: BaseException) -> bool:
    """True for a rejected or missing key (401, "Missing credentials", "api_key … must be set")."""
    exc = litellm_module().exceptions
    if isinstance(error, exc.AuthenticationError) or getattr(error, "status_code", None) in (401, 403):
        return True
    text = str(error).lower()
    return any(hint in text for hint in _CREDENTIAL_HINTS) and not isinstance(error, exc.RateLimitError)


def describe_error(model: str, error: BaseException, timeout_s: float | None = None) -> str:
    """One line for the user: which model, what went wrong (and, for a key problem, what to do)."""
    if isinstance(error, TimeoutError):
        within = f" within {timeout_s:g} s" if timeout_s else " within the time limit"
        return f"{model}: no answer{within} (all attempts together; setting timeout_s)"
    if is_credentials_error(error):
        return (f"{model}: the API key is missing or was refused; set it in an environment variable and name "
                f"that variable with api_key_env (config.toml) — {type(error).__name__}")
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{model}: {type(error).__name__}{': ' + text[:300] if text else ''}"


class LLM:
    """A configured model endpoint.

    Args:
        model: LiteLLM model string; ``local/smollm2`` is the bundled model.
        api_base: base URL for OpenAI-compatible or local servers (or ``None``).
        api_key: the key itself (read from the environment by the caller), or ``None``.
        timeout_s: budget for one answer from this model, all attempts and waits together, seconds (> 0).
        retries: extra attempts on transient errors (0–10); credential errors are never retried.
        fallback_to_local: answer with the bundled model when a hosted model fails.
        max_tokens: answer length limit, tokens.
        local_n_ctx: context window of the bundled model, tokens.
        tuned_model: the bundled model answers with the tuned adapter switched on by ``tui-agent tune``.
    """

    def __init__(
        self,
        model: str = LOCAL_MODEL,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        retries: int = 2,
        fallback_to_local: bool = True,
        max_tokens: int = 256,
        local_n_ctx: int = 2048,
        tuned_model: bool = True,
    ) -> None:
        self.model = model
        self.api_base = api_base
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries
        self.fallback_to_local = fallback_to_local and model != LOCAL_MODEL
        self.max_tokens = max_tokens
        runtime(local_n_ctx, tuned=tuned_model)

    @classmethod
    def from_settings(cls, settings: Any) -> LLM:
        return cls(
            settings.model,
            api_base=settings.api_base,
            api_key=settings.api_key(),
            timeout_s=settings.timeout_s,
            retries=settings.retries,
            fallback_to_local=settings.fallback_to_local,
            max_tokens=settings.max_tokens,
            local_n_ctx=settings.local_n_ctx,
            tuned_model=getattr(settings, "tuned_model", True),
        )

    @property
    def is_local(self) -> bool:
        return self.model == LOCAL_MODEL

    def load(self) -> None:
        """Load what the first answer needs: LiteLLM for a hosted model (~2.5 s to import), the bundled
        model for ``local/smollm2`` or the fallback (which the client calls directly, without LiteLLM)."""
        if not self.is_local:
            litellm_module()
        if self.is_local or self.fallback_to_local:
            runtime().llama  # noqa: B018 - loads the GGUF

    def _kwargs(self, model: str, extra: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": model, "max_tokens": self.max_tokens, **extra}
        if model == self.model and model != LOCAL_MODEL:
            if self.api_base:
                kwargs["api_base"] = self.api_base
            if self.api_key:
                kwargs["api_key"] = self.api_key
            elif self.api_base:
                kwargs["api_key"] = KEYLESS_PLACEHOLDER
            kwargs["timeout"] = self.timeout_s
            kwargs["num_retries"] = 0  # one retry layer: ours (LiteLLM's wrapper off)
            kwargs["max_retries"] = 0  # the OpenAI SDK client's own retries off
        return kwargs

    async def stream(
        self,
        messages: list[dict[str, str]],
        on_token: Callable[[str], Any] | None = None,
        **params: Any,
    ) -> Completion:
        """Generate an answer, calling ``on_token(piece)`` for each streamed piece.

        ``params`` go to LiteLLM (``temperature``, ``seed``, ``mock_response`` …).

        Raises:
            LLMError: the model (and the fallback, if any) failed.
        """
        try:
            text, complete = await self._stream_with_retries(self.model, messages, on_token, params)
            return Completion(text=text, model=self.model, incomplete=not complete)
        except Exception as primary:  # classified below
            reason = describe_error(self.model, primary, self.timeout_s)
            if not self.fallback_to_local:
                raise LLMError(reason) from primary
        try:
            local_params = {k: v for k, v in params.items() if k != "mock_response"}
            text, complete = await self._stream_with_retries(LOCAL_MODEL, messages, on_token, local_params)
        except Exception as fallback:
            raise LLMError(f"{reason}; fallback {describe_error(LOCAL_MODEL, fallback, self.timeout_s)}") from fallback
        return Completion(text=text, model=LOCAL_MODEL, fell_back=True, error=reason, incomplete=not complete)

    async def complete(self, messages: list[dict[str, str]], **params: Any) -> Completion:
        """Like :meth:`stream` without a token callback."""
        return await self.stream(messages, None, **params)

    async def _stream_with_retries(
        self,
        model: str,
        messages: list[dict[str, str]],
        on_token: Callable[[str], Any] | None,
        params: dict[str, Any],
    ) -> tuple[str, bool]:
        """All attempts at one model within one ``timeout_s`` budget; returns (text, ended normally)."""
        from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

        state: dict[str, Any] = {"emitted": False}

        def retryable(exc: BaseException) -> bool:  # LiteLLM's error types: imported only when one happens
            return isinstance(exc, _transient_types()) and not state["emitted"] and not is_credentials_error(exc)

        if model != LOCAL_MODEL or "mock_response" in params:
            litellm_module()  # its one-time import (seconds) is start-up, not part of an answer's budget
        loop = asyncio.get_running_loop()
        state["deadline"] = loop.time() + self.timeout_s
        async with asyncio.timeout(self.timeout_s):
            async for attempt in AsyncRetrying(
                retry=retry_if_exception(retryable),
                stop=stop_after_attempt(self.retries + 1),
                wait=wait_exponential(multiplier=0.5, max=8),
                reraise=True,
            ):
                with attempt:
                    return await self._stream_once(model, messages, on_token, params, state)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _stream_once(
        self,
        model: str,
        messages: list[dict[str, str]],
        on_token: Callable[[str], Any] | None,
        params: dict[str, Any],
        state: dict[str, Any],
    ) -> tuple[str, bool]:
        pieces: list[str] = []
        if model == LOCAL_MODEL and "mock_response" not in params:  # the bundled model: no LiteLLM in between
            from tui_agent.llm.local import _llama_params, stream_pieces

            async for piece in stream_pieces(messages, _llama_params({"max_tokens": self.max_tokens, **params})):
                pieces.append(piece)
                state["emitted"] = True
                if on_token is not None:
                    on_token(piece)
            return "".join(pieces).strip(), True
        litellm = litellm_module()
        kwargs = self._kwargs(model, params)
        if "timeout" in kwargs:  # what is left of the answer's budget
            kwargs["timeout"] = max(0.1, state["deadline"] - asyncio.get_running_loop().time())
        response = await litellm.acompletion(messages=messages, stream=True, **kwargs)
        async for chunk in response:
            piece = _delta_text(chunk)
            if piece:
                pieces.append(piece)
                state["emitted"] = True
                if on_token is not None:
                    on_token(piece)
        # LiteLLM adds a final "stop" chunk of its own when the stream just ends; the reason the
        # server really sent is ``received_finish_reason`` (None when the stream was cut).
        complete = "mock_response" in params or getattr(response, "received_finish_reason", "stop") is not None
        return "".join(pieces).strip(), complete


def _delta_text(chunk: Any) -> str:
    try:
        return chunk.choices[0].delta.content or ""
    except (AttributeError, IndexError):
        return ""

