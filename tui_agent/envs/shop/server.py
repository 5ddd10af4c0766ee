"""The shop as HTML pages on localhost, so a person can browse what the agent sees.

``serve(host, port, ...)`` blocks and serves (``tui-agent serve-shop`` calls it);
``make_server(...)`` returns the server without serving (tests, embedding).
Standard library only (``http.server``). Every page is the same
:class:`~tui_agent.envs.shop.pages.ShopSession` the env uses, drawn as HTML,
with the agent's text observation and available actions underneath.

Routes::

    GET  /                       new session (query: split=test|train|eval, goal=<index>)
    GET  /s/<session>            the session's current page
    POST /s/<session>            form field action=<"click[...]" | "search[...]"> or
                                 keywords=<text>; then 303 back to the page
All text is HTML-escaped; nothing from the user or the catalog is emitted raw.
"""

from __future__ import annotations

import html
import random
import re
import secrets
import threading
from collections import OrderedDict
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from .catalog import SPLITS, Catalog, load_catalog
from .pages import ShopSession
from .search import engine_for

MAX_SESSIONS = 500
MAX_BODY = 16_384
_SID = re.compile(r"^/s/([A-Za-z0-9_-]{6,64})/?$")
_CSS = """
body{font-family:system-ui,sans-serif;max-width:920px;margin:1.5em auto;padding:0 1em;color:#222}
header{background:#f3f0e8;padding:.6em 1em;border-radius:6px}
form.inline{display:inline;margin:0}
button{margin:2px;padding:3px 9px;cursor:pointer}
button.chosen{background:#2d6cdf;color:#fff;font-weight:bold}
.product{border-bottom:1px solid #ddd;padding:.4em 0}
pre{background:#111;color:#d8d8d8;padding:.8em;white-space:pre-wrap;border-radius:6px}
.score{font-size:2em;font-weight:bold}
"""

__all__ = ["serve", "make_server", "ShopHTTPServer"]


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


