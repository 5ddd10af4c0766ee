"""Pilot tests of saved chats in the TUI: saved as you chat, reopened with ratings and "from memory", the chat
list (search, rename, delete), Ctrl+N, copy, model switch and system prompt from the palette, a corrupt file."""

from __future__ import annotations

from textual.widgets import Collapsible, DataTable

from pilots import make_light_app, submit
from tui_agent.chats.store import ChatStore, default_path
from tui_agent.tui.chats_screen import ChatsScreen
from tui_agent.tui.dialogs import AskTextScreen, ConfirmScreen
from tui_agent.tui.widgets import AnswerView, UserMessage

SIZE = (100, 36)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def ask(pilot, text: str) -> AnswerView:
    await submit(pilot, text)
    await settle(pilot)
    return pilot.app.query(AnswerView).last()


async def palette(pilot, command: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*command)
    await pilot.pause(0.4)
    await pilot.press("enter")
    await pilot.pause(0.2)


def meta(view: AnswerView) -> str:
    return str(view.query_one(".answer-meta").render())


async def test_chat_is_saved_and_reopens_with_ratings_and_memory(memory_dir):
    app = make_light_app(memory_dir, mock_response="It is Paris.")
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, "What is the capital of Zorbania?")
        first.focus()
        await pilot.press("minus")
        await settle(pilot)
        await pilot.press(*"Quellport.", "enter")
        await settle(pilot)
        recalled = await ask(pilot, "What is the capital of Zorbania?")  # same question: recalled from memory
        assert recalled.answer_text == "Quellport."
        recalled.focus()
        await pilot.press("plus")
        await settle(pilot)
    chat = ChatStore().list()[0]
    assert (chat.title, chat.count) == ("What is the capital of Zorbania?", 4)

    again = make_light_app(memory_dir, mock_response="unused")
    async with again.run_test(size=SIZE) as pilot:
        await again.ready.wait()
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(again.screen, ChatsScreen) and again.screen.ids == [chat.id]
        await pilot.press("enter")
        await pilot.pause()
        views = list(again.query(AnswerView))
        assert len(again.query(UserMessage)) == 2 and len(views) == 2
        wrong, remembered = views
        assert wrong.rating is False and "correction saved: Quellport." in meta(wrong)
        assert not wrong.has_class("correcting")  # a reopened 👎 does not ask again
        assert remembered.rating is True and "👍 rated · Q = +1.00 (N = 2)" in meta(remembered)
        memory = remembered.query_one(Collapsible)
        assert memory.display and memory.title == "from memory (1)"
        assert "recalled" in str(remembered.query_one(".memory-list").render())
        assert again.history == [("What is the capital of Zorbania?", "It is Paris."),
                                 ("What is the capital of Zorbania?", "Quellport.")]
        # going on in the reopened chat adds to it
        await ask(pilot, "And its population?")
    assert ChatStore().get(chat.id).count == 6 and len(ChatStore().list()) == 1


async def test_ctrl_n_starts_a_new_saved_chat(memory_dir):
    app = make_light_app(memory_dir, mock_response="Fine.")
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot, "First chat?")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not app.query(AnswerView) and app.history == []
        await ask(pilot, "Second chat?")
    assert [c.title for c in ChatStore().list()] == ["Second chat?", "First chat?"]


async def test_chat_list_search_rename_delete(memory_dir):
    store = ChatStore()
    for title in ("Zorbania facts", "Krell server port", "A joke"):
        chat = store.create(title)
        store.add_message(chat.id, "user", title + " [b]?[/b]")
    app = make_light_app(memory_dir, mock_response="unused")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatsScreen) and len(screen.ids) == 3
        await pilot.press("slash", *"krell", "enter")
        await pilot.pause()
        assert [store.get(i).title for i in screen.ids] == ["Krell server port"]
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, AskTextScreen)
        await pilot.press("ctrl+u", *"Krell: port 7311", "enter")
        await pilot.pause()
        assert store.get(screen.ids[0]).title == "Krell: port 7311"
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # nothing lost on "no"
        await pilot.pause()
        assert len(store.list()) == 3
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert [c.title for c in store.list()] == ["A joke", "Zorbania facts"]
        assert screen.ids == []  # still filtered by "krell"
        await pilot.press("slash", "ctrl+u", "enter")
        await pilot.pause()
        assert len(screen.ids) == 2 and screen.query_one(DataTable).row_count == 2
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChatsScreen)


