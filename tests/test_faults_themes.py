"""Item 5 of issue 10: hostile theme files are refused with a reason and never stop the app."""

from __future__ import annotations

import pytest
from textual.theme import BUILTIN_THEMES

from tui_agent.tui.themes import PROJECT_THEMES, _variable_problem, load_themes, parse_theme

HOSTILE = {
    "markup-name.toml": 'name = "[bold red]pwn[/"\nprimary = "#ff0000"\n',
    "bad-colour.toml": 'name = "bad-colour"\nprimary = "not-a-colour"\n',
    "bad-variable.toml": 'name = "bad-variable"\nprimary = "#ff0000"\n[variables]\nblock-cursor-background = "nope"\n',
    "css-injection.toml": 'name = "css-inj"\nprimary = "#ff0000"\n[variables]\n'
                          'footer-key-foreground = "#fff; } Screen { display: none"\n',
    "bad-variable-name.toml": 'name = "bad-var-name"\nprimary = "#ff0000"\n[variables]\n"a b{" = "#fff"\n',
    "bad-text-style.toml": 'name = "bad-style"\nprimary = "#ff0000"\n[variables]\nblock-cursor-text-style = "bold;x"\n',
    "bad-alpha.toml": 'name = "bad-alpha"\nprimary = "#ff0000"\n[variables]\ninput-selection-background = "#fff 400%"\n',
    "wrong-types.toml": 'name = "wrong-types"\nprimary = "#ff0000"\ndark = "yes"\n',
    "variables-not-table.toml": 'name = "vars"\nprimary = "#ff0000"\nvariables = "x"\n',
    "unknown-field.toml": 'name = "unknown"\nprimary = "#ff0000"\nevil = 1\n',
    "not-toml.toml": "name = [[[\n",
    "huge.toml": 'name = "huge"\nprimary = "#ff0000"\n' + "# pad\n" * 20_000,
}


@pytest.fixture
def hostile_dir(tmp_path):
    folder = tmp_path / "themes"
    folder.mkdir()
    for name, body in HOSTILE.items():
        (folder / name).write_text(body, encoding="utf-8")
    (folder / "binary.toml").write_bytes(b"\xff\xfe\x00name")
    return folder


def test_every_hostile_file_is_skipped_with_a_one_line_reason(hostile_dir):
    themes, errors = load_themes([hostile_dir])
    assert themes == []
    assert len(errors) == len(HOSTILE) + 1
    assert all("\n" not in e for e in errors)
    assert any("markup-name.toml: name" in e for e in errors)
    assert any("css-injection.toml" in e and "not a colour" in e for e in errors)


def test_shipped_and_builtin_themes_pass():
    themes, errors = load_themes([PROJECT_THEMES])
    assert not errors and {"tui-agent-dark", "tui-agent-light", "solarized-amber"} <= {t.name for t in themes}
    for theme in BUILTIN_THEMES.values():
        for name, value in theme.variables.items():
            assert _variable_problem(name, value) is None, (theme.name, name, value)


def test_a_good_theme_with_variables_is_accepted(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text('name = "ok.theme_1"\nprimary = "#123456"\n[variables]\n'
                    'input-selection-background = "#949CBB 30%"\nblock-cursor-text-style = "bold reverse"\n'
                    'screen-selection-background = "ansi_cyan"\n')
    assert parse_theme(path).name == "ok.theme_1"


@pytest.mark.parametrize("remembered", ["bad-variable", "css-inj", "[bold red]pwn[/", "huge"])
async def test_app_starts_and_the_picker_opens_with_hostile_themes(agent_home, hostile_dir, remembered):
    import shutil

    from tui_agent.config.settings import config_dir, load_settings
    from tui_agent.tui.app import ChatApp

    shutil.copytree(hostile_dir, config_dir() / "themes")
    (config_dir() / "state.toml").write_text(f'theme = "{remembered}"\n')

    class Agent:
        def load(self, say):
            pass

        def memory_count(self):
            return 0

        def memory_read_only(self):
            return None

    app = ChatApp(load_settings(memory_dir=agent_home / "m"), agent=Agent())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "tui-agent-dark"
        app.action_change_theme()
        await pilot.pause(0.3)
        await pilot.press("down", "down", "escape")
        await pilot.pause()
    assert app.return_code in (None, 0)
