"""The LiteLLM layer: streaming, the local provider, fallback, time limits, retries, no network at import."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from tui_agent.llm import LLM, LLMError, LOCAL_MODEL


async def test_mock_response_streams_in_pieces():
    pieces: list[str] = []
    out = await LLM("openai/gpt-4o-mini").stream(
        [{"role": "user", "content": "hi"}], pieces.append, mock_response="Hello there, terminal friend."
    )
    assert out.text == "Hello there, terminal friend." and out.model == "openai/gpt-4o-mini"
    assert len(pieces) > 2 and "".join(pieces) == out.text


@pytest.mark.model
async def test_local_model_answers_and_streams():
    pieces: list[str] = []
    out = await LLM(LOCAL_MODEL, max_tokens=32).stream(
        [{"role": "system", "content": "Answer concisely."}, {"role": "user", "content": "What is the capital of France?"}],
        pieces.append,
        temperature=0,
    )
    assert "Paris" in out.text and len(pieces) > 1 and out.model == LOCAL_MODEL


class BlackHole:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.open: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.open.append(conn)

    def close(self) -> None:
        for conn in self.open:
            conn.close()
        self.sock.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


async def test_time_limit_is_one_budget_for_all_attempts():
    # Warm up LiteLLM's provider path first (lazy imports, client set-up take > 1 s on a
    # cold, loaded machine, which would use up the budget before it connects).
    with pytest.raises(LLMError):
        await LLM("openai/warm", api_base=f"http://127.0.0.1:{closed_port()}/v1", api_key="x",
                  timeout_s=30, retries=0, fallback_to_local=False).complete([{"role": "user", "content": "hi"}])
    hole = BlackHole()
    try:
        llm = LLM("openai/never", api_base=f"http://127.0.0.1:{hole.port}/v1", api_key="x",
                  timeout_s=1.0, retries=3, fallback_to_local=False)
        start = time.monotonic()
        with pytest.raises(LLMError, match="no answer within 1 s"):
            await llm.complete([{"role": "user", "content": "hi"}])
        elapsed = time.monotonic() - start
    finally:
        hole.close()
    # timeout_s is per answer: retries do not multiply it (was: one full timeout_s per attempt)
    assert 1.0 <= elapsed < 4


async def test_unreachable_model_error_is_one_line():
    llm = LLM("openai/gone", api_base=f"http://127.0.0.1:{closed_port()}/v1", api_key="x",
              timeout_s=5, retries=0, fallback_to_local=False)
    with pytest.raises(LLMError) as info:
        await llm.complete([{"role": "user", "content": "hi"}])
    assert "openai/gone" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.model
async def test_falls_back_to_the_local_model():
    llm = LLM("openai/gone", api_base=f"http://127.0.0.1:{closed_port()}/v1", api_key="x",
              timeout_s=5, retries=0, fallback_to_local=True, max_tokens=24)
    out = await llm.complete([{"role": "user", "content": "Say hello."}], temperature=0)
    assert out.fell_back and out.model == LOCAL_MODEL and out.text
    assert "openai/gone" in out.error


def test_no_network_traffic_at_import():
    code = """
import socket
calls = []
real_connect, real_lookup = socket.socket.connect, socket.getaddrinfo
def connect(self, address):
    calls.append(address)
    return real_connect(self, address)
def lookup(*args, **kwargs):
    calls.append(args[0])
    return real_lookup(*args, **kwargs)
socket.socket.connect, socket.getaddrinfo = connect, lookup
import tui_agent.cli, tui_agent.chat.agent
from tui_agent.llm.client import litellm_module
litellm_module()
import time; time.sleep(1.0)
print(len(calls), calls)
"""
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0 []"
