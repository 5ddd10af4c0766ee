"""Drive the chat app with the real bundled model and save a screenshot (SVG, and PNG if rsvg-convert exists).

Usage: python scripts/screenshot.py [OUT_DIR]   (default: docs/)
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tui_agent.chat.agent import ChatAgent
from tui_agent.config.settings import load_settings
from tui_agent.tui.app import ChatApp
from tui_agent.tui.widgets import AnswerView, ChatInput


async def main(out_dir: Path) -> Path:
    settings = load_settings(memory_dir=Path(tempfile.mkdtemp()) / "memory")
    app = ChatApp(settings, agent=ChatAgent(settings))
    async with app.run_test(size=(110, 40)) as pilot:
        await app.ready.wait()

        async def ask(text: str) -> AnswerView:
            app.query_one(ChatInput).insert(text)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            return app.query(AnswerView).last()

        await ask("What is the capital of France?")
        wrong = await ask("What is the capital of Zorbania?")
        wrong.focus()
        await pilot.press("minus")
        await app.workers.wait_for_complete()
        await pilot.press(*"The capital of Zorbania is Quellport.")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        app.query_one(ChatInput).focus()
        recalled = await ask("Which city is Zorbania's capital?")
        recalled.focus()
        await pilot.press("m")
        await pilot.pause(0.5)
        svg = out_dir / "screenshot.svg"
        app.save_screenshot(filename=svg.name, path=str(out_dir))
    return svg


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    target.mkdir(parents=True, exist_ok=True)
    svg = asyncio.run(main(target))
    if shutil.which("rsvg-convert"):
        subprocess.run(["rsvg-convert", "-o", str(svg.with_suffix(".png")), str(svg)], check=True)
    print(svg)