async def test_copy_answer_and_chat(memory_dir):
    app = make_light_app(memory_dir, mock_response="Paris is the capital of **France**.")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        assert app.clipboard == "" and any("Nothing to copy" in str(n.message) for n in app._notifications)
        view = await ask(pilot, "What is the capital of France?")
        view.focus()
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == "Paris is the capital of **France**."
        assert any("Copied the answer (35 characters)" in str(n.message) for n in app._notifications)
        await pilot.press("f4")
        await pilot.pause()
        assert app.clipboard.startswith("# What is the capital of France?\n")
        assert "## You\n\nWhat is the capital of France?" in app.clipboard
        assert "## Assistant · local/smollm2\n\nParis is the capital of **France**." in app.clipboard


async def test_model_switch_from_the_palette(memory_dir, agent_home):
    config = agent_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('models = ["openai/gpt-4o-mini"]\n')
    app = make_light_app(memory_dir, mock_response="An answer.")
    async with app.run_test(size=SIZE) as pilot:
        first = await ask(pilot, "Which model are you?")
        assert first.model == "local/smollm2"
        await palette(pilot, "Model: openai/gpt-4o")
        await settle(pilot)
        assert app.settings.model == app.agent.settings.model == "openai/gpt-4o-mini"
        assert "● openai/gpt-4o-mini ·" in str(app.query_one("#status").render())
        second = await ask(pilot, "And now?")
        assert second.model == "openai/gpt-4o-mini" and meta(second).startswith("openai/gpt-4o-mini ·")
        assert app.model_choices() == ["openai/gpt-4o-mini", "local/smollm2"]
    models = [m.model for m in ChatStore().get(ChatStore().list()[0].id).messages if m.role == "assistant"]
    assert models == ["local/smollm2", "openai/gpt-4o-mini"]


async def test_system_prompt_from_the_palette_goes_to_the_model(memory_dir, monkeypatch):
    import tui_agent.chat.agent as agent_module

    systems: list[str] = []
    real = agent_module.chat_messages

    def spy(*args, **kwargs):
        messages = real(*args, **kwargs)
        systems.append(messages[0]["content"])
        return messages

    monkeypatch.setattr(agent_module, "chat_messages", spy)
    app = make_light_app(memory_dir, mock_response="Bonjour.")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await palette(pilot, "System prompt")
        assert isinstance(app.screen, AskTextScreen)
        await pilot.press(*"Answer in French.")  # the current prompt is selected: typing replaces it
        await pilot.press("ctrl+s")
        await pilot.pause()
        await ask(pilot, "Hello?")
        assert systems[-1] == "Answer in French."
        await pilot.press("ctrl+n")
        await ask(pilot, "Hello again?")
        assert systems[-1].startswith("You are a helpful assistant")  # a new chat has the default
    chats = ChatStore().list()
    assert [ChatStore().get(c.id).system_prompt for c in chats] == [None, "Answer in French."]


async def test_corrupt_chats_file_gives_one_line_and_the_app_starts(memory_dir):
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"garbage, not SQLite" * 50)
    app = make_light_app(memory_dir, mock_response="Still answering.")
    async with app.run_test(size=SIZE) as pilot:
        view = await ask(pilot, "Are you alive?")
        assert view.answer_text == "Still answering."
        warnings = [str(n.message) for n in app._notifications if "chats file" in str(n.message)]
        assert len(warnings) == 1 and "\n" not in warnings[0] and "kept in memory only" in warnings[0]
        await pilot.press("f3")
        await pilot.pause()
        assert len(app.screen.ids) == 1  # this session's chat, in memory
        assert "not saved" in str(app.screen.query_one("#chats-status").render())
    assert path.read_bytes() == b"garbage, not SQLite" * 50  # left as it was


async def test_chat_list_shows_control_characters_visibly(memory_dir):
    store = ChatStore()
    chat = store.create("evil \x1b]52;c;aGk=\x07 title")
    store.add_message(chat.id, "user", "\x1b[2J wipe")
    app = make_light_app(memory_dir, mock_response="unused")
    async with app.run_test(size=SIZE) as pilot:
        await app.ready.wait()
        await pilot.press("f3")
        await pilot.pause()
        title = str(app.screen.query_one(DataTable).get_row_at(0)[1])
        preview = str(app.screen.query_one("#chats-preview").render())
        assert "\x1b" not in title and "\x07" not in title and "\x1b" not in preview
