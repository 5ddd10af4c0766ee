"""``tui-agent ask`` saves chats like the TUI's: a new chat, ``-c`` (the last), ``--chat ID``, piped context, ``-s``.

A local OpenAI-compatible server (tests/fake_llm.py) answers and records what the model was sent; a hash
embedder stands in for MiniLM (no torch, no model). Every run passes ``input=`` explicitly or gets
CliRunner's empty standard input, so no test waits on a terminal.
"""

from __future__ import annotations

import io
import json
import os

import pytest
from typer.testing import CliRunner

from fake_llm import FakeEmbedder, FakeLLMServer
from tui_agent.chats.store import ChatStore
from tui_agent.cli import app
from tui_agent.cli.ask import STDIN_LIMIT, piped, read_context

runner = CliRunner()


@pytest.fixture
def server(monkeypatch):
    import tui_agent.embedding.encoder

    monkeypatch.setattr(tui_agent.embedding.encoder, "shared_embedder", lambda: FakeEmbedder())
    monkeypatch.setenv("TUI_AGENT_FALLBACK_TO_LOCAL", "false")
    with FakeLLMServer("ok", answer="Paris is the capital.") as fake:
        yield fake


def ask(server, memory_dir, *args: str, input: str | None = None):
    result = runner.invoke(app, ["ask", *args, "--json", "--model", "openai/fake", "--api-base", server.url,
                                 "--memory-dir", str(memory_dir)], input=input)
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def sent(server) -> list[dict]:
    """The messages of the last request the model got."""
    return server.bodies[-1]["messages"]


def test_plain_ask_is_saved_as_a_new_chat(server, memory_dir):
    result, out = ask(server, memory_dir, "What is the capital of France?")
    assert result.exit_code == 0, result.output
    chats = ChatStore().list()
    assert [c.id for c in chats] == [out["chat_id"]]
    chat = ChatStore().get(out["chat_id"])
    assert chat.title == "What is the capital of France?"
    assert [(m.role, m.content) for m in chat.messages] == [
        ("user", "What is the capital of France?"), ("assistant", "Paris is the capital.")]
    assert chat.messages[1].experience_id == out["id"] and chat.messages[1].model == "openai/fake"
    again, second = ask(server, memory_dir, "And of Spain?")
    assert second["chat_id"] != out["chat_id"] and len(ChatStore().list()) == 2  # plain ask: a new chat each time


def test_continue_the_last_chat(server, memory_dir):
    _, first = ask(server, memory_dir, "What is the capital of France?")
    result, out = ask(server, memory_dir, "-c", "How many people live there?")
    assert result.exit_code == 0, result.output
    assert out["chat_id"] == first["chat_id"]
    assert [m["content"] for m in sent(server)[1:]] == [
        "What is the capital of France?", "Paris is the capital.", "How many people live there?"]
    chat = ChatStore().get(first["chat_id"])
    assert [m.content for m in chat.messages if m.role == "user"] == [
        "What is the capital of France?", "How many people live there?"]
    assert len(ChatStore().list()) == 1


def test_continue_a_given_chat_by_id_prefix(server, memory_dir):
    _, older = ask(server, memory_dir, "Tell me about Quellport.")
    _, newer = ask(server, memory_dir, "Tell me about Vextor.")
    result, out = ask(server, memory_dir, "--chat", older["chat_id"][:6], "Who governs it?")
    assert result.exit_code == 0, result.output
    assert out["chat_id"] == older["chat_id"]
    assert "Tell me about Quellport." in [m["content"] for m in sent(server)]
    assert "Tell me about Vextor." not in [m["content"] for m in sent(server)]
    assert ChatStore().get(older["chat_id"]).count == 4 and ChatStore().get(newer["chat_id"]).count == 2
    assert ChatStore().list()[0].id == older["chat_id"]  # now the last one: -c goes on there