class ShopHTTPServer(ThreadingHTTPServer):
    """HTTP server holding the catalog, search engine and open shopping sessions."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], catalog: Catalog, split: str = "test",
                 goal_index: int | None = None, seed: int | None = None, quiet: bool = True):
        super().__init__(address, _Handler)
        self.catalog, self.engine = catalog, engine_for(catalog)
        self.split, self.goal_index, self.quiet = split, goal_index, quiet
        self.rng = random.Random(seed)
        self.sessions: OrderedDict[str, tuple[ShopSession, dict[str, Any]]] = OrderedDict()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def new_session(self, split: str | None, goal_index: int | None) -> str:
        split = split if split in SPLITS else self.split
        with self.lock:
            if goal_index is None:
                goal_index = self.goal_index
            if goal_index is None or not 0 <= goal_index < self.catalog.split_size(split):
                goal_index = self.rng.randrange(self.catalog.split_size(split))
            sid = secrets.token_urlsafe(9)
            session = ShopSession(self.catalog, self.engine, self.catalog.goal(split, goal_index))
            self.sessions[sid] = (session, {"split": split, "goal_index": goal_index,
                                            "steps": 0, "last_valid": True})
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)
        return sid


class _Handler(BaseHTTPRequestHandler):
    server: ShopHTTPServer
    server_version = "tui-agent-shop/1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if not self.server.quiet:
            super().log_message(format, *args)

    # -- routing ---------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path in ("/", "/new"):
            q = parse_qs(url.query)
            goal = q.get("goal", [""])[0]
            sid = self.server.new_session(q.get("split", [None])[0],
                                          int(goal) if goal.isdigit() else None)
            return self._redirect(f"/s/{sid}")
        m = _SID.match(url.path)
        entry = self.server.sessions.get(m.group(1)) if m else None
        if entry is None:
            return self._send(HTTPStatus.NOT_FOUND, _page(
                "Not found", "<p>No such page or session. <a href='/'>Start shopping</a>.</p>"))
        return self._send(HTTPStatus.OK, _render(m.group(1), *entry))

    def do_POST(self) -> None:  # noqa: N802
        m = _SID.match(urlsplit(self.path).path)
        entry = self.server.sessions.get(m.group(1)) if m else None
        length = int(self.headers.get("Content-Length") or 0)
        if entry is None or length > MAX_BODY:
            return self._send(HTTPStatus.NOT_FOUND, _page("Not found", "<a href='/'>Start</a>"))
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        action = form.get("action", [""])[0]
        if "keywords" in form:
            action = f"search[{form['keywords'][0]}]"
        session, meta = entry
        with self.server.lock:
            if session.page != "done":
                meta["steps"] += 1
                meta["last_valid"] = session.act(action)
        return self._redirect(f"/s/{m.group(1)}")

    # -- helpers ---------------------------------------------------------------
    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", quote(location, safe="/"))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
        self.end_headers()
        self.wfile.write(data)


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>")


def _opts(options: dict[str, str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in options.items()) or "none"


def _button(sid: str, element: str, chosen: bool = False) -> str:
    cls = " class='chosen'" if chosen else ""
    return (f"<form class='inline' method='post' action='/s/{_e(sid)}'>"
            f"<input type='hidden' name='action' value='{_e(f'click[{element}]')}'>"
            f"<button{cls}>{_e(element)}</button></form>")


def _render(sid: str, s: ShopSession, meta: dict[str, Any]) -> str:
    b = lambda element, chosen=False: _button(sid, element, chosen)  # noqa: E731
    parts = [f"<header><b>Instruction:</b> {_e(s.instruction)}<br><small>split "
             f"{_e(meta['split'])}, goal {_e(meta['goal_index'])} &middot; step "
             f"{_e(meta['steps'])} &middot; page {_e(s.page)}"
             + ("" if meta["last_valid"] else " &middot; <b>last action was invalid</b>")
             + "</small></header>"]
    if s.page == "search":
        parts.append(f"<h2>WebShop</h2><form method='post' action='/s/{_e(sid)}'>"
                     "<input name='keywords' size='60' autofocus placeholder='keywords'> "
                     "<button>Search</button></form>")
    elif s.page == "results":
        nav = [b("Back to Search")] + [b(x) for x in ("< Prev", "Next >") if x in s.buttons()]
        parts.append(" ".join(nav) + f"<p>Results for <i>{_e(s.keywords)}</i> &middot; Page "
                     f"{s.page_num} (Total results: {len(s.results)})</p>")
        for p in s.page_products():
            parts.append(f"<div class='product'>{b(p['asin'])} {_e(p['title'])} "
                         f"<b>${p['price']:.2f}</b></div>")
    elif s.page == "item":
        p = s.product
        parts.append(b("Back to Search") + b("< Prev") + f"<h2>{_e(p['title'])}</h2>")
        for group, values in p["options"].items():
            chosen = s.options.get(group)
            parts.append(f"<p>{_e(group)}: " + "".join(b(v, v == chosen) for v in values) + "</p>")
        parts.append(f"<p>Price: <b>${p['price']:.2f}</b> &middot; Rating: {p['rating']:.1f}"
                     " out of 5</p>" + "".join(b(x) for x in ("Description", "Features",
                                                              "Reviews", "Buy Now")))
    elif s.page == "item_sub":
        p = s.product
        parts.append(b("Back to Search") + b("< Prev") + f"<h2>{_e(s.sub_page.title())}: "
                     f"{_e(p['title'])}</h2>")
        if s.sub_page == "description":
            parts.append(f"<p>{_e(p['description'])}</p>")
        elif s.sub_page == "features":
            parts.append("<ul>" + "".join(f"<li>{_e(f)}</li>" for f in p["features"]) + "</ul>")
        else:
            parts.append("".join(f"<p><b>{_e(r['title'])}</b> ({_e(r['score'])}/5)<br>"
                                 f"{_e(r['body'])}</p>" for r in p["reviews"]))
    else:
        info, bought, goal = s.reward_info, s.purchased, s.goal
        parts.append(
            "<h2>Thank you for shopping with us!</h2>"
            f"<p>Purchased {_e(bought['asin'])}: {_e(bought['title'])}, "
            f"${bought['price']:.2f}, options: {_e(_opts(bought['options']))}</p>"
            f"<p>Your score (min 0.0, max 1.0)</p><p class='score'>{s.reward:.2f}</p>"
            f"<p>type {info['r_type']:.1f} &middot; attributes {info['num_attr_matches']}/"
            f"{len(goal['attributes'])} &middot; options {info['num_option_matches']}/"
            f"{len(goal['options'])} &middot; price {'ok' if info['r_price'] else 'too high'}</p>"
            f"<p>Goal: {_e(goal['asin'])}; attributes: {_e(', '.join(goal['attributes']))}; "
            f"options: {_e(_opts(goal['options']))}; price &lt; {goal['price_upper']:.2f}</p>"
            f"<p><a href='/?split={_e(meta['split'])}'>Next task</a></p>")
    parts.append("<details open><summary>What the agent sees</summary><pre>"
                 f"{_e(s.observation())}</pre><pre>{_e(chr(10).join(s.available_actions()))}"
                 "</pre></details>")
    return _page(f"Shop - {s.page}", "\n".join(parts))


def make_server(host: str = "127.0.0.1", port: int = 8765, split: str = "test",
                goal_index: int | None = None, seed: int | None = None,
                catalog: Catalog | None = None, quiet: bool = True) -> ShopHTTPServer:
    """Create (bind) the shop server; call ``serve_forever()`` / ``shutdown()`` on it.

    ``port=0`` picks a free port (see ``server.url``). New sessions get goal
    ``goal_index`` of ``split`` if given, else a goal drawn with ``seed``.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return ShopHTTPServer((host, port), catalog or load_catalog(), split=split,
                          goal_index=goal_index, seed=seed, quiet=quiet)


def serve(host: str = "127.0.0.1", port: int = 8765, split: str = "test",
          goal_index: int | None = None, seed: int | None = None,
          open_browser: bool = False, quiet: bool = False) -> None:
    """Serve the shop on ``http://host:port/`` until interrupted (Ctrl+C)."""
    server = make_server(host, port, split=split, goal_index=goal_index, seed=seed, quiet=quiet)
    print(f"Shop running on {server.url} (Ctrl+C to stop)", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
