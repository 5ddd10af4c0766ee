"""``serve-shop``: the shop's HTML pages open in a real (headless Chromium) browser.

Skipped when no Chromium is installed (``apt-get install chromium``). Set
``SHOP_SCREENSHOT_DIR`` to keep the PNGs (``docs/`` holds the committed ones).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tui_agent.envs.shop.server import make_server

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def screenshot(browser: str, url: str, out: Path, profile: Path, size: str = "1000,1100") -> None:
    """Headless screenshot of ``url`` into ``out`` (PNG); raises on failure."""
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={size}",
           f"--screenshot={out}", url]
    subprocess.run(cmd, check=True, timeout=90, capture_output=True)


@pytest.fixture
def shop_server():
    server = make_server("127.0.0.1", 0, split="test", goal_index=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_serve_shop_pages_render_in_headless_chromium(shop_server, tmp_path):
    browser = find_browser()
    if browser is None:
        pytest.skip("chromium is not installed")
    keep = os.environ.get("SHOP_SCREENSHOT_DIR")
    out_dir = Path(keep) if keep else tmp_path
    out_dir.mkdir(parents=True, exist_ok=True)
    # a session on the search page; then drive it to a results page with a form post
    with urllib.request.urlopen(shop_server.url) as response:
        search_url = response.geturl()
        assert "/s/" in search_url and "Instruction" in response.read().decode()
    session = shop_server.sessions[search_url.rsplit("/", 1)[-1]][0]

    def post(data: bytes) -> None:
        urllib.request.urlopen(urllib.request.Request(search_url, data=data, method="POST")).read()

    post(b"keywords=matte+lipstick+cruelty+free+nude")
    assert session.page == "results" and session.results
    take = [out_dir / "shop_results.png"]
    screenshot(browser, search_url, take[0], tmp_path / "profile-results")
    first = session.page_products()[0]["asin"]
    post(f"action=click%5B{first}%5D".encode())
    post(b"action=click%5Bnude%5D")
    assert session.page == "item" and session.options == {"color": "nude"}
    take.append(out_dir / "shop_item.png")
    screenshot(browser, search_url, take[1], tmp_path / "profile-item")
    for png in take:
        assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 10_000  # a real, non-blank page


def test_serve_shop_command_calls_the_server(monkeypatch):
    from tui_agent.cli.main import app

    calls = []
    monkeypatch.setattr("tui_agent.envs.shop.server.serve", lambda *a, **k: calls.append((a, k)))
    result = CliRunner().invoke(app, ["serve-shop", "--port", "0", "--split", "train", "--goal", "3"])
    assert result.exit_code == 0, result.output
    assert calls == [(("127.0.0.1", 0), {"split": "train", "goal_index": 3, "open_browser": False})]
