"""Pilot tests of the chat app: streaming, rating by key and click, correction, "from memory", themes, restart."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Collapsible, Input

from tui_agent.chat.agent import ChatAgent
from tui_agent.config.settings import load_settings, load_state
from tui_agent.tui.app import ChatApp
from tui_agent.tui.widgets import AnswerView
from pilots import make_app, submit

SIZE = (100, 40)


async def ask(pilot, text: str) -> AnswerView:
    app = pilot.app
    await submit(pilot, text)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.query(AnswerView).last()


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def correct(pilot, view: AnswerView, text: str) -> None:
    """👎 on ``view`` by key, then type ``text`` as the right answer."""
    view.focus()
    await pilot.press("minus")
    await settle(pilot)
    await pilot.press(*text)
    await pilot.press("enter")
    await settle(pilot)


async def test_paints_before_the_agent_loads(memory_dir, embedder):
    app = make_app(memory_dir, embedder)
    async with app.run_test(size=SIZE) as pilot:
        status = str(app.query_one("#status").render())
        assert "experiences" in status or "…" in status
        await app.ready.wait()
        await pilot.pause()
        assert "0 experiences" in str(app.query_one("#status").render())


async def test_message_streams_into_the_answer(memory_dir, embedder, monkeypatch):
    written: list[str] = []
    original = ChatApp._pump

    async def spy(body, queue):
        real_get = queue.get

        async def get():
            item = await real_get()
            if isinstance(item, str):
                written.append(item)
            return item

        queue.get = get
        await original(body, queue)

    monkeypatch.setattr(ChatApp, "_pump", staticmethod(spy))
    app = make_app(memory_dir, embedder, mock_response="Paris is the capital of **France**. [not markup]")
    async with app.run_test(size=SIZE) as pilot:
        view = await ask(pilot, "What is the capital of France?")
        assert len(written) > 3  # arrived in pieces
        assert "".join(written) == "Paris is the capital of **France**. [not markup]"
        assert view.answer_text.endswith("[not markup]")
        assert view.experience_id and app.agent.store.get(view.experience_id).q == 0.0
        assert not view.query_one("#up", Button).disabled
        assert "1 experience" in str(app.query_one("#status").render())


async def test_rate_by_key_and_by_click_and_correct(memory_dir, embedder):
    app = make_app(memory_dir, embedder, mock_response="The capital of Zorbania is Paris.")
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, "What is the capital of Zorbania?")
        first.focus()
        await pilot.press("plus")
        await settle(pilot)
        assert app.agent.store.get(first.experience_id).q == 1.0

        second = await ask(pilot, "What is the national dish of Zorbania?")
        await pilot.click(second.query_one("#down", Button))
        await settle(pilot)
        rated = app.agent.store.get(second.experience_id)
        assert (rated.q, rated.n) == (-1.0, 1)
        correction = second.query_one(".correction", Input)
        assert correction.display and correction.has_focus
        await pilot.press(*"Plum dumplings.")
        await pilot.press("enter")
        await settle(pilot)
        corrections = [e for e in app.agent.store.all() if e.source == "correction"]
        assert [(c.action, c.q, c.n) for c in corrections] == [("Plum dumplings.", 1.0, 1)]
        assert "correction saved" in str(second.query_one(".answer-meta").render())


async def test_new_answer_comes_from_memory_and_shows_it(memory_dir, embedder):
    app = make_app(memory_dir, embedder, mock_response="It is Paris.")
    async with app.run_test(size=SIZE) as pilot:
        view = await ask(pilot, "What is the capital of Zorbania?")
        await correct(pilot, view, "Quellport")
        view.focus()
        await pilot.press("r")
        await settle(pilot)
        again = app.query(AnswerView).last()
        assert again is not view and again.answer_text == "Quellport"
        memory = again.query_one(Collapsible)
        assert memory.display and memory.collapsed and memory.title == "from memory (1)"
        again.focus()
        await pilot.press("m")
        await pilot.pause()
        assert not memory.collapsed
        text = str(again.query_one(".memory-list").render())
        assert "recalled" in text and "Q=+1.00" in text and "question 1.00" in text


async def test_model_error_is_shown_and_app_keeps_running(memory_dir, embedder):
    settings = load_settings(memory_dir=memory_dir, model="openai/unreachable", api_base="http://127.0.0.1:9",
                             fallback_to_local=False, retries=0, timeout_s=5)
    app = ChatApp(settings, agent=ChatAgent(settings, embedder=embedder))
    async with app.run_test(size=SIZE) as pilot:
        view = await ask(pilot, "hello?")
        meta = view.query_one(".answer-meta")
        assert meta.has_class("error") and "openai/unreachable" in str(meta.render())
        assert app.agent.store.count() == 0  # nothing stored for a failed answer
        assert app.is_running


async def test_theme_switch_from_palette_is_remembered(memory_dir, embedder):
    app = make_app(memory_dir, embedder, mock_response="ok")
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "tui-agent-dark"
        assert {"tui-agent-dark", "tui-agent-light", "solarized-amber"} <= set(app.available_themes)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        await pilot.press(*"tui-agent-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "tui-agent-light"
    assert load_state()["theme"] == "tui-agent-light"
    again = make_app(memory_dir, embedder)
    async with again.run_test(size=SIZE) as pilot:
        assert again.theme == "tui-agent-light"


async def test_bad_theme_file_is_reported_not_fatal(memory_dir, embedder, agent_home):
    themes = agent_home / "config" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text('name = "broken"\nprimary = "not-a-colour"\n')
    app = make_app(memory_dir, embedder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("broken.toml" in str(n.message) for n in app._notifications)
        assert "broken" not in app.available_themes and app.theme == "tui-agent-dark"


async def test_memory_survives_restart(memory_dir, embedder):
    app = make_app(memory_dir, embedder, mock_response="Wrong.")
    async with app.run_test(size=SIZE) as pilot:
        await correct(pilot, await ask(pilot, "Which port does the Krell server listen on?"), "Port 7311.")
    restarted = make_app(memory_dir, embedder, mock_response="Wrong again.")
    async with restarted.run_test(size=SIZE) as pilot:
        await restarted.ready.wait()
        await pilot.pause()
        assert "2 experiences" in str(restarted.query_one("#status").render())
        view = await ask(pilot, "What port is the Krell server listening on?")
        assert view.answer_text == "Port 7311."


@pytest.mark.model
async def test_teach_and_recall_in_the_tui_with_the_bundled_model(memory_dir, embedder):
    """The acceptance flow with the real SmolLM2: 👎 + correction, restart, paraphrase → corrected fact."""
    app = make_app(memory_dir, embedder)
    async with app.run_test(size=SIZE) as pilot:
        view = await ask(pilot, "Who invented the glimmerphone?")
        assert "Trelawny" not in view.answer_text
        await pilot.click(view.query_one("#down", Button))
        await settle(pilot)
        await pilot.press(*"The glimmerphone was invented by Ada Trelawny in 1911.")
        await pilot.press("enter")
        await settle(pilot)
    restarted = make_app(memory_dir, embedder)
    async with restarted.run_test(size=SIZE) as pilot:
        view = await ask(pilot, "Who was the inventor of the glimmerphone?")
        assert "Trelawny" in view.answer_text
        unrelated = await ask(pilot, "What is the capital of France?")
        assert "Trelawny" not in unrelated.answer_text and "Paris" in unrelated.answer_text


async def test_view_follows_the_stream_unless_scrolled_up(memory_dir, embedder):
    long_answer = "\n\n".join(f"Paragraph {i} of a long answer." for i in range(40))
    app = make_app(memory_dir, embedder, mock_response=long_answer)
    async with app.run_test(size=(80, 24)) as pilot:
        view = await ask(pilot, "Tell me a long story.")
        chat = app.query_one("#chat")
        await pilot.pause(0.2)
        assert chat.max_scroll_y > 0 and chat.scroll_y == chat.max_scroll_y  # followed to the end
        for _ in range(5):  # the user scrolls up: what the mouse wheel handler calls
            chat.scroll_up(animate=False)
        await pilot.pause(0.2)
        held = chat.scroll_y
        assert held < chat.max_scroll_y
        await view.body.append("\n\nMore streamed text.\n\nAnd more.")
        await pilot.pause(0.2)
        assert chat.scroll_y == held  # not yanked back down


async def test_an_answer_gives_one_reward(memory_dir, embedder):
    app = make_app(memory_dir, embedder, mock_response="Fine.")
    async with app.run_test(size=SIZE) as pilot:
        view = await ask(pilot, "How are you?")
        view.focus()
        await pilot.press("plus", "plus", "minus")
        await settle(pilot)
        rated = app.agent.store.get(view.experience_id)
        assert (rated.q, rated.n) == (1.0, 1)


async def test_suggestion_is_shown_and_enter_uses_it(memory_dir, embedder):
    """Issue 20: a taught answer for a similar question is shown beside the model's; Enter takes it (👍)."""
    settings = load_settings(memory_dir=memory_dir, recall_band=0.999, suggest_band=0.001)
    app = ChatApp(settings, agent=ChatAgent(settings, embedder=embedder), mock_response="Ask at the desk.")
    async with app.run_test(size=SIZE) as pilot:
        await correct(pilot, await ask(pilot, "What is the guest Wi-Fi password?"), "bluefinch-77 [b]")
        view = await ask(pilot, "How do visitors get on the wifi?")
        assert view.has_class("suggesting") and view.suggestion is not None
        shown = str(view.query_one(".suggestion-text").render())
        assert "You taught me for a similar question" in shown and "bluefinch-77 [b]" in shown  # not markup
        view.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not view.has_class("suggesting") and view.answer_text == "bluefinch-77 [b]"
        pairing = app.agent.store.get(view.experience_id)
        assert (pairing.task, pairing.action, pairing.q, pairing.source) == (
            "How do visitors get on the wifi?", "bluefinch-77 [b]", 1.0, "suggestion")
        assert app.history[-1] == ("How do visitors get on the wifi?", "bluefinch-77 [b]")


