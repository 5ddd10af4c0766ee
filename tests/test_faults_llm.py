"""Items 3 and 4 of issue 10: the LLM fault matrix against local fake servers.

One time budget per answer (all attempts together), one retry layer (ours: ``retries + 1``
requests at most, never LiteLLM's or the OpenAI SDK's on top), credential errors not retried,
keyless local servers work, and a stream without a normal end is marked incomplete and not
stored as a normal answer — in the client, the agent, the CLI and the TUI. No torch.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from typer.testing import CliRunner

from fake_llm import FakeEmbedder, FakeLLMServer
from tui_agent.llm.client import LLM, LLMError

MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
runner = CliRunner()


@pytest.fixture(autouse=True)
def no_openai_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def llm_for(server_url: str, key: str | None = None, timeout_s: float = 60, retries: int = 2) -> LLM:
    return LLM("openai/fake", api_base=server_url, api_key=key, timeout_s=timeout_s, retries=retries,
               fallback_to_local=False)


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and "Traceback" not in text
    return text


@pytest.mark.parametrize("key", ["sk-test", None])
def test_normal_answer_with_and_without_a_key(key):
    with FakeLLMServer("ok") as server:
        out = asyncio.run(llm_for(server.url, key).complete(MESSAGES))
    assert out.text == "The capital of France is Paris." and not out.incomplete
    assert server.requests == 1
    assert server.auth == [f"Bearer {key or 'no-key'}"]  # keyless local server: a placeholder, not an error


@pytest.mark.parametrize("mode", ["401", "404"])
def test_client_errors_are_not_retried(mode):
    with FakeLLMServer(mode) as server:
        with pytest.raises(LLMError) as info:
            asyncio.run(llm_for(server.url, "sk-bad", retries=3).complete(MESSAGES))
    assert server.requests == 1
    text = one_line(info.value)
    if mode == "401":
        assert "API key" in text and "api_key_env" in text


@pytest.mark.parametrize("mode", ["429", "500", "garbage"])
def test_transient_errors_retried_by_one_layer_only(mode):
    with FakeLLMServer(mode) as server:
        with pytest.raises(LLMError) as info:
            asyncio.run(llm_for(server.url, "sk-test", retries=2).complete(MESSAGES))
    assert server.requests == 3  # retries + 1 (was 9: LiteLLM's / the SDK's retries multiplied ours)
    one_line(info.value)


def test_missing_credentials_is_not_retried(monkeypatch):
    llm = LLM("openai/gpt-4o-mini", api_key=None, timeout_s=10, retries=3, fallback_to_local=False)
    start = time.monotonic()
    with pytest.raises(LLMError) as info:
        asyncio.run(llm.complete(MESSAGES))
    assert time.monotonic() - start < 1.0  # no back-off waits: not retried
    assert "API key" in one_line(info.value)


def test_connection_refused_is_one_line():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(LLMError) as info:
        asyncio.run(llm_for(f"http://127.0.0.1:{port}/v1", "x", retries=1).complete(MESSAGES))
    assert "openai/fake" in one_line(info.value)


def test_black_hole_uses_one_budget_for_all_attempts():
    with FakeLLMServer("blackhole") as server:
        start = time.monotonic()
        with pytest.raises(LLMError, match="no answer within 1.5 s"):
            asyncio.run(llm_for(server.url, "x", timeout_s=1.5, retries=5).complete(MESSAGES))
        elapsed = time.monotonic() - start
    assert elapsed < 5  # one budget (was timeout_s per attempt: 6 × 1.5 s plus waits)


@pytest.mark.parametrize("mode", ["cut", "no_finish"])
def test_stream_without_a_normal_end_is_incomplete(mode):
    with FakeLLMServer(mode) as server:
        out = asyncio.run(llm_for(server.url, "x").complete(MESSAGES))
    assert out.incomplete
    assert server.requests == 1  # a half-shown answer is never silently restarted


def test_length_finish_is_a_normal_end():
    with FakeLLMServer("length") as server:
        out = asyncio.run(llm_for(server.url, "x").complete(MESSAGES))
    assert not out.incomplete


def test_very_long_answer_is_received_whole():
    answer = "".join(f"word{i} " for i in range(40_000))  # 308,890 characters (no repeated chunks: LiteLLM
    # stops a stream that repeats one chunk)
    with FakeLLMServer("ok", answer=answer, pieces=300) as server:
        out = asyncio.run(llm_for(server.url, "x").complete(MESSAGES))
    assert len(out.text) == len(answer.strip()) and not out.incomplete


# --- the agent, the CLI and the TUI ---------------------------------------------------------


@pytest.fixture
def fake_models(monkeypatch):
    import tui_agent.embedding.encoder

    monkeypatch.setattr(tui_agent.embedding.encoder, "shared_embedder", lambda: FakeEmbedder())
    monkeypatch.setenv("TUI_AGENT_FALLBACK_TO_LOCAL", "false")


def ask_cli(server: FakeLLMServer, memory_dir, *extra: str):
    from tui_agent.cli import app

    return runner.invoke(app, ["ask", "What is the capital of France?", "--model", "openai/fake", "--api-base",
                               server.url, "--memory-dir", str(memory_dir), *extra])


def test_cli_cut_stream_is_shown_marked_and_not_stored(memory_dir, fake_models):
    from tui_agent.memory.store import ExperienceStore

    with FakeLLMServer("cut") as server:
        result = ask_cli(server, memory_dir)
    assert result.exit_code == 3, result.output[-300:]
    assert "[incomplete]" in result.stdout and "The capital" in result.stdout
    assert "incomplete answer" in result.stderr and "not stored" in result.stderr
    assert ExperienceStore(memory_dir).count() == 0
    with FakeLLMServer("cut") as server:
        data = json.loads(ask_cli(server, memory_dir, "--json").stdout)
    assert data["incomplete"] is True and data["id"] is None


def test_cli_very_long_answer_is_shown_and_not_stored(memory_dir, fake_models):
    from tui_agent.memory.store import ExperienceStore

    answer = "".join(f"long{i} " for i in range(35_000))  # 268,890 characters: over the 200,000 the importer accepts
    with FakeLLMServer("ok", answer=answer, pieces=100) as server:
        result = ask_cli(server, memory_dir)
    assert result.exit_code == 3, result.output[-300:]
    assert result.stdout.count("long") == 35_000
    assert "too long" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert ExperienceStore(memory_dir).count() == 0


async def test_tui_cut_stream_is_marked_incomplete_and_cannot_be_rated(memory_dir, monkeypatch):
    from textual.widgets import Button

    from pilots import submit
    from tui_agent.chat.agent import ChatAgent
    from tui_agent.config.settings import load_settings
    from tui_agent.tui.app import ChatApp
    from tui_agent.tui.widgets import AnswerView

    monkeypatch.setenv("TUI_AGENT_FALLBACK_TO_LOCAL", "false")
    with FakeLLMServer("cut") as server:
        settings = load_settings(memory_dir=memory_dir, model="openai/fake", api_base=server.url)
        agent = ChatAgent(settings, embedder=FakeEmbedder())
        app = ChatApp(settings, agent=agent)
        async with app.run_test(size=(120, 40)) as pilot:
            await submit(pilot, "What is the capital of France?")
            await app.workers.wait_for_complete()
            await pilot.pause()
            view = app.query(AnswerView).last()
            meta = str(view.query_one(".answer-meta").render())
            assert "incomplete" in meta and "not stored" in meta
            assert view.experience_id is None
            assert view.query_one("#up", Button).disabled and not view.query_one("#retry", Button).disabled
            assert "The capital" in view.body.source
            assert agent.store.count() == 0


def test_api_key_in_the_config_file_is_refused_with_a_message(agent_home, tmp_path):
    from tui_agent.cli import app
    from tui_agent.config.settings import config_file

    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text('model = "openai/x"\napi_key = "sk-secret"\n')
    result = runner.invoke(app, ["memory", "stats", "--memory-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    err = result.stderr.strip()
    assert "api_key" in err and "api_key_env" in err and "\n" not in err
    assert "sk-secret" not in result.output  # the key itself is never echoed
