"""Screenshots of the shop: the HTML item page, and our text observation beside WebShop's.

Starts ``serve-shop`` (test goal 0), searches, opens the first product, chooses the first option
value the instruction names, and saves headless-Chromium PNGs:

* ``docs/shop_item.png`` — the HTML item page (with "What the agent sees" underneath);
* ``docs/shop_observation_vs_webshop.png`` — the text observation of that same page beside the
  observation of the same kind of page (an item page with one option chosen) from REMEMBERER's own
  pool ``init_pool.wq.yaml`` (WebShop's text env as REMEMBERER recorded it).

Usage: python scripts/shop_screenshots.py [OUT_DIR]   (default: docs/; needs chromium)
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from pathlib import Path

from tui_agent.envs.shop.server import make_server
from tui_agent.memory.rememberer import read_history_pool
from tui_agent.shop.policy import named_in

ROOT = Path(__file__).resolve().parents[1]
POOL = Path(os.environ.get("TUI_AGENT_REFERENCE_DIR") or ROOT / "tests" / "data" / "reference") / \
    "rememberer-pools" / "init_pool.wq.yaml"


def shoot(browser: str, url: str, out: Path, size: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--no-first-run", f"--user-data-dir={profile}", f"--window-size={size}",
                        f"--screenshot={out}", url], check=True, timeout=90, capture_output=True)
    print(f"wrote {out}")


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise SystemExit("needs chromium (apt-get install chromium)")
    server = make_server("127.0.0.1", 0, split="test", goal_index=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = urllib.request.urlopen(server.url).geturl()
        session = server.sessions[url.rsplit("/", 1)[-1]][0]

        def post(**data: str) -> None:
            urllib.request.urlopen(urllib.request.Request(url, data=urllib.parse.urlencode(data).encode())).read()

        post(keywords="matte lipstick cruelty free salon quality nude")
        post(action=f"click[{session.page_products()[0]['asin']}]")
        option = next(v for vs in session.product["options"].values() for v in vs if named_in(v, session.instruction))
        post(action=f"click[{option}]")
        shoot(browser, url, out_dir / "shop_item.png", "1000,1250")
        ours = session.observation()
    finally:
        server.shutdown()
    raw, _ = read_history_pool(POOL)
    theirs = next(o for o in raw.columns["observation"] if "You have clicked" in o and "[Buy Now]" in o)
    page = out_dir / "shop_observation_vs_webshop.html"
    cell = "<td><h3>{}</h3><pre>{}</pre></td>"
    page.write_text(
        "<!DOCTYPE html><meta charset='utf-8'><style>body{font-family:system-ui;margin:1em}"
        "td{vertical-align:top;width:50%;padding:0 1em}pre{white-space:pre-wrap;background:#111;color:#ddd;"
        "padding:.8em;border-radius:6px}</style><table><tr>"
        + cell.format("tui-agent shop (text observation of the page above)", html.escape(ours))
        + cell.format("WebShop, as REMEMBERER recorded it (init_pool.wq.yaml)", html.escape(theirs))
        + "</tr></table>", encoding="utf-8")
    shoot(browser, page.as_uri(), out_dir / "shop_observation_vs_webshop.png", "1300,700")
    page.unlink()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