async def test_a_suggestion_is_kept_in_the_saved_chat_until_used(memory_dir, embedder):
    """A suggestion not acted on is still offered when the chat is reopened; using it then saves the taught
    answer as the message's answer (and the Markdown export says which suggestions were left)."""
    from tui_agent.chats.export import to_markdown

    settings = load_settings(memory_dir=memory_dir, recall_band=0.999, suggest_band=0.001)
    app = ChatApp(settings, agent=ChatAgent(settings, embedder=embedder), mock_response="Ask at the desk.")
    async with app.run_test(size=SIZE) as pilot:
        await correct(pilot, await ask(pilot, "What is the guest Wi-Fi password?"), "bluefinch-77 [b]")
        view = await ask(pilot, "How do visitors get on the wifi?")
        assert view.suggestion is not None
        chat = app.session.current()
    saved = chat.messages[-1]
    assert saved.suggestion is not None and saved.suggestion["outcome"] is None
    assert saved.suggestion["answer"] == "bluefinch-77 [b]" and saved.content != "bluefinch-77 [b]"
    assert "> **suggested** (not yet used; taught for: What is the guest Wi-Fi password?): bluefinch-77 [b]" in (
        to_markdown(chat))

    again = ChatApp(settings, agent=ChatAgent(settings, embedder=embedder), mock_response="Ask at the desk.")
    async with again.run_test(size=SIZE) as pilot:
        await again.ready.wait()
        again.open_chat(chat.id)
        await pilot.pause()
        reopened = list(again.query(AnswerView))[-1]
        assert reopened.has_class("suggesting") and reopened.suggestion.answer == "bluefinch-77 [b]"
        reopened.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert reopened.answer_text == "bluefinch-77 [b]"
        kept = again.session.current().messages[-1]
    assert (kept.content, kept.rating, kept.mode, kept.suggestion["outcome"]) == ("bluefinch-77 [b]", 1, "recall",
                                                                                    "accepted")
    assert kept.experience_id == saved.suggestion["id"] and "**suggested**" not in to_markdown(
        again.session.current())