@pytest.mark.parametrize("args, code, message", [
    (["-c"], 1, "no saved chat to continue"),
    (["--chat", "nosuchchat"], 1, "no chat with id 'nosuchchat'"),
    (["-c", "--chat", "abc"], 2, "not both"),
])
def test_a_chat_that_cannot_be_continued_is_a_clear_error_before_asking(server, memory_dir, args, code, message):
    result, _ = ask(server, memory_dir, *args, "Go on.")
    assert result.exit_code == code
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert server.requests == 0 and ChatStore().list() == []


def test_piped_input_is_the_questions_context(server, memory_dir):
    text = "Quellport is a harbour town.\nIts mayor is Ada Brightwater.\n"
    result, out = ask(server, memory_dir, "summarise", input=text)
    assert result.exit_code == 0, result.output
    question = sent(server)[-1]["content"]
    assert question == "Quellport is a harbour town.\nIts mayor is Ada Brightwater.\n\nsummarise"
    chat = ChatStore().get(out["chat_id"])
    assert chat.title == "summarise" and chat.messages[0].content == question
    assert out["question"] == question  # the experience is the question with its context


def test_piped_input_past_the_limit_is_refused_and_nothing_is_asked(server, memory_dir):
    result, _ = ask(server, memory_dir, "summarise", input="x" * (STDIN_LIMIT + 1))
    assert result.exit_code == 2
    assert f"over {STDIN_LIMIT:,} characters" in result.stderr and "head -c" in result.stderr
    assert server.requests == 0 and ChatStore().list() == []
    result, _ = ask(server, memory_dir, "summarise", input="x" * STDIN_LIMIT)  # exactly the limit is fine
    assert result.exit_code == 0, result.output


def test_empty_standard_input_adds_no_context(server, memory_dir):
    result, _ = ask(server, memory_dir, "What is the capital of France?", input="")
    assert result.exit_code == 0, result.output
    assert sent(server)[-1]["content"] == "What is the capital of France?"


def test_system_prompt_for_this_answer_and_the_new_chat(server, memory_dir):
    result, out = ask(server, memory_dir, "-s", "Answer in one word.", "What is the capital of France?")
    assert result.exit_code == 0, result.output
    assert sent(server)[0] == {"role": "system", "content": "Answer in one word."}
    assert ChatStore().get(out["chat_id"]).system_prompt == "Answer in one word."
    ask(server, memory_dir, "-c", "And of Spain?")  # the chat's own prompt goes on
    assert sent(server)[0]["content"] == "Answer in one word."
    ask(server, memory_dir, "-c", "-s", "Answer in French.", "And of Italy?")  # this answer only
    assert sent(server)[0]["content"] == "Answer in French."
    assert ChatStore().get(out["chat_id"]).system_prompt == "Answer in one word."
    result, _ = ask(server, memory_dir, "-s", "  ", "Hi")
    assert result.exit_code == 2 and "system prompt (-s) is empty" in result.stderr


def test_text_output_names_the_chat(server, memory_dir):
    result = runner.invoke(app, ["ask", "Hi", "--model", "openai/fake", "--api-base", server.url,
                                 "--memory-dir", str(memory_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Paris is the capital.\n"
    chat_id = ChatStore().list()[0].id
    assert f"; chat {chat_id}, go on with: tui-agent ask -c" in result.stderr


def test_only_pipes_and_files_are_read(tmp_path):
    with open(os.devnull) as null:
        assert not piped(null)  # /dev/null, as CI's standard input: not read
    (tmp_path / "f.txt").write_text("file text\n")
    with open(tmp_path / "f.txt") as f:
        assert piped(f) and read_context(f) == "file text"
    r, w = os.pipe()
    os.write(w, b"piped text")
    os.close(w)
    with os.fdopen(r) as pipe:
        assert piped(pipe) and read_context(pipe) == "piped text"
    assert read_context(io.StringIO("in memory")) == "in memory"  # a test runner's input (no descriptor)
    with pytest.raises(ValueError, match="over 5 characters"):
        read_context(io.StringIO("123456"), limit=5)
