"""Item 1 of issue 10: every kind of terminal control sequence, through every surface, is shown inert.

Surfaces: ``memory show / list / search --text / --json``, ``ask`` (text and --json), the chat's
answer view (streamed and final) and the F2 browser (table, preview, detail). No torch: a hash
embedder and a local fake OpenAI-compatible server stand in for the models.
"""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from fake_llm import FakeEmbedder, FakeLLMServer
from tui_agent.cli import app as cli_app
from tui_agent.memory.schema import Experience
from tui_agent.memory.store import ExperienceStore
from tui_agent.text.terminal import json_text, visible
from vectors import unit

SEQUENCES = {
    "csi clear screen": "\x1b[2J\x1b[H",
    "csi colour": "\x1b[31;1m",
    "osc title (BEL)": "\x1b]0;pwned\x07",
    "osc title (ST)": "\x1b]2;pwned\x1b\\",
    "osc 52 clipboard": "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "osc 8 hyperlink": "\x1b]8;;http://evil.example/\x1b\\",
    "8-bit csi (C1)": "\x9b2J",
    "8-bit osc (C1)": "\x9d0;t\x9c",
    "bell": "\x07",
    "backspace": "ab\x08\x08",
    "carriage return": "real\rfake",
    "nul and del": "a\x00b\x7f",
    "bidi override": "\u202eevil\u202c",
}
ALL = "".join(SEQUENCES.values())
RAW = set("\x1b\x07\x9b\x9d\x9c\x08\r\x00\x7f\u202e\u202c")
runner = CliRunner()


def strings(data) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        data = list(data.values())
    return [s for item in data for s in strings(item)] if isinstance(data, list) else []


def raw_controls(text: str) -> list[str]:
    return sorted({repr(c) for c in text if c in RAW})


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_visible_makes_each_sequence_inert(name):
    shown = visible(f"before {SEQUENCES[name]} after\nline two\tok")
    assert not raw_controls(shown), shown
    assert shown.endswith("after\nline two\tok")  # newline and tab kept
    assert visible(shown) == shown  # idempotent


def test_visible_keeps_text_readable():
    assert visible("\x1b[2J") == "␛[2J"
    assert visible("a\r\nb") == "a\nb"
    assert visible("\x9b") == "\\x9b"
    assert visible("日本語 ✓ é") == "日本語 ✓ é"


def test_json_text_round_trips_and_is_inert():
    data = {"answer": ALL, "n": 1}
    out = json_text(data)
    assert not raw_controls(out)
    assert json.loads(out) == data


@pytest.fixture
def hostile_memory(memory_dir):
    store = ExperienceStore(memory_dir)
    store.add([Experience(id="e" * 32, task="hostile " + ALL, action="answer " + ALL, kind="chat",
                          reason=ALL, observation=ALL, vector=unit(1))])
    return memory_dir


@pytest.mark.parametrize("args", [
    ["show", "e" * 32], ["show", "eeee"], ["list"], ["search", "--text", "hostile"],
    ["show", "e" * 32, "--json"], ["list", "--json"], ["search", "--text", "hostile", "--json"],
])
def test_memory_commands_print_no_raw_controls(hostile_memory, args):
    result = runner.invoke(cli_app, ["memory", *args, "--memory-dir", str(hostile_memory)])
    assert result.exit_code == 0, result.output
    assert not raw_controls(result.stdout), result.stdout
    assert not raw_controls(result.stderr)
    if "--json" in args:
        assert any(ALL in text for text in strings(json.loads(result.stdout)))  # nothing lost in JSON
    else:
        assert "␛" in result.stdout  # shown, not dropped


@pytest.fixture
def fake_models(monkeypatch):
    import tui_agent.embedding.encoder

    monkeypatch.setattr(tui_agent.embedding.encoder, "shared_embedder", lambda: FakeEmbedder())
    monkeypatch.setenv("TUI_AGENT_FALLBACK_TO_LOCAL", "false")


@pytest.mark.parametrize("as_json", [False, True])
def test_ask_prints_model_output_inert(memory_dir, fake_models, as_json):
    with FakeLLMServer("ok", answer="Sure. " + ALL + " done") as server:
        result = runner.invoke(cli_app, ["ask", "hi", "--model", "openai/fake", "--api-base", server.url,
                                         "--memory-dir", str(memory_dir), *(["--json"] if as_json else [])])
    assert result.exit_code == 0, result.output
    assert not raw_controls(result.stdout), result.stdout
    assert "done" in result.stdout


# --- the TUI: what would be written to the terminal --------------------------------------


def screen_output(app) -> str:
    """The bytes Textual would send to the terminal for a full repaint of the current screen."""
    update = app.screen._compositor.render_update(full=True)
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, color_system="truecolor", width=200, legacy_windows=False).print(update, end="")
    return buf.getvalue()


def injected(output: str) -> list[str]:
    """Sequences from the hostile text found in the terminal output (the app's own SGR/cursor codes are fine)."""
    bad = ["\x1b]0;pwned", "\x1b]2;pwned", "\x1b]52", "\x1b]8;;http://evil", "\x1b[2J", "\x9b", "\x9d", "\x07", "\x08",
           "\r", "\x00", "\u202e"]
    return [b for b in bad if b in output]


def test_the_probe_sees_raw_sequences_in_plain_textual():
    """The check below is meaningful: plain Textual widgets do pass them to the terminal."""
    from rich.text import Text
    from textual.app import App
    from textual.widgets import Static

    class Plain(App):
        def compose(self):
            yield Static(Text("x " + ALL))

    async def run():
        async with Plain().run_test(size=(120, 10)) as pilot:
            await pilot.pause()
            return screen_output(pilot.app)

    import asyncio

    assert injected(asyncio.run(run()))


async def test_answer_view_shows_model_output_inert(memory_dir, monkeypatch):
    from tui_agent.chat.agent import ChatAgent
    from tui_agent.config.settings import load_settings
    from tui_agent.tui.app import ChatApp
    from tui_agent.tui.widgets import AnswerView, UserMessage
    from pilots import submit

    settings = load_settings(memory_dir=memory_dir)
    app = ChatApp(settings, agent=ChatAgent(settings, embedder=FakeEmbedder()),
                  mock_response="Answer: " + ALL + " end")
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, "question " + ALL)
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.query(AnswerView).last()
        assert view.experience_id  # stored as given (the memory keeps the data), shown inert
        assert not raw_controls(view.body.source)
        assert "␛]52" in view.body.source
        assert not raw_controls(str(app.query(UserMessage).last().render()))
        assert not injected(screen_output(app))


async def test_memory_browser_shows_rows_inert(hostile_memory):
    from textual.app import App

    from tui_agent.tui.memory_dialogs import ExperienceScreen
    from tui_agent.tui.memory_screen import MemoryScreen

    store = ExperienceStore(hostile_memory)

    class MemoryApp(App):
        def on_mount(self):
            self.push_screen(MemoryScreen(store))

    app = MemoryApp()
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if getattr(app.screen, "page", None) is not None and app.screen.current_id():
                break
        assert not injected(screen_output(app))
        await pilot.press("enter")
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(app.screen, ExperienceScreen):
                break
        assert isinstance(app.screen, ExperienceScreen)
        out = screen_output(app)
        assert not injected(out)
        assert "␛" in out
