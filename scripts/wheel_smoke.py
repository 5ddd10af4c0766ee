"""Smoke test of an installed wheel (run by .ci/run from a clean venv, outside the source tree).

Checks that the package data came along and the app works from it: the project themes load
(no "unknown theme"), the shipped initial pool is there, the chat starts headless, and
``/task`` runs a shop episode to its reward with the bundled models. Exit code 0 = passed.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path


def main() -> int:
    import tui_agent

    where = Path(tui_agent.__file__).resolve()
    assert "site-packages" in where.parts, f"tui_agent imported from {where}, not from the installed wheel"

    from tui_agent.tui.themes import PROJECT_THEMES, load_themes

    themes, errors = load_themes([PROJECT_THEMES])
    names = {t.name for t in themes}
    assert {"tui-agent-dark", "tui-agent-light"} <= names and not errors, (names, errors)
    from tui_agent.shop.pool import INITIAL_POOL_FILE, load_initial_pool

    assert load_initial_pool(INITIAL_POOL_FILE), f"no initial pool in {INITIAL_POOL_FILE}"
    cli = Path(sys.executable).with_name("tui-agent")
    out = subprocess.run([str(cli), "memory", "stats", "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    asyncio.run(chat_and_task())
    print(f"wheel smoke test passed: {where.parent}; themes {sorted(names)}; /task ran to its reward")
    return 0


async def chat_and_task() -> None:
    from tui_agent.config.settings import load_settings
    from tui_agent.tui.app import ChatApp
    from tui_agent.tui.task_view import TaskView

    app = ChatApp(load_settings())
    notes: list[str] = []
    real_notify = app.notify
    app.notify = lambda message, *a, **k: (notes.append(str(message)), real_notify(message, *a, **k))[1]
    async with app.run_test(size=(110, 50)) as pilot:
        await app.ready.wait()
        assert app.load_error is None, app.load_error
        assert app.theme == "tui-agent-dark", app.theme
        app.start_task(None)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.query(TaskView).last()
        result = str(view.query_one(".task-result").render())
        assert "reward" in result, result
    assert not [n for n in notes if "unknown theme" in n or "theme skipped" in n], notes


if __name__ == "__main__":
    sys.exit(main())
